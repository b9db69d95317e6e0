// Binding of the native batch of phase-retrieval problems (python/phasegrad/models/batch.py):
// _core.FusedPhaseRetrievalBatch64 / FusedPhaseRetrievalBatch32, bound like the single model
// (models/phase_retrieval.cpp): the constructor checks the arrays strictly and the class keeps
// alive the arrays the batch reads in place; each method checks its arguments, allocates its
// outputs (zeros, NaN costs: inactive problems' rows stay so), releases the GIL and runs.
#include <pybind11/stl.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "module.hpp"
#include "optics.hpp"
#include "phasegrad/models/phase_retrieval_batch.hpp"

namespace phasegrad::bind {

namespace {

using models::BatchSchedule;
using models::FusedPhaseRetrievalBatch;
using models::PhaseRetrievalConfig;

template <class T>
std::unique_ptr<FusedPhaseRetrievalBatch<T>> make_batch(
    const py::array& amplitude_in, const std::optional<py::array>& basis_in,
    const std::optional<py::array>& diversity_in, const py::array& data_in,
    const std::optional<py::array>& weights_in, std::size_t grid, std::size_t bin,
    double wavelength, std::vector<double> wavelengths, std::vector<double> spectral_weights) {
  PhaseRetrievalConfig<T> cfg;
  const auto amplitude = strict<T>(amplitude_in, "amplitude");
  const auto data = strict<T>(data_in, "data");
  if (amplitude.ndim() != 2 || amplitude.shape(0) != amplitude.shape(1)) {
    throw std::invalid_argument("amplitude must be square (n, n)");
  }
  if (data.ndim() != 4 || data.shape(0) == 0) {
    throw std::invalid_argument("data must have shape (B, P, M, M) with B >= 1");
  }
  const py::ssize_t n = amplitude.shape(0);
  cfg.n = static_cast<std::size_t>(n);
  cfg.grid = grid;
  cfg.bin = bin;
  cfg.planes = static_cast<std::size_t>(data.shape(1));
  if (bin == 0 || grid % bin != 0 || data.shape(2) != static_cast<py::ssize_t>(grid / bin) ||
      data.shape(3) != static_cast<py::ssize_t>(grid / bin)) {
    throw std::invalid_argument("data must have shape (B, P, grid / bin, grid / bin)");
  }
  cfg.amplitude = amplitude.data();
  cfg.data = data.data();
  set_basis_and_diversity(cfg, basis_in, diversity_in, data.shape(1));
  bool per_problem = false;
  if (weights_in) {
    const auto weights = strict<T>(*weights_in, "weights");
    const auto shape = shape_of(weights), data_shape = shape_of(data);
    per_problem = shape == data_shape;
    if (!per_problem && shape != std::vector<py::ssize_t>(data_shape.begin() + 1,
                                                          data_shape.end())) {
      throw std::invalid_argument("weights must have the shape of data (B, P, M, M) or of one "
                                  "problem's (P, M, M)");
    }
    cfg.weights = weights.data();
  }
  cfg.wavelength = wavelength;
  cfg.wavelengths = std::move(wavelengths);
  cfg.spectral_weights = std::move(spectral_weights);
  return std::make_unique<FusedPhaseRetrievalBatch<T>>(cfg, static_cast<std::size_t>(
                                                                data.shape(0)), per_problem);
}

BatchSchedule schedule_of(const std::string& name) {
  if (name == "auto") return BatchSchedule::automatic;
  if (name == "problems") return BatchSchedule::problems;
  if (name == "transforms") return BatchSchedule::transforms;
  throw std::invalid_argument("schedule must be 'auto', 'problems' or 'transforms'");
}

template <class T>
std::vector<py::ssize_t> params_shape(const FusedPhaseRetrievalBatch<T>& batch) {
  const auto& cfg = batch.config();
  const auto b = static_cast<py::ssize_t>(batch.problems());
  if (cfg.modes > 0) return {b, static_cast<py::ssize_t>(cfg.modes)};
  return {b, static_cast<py::ssize_t>(cfg.n), static_cast<py::ssize_t>(cfg.n)};
}

template <class T>
const T* params_of(const FusedPhaseRetrievalBatch<T>& batch, const py::array& a,
                   const char* name) {
  const auto params = strict<T>(a, name);
  if (shape_of(params) != params_shape(batch)) {
    throw std::invalid_argument(std::string(name) + " has the wrong shape for this batch");
  }
  return params.data();
}

// (B, 3) detector parameters of a quadratic detector, or None for a linear one.
template <class T>
const double* detectors_of(const FusedPhaseRetrievalBatch<T>& batch,
                           const std::optional<py::array>& p, const char* name) {
  if (!p) return nullptr;
  const auto values = strict<double>(*p, name);
  if (values.ndim() != 2 || values.shape(0) != static_cast<py::ssize_t>(batch.problems()) ||
      values.shape(1) != 3) {
    throw std::invalid_argument(std::string(name) + " must have shape (B, 3)");
  }
  return values.data();
}

template <class T>
const unsigned char* active_of(const FusedPhaseRetrievalBatch<T>& batch,
                               const std::optional<py::array>& active) {
  if (!active) return nullptr;
  const auto flags = strict<unsigned char>(*active, "active");
  if (flags.ndim() != 1 || flags.shape(0) != static_cast<py::ssize_t>(batch.problems())) {
    throw std::invalid_argument("active must have shape (B,)");
  }
  return flags.data();
}

template <class T>
py::tuple batch_value_and_grad(FusedPhaseRetrievalBatch<T>& batch, const py::array& a,
                               const std::optional<py::array>& p,
                               const std::optional<py::array>& active, int threads,
                               const std::string& schedule) {
  const T* params = params_of(batch, a, "a");
  const double* detectors = detectors_of(batch, p, "p");
  const unsigned char* flags = active_of(batch, active);
  const BatchSchedule mode = schedule_of(schedule);
  const auto b = static_cast<py::ssize_t>(batch.problems());
  Array<double> energies(std::vector<py::ssize_t>{b});
  std::fill_n(energies.mutable_data(), b, std::numeric_limits<double>::quiet_NaN());
  Array<T> a_bar(params_shape(batch));
  std::fill_n(a_bar.mutable_data(), a_bar.size(), T(0));
  py::object p_bar_object = py::none();
  double* p_bar = nullptr;
  if (detectors) {
    Array<double> p_bar_array(std::vector<py::ssize_t>{b, 3});
    std::fill_n(p_bar_array.mutable_data(), 3 * b, 0.0);
    p_bar = p_bar_array.mutable_data();
    p_bar_object = std::move(p_bar_array);
  }
  double* e = energies.mutable_data();
  T* g = a_bar.mutable_data();
  {
    py::gil_scoped_release release;
    batch.value_and_grad(params, detectors, flags, e, g, p_bar, threads, mode);
  }
  return py::make_tuple(std::move(energies), std::move(a_bar), p_bar_object);
}

template <class T>
Array<T> batch_simulate(FusedPhaseRetrievalBatch<T>& batch, const py::array& a,
                        const std::optional<py::array>& p, const std::optional<py::array>& active,
                        int threads, const std::string& schedule) {
  const T* params = params_of(batch, a, "a");
  const double* detectors = detectors_of(batch, p, "p");
  const unsigned char* flags = active_of(batch, active);
  const BatchSchedule mode = schedule_of(schedule);
  const auto size = static_cast<py::ssize_t>(batch.config().grid / batch.config().bin);
  Array<T> images(std::vector<py::ssize_t>{static_cast<py::ssize_t>(batch.problems()),
                                           static_cast<py::ssize_t>(batch.config().planes),
                                           size, size});
  std::fill_n(images.mutable_data(), images.size(), T(0));
  T* out = images.mutable_data();
  {
    py::gil_scoped_release release;
    batch.simulate(params, detectors, flags, out, threads, mode);
  }
  return images;
}

template <class T>
Array<double> batch_residuals(FusedPhaseRetrievalBatch<T>& batch, const py::array& a,
                              const std::optional<py::array>& p,
                              const std::optional<py::array>& active, int threads,
                              const std::string& schedule) {
  const T* params = params_of(batch, a, "a");
  const double* detectors = detectors_of(batch, p, "p");
  const unsigned char* flags = active_of(batch, active);
  const BatchSchedule mode = schedule_of(schedule);
  Array<double> r(std::vector<py::ssize_t>{static_cast<py::ssize_t>(batch.problems()),
                                           static_cast<py::ssize_t>(batch.image_values())});
  std::fill_n(r.mutable_data(), r.size(), 0.0);
  double* out = r.mutable_data();
  {
    py::gil_scoped_release release;
    batch.residuals(params, detectors, flags, out, threads, mode);
  }
  return r;
}

template <class T>
Array<double> batch_jvp(FusedPhaseRetrievalBatch<T>& batch, const py::array& a,
                        const std::optional<py::array>& p, const py::array& a_dot,
                        const std::optional<py::array>& p_dot,
                        const std::optional<py::array>& active, int threads,
                        const std::string& schedule) {
  const T* params = params_of(batch, a, "a");
  const T* params_dot = params_of(batch, a_dot, "a_dot");
  const double* detectors = detectors_of(batch, p, "p");
  const double* detectors_dot = detectors_of(batch, p_dot, "p_dot");
  if ((detectors == nullptr) != (detectors_dot == nullptr)) {
    throw std::invalid_argument("p_dot must be given exactly when p is");
  }
  const unsigned char* flags = active_of(batch, active);
  const BatchSchedule mode = schedule_of(schedule);
  Array<double> r_dot(std::vector<py::ssize_t>{static_cast<py::ssize_t>(batch.problems()),
                                               static_cast<py::ssize_t>(batch.image_values())});
  std::fill_n(r_dot.mutable_data(), r_dot.size(), 0.0);
  double* out = r_dot.mutable_data();
  {
    py::gil_scoped_release release;
    batch.jvp(params, detectors, params_dot, detectors_dot, flags, out, threads, mode);
  }
  return r_dot;
}

template <class T>
void bind_batch(py::module_& m, const char* name, const char* doc) {
  using Batch = FusedPhaseRetrievalBatch<T>;
  // The batch reads amplitude, basis, diversity, data and weights (arguments 2-6) in place.
  py::class_<Batch>(m, name, doc)
      .def(py::init(&make_batch<T>), py::arg("amplitude"), py::arg("basis"),
           py::arg("diversity"), py::arg("data"), py::arg("weights"), py::arg("grid"),
           py::arg("bin"), py::arg("wavelength"), py::arg("wavelengths"),
           py::arg("spectral_weights"), py::keep_alive<1, 2>(), py::keep_alive<1, 3>(),
           py::keep_alive<1, 4>(), py::keep_alive<1, 5>(), py::keep_alive<1, 6>())
      .def("value_and_grad", &batch_value_and_grad<T>, py::arg("a"), py::arg("p"),
           py::arg("active"), py::arg("threads"), py::arg("schedule") = "auto",
           "(E (B,), a_bar like a, p_bar (B, 3) or None); inactive problems: E NaN, 0.")
      .def("simulate", &batch_simulate<T>, py::arg("a"), py::arg("p"), py::arg("active"),
           py::arg("threads"), py::arg("schedule") = "auto",
           "The model images, (B, P, M, M); inactive problems' 0.")
      .def("residuals", &batch_residuals<T>, py::arg("a"), py::arg("p"), py::arg("active"),
           py::arg("threads"), py::arg("schedule") = "auto",
           "The residuals, (B, P M^2) float64; inactive problems' 0.")
      .def("jvp", &batch_jvp<T>, py::arg("a"), py::arg("p"), py::arg("a_dot"),
           py::arg("p_dot"), py::arg("active"), py::arg("threads"),
           py::arg("schedule") = "auto", "J v per problem, (B, P M^2) float64.")
      .def(
          "across_problems",
          [](const Batch& batch, int threads, const std::string& schedule) {
            return batch.across_problems(threads, schedule_of(schedule));
          },
          py::arg("threads"), py::arg("schedule") = "auto",
           "Whether a call on `threads` threads runs across the problems.")
      .def_property_readonly("workspace_bytes", &Batch::workspace_bytes,
                             "Bytes of the work buffers the batch's engines hold.");
}

}  // namespace

void bind_phase_retrieval_batch(py::module_& m) {
  bind_batch<double>(m, "FusedPhaseRetrievalBatch64",
                     "The native batch of phase-retrieval problems in float64 "
                     "(phasegrad.models.batch).");
  bind_batch<float>(m, "FusedPhaseRetrievalBatch32",
                    "The native batch of phase-retrieval problems in float32 "
                    "(phasegrad.models.batch).");
}

}  // namespace phasegrad::bind
