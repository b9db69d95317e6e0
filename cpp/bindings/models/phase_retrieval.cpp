// Binding of the fused phase-retrieval model (see python/phasegrad/models/fused_pr.py):
// _core.FusedPhaseRetrieval64 / FusedPhaseRetrieval32, one class per precision, bound like
// every fused model (models/hologram.cpp): make_model() checks the arrays strictly (exact dtype,
// C order, shapes) and builds the model, the class keeps alive the arrays the model reads in
// place, and each method checks its arguments, allocates its output, releases the GIL and runs
// the model, which serialises concurrent calls on its own work buffers.
#include <pybind11/stl.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <stdexcept>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "imaging_options.hpp"
#include "module.hpp"
#include "optics.hpp"
#include "phasegrad/models/imaging.hpp"
#include "phasegrad/models/phase_retrieval.hpp"
#include "prepare.hpp"

namespace phasegrad::bind {

namespace {

using models::Detector;
using models::FusedPhaseRetrieval;
using models::PhaseRetrievalConfig;

// (E, a_bar, p_bar): p_bar, the detector coefficients' gradient, for a quadratic detector only.
template <class T>
using Gradients =
    py::typing::Tuple<py::float_, Array<T>,
                      py::typing::Optional<py::typing::Tuple<py::float_, py::float_, py::float_>>>;

template <class T>
std::unique_ptr<FusedPhaseRetrieval<T>> make_model(
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
  if (data.ndim() != 3) throw std::invalid_argument("data must have shape (P, M, M)");
  const py::ssize_t n = amplitude.shape(0);
  cfg.n = static_cast<std::size_t>(n);
  cfg.grid = grid;
  cfg.bin = bin;
  cfg.planes = static_cast<std::size_t>(data.shape(0));
  if (bin == 0 || grid % bin != 0 || data.shape(1) != static_cast<py::ssize_t>(grid / bin) ||
      data.shape(2) != static_cast<py::ssize_t>(grid / bin)) {
    throw std::invalid_argument("data must have shape (P, grid / bin, grid / bin)");
  }
  cfg.amplitude = amplitude.data();
  cfg.data = data.data();
  set_basis_and_diversity(cfg, basis_in, diversity_in, data.shape(0));
  if (weights_in) {
    const auto weights = strict<T>(*weights_in, "weights");
    if (shape_of(weights) != shape_of(data)) {
      throw std::invalid_argument("weights must have the shape of data");
    }
    cfg.weights = weights.data();
  }
  cfg.wavelength = wavelength;
  cfg.wavelengths = std::move(wavelengths);
  cfg.spectral_weights = std::move(spectral_weights);
  return std::make_unique<FusedPhaseRetrieval<T>>(cfg);
}

// The parameters' shape: (K,) for a basis, else the (n, n) wavefront map.
template <class T>
std::vector<py::ssize_t> params_shape(const FusedPhaseRetrieval<T>& model) {
  return wavefront_shape(model.config());
}

// a's data, once it is exactly what the model takes.
template <class T>
const T* params_of(const FusedPhaseRetrieval<T>& model, const py::array& a) {
  const auto params = strict<T>(a, "a");
  if (shape_of(params) != params_shape(model)) {
    throw std::invalid_argument("a has the wrong shape for this model");
  }
  return params.data();
}

// p = (a, b, c) of a quadratic detector M = a I^2 + b I + c, or None for M = I.
Detector detector_of(const std::optional<std::vector<double>>& p) {
  Detector detector;
  if (!p) return detector;
  if (p->size() != 3) throw std::invalid_argument("p must be three numbers (a, b, c)");
  detector.quadratic = true;
  detector.a = (*p)[0];
  detector.b = (*p)[1];
  detector.c = (*p)[2];
  return detector;
}

template <class T>
Gradients<T> value_and_grad(FusedPhaseRetrieval<T>& model, const py::array& a,
                            const std::optional<std::vector<double>>& p, int threads) {
  const T* params = params_of(model, a);
  const Detector detector = detector_of(p);
  Array<T> a_bar(params_shape(model));
  T* a_bar_data = a_bar.mutable_data();
  double p_bar[3] = {0, 0, 0};
  double energy = 0.0;
  {
    py::gil_scoped_release release;
    energy = model.value_and_grad(params, detector, a_bar_data, p_bar, threads);
  }
  py::object detector_bar = py::none();
  if (detector.quadratic) detector_bar = py::make_tuple(p_bar[0], p_bar[1], p_bar[2]);
  return py::make_tuple(energy, std::move(a_bar), detector_bar);
}

template <class T>
Array<T> simulate(FusedPhaseRetrieval<T>& model, const py::array& a,
                  const std::optional<std::vector<double>>& p, int threads) {
  const T* params = params_of(model, a);
  const Detector detector = detector_of(p);
  const auto size = static_cast<py::ssize_t>(model.image_size());
  const auto planes = static_cast<py::ssize_t>(model.config().planes);
  Array<T> images(std::vector<py::ssize_t>{planes, size, size});
  T* out = images.mutable_data();
  {
    py::gil_scoped_release release;
    model.simulate(params, detector, out, threads);
  }
  return images;
}

// The residuals' count of the model: P M^2.
template <class T>
py::ssize_t residual_count(const FusedPhaseRetrieval<T>& model) {
  const auto size = static_cast<py::ssize_t>(model.image_size());
  return static_cast<py::ssize_t>(model.config().planes) * size * size;
}

// A detector tangent (three numbers) for a quadratic detector, else None.
std::optional<std::vector<double>> detector_tangent(const Detector& detector,
                                                    const std::optional<std::vector<double>>& p) {
  if (detector.quadratic != p.has_value()) {
    throw std::invalid_argument("p_dot must be three numbers exactly when p is given");
  }
  if (p && p->size() != 3) throw std::invalid_argument("p_dot must be three numbers");
  return p;
}

// A flat float64 vector of the residuals' length.
const double* residual_vector(const py::array& u_in, py::ssize_t count, const char* name) {
  const auto u = strict<double>(u_in, name);
  if (u.ndim() != 1 || u.shape(0) != count) {
    throw std::invalid_argument(std::string(name) + " must have one value per residual");
  }
  return u.data();
}

template <class T>
Array<double> residuals(FusedPhaseRetrieval<T>& model, const py::array& a,
                        const std::optional<std::vector<double>>& p, int threads) {
  const T* params = params_of(model, a);
  const Detector detector = detector_of(p);
  Array<double> r(std::vector<py::ssize_t>{residual_count(model)});
  double* out = r.mutable_data();
  {
    py::gil_scoped_release release;
    model.residuals(params, detector, out, threads);
  }
  return r;
}

template <class T>
Array<double> jvp(FusedPhaseRetrieval<T>& model, const py::array& a,
                  const std::optional<std::vector<double>>& p, const py::array& a_dot,
                  const std::optional<std::vector<double>>& p_dot, int threads) {
  const T* params = params_of(model, a);
  const T* params_dot = params_of(model, a_dot);
  const Detector detector = detector_of(p);
  const auto detector_dot = detector_tangent(detector, p_dot);
  Array<double> r_dot(std::vector<py::ssize_t>{residual_count(model)});
  double* out = r_dot.mutable_data();
  {
    py::gil_scoped_release release;
    model.jvp(params, detector, params_dot, detector_dot ? detector_dot->data() : nullptr, out,
              threads);
  }
  return r_dot;
}

// (a_bar, p_bar): the wavefront's part (the model's precision) and the detector's (or None).
template <class T>
using Cotangents =
    py::typing::Tuple<Array<T>,
                      py::typing::Optional<py::typing::Tuple<py::float_, py::float_, py::float_>>>;

template <class T>
Cotangents<T> vjp(FusedPhaseRetrieval<T>& model, const py::array& a,
                  const std::optional<std::vector<double>>& p, const py::array& u_in,
                  int threads) {
  const T* params = params_of(model, a);
  const Detector detector = detector_of(p);
  const double* u = residual_vector(u_in, residual_count(model), "u");
  Array<T> a_bar(params_shape(model));
  T* a_bar_data = a_bar.mutable_data();
  double p_bar[3] = {0, 0, 0};
  {
    py::gil_scoped_release release;
    model.vjp(params, detector, u, a_bar_data, p_bar, threads);
  }
  py::object detector_bar = py::none();
  if (detector.quadratic) detector_bar = py::make_tuple(p_bar[0], p_bar[1], p_bar[2]);
  return py::make_tuple(std::move(a_bar), detector_bar);
}

template <class T>
Cotangents<T> gauss_newton_product(FusedPhaseRetrieval<T>& model, const py::array& a,
                                   const std::optional<std::vector<double>>& p,
                                   const py::array& a_dot,
                                   const std::optional<std::vector<double>>& p_dot,
                                   int threads) {
  const T* params = params_of(model, a);
  const T* params_dot = params_of(model, a_dot);
  const Detector detector = detector_of(p);
  const auto detector_dot = detector_tangent(detector, p_dot);
  Array<T> a_out(params_shape(model));
  T* a_out_data = a_out.mutable_data();
  double p_out[3] = {0, 0, 0};
  {
    py::gil_scoped_release release;
    model.gauss_newton_product(params, detector, params_dot,
                               detector_dot ? detector_dot->data() : nullptr, a_out_data, p_out,
                               threads);
  }
  py::object detector_part = py::none();
  if (detector.quadratic) detector_part = py::make_tuple(p_out[0], p_out[1], p_out[2]);
  return py::make_tuple(std::move(a_out), detector_part);
}

template <class T>
Array<double> jacobian(FusedPhaseRetrieval<T>& model, const py::array& a,
                       const std::optional<std::vector<double>>& p, std::size_t plane_begin,
                       std::size_t plane_end, int threads) {
  const T* params = params_of(model, a);
  const Detector detector = detector_of(p);
  const PhaseRetrievalConfig<T>& cfg = model.config();
  if (plane_begin >= plane_end || plane_end > cfg.planes) {
    throw std::invalid_argument("planes must be a non-empty range of the model's planes");
  }
  const std::size_t image = model.image_size() * model.image_size();
  const std::size_t columns =
      (cfg.modes > 0 ? cfg.modes : cfg.n * cfg.n) + (detector.quadratic ? 3 : 0);
  const std::size_t rows = (plane_end - plane_begin) * image;
  Array<double> jacobian_t(
      std::vector<py::ssize_t>{static_cast<py::ssize_t>(columns), static_cast<py::ssize_t>(rows)});
  double* out = jacobian_t.mutable_data();
  {
    py::gil_scoped_release release;
    model.jacobian(params, detector, plane_begin, plane_end, out, threads);
  }
  return jacobian_t;
}

template <class T>
void bind_model(py::module_& m, const char* name, const char* doc) {
  using Model = FusedPhaseRetrieval<T>;
  // The model reads amplitude, basis, diversity, data and weights (arguments 2-6) in place.
  py::class_<Model>(m, name, doc)
      .def(py::init(&make_model<T>), py::arg("amplitude"), py::arg("basis"),
           py::arg("diversity"), py::arg("data"), py::arg("weights"), py::arg("grid"),
           py::arg("bin"), py::arg("wavelength"), py::arg("wavelengths"),
           py::arg("spectral_weights"), py::keep_alive<1, 2>(), py::keep_alive<1, 3>(),
           py::keep_alive<1, 4>(), py::keep_alive<1, 5>(), py::keep_alive<1, 6>())
      .def("value_and_grad", &value_and_grad<T>, py::arg("a"), py::arg("p"), py::arg("threads"),
           "(E, a_bar, p_bar): the error metric (summed in double), dE/da and, for a quadratic\n"
           "detector p = (a, b, c), dE/dp (else None).")
      .def("simulate", &simulate<T>, py::arg("a"), py::arg("p"), py::arg("threads"),
           "The model images M, (P, M, M).")
      .def("residuals", &residuals<T>, py::arg("a"), py::arg("p"), py::arg("threads"),
           "r = sqrt(w) (M - D), flat float64 over (P, M, M): E = |r|^2.")
      .def("jvp", &jvp<T>, py::arg("a"), py::arg("p"), py::arg("a_dot"), py::arg("p_dot"),
           py::arg("threads"), "J v for the tangent v = (a_dot, p_dot): flat float64.")
      .def("vjp", &vjp<T>, py::arg("a"), py::arg("p"), py::arg("u"), py::arg("threads"),
           "J^T u as (a_bar, p_bar) for a float64 cotangent u of the residuals.")
      .def("gauss_newton_product", &gauss_newton_product<T>, py::arg("a"), py::arg("p"),
           py::arg("a_dot"), py::arg("p_dot"), py::arg("threads"),
           "J^T J v as (a part, p part), matrix-free.")
      .def("jacobian", &jacobian<T>, py::arg("a"), py::arg("p"), py::arg("plane_begin"),
           py::arg("plane_end"), py::arg("threads"),
           "The Jacobian of the residuals of planes [plane_begin, plane_end), transposed:\n"
           "(parameters, residuals) float64.")
      .def(
          "prepare",
          &prepare_without_gil<Model>,
          py::arg("threads"),
          "Make the plans for calls on `threads` threads and run each transform once on that\n"
          "team (the set-up a first call would otherwise pay); optional.")
      .def_property_readonly("workspace_bytes", &Model::workspace_bytes,
                             "Bytes of the work buffers the model holds.");
}


// -- the imaging model (models/imaging.hpp): the general path of docs/imaging-model.md --------

using models::FusedImaging;
using models::ImagingBlock;
using models::ImagingBlocks;
using models::ImagingConfig;
using models::ImagingGrads;
using models::ObjectKind;

// The model, the shapes of its blocks and which are free (the flat vector's order).
template <class T>
struct Imaging {
  std::unique_ptr<FusedImaging<T>> model;
  std::array<std::vector<py::ssize_t>, 10> shapes;
  std::vector<ImagingBlock> free;
  std::size_t planes = 0, window = 0;
  ObjectKind object = ObjectKind::none;
  bool quadratic = false;
};

template <class T>
std::unique_ptr<Imaging<T>> make_imaging(
    const py::array& amplitude_in, const std::optional<py::array>& basis_in,
    const std::optional<py::array>& diversity_in, const py::array& data_in,
    const std::optional<py::array>& weights_in, std::size_t grid, std::size_t bin,
    double wavelength, std::vector<double> wavelengths, std::vector<double> band_weights,
    std::size_t offset, const std::string& metric, double read_noise,
    const std::string& object, std::size_t object_size, std::size_t sources, bool transfer,
    bool quadratic, const std::vector<std::string>& free) {
  auto data = strict<T>(data_in, "data");
  if (data.ndim() != 3 || data.shape(1) != data.shape(2) || data.shape(1) == 0) {
    throw std::invalid_argument("data must have shape (P, M, M)");
  }
  // The optics: make_model's checks on a stand-in of the binned grid's size (the engine reads
  // neither data nor weights).
  const auto binned = static_cast<py::ssize_t>(grid / (bin == 0 ? 1 : bin));
  py::array_t<T> stand_in(std::vector<py::ssize_t>{data.shape(0), binned, binned});
  auto optics_model = make_model<T>(amplitude_in, basis_in, diversity_in, stand_in,
                                    std::nullopt, grid, bin, wavelength, std::move(wavelengths),
                                    std::move(band_weights));
  ImagingConfig<T> cfg;
  cfg.optics = optics_model->config();
  cfg.optics.data = nullptr;
  cfg.optics.weights = nullptr;
  cfg.data = data.data();
  if (weights_in) {
    const auto weights = strict<T>(*weights_in, "weights");
    if (shape_of(weights) != shape_of(data)) {
      throw std::invalid_argument("weights must have the shape of data");
    }
    cfg.weights = weights.data();
  }
  cfg.window = static_cast<std::size_t>(data.shape(1));
  set_imaging_options(cfg, offset, metric, read_noise, object, object_size, sources, transfer,
                      quadratic);
  auto out = std::make_unique<Imaging<T>>();
  out->model = std::make_unique<FusedImaging<T>>(cfg);
  const auto n = static_cast<py::ssize_t>(cfg.optics.n);
  const auto k = static_cast<py::ssize_t>(sources), s = static_cast<py::ssize_t>(object_size);
  const auto planes = static_cast<py::ssize_t>(cfg.optics.planes);
  out->shapes = {cfg.optics.modes > 0
                     ? std::vector<py::ssize_t>{static_cast<py::ssize_t>(cfg.optics.modes)}
                     : std::vector<py::ssize_t>{n, n},
                 {3}, {k, 2}, {k}, {s, s}, {planes}, {planes}, {planes, 2}, {1}, {n, n}};
  out->free = free_blocks_of(free);
  out->planes = cfg.optics.planes;
  out->window = cfg.window;
  out->object = cfg.object;
  out->quadratic = cfg.quadratic;
  return out;
}

// The blocks of a dict (a missing or None entry: the default, or zero for a tangent), each
// checked strictly for its dtype and shape; `keep` holds the arrays for the call.
template <class T>
ImagingBlocks<T> blocks_of(const Imaging<T>& model, const py::dict& values,
                           std::vector<py::array>& keep) {
  ImagingBlocks<T> blocks;
  std::array<const void*, 10> pointers{};
  for (std::size_t b = 0; b < kImagingBlockNames.size(); ++b) {
    const char* name = kImagingBlockNames[b];
    if (!values.contains(name) || values[name].is_none()) continue;
    py::array array = values[name].cast<py::array>();
    const void* data = nullptr;
    if (model_precision(b)) {
      auto typed = strict<T>(array, name);
      data = typed.data();
      array = typed;
    } else {
      auto typed = strict<double>(array, name);
      data = typed.data();
      array = typed;
    }
    if (shape_of(array) != model.shapes[b]) {
      throw std::invalid_argument(std::string(name) + " has the wrong shape for this model");
    }
    keep.push_back(array);
    pointers[b] = data;
  }
  blocks.wavefront = static_cast<const T*>(pointers[0]);
  blocks.detector = static_cast<const double*>(pointers[1]);
  blocks.positions = static_cast<const double*>(pointers[2]);
  blocks.fluxes = static_cast<const double*>(pointers[3]);
  blocks.object = static_cast<const T*>(pointers[4]);
  blocks.flux = static_cast<const double*>(pointers[5]);
  blocks.background = static_cast<const double*>(pointers[6]);
  blocks.shift = static_cast<const double*>(pointers[7]);
  blocks.jitter = pointers[8] ? *static_cast<const double*>(pointers[8]) : 0.0;
  blocks.amplitude = static_cast<const T*>(pointers[9]);
  return blocks;
}

// The model's blocks must hold what the configuration needs (the kernel reads them).
template <class T>
void require(const ImagingBlocks<T>& blocks, const Imaging<T>& model) {
  require_blocks(blocks, model.free, model.quadratic, model.object);
}

// Output arrays for the free blocks, and the gradient pointers into them.
template <class T>
ImagingGrads<T> grads_for(const Imaging<T>& model, py::dict& out) {
  ImagingGrads<T> grads;
  for (const ImagingBlock block : model.free) {
    const auto b = static_cast<std::size_t>(block);
    void* data = nullptr;
    if (model_precision(b)) {
      Array<T> array(model.shapes[b]);
      data = array.mutable_data();
      out[kImagingBlockNames[b]] = array;
    } else {
      Array<double> array(model.shapes[b]);
      data = array.mutable_data();
      out[kImagingBlockNames[b]] = array;
    }
    set_gradient(grads, block, data);
  }
  return grads;
}

template <class T>
py::ssize_t imaging_residuals(const Imaging<T>& model) {
  return static_cast<py::ssize_t>(model.planes * model.window * model.window);
}

template <class T>
py::typing::Tuple<py::float_, py::dict> imaging_value_and_grad(Imaging<T>& model,
                                                               const py::dict& values,
                                                               int threads) {
  std::vector<py::array> keep;
  const ImagingBlocks<T> blocks = blocks_of(model, values, keep);
  require(blocks, model);
  py::dict out;
  const ImagingGrads<T> grads = grads_for(model, out);
  double energy = 0;
  {
    py::gil_scoped_release release;
    energy = model.model->value_and_grad(blocks, grads, threads);
  }
  return py::make_tuple(energy, out);
}

template <class T>
Array<T> imaging_simulate(Imaging<T>& model, const py::dict& values, int threads) {
  std::vector<py::array> keep;
  const ImagingBlocks<T> blocks = blocks_of(model, values, keep);
  require(blocks, model);
  const auto planes = static_cast<py::ssize_t>(model.planes);
  const auto size = static_cast<py::ssize_t>(model.window);
  Array<T> images(std::vector<py::ssize_t>{planes, size, size});
  T* out = images.mutable_data();
  {
    py::gil_scoped_release release;
    model.model->simulate(blocks, out, threads);
  }
  return images;
}

template <class T>
Array<double> imaging_residuals_call(Imaging<T>& model, const py::dict& values, int threads) {
  std::vector<py::array> keep;
  const ImagingBlocks<T> blocks = blocks_of(model, values, keep);
  require(blocks, model);
  Array<double> r(std::vector<py::ssize_t>{imaging_residuals(model)});
  double* out = r.mutable_data();
  {
    py::gil_scoped_release release;
    model.model->residuals(blocks, out, threads);
  }
  return r;
}

template <class T>
Array<double> imaging_jvp(Imaging<T>& model, const py::dict& values, const py::dict& dot_values,
                          int threads) {
  std::vector<py::array> keep;
  const ImagingBlocks<T> blocks = blocks_of(model, values, keep);
  require(blocks, model);
  const ImagingBlocks<T> dots = blocks_of(model, dot_values, keep);
  Array<double> r_dot(std::vector<py::ssize_t>{imaging_residuals(model)});
  double* out = r_dot.mutable_data();
  {
    py::gil_scoped_release release;
    model.model->jvp(blocks, dots, out, threads);
  }
  return r_dot;
}

template <class T>
py::dict imaging_vjp(Imaging<T>& model, const py::dict& values, const py::array& u_in,
                     int threads) {
  std::vector<py::array> keep;
  const ImagingBlocks<T> blocks = blocks_of(model, values, keep);
  require(blocks, model);
  const double* u = residual_vector(u_in, imaging_residuals(model), "u");
  py::dict out;
  const ImagingGrads<T> grads = grads_for(model, out);
  {
    py::gil_scoped_release release;
    model.model->vjp(blocks, u, grads, threads);
  }
  return out;
}

template <class T>
py::dict imaging_gauss_newton_product(Imaging<T>& model, const py::dict& values,
                                      const py::dict& dot_values, int threads) {
  std::vector<py::array> keep;
  const ImagingBlocks<T> blocks = blocks_of(model, values, keep);
  require(blocks, model);
  const ImagingBlocks<T> dots = blocks_of(model, dot_values, keep);
  py::dict out;
  const ImagingGrads<T> grads = grads_for(model, out);
  {
    py::gil_scoped_release release;
    model.model->gauss_newton_product(blocks, dots, grads, threads);
  }
  return out;
}

template <class T>
Array<double> imaging_jacobian(Imaging<T>& model, const py::dict& values, std::size_t begin,
                               std::size_t end, int threads) {
  std::vector<py::array> keep;
  const ImagingBlocks<T> blocks = blocks_of(model, values, keep);
  require(blocks, model);
  if (begin >= end || end > model.planes) {
    throw std::invalid_argument("planes must be a non-empty range of the model's planes");
  }
  std::size_t columns = 0;
  for (const ImagingBlock block : model.free) columns += model.model->block_size(block);
  const std::size_t rows = (end - begin) * model.window * model.window;
  Array<double> jacobian_t(std::vector<py::ssize_t>{static_cast<py::ssize_t>(columns),
                                                    static_cast<py::ssize_t>(rows)});
  double* out = jacobian_t.mutable_data();
  {
    py::gil_scoped_release release;
    model.model->jacobian(blocks, model.free, begin, end, out, threads);
  }
  return jacobian_t;
}

template <class T>
void bind_imaging(py::module_& m, const char* name, const char* doc) {
  using Model = Imaging<T>;
  // The model reads amplitude, basis, diversity, data and weights (arguments 2-6) in place.
  py::class_<Model>(m, name, doc)
      .def(py::init(&make_imaging<T>), py::arg("amplitude"), py::arg("basis"),
           py::arg("diversity"), py::arg("data"), py::arg("weights"), py::arg("grid"),
           py::arg("bin"), py::arg("wavelength"), py::arg("wavelengths"),
           py::arg("band_weights"), py::arg("offset"), py::arg("metric"),
           py::arg("read_noise"), py::arg("object"), py::arg("object_size"),
           py::arg("sources"), py::arg("transfer"), py::arg("quadratic"), py::arg("free"),
           py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::keep_alive<1, 4>(),
           py::keep_alive<1, 5>(), py::keep_alive<1, 6>())
      .def("value_and_grad", &imaging_value_and_grad<T>, py::arg("blocks"), py::arg("threads"),
           "(E, grads): the metric (summed in double) and a dict of the free blocks' gradients.")
      .def("simulate", &imaging_simulate<T>, py::arg("blocks"), py::arg("threads"),
           "The model images M, (P, M, M).")
      .def("residuals", &imaging_residuals_call<T>, py::arg("blocks"), py::arg("threads"),
           "The residuals, flat float64 over (P, M, M): E = |r|^2.")
      .def("jvp", &imaging_jvp<T>, py::arg("blocks"), py::arg("dots"), py::arg("threads"),
           "J v for the tangent blocks `dots` (missing: zero): flat float64.")
      .def("vjp", &imaging_vjp<T>, py::arg("blocks"), py::arg("u"), py::arg("threads"),
           "J^T u as a dict of the free blocks.")
      .def("gauss_newton_product", &imaging_gauss_newton_product<T>, py::arg("blocks"),
           py::arg("dots"), py::arg("threads"), "J^T J v as a dict of the free blocks.")
      .def("jacobian", &imaging_jacobian<T>, py::arg("blocks"), py::arg("plane_begin"),
           py::arg("plane_end"), py::arg("threads"),
           "The Jacobian of planes [plane_begin, plane_end), transposed: (parameters,\n"
           "residuals) float64, the free blocks in order.")
      .def(
          "prepare",
          [](Model& model, int threads) {
            py::gil_scoped_release release;  // planning may measure (FFTW_MEASURE)
            model.model->prepare(threads);
          },
          py::arg("threads"),
          "Make the plans for calls on `threads` threads and run one plane's passes on that\n"
          "team (the set-up a first call would otherwise pay); optional.")
      .def_property_readonly(
          "workspace_bytes", [](const Model& model) { return model.model->workspace_bytes(); },
          "Bytes of the work buffers the model holds.");
}

}  // namespace

void bind_phase_retrieval(py::module_& m) {
  bind_imaging<double>(m, "FusedImaging64",
                       "The fused imaging model (objects, nuisances, Poisson) in float64 "
                       "(phasegrad.models.fused_pr).");
  bind_imaging<float>(m, "FusedImaging32",
                      "The fused imaging model (objects, nuisances, Poisson) in float32 "
                      "(phasegrad.models.fused_pr).");
  bind_model<double>(m, "FusedPhaseRetrieval64",
                     "The fused phase-retrieval model in float64 "
                     "(phasegrad.models.fused_pr).");
  bind_model<float>(m, "FusedPhaseRetrieval32",
                    "The fused phase-retrieval model in float32 "
                    "(phasegrad.models.fused_pr).");
}

}  // namespace phasegrad::bind
