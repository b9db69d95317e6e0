// The phase-diversity model's set-up for its calls, done once after construction; see
// FusedPhaseDiversity::prepare in models/phase_diversity.hpp.
//
// Without it the first call pays for its set-up: every engine's plans and the pairs' (from the
// wisdom, or measured), pass F's scratch rows, the OpenMP team's first start and the first
// touch of the buffers the passes run in. prepare() runs value_and_grad's passes once over a
// zero wavefront on the team (results discarded: every call overwrites each buffer they write
// before reading it), with Python's GIL released (the bindings), then times their forward
// half on the team and on one thread, and the calls start on the faster
// (core/team_choice.hpp; the calls' own times decide from then on). Its time is the
// constructor's in the benchmarks (python/phasegrad/bench/busy_machine.py).
#include <mutex>

#include "phasegrad/core/team_choice.hpp"
#include "phasegrad/models/phase_diversity.hpp"

namespace phasegrad::models {

template <class T>
void FusedPhaseDiversity<T>::prepare(int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int team = engines_.front()->engine_threads(threads);
  const std::size_t count = gradient_.size();
  const Buffer<T> params = Buffer<T>::zeros(count);
  Buffer<T> params_bar = Buffer<T>::zeros(count);  // discarded
  plan_for(team);
  passes(params.data(), params_bar.data(), team);
  double on_team = 0, on_one = 0;
  if (team > 1) {  // the forward half (the PSFs and the pairs' transforms), which dominates
    const Stopwatch team_watch;
    otf_pairs(params.data(), team);
    on_team = team_watch.seconds();
    plan_for(1);
    const Stopwatch one_watch;
    otf_pairs(params.data(), 1);
    on_one = one_watch.seconds();
  }
  for (auto& choice : choices_) choice.start(team, on_team, on_one);
}

template void FusedPhaseDiversity<float>::prepare(int);
template void FusedPhaseDiversity<double>::prepare(int);

}  // namespace phasegrad::models
