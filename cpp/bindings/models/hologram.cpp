// Binding of the fused hologram model (see python/phasegrad/models/fused_hologram.py):
// _core.FusedHologram64 / FusedHologram32, one class per precision. Construction copies the
// target; each call checks phi strictly (exact dtype, the target's shape, C-contiguous),
// allocates its output, releases the GIL and runs the model, which serialises concurrent
// calls on its own work buffers.
#include <string>

#include "arrays.hpp"
#include "module.hpp"
#include "phasegrad/models/hologram.hpp"

namespace phasegrad::bind {

namespace {

using phasegrad::models::FusedHologram;

template <class T>
std::vector<py::ssize_t> plane_shape(const FusedHologram<T>& model) {
  return {static_cast<py::ssize_t>(model.rows()), static_cast<py::ssize_t>(model.cols())};
}

// phi's data, once it is exactly what the model takes.
template <class T>
const T* phase_of(const FusedHologram<T>& model, const py::array& phi) {
  auto values = strict<T>(phi, "phi");
  if (shape_of(values) != plane_shape(model)) {
    throw std::invalid_argument("phi must have the target's shape (" +
                                std::to_string(model.rows()) + ", " +
                                std::to_string(model.cols()) + ")");
  }
  return values.data();
}

template <class T>
void bind_precision(py::module_& m, const char* name) {
  using Model = FusedHologram<T>;
  py::class_<Model>(m, name)
      .def(py::init([](const py::array& target) {
             auto values = strict<T>(target, "target");
             if (values.ndim() != 2) {
               throw std::invalid_argument("target must be a 2-D image (n, m)");
             }
             if (values.size() == 0) throw std::invalid_argument("target must not be empty");
             const auto rows = static_cast<std::size_t>(values.shape(0));
             const auto cols = static_cast<std::size_t>(values.shape(1));
             return new Model(values.data(), rows, cols);
           }),
           py::arg("target"))
      .def_property_readonly("shape",
                             [](const Model& self) {
                               return py::make_tuple(self.rows(), self.cols());
                             })
      .def(
          "value_and_grad",
          [](Model& self, const py::array& phi, int threads) -> py::tuple {
            const T* phase = phase_of(self, phi);
            Array<T> phi_bar(plane_shape(self));
            T* out = phi_bar.mutable_data();
            double energy = 0.0;
            {
              py::gil_scoped_release release;
              energy = self.value_and_grad(phase, out, threads);
            }
            return py::make_tuple(energy, std::move(phi_bar));
          },
          py::arg("phi"), py::arg("threads"),
          "(E, phi_bar): the loss as a float (summed in double) and dE/dphi.")
      .def(
          "simulate",
          [](Model& self, const py::array& phi, int threads) -> py::array {
            const T* phase = phase_of(self, phi);
            Array<T> image(plane_shape(self));
            T* out = image.mutable_data();
            {
              py::gil_scoped_release release;
              self.simulate(phase, out, threads);
            }
            return std::move(image);
          },
          py::arg("phi"), py::arg("threads"), "I_r = I mean(T) / mean(I).");
}

}  // namespace

void bind_hologram(py::module_& m) {
  bind_precision<double>(m, "FusedHologram64");
  bind_precision<float>(m, "FusedHologram32");
}

}  // namespace phasegrad::bind
