// Binding of the native batch of phase-retrieval problems (python/phasegrad/models/batch.py):
// _core.FusedPhaseRetrievalBatch64 / FusedPhaseRetrievalBatch32, bound like the single model
// (models/phase_retrieval.cpp): the constructor checks the arrays strictly and the class keeps
// alive the arrays the batch reads in place; each method checks its arguments, allocates its
// outputs (zeros, NaN costs: inactive problems' rows stay so), releases the GIL and runs.
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "imaging_options.hpp"
#include "module.hpp"
#include "optics.hpp"
#include "phasegrad/models/batch_transforms.hpp"
#include "phasegrad/models/imaging_batch.hpp"
#include "phasegrad/models/phase_retrieval_batch.hpp"

namespace phasegrad::bind {

namespace {

using models::BatchSchedule;
using models::FusedPhaseRetrievalBatch;
using models::PhaseRetrievalConfig;

// The optics of a batch (amplitude, basis, diversity, grid, binning, wavelengths) for data of
// shape (B, P, ...), checked strictly.
template <class T>
PhaseRetrievalConfig<T> optics_of(const py::array& amplitude_in,
                                  const std::optional<py::array>& basis_in,
                                  const std::optional<py::array>& diversity_in,
                                  py::ssize_t planes, std::size_t grid, std::size_t bin,
                                  double wavelength, std::vector<double> wavelengths,
                                  std::vector<double> spectral_weights) {
  PhaseRetrievalConfig<T> cfg;
  const auto amplitude = strict<T>(amplitude_in, "amplitude");
  if (amplitude.ndim() != 2 || amplitude.shape(0) != amplitude.shape(1)) {
    throw std::invalid_argument("amplitude must be square (n, n)");
  }
  cfg.n = static_cast<std::size_t>(amplitude.shape(0));
  cfg.grid = grid;
  cfg.bin = bin;
  cfg.planes = static_cast<std::size_t>(planes);
  if (bin == 0 || grid % bin != 0) {
    throw std::invalid_argument("grid must be a multiple of bin");
  }
  cfg.amplitude = amplitude.data();
  set_basis_and_diversity(cfg, basis_in, diversity_in, planes);
  cfg.wavelength = wavelength;
  cfg.wavelengths = std::move(wavelengths);
  cfg.spectral_weights = std::move(spectral_weights);
  return cfg;
}

// Whether weights are per problem (the shape of data (B, P, M, M)) or shared (P, M, M); their
// pointer into `weights`.
template <class T>
bool weights_of(const std::optional<py::array>& weights_in, const Array<T>& data,
                const T*& weights) {
  weights = nullptr;
  if (!weights_in) return false;
  const auto values = strict<T>(*weights_in, "weights");
  const auto shape = shape_of(values), data_shape = shape_of(data);
  const bool per_problem = shape == data_shape;
  if (!per_problem &&
      shape != std::vector<py::ssize_t>(data_shape.begin() + 1, data_shape.end())) {
    throw std::invalid_argument("weights must have the shape of data (B, P, M, M) or of one "
                                "problem's (P, M, M)");
  }
  weights = values.data();
  return per_problem;
}

template <class T>
std::unique_ptr<FusedPhaseRetrievalBatch<T>> make_batch(
    const py::array& amplitude_in, const std::optional<py::array>& basis_in,
    const std::optional<py::array>& diversity_in, const py::array& data_in,
    const std::optional<py::array>& weights_in, std::size_t grid, std::size_t bin,
    double wavelength, std::vector<double> wavelengths, std::vector<double> spectral_weights) {
  const auto data = strict<T>(data_in, "data");
  if (data.ndim() != 4 || data.shape(0) == 0) {
    throw std::invalid_argument("data must have shape (B, P, M, M) with B >= 1");
  }
  PhaseRetrievalConfig<T> cfg = optics_of<T>(amplitude_in, basis_in, diversity_in, data.shape(1),
                                             grid, bin, wavelength, std::move(wavelengths),
                                             std::move(spectral_weights));
  if (data.shape(2) != static_cast<py::ssize_t>(grid / bin) ||
      data.shape(3) != static_cast<py::ssize_t>(grid / bin)) {
    throw std::invalid_argument("data must have shape (B, P, grid / bin, grid / bin)");
  }
  cfg.data = data.data();
  const bool per_problem = weights_of<T>(weights_in, data, cfg.weights);
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

template <class Batch>
const unsigned char* active_of(const Batch& batch,
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

// Every problem's Gauss-Newton system (JᵀJ (B, K, K), Jᵀr (B, K)), zeroed, then filled by
// `fill(system, gradient)` without the GIL.
template <class Fill>
py::tuple gauss_newton_systems(std::size_t problems, py::ssize_t columns, Fill&& fill) {
  const auto b = static_cast<py::ssize_t>(problems);
  Array<double> jtj(std::vector<py::ssize_t>{b, columns, columns});
  Array<double> jtr(std::vector<py::ssize_t>{b, columns});
  std::fill_n(jtj.mutable_data(), jtj.size(), 0.0);
  std::fill_n(jtr.mutable_data(), jtr.size(), 0.0);
  {
    py::gil_scoped_release release;
    fill(jtj.mutable_data(), jtr.mutable_data());
  }
  return py::make_tuple(std::move(jtj), std::move(jtr));
}

template <class T>
py::tuple batch_gauss_newton(FusedPhaseRetrievalBatch<T>& batch, const py::array& a,
                             const std::optional<py::array>& p,
                             const std::optional<py::array>& active, int threads,
                             const std::string& schedule) {
  const T* params = params_of(batch, a, "a");
  const double* detectors = detectors_of(batch, p, "p");
  const unsigned char* flags = active_of(batch, active);
  const BatchSchedule mode = schedule_of(schedule);
  const auto columns = static_cast<py::ssize_t>(batch.parameters() + (detectors ? 3 : 0));
  return gauss_newton_systems(batch.problems(), columns, [&](double* system, double* gradient) {
    batch.gauss_newton(params, detectors, flags, system, gradient, threads, mode);
  });
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
      .def("gauss_newton", &batch_gauss_newton<T>, py::arg("a"), py::arg("p"),
           py::arg("active"), py::arg("threads"), py::arg("schedule") = "auto",
           "(J^T J (B, C, C), J^T r (B, C)) per problem, C = K (+ 3 with p); inactive 0.")
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


// -- the imaging batch (models/imaging_batch.hpp) ----------------------------------------------

using models::FusedImagingBatch;
using models::ImagingBatchBlocks;
using models::ImagingBatchGrads;
using models::ImagingBlock;
using models::ImagingConfig;
using models::ObjectKind;

// The batch, each block's shape for one problem and which blocks are free.
template <class T>
struct ImagingBatch {
  std::unique_ptr<FusedImagingBatch<T>> batch;
  std::array<std::vector<py::ssize_t>, 10> shapes;
  std::vector<ImagingBlock> free;
  bool quadratic = false;
  ObjectKind object = ObjectKind::none;
};

template <class T>
std::unique_ptr<ImagingBatch<T>> make_imaging_batch(
    const py::array& amplitude_in, const std::optional<py::array>& basis_in,
    const std::optional<py::array>& diversity_in, const py::array& data_in,
    const std::optional<py::array>& weights_in, std::size_t grid, std::size_t bin,
    double wavelength, std::vector<double> wavelengths, std::vector<double> band_weights,
    std::size_t offset, const std::string& metric, std::vector<double> read_noises,
    const std::string& object, std::size_t object_size, std::size_t sources, bool transfer,
    bool quadratic, const std::vector<std::string>& free) {
  const auto data = strict<T>(data_in, "data");
  if (data.ndim() != 4 || data.shape(0) == 0 || data.shape(2) != data.shape(3) ||
      data.shape(2) == 0) {
    throw std::invalid_argument("data must have shape (B, P, M, M) with B >= 1");
  }
  ImagingConfig<T> cfg;
  cfg.optics = optics_of<T>(amplitude_in, basis_in, diversity_in, data.shape(1), grid, bin,
                            wavelength, std::move(wavelengths), std::move(band_weights));
  cfg.data = data.data();
  const bool per_problem = weights_of<T>(weights_in, data, cfg.weights);
  cfg.window = static_cast<std::size_t>(data.shape(2));
  if (read_noises.size() != static_cast<std::size_t>(data.shape(0))) {
    throw std::invalid_argument("read_noises must hold one value per problem");
  }
  set_imaging_options(cfg, offset, metric, read_noises.front(), object, object_size, sources,
                      transfer, quadratic);
  auto out = std::make_unique<ImagingBatch<T>>();
  out->batch = std::make_unique<FusedImagingBatch<T>>(
      cfg, static_cast<std::size_t>(data.shape(0)), per_problem, std::move(read_noises));
  for (std::size_t b = 0; b < kImagingBlockNames.size(); ++b) {
    const std::size_t size = out->batch->block_size(static_cast<ImagingBlock>(b));
    out->shapes[b] = {static_cast<py::ssize_t>(size)};
  }
  out->free = free_blocks_of(free);
  out->quadratic = quadratic;
  out->object = cfg.object;
  return out;
}

// The blocks of a dict: each entry flat, (size,) shared by every problem or (B, size) per
// problem, of the model's precision (wavefront, object, amplitude) or float64; a missing or
// None entry the default (or a zero tangent). `keep` holds the arrays for the call.
template <class T>
ImagingBatchBlocks<T> batch_blocks_of(const ImagingBatch<T>& model, const py::dict& values,
                                      std::vector<py::array>& keep) {
  ImagingBatchBlocks<T> blocks;
  std::array<const void*, 10> pointers{};
  const auto problems = static_cast<py::ssize_t>(model.batch->problems());
  for (std::size_t b = 0; b < kImagingBlockNames.size(); ++b) {
    const char* name = kImagingBlockNames[b];
    if (!values.contains(name) || values[name].is_none()) continue;
    py::array array = values[name].cast<py::array>();
    if (model_precision(b)) {
      array = strict<T>(array, name);
    } else {
      array = strict<double>(array, name);
    }
    const auto shape = shape_of(array);
    const py::ssize_t size = model.shapes[b][0];
    if (shape == std::vector<py::ssize_t>{size}) {
      blocks.stride[b] = 0;
    } else if (shape == std::vector<py::ssize_t>{problems, size}) {
      blocks.stride[b] = static_cast<std::size_t>(size);
    } else {
      throw std::invalid_argument(std::string(name) + " must have shape (size,) or (B, size) "
                                  "for this batch");
    }
    keep.push_back(array);
    pointers[b] = array.data();
  }
  blocks.base.wavefront = static_cast<const T*>(pointers[0]);
  blocks.base.detector = static_cast<const double*>(pointers[1]);
  blocks.base.positions = static_cast<const double*>(pointers[2]);
  blocks.base.fluxes = static_cast<const double*>(pointers[3]);
  blocks.base.object = static_cast<const T*>(pointers[4]);
  blocks.base.flux = static_cast<const double*>(pointers[5]);
  blocks.base.background = static_cast<const double*>(pointers[6]);
  blocks.base.shift = static_cast<const double*>(pointers[7]);
  blocks.jitters = static_cast<const double*>(pointers[8]);
  blocks.base.amplitude = static_cast<const T*>(pointers[9]);
  return blocks;
}

// The blocks the configuration needs must be there (the kernel reads them).
template <class T>
void require_batch(const ImagingBatchBlocks<T>& blocks, const ImagingBatch<T>& model) {
  require_blocks(blocks.base, model.free, model.quadratic, model.object);
}

// Zeroed (B, size) outputs for the free blocks, and the gradient pointers into them.
template <class T>
ImagingBatchGrads<T> batch_grads_for(const ImagingBatch<T>& model, py::dict& out) {
  ImagingBatchGrads<T> grads;
  const auto problems = static_cast<py::ssize_t>(model.batch->problems());
  for (const ImagingBlock block : model.free) {
    const auto b = static_cast<std::size_t>(block);
    const std::vector<py::ssize_t> shape{problems, model.shapes[b][0]};
    void* data = nullptr;
    if (model_precision(b)) {
      Array<T> array(shape);
      std::fill_n(array.mutable_data(), array.size(), T(0));
      data = array.mutable_data();
      out[kImagingBlockNames[b]] = array;
    } else {
      Array<double> array(shape);
      std::fill_n(array.mutable_data(), array.size(), 0.0);
      data = array.mutable_data();
      out[kImagingBlockNames[b]] = array;
    }
    grads.stride[b] = static_cast<std::size_t>(model.shapes[b][0]);
    set_gradient(grads.base, block, data);
  }
  return grads;
}

template <class T>
const unsigned char* imaging_active_of(const ImagingBatch<T>& model,
                                       const std::optional<py::array>& active) {
  return active_of(*model.batch, active);
}

template <class T>
py::typing::Tuple<py::array, py::dict> imaging_batch_value_and_grad(
    ImagingBatch<T>& model, const py::dict& values, const std::optional<py::array>& active,
    int threads, const std::string& schedule) {
  std::vector<py::array> keep;
  const ImagingBatchBlocks<T> blocks = batch_blocks_of(model, values, keep);
  require_batch(blocks, model);
  const unsigned char* flags = imaging_active_of(model, active);
  const BatchSchedule mode = schedule_of(schedule);
  const auto b = static_cast<py::ssize_t>(model.batch->problems());
  Array<double> energies(std::vector<py::ssize_t>{b});
  std::fill_n(energies.mutable_data(), b, std::numeric_limits<double>::quiet_NaN());
  py::dict out;
  const ImagingBatchGrads<T> grads = batch_grads_for(model, out);
  double* e = energies.mutable_data();
  {
    py::gil_scoped_release release;
    model.batch->value_and_grad(blocks, grads, flags, e, threads, mode);
  }
  return py::make_tuple(std::move(energies), std::move(out));
}

template <class T>
Array<T> imaging_batch_simulate(ImagingBatch<T>& model, const py::dict& values,
                                const std::optional<py::array>& active, int threads,
                                const std::string& schedule) {
  std::vector<py::array> keep;
  const ImagingBatchBlocks<T> blocks = batch_blocks_of(model, values, keep);
  require_batch(blocks, model);
  const unsigned char* flags = imaging_active_of(model, active);
  const BatchSchedule mode = schedule_of(schedule);
  const auto& cfg = model.batch->config();
  const auto window = static_cast<py::ssize_t>(cfg.window);
  Array<T> images(std::vector<py::ssize_t>{static_cast<py::ssize_t>(model.batch->problems()),
                                           static_cast<py::ssize_t>(cfg.optics.planes),
                                           window, window});
  std::fill_n(images.mutable_data(), images.size(), T(0));
  T* out = images.mutable_data();
  {
    py::gil_scoped_release release;
    model.batch->simulate(blocks, flags, out, threads, mode);
  }
  return images;
}

template <class T>
Array<double> imaging_batch_residuals(ImagingBatch<T>& model, const py::dict& values,
                                      const std::optional<py::array>& active, int threads,
                                      const std::string& schedule) {
  std::vector<py::array> keep;
  const ImagingBatchBlocks<T> blocks = batch_blocks_of(model, values, keep);
  require_batch(blocks, model);
  const unsigned char* flags = imaging_active_of(model, active);
  const BatchSchedule mode = schedule_of(schedule);
  Array<double> r(std::vector<py::ssize_t>{static_cast<py::ssize_t>(model.batch->problems()),
                                           static_cast<py::ssize_t>(model.batch->image_values())});
  std::fill_n(r.mutable_data(), r.size(), 0.0);
  double* out = r.mutable_data();
  {
    py::gil_scoped_release release;
    model.batch->residuals(blocks, flags, out, threads, mode);
  }
  return r;
}

template <class T>
Array<double> imaging_batch_jvp(ImagingBatch<T>& model, const py::dict& values,
                                const py::dict& dot_values,
                                const std::optional<py::array>& active, int threads,
                                const std::string& schedule) {
  std::vector<py::array> keep;
  const ImagingBatchBlocks<T> blocks = batch_blocks_of(model, values, keep);
  require_batch(blocks, model);
  const ImagingBatchBlocks<T> dots = batch_blocks_of(model, dot_values, keep);
  const unsigned char* flags = imaging_active_of(model, active);
  const BatchSchedule mode = schedule_of(schedule);
  Array<double> r_dot(std::vector<py::ssize_t>{
      static_cast<py::ssize_t>(model.batch->problems()),
      static_cast<py::ssize_t>(model.batch->image_values())});
  std::fill_n(r_dot.mutable_data(), r_dot.size(), 0.0);
  double* out = r_dot.mutable_data();
  {
    py::gil_scoped_release release;
    model.batch->jvp(blocks, dots, flags, out, threads, mode);
  }
  return r_dot;
}

template <class T>
py::tuple imaging_batch_gauss_newton(ImagingBatch<T>& model, const py::dict& values,
                                     const std::optional<py::array>& active, int threads,
                                     const std::string& schedule) {
  std::vector<py::array> keep;
  const ImagingBatchBlocks<T> blocks = batch_blocks_of(model, values, keep);
  require_batch(blocks, model);
  const unsigned char* flags = imaging_active_of(model, active);
  const BatchSchedule mode = schedule_of(schedule);
  py::ssize_t columns = 0;
  for (const ImagingBlock block : model.free) {
    columns += model.shapes[static_cast<std::size_t>(block)][0];
  }
  return gauss_newton_systems(model.batch->problems(), columns,
                              [&](double* system, double* gradient) {
    model.batch->gauss_newton(blocks, model.free, flags, system, gradient, threads, mode);
  });
}

template <class T>
void bind_imaging_batch(py::module_& m, const char* name, const char* doc) {
  using Model = ImagingBatch<T>;
  // The batch reads amplitude, basis, diversity, data and weights (arguments 2-6) in place.
  py::class_<Model>(m, name, doc)
      .def(py::init(&make_imaging_batch<T>), py::arg("amplitude"), py::arg("basis"),
           py::arg("diversity"), py::arg("data"), py::arg("weights"), py::arg("grid"),
           py::arg("bin"), py::arg("wavelength"), py::arg("wavelengths"),
           py::arg("band_weights"), py::arg("offset"), py::arg("metric"),
           py::arg("read_noises"), py::arg("object"), py::arg("object_size"),
           py::arg("sources"), py::arg("transfer"), py::arg("quadratic"), py::arg("free"),
           py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::keep_alive<1, 4>(),
           py::keep_alive<1, 5>(), py::keep_alive<1, 6>())
      .def("value_and_grad", &imaging_batch_value_and_grad<T>, py::arg("blocks"),
           py::arg("active"), py::arg("threads"), py::arg("schedule") = "auto",
           "(E (B,), grads): a dict of the free blocks' gradients, (B, size) each; inactive\n"
           "problems: E NaN, 0. Each block flat, (size,) shared or (B, size) per problem.")
      .def("simulate", &imaging_batch_simulate<T>, py::arg("blocks"), py::arg("active"),
           py::arg("threads"), py::arg("schedule") = "auto",
           "The model images, (B, P, M, M); inactive problems' 0.")
      .def("residuals", &imaging_batch_residuals<T>, py::arg("blocks"), py::arg("active"),
           py::arg("threads"), py::arg("schedule") = "auto",
           "The residuals, (B, P M^2) float64; inactive problems' 0.")
      .def("jvp", &imaging_batch_jvp<T>, py::arg("blocks"), py::arg("dots"), py::arg("active"),
           py::arg("threads"), py::arg("schedule") = "auto",
           "J v per problem for the tangent blocks `dots` (missing: zero), (B, P M^2).")
      .def("gauss_newton", &imaging_batch_gauss_newton<T>, py::arg("blocks"), py::arg("active"),
           py::arg("threads"), py::arg("schedule") = "auto",
           "(J^T J (B, C, C), J^T r (B, C)) per problem over the free blocks; inactive 0.")
      .def_property_readonly(
          "workspace_bytes", [](const Model& model) { return model.batch->workspace_bytes(); },
          "Bytes of the work buffers the batch's engines hold.");
}

// The bound of python -m phasegrad.bench.batch: every problem's transforms and nothing else.
template <class T>
void bind_batch_transforms(py::module_& m, const char* name, const char* doc) {
  using Transforms = models::BatchTransforms<T>;
  py::class_<Transforms>(m, name, doc)
      .def(py::init<std::size_t, std::size_t, std::size_t, std::size_t>(), py::arg("n"),
           py::arg("grid"), py::arg("planes"), py::arg("problems"))
      .def(
          "run",
          [](Transforms& transforms, int threads) {
            py::gil_scoped_release release;
            transforms.run(threads);
          },
          py::arg("threads"), "Every problem's transforms, the problems across `threads`.")
      .def_property_readonly("transforms_per_problem", &Transforms::transforms_per_problem,
                             "1-D transforms per problem: planes * 2 (n + grid).");
}

}  // namespace

void bind_phase_retrieval_batch(py::module_& m) {
  bind_batch<double>(m, "FusedPhaseRetrievalBatch64",
                     "The native batch of phase-retrieval problems in float64 "
                     "(phasegrad.models.batch).");
  bind_batch<float>(m, "FusedPhaseRetrievalBatch32",
                    "The native batch of phase-retrieval problems in float32 "
                    "(phasegrad.models.batch).");
  bind_imaging_batch<double>(m, "FusedImagingBatch64",
                             "The native batch of imaging problems in float64 "
                             "(phasegrad.models.batch).");
  bind_imaging_batch<float>(m, "FusedImagingBatch32",
                            "The native batch of imaging problems in float32 "
                            "(phasegrad.models.batch).");
  bind_batch_transforms<double>(m, "BatchTransforms64",
                                "Every problem's transforms alone, float64 (the bound of "
                                "phasegrad.bench.batch).");
  bind_batch_transforms<float>(m, "BatchTransforms32",
                               "Every problem's transforms alone, float32 (the bound of "
                               "phasegrad.bench.batch).");
}

}  // namespace phasegrad::bind
