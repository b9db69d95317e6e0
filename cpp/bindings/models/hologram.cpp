// Binding of the fused hologram model (see python/phasegrad/models/fused_hologram.py):
// _core.FusedHologram64 / FusedHologram32, one class per precision, bound like every fused
// model (models/phase_retrieval.cpp): make_model() checks the target strictly (exact dtype,
// C order, shape) and builds the model, which copies it; each method checks phi (exact dtype,
// the target's shape, C order), allocates its output, releases the GIL and runs the model,
// which serialises concurrent calls on its own work buffers. The least-squares view's vectors
// (v, u and every result) are flat float64 whatever the precision.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "module.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/models/hologram.hpp"
#include "phasegrad/models/hologram_planes.hpp"
#include "prepare.hpp"

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

// A flat float64 vector of the least-squares view (v, u), once it is exactly what the model
// takes: one value per pixel.
template <class T>
const double* flat_of(const FusedHologram<T>& model, const py::array& vector, const char* name) {
  const auto values = strict<double>(vector, name);
  const auto size = static_cast<py::ssize_t>(model.rows() * model.cols());
  if (values.ndim() != 1 || values.shape(0) != size) {
    throw std::invalid_argument(std::string(name) + " must be a flat vector of " +
                                std::to_string(size) + " values");
  }
  return values.data();
}

template <class T>
py::ssize_t pixels(const FusedHologram<T>& model) {
  return static_cast<py::ssize_t>(model.rows() * model.cols());
}

template <class T>
Array<double> residuals(FusedHologram<T>& model, const py::array& phi, int threads) {
  const T* phase = phase_of(model, phi);
  Array<double> r({pixels(model)});
  double* out = r.mutable_data();
  {
    py::gil_scoped_release release;
    model.residuals(phase, out, threads);
  }
  return r;
}

// jvp, vjp and gauss_newton_product: (phi, a flat vector) -> a flat vector.
template <class T, void (FusedHologram<T>::*product)(const T*, const double*, double*, int)>
Array<double> apply(FusedHologram<T>& model, const py::array& phi, const py::array& vector,
                    int threads, const char* name) {
  const T* phase = phase_of(model, phi);
  const double* in = flat_of(model, vector, name);
  Array<double> result({pixels(model)});
  double* out = result.mutable_data();
  {
    py::gil_scoped_release release;
    (model.*product)(phase, in, out, threads);
  }
  return result;
}

template <class T>
Array<double> jacobian(FusedHologram<T>& model, const py::array& phi, int threads) {
  const T* phase = phase_of(model, phi);
  Array<double> jac({pixels(model), pixels(model)});
  double* out = jac.mutable_data();
  {
    py::gil_scoped_release release;
    model.jacobian(phase, out, threads);
  }
  return jac;
}

template <class T>
py::typing::Tuple<Array<double>, Array<double>> gauss_newton(FusedHologram<T>& model,
                                                             const py::array& phi,
                                                             int threads) {
  const T* phase = phase_of(model, phi);
  Array<double> jtj({pixels(model), pixels(model)});
  Array<double> jtr({pixels(model)});
  double* out_jtj = jtj.mutable_data();
  double* out_jtr = jtr.mutable_data();
  {
    py::gil_scoped_release release;
    model.gauss_newton(phase, out_jtj, out_jtr, threads);
  }
  return py::make_tuple(std::move(jtj), std::move(jtr));
}

template <class T>
py::typing::Tuple<int, int> shape(const FusedHologram<T>& model) {
  return py::make_tuple(model.rows(), model.cols());
}

// value_and_grad's transform splits and phasor choices by name (models/hologram.hpp).
constexpr const char* kSplitNames[] = {"automatic", "blocked", "hybrid", "whole"};
constexpr const char* kPhasorNames[] = {"automatic", "kept", "recomputed"};

// The enumerator named `name` in `names` (in the enum's order), or a ValueError naming
// `what` and the choices.
template <class Enum, std::size_t Count>
Enum named(const char* const (&names)[Count], const char* what, const std::string& name) {
  std::string choices;
  for (std::size_t k = 0; k < Count; ++k) {
    if (name == names[k]) return static_cast<Enum>(k);
    choices += (k == 0 ? "'" : k + 1 == Count ? " or '" : ", '") + std::string(names[k]) + "'";
  }
  throw std::invalid_argument(std::string(what) + " must be " + choices + ", not '" + name +
                              "'");
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
      .def(
          "transforms_only",
          [](Model& model, int threads) {
            py::gil_scoped_release release;
            return model.transforms_only(threads);
          },
          py::arg("threads"),
          "value_and_grad's transforms alone, for benchmarks (True: the blocked path's).")
      .def(
          "set_split",
          [](Model& model, const std::string& split) {
            model.set_split(named<typename Model::Split>(kSplitNames, "split", split));
          },
          py::arg("split"),
          "For benchmarks: value_and_grad's transform split\n('blocked', 'hybrid', 'whole' "
          "or 'automatic', the default).")
      .def(
          "split",
          [](Model& model, int threads) {
            typename Model::Split split;
            {
              py::gil_scoped_release release;
              split = model.split(threads);
            }
            return std::string(kSplitNames[static_cast<int>(split)]);
          },
          py::arg("threads"),
          "The split value_and_grad takes on `threads` threads\n('automatic': still to be "
          "measured).")
      .def(
          "set_phasor",
          [](Model& model, const std::string& phasor) {
            model.set_phasor(named<typename Model::Phasor>(kPhasorNames, "phasor", phasor));
          },
          py::arg("phasor"),
          "For benchmarks and tests: whether value_and_grad keeps the phasor for its last pass\n"
          "('kept'), computes it again from phi ('recomputed', the same bits) or chooses by\n"
          "size ('automatic', the default).")
      .def(
          "phasor",
          [](Model& model) {
            typename Model::Phasor phasor;
            {
              py::gil_scoped_release release;
              phasor = model.phasor();
            }
            return std::string(kPhasorNames[static_cast<int>(phasor)]);
          },
          "What value_and_grad does with the phasor ('kept' or 'recomputed').")
      .def("residuals", &residuals<T>, py::arg("phi"), py::arg("threads"),
           "r = (I_r - T).ravel() / sqrt(n m), float64: E = |r|^2. One FFT.")
      .def(
          "jvp",
          [](Model& model, const py::array& phi, const py::array& v, int threads) {
            return apply<T, &Model::jvp>(model, phi, v, threads, "v");
          },
          py::arg("phi"), py::arg("v"), py::arg("threads"),
          "J v for a flat float64 tangent v of phases. Two FFTs.")
      .def(
          "vjp",
          [](Model& model, const py::array& phi, const py::array& u, int threads) {
            return apply<T, &Model::vjp>(model, phi, u, threads, "u");
          },
          py::arg("phi"), py::arg("u"), py::arg("threads"),
          "J^T u for a flat float64 cotangent u of the residuals. Two FFTs.")
      .def(
          "gauss_newton_product",
          [](Model& model, const py::array& phi, const py::array& v, int threads) {
            return apply<T, &Model::gauss_newton_product>(model, phi, v, threads, "v");
          },
          py::arg("phi"), py::arg("v"), py::arg("threads"),
          "J^T (J v), matrix-free: three FFTs (primal, tangent, adjoint).")
      .def("jacobian", &jacobian<T>, py::arg("phi"), py::arg("threads"),
           "The dense Jacobian dr/dphi, (n m, n m) float64. One FFT.")
      .def("gauss_newton", &gauss_newton<T>, py::arg("phi"), py::arg("threads"),
           "(J^T J, J^T r), float64, without forming J. Four FFTs.")
      .def_property_readonly("shape", &shape<T>, "The target's shape (n, m).");
}

// ---- the general hologram (FusedHologramPlanes64 / 32) ------------------------------------

using models::FusedHologramPlanes;
using models::HologramPlanesConfig;

std::vector<double> doubles(const py::array& a, const char* name, std::size_t size) {
  const auto values = strict<double>(a, name);
  if (static_cast<std::size_t>(values.size()) != size) {
    throw std::invalid_argument(std::string(name) + " must hold " + std::to_string(size) +
                                " values");
  }
  return std::vector<double>(values.data(), values.data() + size);
}

template <class T>
std::unique_ptr<FusedHologramPlanes<T>> make_planes(
    const py::array& target_in, const py::array& weights, const py::array& distances,
    const py::array& wavelengths, double pitch, py::ssize_t pad,
    const py::array& phase_response, const py::array& amplitude,
    std::complex<double> zero_order, py::ssize_t levels, bool soft, const py::array& crosstalk,
    double efficiency, bool amplitude_phase) {
  const auto target = strict<T>(target_in, "target");
  if (target.ndim() != 4 || target.size() == 0) {
    throw std::invalid_argument("target must be a non-empty (C, P, n, m) array");
  }
  HologramPlanesConfig c;
  c.colours = static_cast<std::size_t>(target.shape(0));
  c.planes = static_cast<std::size_t>(target.shape(1));
  c.rows = static_cast<std::size_t>(target.shape(2));
  c.cols = static_cast<std::size_t>(target.shape(3));
  c.weights = doubles(weights, "weights", c.colours * c.planes);
  const auto distance_values = strict<double>(distances, "distances");
  c.distances = distance_values.size() == 0
                    ? std::vector<double>{}
                    : doubles(distances, "distances", c.planes);
  if (c.distances.empty() && c.planes != 1) {
    throw std::invalid_argument("the far field has one plane");
  }
  c.wavelengths = doubles(wavelengths, "wavelengths", c.colours);
  for (double w : c.wavelengths) {
    if (!(w > 0)) throw std::invalid_argument("wavelengths must be positive");
  }
  c.pitch = pitch;
  if (!c.distances.empty() && !(pitch > 0)) throw std::invalid_argument("pitch must be positive");
  c.pad = positive(pad, "pad");
  c.phase_response = doubles(phase_response, "phase_response", c.colours);
  c.amplitude = doubles(amplitude, "amplitude", c.rows * c.cols);
  c.zero_order = zero_order;
  if (levels < 0 || levels == 1) throw std::invalid_argument("levels must be 0 (none) or >= 2");
  c.levels = static_cast<std::size_t>(levels);
  c.soft = soft;
  const auto kernel = strict<double>(crosstalk, "crosstalk");
  if (kernel.size() > 0) {
    if (kernel.ndim() != 2 || kernel.shape(0) % 2 == 0 || kernel.shape(1) % 2 == 0 ||
        kernel.shape(0) > target.shape(2) || kernel.shape(1) > target.shape(3)) {
      throw std::invalid_argument("crosstalk must be 2-D, of odd sides, not larger than the plane");
    }
    c.kernel_rows = static_cast<std::size_t>(kernel.shape(0));
    c.kernel_cols = static_cast<std::size_t>(kernel.shape(1));
    c.crosstalk.assign(kernel.data(), kernel.data() + kernel.size());
  } else {
    c.kernel_rows = c.kernel_cols = 0;
  }
  c.efficiency = efficiency;
  c.amplitude_phase = amplitude_phase;
  return std::make_unique<FusedHologramPlanes<T>>(target.data(), std::move(c));
}

template <class T>
std::vector<py::ssize_t> phase_shape(const FusedHologramPlanes<T>& model) {
  std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(model.config().rows),
                                 static_cast<py::ssize_t>(model.config().cols)};
  if (model.config().amplitude_phase) shape.insert(shape.begin(), 2);  // phase, amplitude
  return shape;
}

// The number of parameters: the phases, and with the amplitude + phase modulator the amplitude
// parameters too.
template <class T>
std::size_t parameter_count(const FusedHologramPlanes<T>& model) {
  const auto& c = model.config();
  return (c.amplitude_phase ? 2 : 1) * c.rows * c.cols;
}

template <class T>
const T* planes_phase(const FusedHologramPlanes<T>& model, const py::array& phi) {
  const auto values = strict<T>(phi, "phi");
  if (shape_of(values) != phase_shape(model)) {
    throw std::invalid_argument("phi must have the modulator's shape: (n, m), or (2, n, m) "
                                "with the amplitude + phase modulator");
  }
  return values.data();
}

template <class T>
const double* planes_vector(const py::array& vector, const char* name, std::size_t size) {
  const auto values = strict<double>(vector, name);
  if (values.ndim() != 1 || static_cast<std::size_t>(values.shape(0)) != size) {
    throw std::invalid_argument(std::string(name) + " must be a flat vector of " +
                                std::to_string(size) + " values");
  }
  return values.data();
}

template <class T>
void bind_planes(py::module_& m, const char* name, const char* doc) {
  using Model = FusedHologramPlanes<T>;
  py::class_<Model>(m, name, doc)
      .def(py::init(&make_planes<T>), py::arg("target"), py::arg("weights"),
           py::arg("distances"), py::arg("wavelengths"), py::arg("pitch"), py::arg("pad"),
           py::arg("phase_response"), py::arg("amplitude"), py::arg("zero_order"),
           py::arg("levels"), py::arg("soft"), py::arg("crosstalk"), py::arg("efficiency"),
           py::arg("amplitude_phase") = false)
      .def(
          "value_and_grad",
          [](Model& model, const py::array& phi,
             int threads) -> py::typing::Tuple<py::float_, Array<T>> {
            const T* phase = planes_phase(model, phi);
            Array<T> phi_bar(phase_shape(model));
            T* out = phi_bar.mutable_data();
            double energy = 0.0;
            {
              py::gil_scoped_release release;
              energy = model.value_and_grad(phase, out, threads);
            }
            return py::make_tuple(energy, std::move(phi_bar));
          },
          py::arg("phi"), py::arg("threads"), "(E, phi_bar).")
      .def(
          "prepare",
          &prepare_without_gil<Model>,
          py::arg("threads"),
          "Run value_and_grad once over a zero phase on `threads` threads (the set-up a\n"
          "first call would otherwise pay: plans, buffers, the team); optional.")
      .def(
          "images",
          [](Model& model, const py::array& phi, bool normalised, int threads) -> Array<T> {
            const T* phase = planes_phase(model, phi);
            const auto& c = model.config();
            Array<T> out({static_cast<py::ssize_t>(c.colours), static_cast<py::ssize_t>(c.planes),
                          static_cast<py::ssize_t>(c.rows), static_cast<py::ssize_t>(c.cols)});
            T* data = out.mutable_data();
            {
              py::gil_scoped_release release;
              model.images(phase, data, normalised, threads);
            }
            return out;
          },
          py::arg("phi"), py::arg("normalised"), py::arg("threads"),
          "I (or the metric's normalised images), (C, P, n, m).")
      .def(
          "residuals",
          [](Model& model, const py::array& phi, int threads) -> Array<double> {
            const T* phase = planes_phase(model, phi);
            const auto& c = model.config();
            Array<double> r({static_cast<py::ssize_t>(c.colours * c.planes * c.rows * c.cols)});
            double* data = r.mutable_data();
            {
              py::gil_scoped_release release;
              model.residuals(phase, data, threads);
            }
            return r;
          },
          py::arg("phi"), py::arg("threads"), "r = sqrt(w / N) (I_r - T), flat float64.")
      .def(
          "jvp",
          [](Model& model, const py::array& phi, const py::array& v,
             int threads) -> Array<double> {
            const T* phase = planes_phase(model, phi);
            const auto& c = model.config();
            const double* in = planes_vector<T>(v, "v", parameter_count(model));
            Array<double> r({static_cast<py::ssize_t>(c.colours * c.planes * c.rows * c.cols)});
            double* data = r.mutable_data();
            {
              py::gil_scoped_release release;
              model.jvp(phase, in, data, threads);
            }
            return r;
          },
          py::arg("phi"), py::arg("v"), py::arg("threads"), "J v, flat float64.")
      .def(
          "vjp",
          [](Model& model, const py::array& phi, const py::array& u,
             int threads) -> Array<double> {
            const T* phase = planes_phase(model, phi);
            const auto& c = model.config();
            const double* in = planes_vector<T>(u, "u", c.colours * c.planes * c.rows * c.cols);
            Array<double> r({static_cast<py::ssize_t>(parameter_count(model))});
            double* data = r.mutable_data();
            {
              py::gil_scoped_release release;
              model.vjp(phase, in, data, threads);
            }
            return r;
          },
          py::arg("phi"), py::arg("u"), py::arg("threads"), "J^T u, flat float64.");
}

}  // namespace

void bind_hologram(py::module_& m) {
  m.def(
      "hologram_transforms_in_place",
      [](const py::array& x, bool inverse, int threads) {
        dispatch(Complexes{}, x, "x", [&](auto tag) {
          using C = typename decltype(tag)::type;
          Array<C> planes = strict_out<C>(x, "x", shape_of(x));
          const Planes p = planes_of(planes, "x");
          C* data = planes.mutable_data();
          py::gil_scoped_release release;
          for (std::size_t k = 0; k < p.batch; ++k) {
            dft2_unnormalized<typename C::value_type>(data + k * p.plane(), data + k * p.plane(),
                                                      1, p.rows, p.cols, inverse, threads);
          }
        });
      },
      py::arg("x"), py::arg("inverse"), py::arg("threads"),
      "Unnormalised (I)DFTs of x's planes in place, one plane a call:\n"
      "the transforms the hologram kernels run, for the benchmarks' floors.");
  bind_planes<double>(m, "FusedHologramPlanes64",
                      "The general fused hologram in float64 "
                      "(phasegrad.models.fused_hologram_planes).");
  bind_planes<float>(m, "FusedHologramPlanes32",
                     "The general fused hologram in float32 "
                     "(phasegrad.models.fused_hologram_planes).");
  bind_model<double>(m, "FusedHologram64",
                     "The fused hologram model in float64 (phasegrad.models.fused_hologram).");
  bind_model<float>(m, "FusedHologram32",
                    "The fused hologram model in float32 (phasegrad.models.fused_hologram).");
}

}  // namespace phasegrad::bind
