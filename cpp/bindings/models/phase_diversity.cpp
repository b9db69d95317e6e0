// Binding of the fused phase-diversity model (see python/phasegrad/models/fused_pd.py):
// _core.FusedPhaseDiversity64 / FusedPhaseDiversity32, bound like every fused model
// (models/phase_retrieval.cpp): make_model() checks the arrays strictly and builds the model,
// the class keeps alive the arrays the model reads in place, and each method checks its
// arguments, allocates its output, releases the GIL and runs the model.
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "module.hpp"
#include "optics.hpp"
#include "phasegrad/models/phase_diversity.hpp"
#include "prepare.hpp"

namespace phasegrad::bind {

namespace {

using models::FusedPhaseDiversity;
using models::PhaseRetrievalConfig;

template <class T>
std::unique_ptr<FusedPhaseDiversity<T>> make_model(
    const py::array& amplitude_in, const std::optional<py::array>& basis_in,
    const py::array& diversity_in, const py::array& data_in, std::size_t grid,
    double wavelength, std::vector<double> wavelengths, std::vector<double> band_weights,
    double regularization) {
  PhaseRetrievalConfig<T> cfg;
  const auto amplitude = strict<T>(amplitude_in, "amplitude");
  const auto data = strict<T>(data_in, "data");
  if (amplitude.ndim() != 2 || amplitude.shape(0) != amplitude.shape(1)) {
    throw std::invalid_argument("amplitude must be square (n, n)");
  }
  const py::ssize_t n = amplitude.shape(0);
  const auto side = static_cast<py::ssize_t>(grid);
  if (data.ndim() != 3 || data.shape(0) < 2 || data.shape(1) != side || data.shape(2) != side) {
    throw std::invalid_argument("data must have shape (K, grid, grid) with K >= 2");
  }
  cfg.n = static_cast<std::size_t>(n);
  cfg.grid = grid;
  cfg.bin = 1;
  cfg.planes = static_cast<std::size_t>(data.shape(0));
  cfg.amplitude = amplitude.data();
  cfg.data = data.data();
  set_basis_and_diversity(cfg, basis_in, std::optional<py::array>(diversity_in),
                          data.shape(0), "J", "K");
  cfg.wavelength = wavelength;
  cfg.wavelengths = std::move(wavelengths);
  cfg.spectral_weights = std::move(band_weights);
  return std::make_unique<FusedPhaseDiversity<T>>(cfg, regularization);
}

// The parameters' shape: (J,) for a basis, else the (n, n) wavefront map.
template <class T>
std::vector<py::ssize_t> params_shape(const FusedPhaseDiversity<T>& model) {
  return wavefront_shape(model.config());
}

template <class T>
const T* params_of(const FusedPhaseDiversity<T>& model, const py::array& a) {
  const auto params = strict<T>(a, "a");
  if (shape_of(params) != params_shape(model)) {
    throw std::invalid_argument("a has the wrong shape for this model");
  }
  return params.data();
}

template <class T>
py::typing::Tuple<py::float_, Array<T>> value_and_grad(FusedPhaseDiversity<T>& model,
                                                       const py::array& a, int threads) {
  const T* params = params_of(model, a);
  Array<T> a_bar(params_shape(model));
  T* a_bar_data = a_bar.mutable_data();
  double energy = 0.0;
  {
    py::gil_scoped_release release;
    energy = model.value_and_grad(params, a_bar_data, threads);
  }
  return py::make_tuple(energy, std::move(a_bar));
}

template <class T>
Array<T> estimate_object(FusedPhaseDiversity<T>& model, const py::array& a, int threads) {
  const T* params = params_of(model, a);
  const auto grid = static_cast<py::ssize_t>(model.config().grid);
  Array<T> object(std::vector<py::ssize_t>{grid, grid});
  T* out = object.mutable_data();
  {
    py::gil_scoped_release release;
    model.estimate_object(params, out, threads);
  }
  return object;
}

template <class T>
void bind_model(py::module_& m, const char* name, const char* doc) {
  using Model = FusedPhaseDiversity<T>;
  // The model reads amplitude, basis, diversity and data (arguments 2-5) in place.
  py::class_<Model>(m, name, doc)
      .def(py::init(&make_model<T>), py::arg("amplitude"), py::arg("basis"),
           py::arg("diversity"), py::arg("data"), py::arg("grid"), py::arg("wavelength"),
           py::arg("wavelengths"), py::arg("band_weights"), py::arg("regularization"),
           py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::keep_alive<1, 4>(),
           py::keep_alive<1, 5>())
      .def("value_and_grad", &value_and_grad<T>, py::arg("a"), py::arg("threads"),
           "(E, a_bar): the object-eliminated metric (summed in double) and dE/da.")
      .def("estimate_object", &estimate_object<T>, py::arg("a"), py::arg("threads"),
           "The Wiener scene fftshift(Re(IDFT2(U / Q))), (N, N).")
      .def(
          "prepare",
          &prepare_without_gil<Model>,
          py::arg("threads"),
          "Make the plans for calls on `threads` threads and run the passes once on that\n"
          "team (the set-up a first call would otherwise pay); optional.")
      .def_property_readonly("workspace_bytes", &Model::workspace_bytes,
                             "Bytes of the work buffers the model holds.");
}

}  // namespace

void bind_phase_diversity(py::module_& m) {
  bind_model<double>(m, "FusedPhaseDiversity64",
                     "The fused phase-diversity model in float64 "
                     "(phasegrad.models.fused_pd).");
  bind_model<float>(m, "FusedPhaseDiversity32",
                    "The fused phase-diversity model in float32 "
                    "(phasegrad.models.fused_pd).");
}

}  // namespace phasegrad::bind
