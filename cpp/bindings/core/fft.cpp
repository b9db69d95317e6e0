// Bindings of FFTW itself: version, plan cache, planner effort, wisdom (the transform is
// _core.dft2, bound in ops/fourier.cpp) (see python/phasegrad/fft.py).
#include <string>

#include "module.hpp"
#include "phasegrad/core/fft.hpp"

namespace phasegrad::bind {

namespace {

PlannerEffort parse_effort(const std::string& name) {
  if (name == "estimate") return PlannerEffort::estimate;
  if (name == "measure") return PlannerEffort::measure;
  if (name == "patient") return PlannerEffort::patient;
  throw std::invalid_argument("effort must be 'estimate', 'measure' or 'patient'; got '" +
                              name + "'");
}

}  // namespace

void bind_fft(py::module_& m) {
  m.def("fftw_version", [] { return std::string(fftw_version_string()); },
        "Version string of the linked FFTW library.");
  m.def("cached_plan_count", &cached_plan_count, "Number of cached FFTW plans.");
  m.def("clear_plan_cache", &clear_plan_cache, "Drop every cached FFTW plan.");
  m.def(
      "set_planner_effort", [](const std::string& name) { set_planner_effort(parse_effort(name)); },
      py::arg("effort"), "Planner effort of plans made from now on: 'estimate', 'measure' or "
      "'patient'.");
  m.def(
      "planner_effort",
      [] {
        switch (planner_effort()) {
          case PlannerEffort::estimate: return std::string("estimate");
          case PlannerEffort::patient: return std::string("patient");
          case PlannerEffort::measure: break;
        }
        return std::string("measure");
      },
      "The planner effort: 'estimate', 'measure' or 'patient'.");
  m.def(
      "export_wisdom",
      []() -> py::typing::Tuple<py::bytes, py::bytes> {
        return py::make_tuple(py::bytes(export_wisdom_double()), py::bytes(export_wisdom_float()));
      },
      "FFTW wisdom as (double, float) texts.");
  m.def(
      "import_wisdom",
      [](const std::string& double_text, const std::string& float_text) {
        return std::make_tuple(import_wisdom_double(double_text), import_wisdom_float(float_text));
      },
      py::arg("double_text"), py::arg("float_text"),
      "Import FFTW wisdom texts (double, float); whether FFTW accepted each.");
  m.def("set_plan_check", &set_plan_check, py::arg("enabled"),
        "Plan each new FFTW_MEASURE/PATIENT plan twice and keep the faster (with its wisdom).");
  m.def("plan_check_enabled", &plan_check_enabled, "Whether new plans are checked.");
  m.def(
      "plan_check_counts",
      [] {
        const PlanCheckCounts counts = plan_check_counts();
        return std::make_tuple(counts.checked, counts.second_kept);
      },
      "(plans checked, of them the second planning kept), since the core loaded.");
}

}  // namespace phasegrad::bind
