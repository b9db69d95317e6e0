// Binding of the fused hologram model (see python/phasegrad/models/fused_hologram.py):
// _core.FusedHologram64 / FusedHologram32, one class per precision, bound like every fused
// model (models/phase_retrieval.cpp): make_model() checks the target strictly (exact dtype,
// C order, shape) and builds the model, which copies it; each method checks phi (exact dtype,
// the target's shape, C order), allocates its output, releases the GIL and runs the model,
// which serialises concurrent calls on its own work buffers.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "module.hpp"
#include "phasegrad/models/hologram.hpp"

namespace phasegrad::bind {

namespace {

using models::FusedHologram;

template <class T>
std::unique_ptr<FusedHologram<T>> make_model(const py::array& target_in) {
  const auto target = strict<T>(target_in, "target");
  if (target.ndim() != 2) throw std::invalid_argument("target must be a 2-D image (n, m)");
  if (target.size() == 0) throw std::invalid_argument("target must not be empty");
  const auto rows = static_cast<std::size_t>(target.shape(0));
  const auto cols = static_cast<std::size_t>(target.shape(1));
  return std::make_unique<FusedHologram<T>>(target.data(), rows, cols);
}

template <class T>
std::vector<py::ssize_t> plane_shape(const FusedHologram<T>& model) {
  return {static_cast<py::ssize_t>(model.rows()), static_cast<py::ssize_t>(model.cols())};
}

// phi's data, once it is exactly what the model takes.
template <class T>
const T* phase_of(const FusedHologram<T>& model, const py::array& phi) {
  const auto values = strict<T>(phi, "phi");
  if (shape_of(values) != plane_shape(model)) {
    throw std::invalid_argument("phi must have the target's shape (" +
                                std::to_string(model.rows()) + ", " +
                                std::to_string(model.cols()) + ")");
  }
  return values.data();
}

template <class T>
py::typing::Tuple<py::float_, Array<T>> value_and_grad(FusedHologram<T>& model,
                                                       const py::array& phi, int threads) {
  const T* phase = phase_of(model, phi);
  Array<T> phi_bar(plane_shape(model));
  T* out = phi_bar.mutable_data();
  double energy = 0.0;
  {
    py::gil_scoped_release release;
    energy = model.value_and_grad(phase, out, threads);
  }
  return py::make_tuple(energy, std::move(phi_bar));
}

template <class T>
Array<T> simulate(FusedHologram<T>& model, const py::array& phi, int threads) {
  const T* phase = phase_of(model, phi);
  Array<T> image(plane_shape(model));
  T* out = image.mutable_data();
  {
    py::gil_scoped_release release;
    model.simulate(phase, out, threads);
  }
  return image;
}

template <class T>
py::typing::Tuple<int, int> shape(const FusedHologram<T>& model) {
  return py::make_tuple(model.rows(), model.cols());
}

template <class T>
void bind_model(py::module_& m, const char* name, const char* doc) {
  using Model = FusedHologram<T>;
  // The model copies its target: nothing to keep alive.
  py::class_<Model>(m, name, doc)
      .def(py::init(&make_model<T>), py::arg("target"))
      .def("value_and_grad", &value_and_grad<T>, py::arg("phi"), py::arg("threads"),
           "(E, phi_bar): the loss as a float (summed in double) and dE/dphi.")
      .def("simulate", &simulate<T>, py::arg("phi"), py::arg("threads"),
           "I_r = I mean(T) / mean(I).")
      .def_property_readonly("shape", &shape<T>, "The target's shape (n, m).");
}

}  // namespace

void bind_hologram(py::module_& m) {
  bind_model<double>(m, "FusedHologram64",
                     "The fused hologram model in float64 (phasegrad.models.fused_hologram).");
  bind_model<float>(m, "FusedHologram32",
                    "The fused hologram model in float32 (phasegrad.models.fused_hologram).");
}

}  // namespace phasegrad::bind
