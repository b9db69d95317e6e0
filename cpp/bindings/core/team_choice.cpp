// The measured fallback of the fused models' thread count (core/team_choice.hpp), replayed over
// given call times, for the tests of its decisions.
#include <pybind11/stl.h>

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "module.hpp"
#include "phasegrad/core/team_choice.hpp"

namespace phasegrad::bind {

namespace {

// `calls` calls of `requested` threads through one TeamChoice (started on one thread when
// `start_single`), call i taking single[i % size] seconds when it runs on one thread and
// team[i % size] on the team; the team of each call.
std::vector<int> team_choice_replay(int requested, const std::vector<double>& single,
                                    const std::vector<double>& team, std::size_t calls,
                                    bool start_single) {
  if (single.empty() || team.empty()) {
    throw std::invalid_argument("single and team need at least one time each");
  }
  TeamChoice choice;
  choice.start(requested, start_single ? 1.0 : 0.0, 0.0);
  std::vector<int> teams(calls);
  for (std::size_t i = 0; i < calls; ++i) {
    teams[i] = choice.next(requested);
    choice.record(teams[i] == 1 ? single[i % single.size()] : team[i % team.size()]);
  }
  return teams;
}

}  // namespace

void bind_team_choice(py::module_& m) {
  m.def("team_choice_replay", &team_choice_replay, py::arg("requested"), py::arg("single"),
        py::arg("team"), py::arg("calls"), py::arg("start_single") = false,
        "The team of each of `calls` calls that a model's thread fallback schedules (started\n"
        "on one thread with start_single), call i taking single[i % len(single)] seconds on\n"
        "one thread and team[i % len(team)] on the team (for tests).");
}

}  // namespace phasegrad::bind
