// Binding of the fused phase-retrieval model (see python/phasegrad/models/fused_pr.py): the
// Python model validates its configuration; this class keeps the arrays it was given alive,
// refuses anything but the exact dtype and C order, and runs every call without the GIL.
#include <pybind11/stl.h>

#include <optional>

#include "arrays.hpp"
#include "module.hpp"
#include "phasegrad/core/blas.hpp"
#include "phasegrad/models/phase_retrieval.hpp"

namespace phasegrad::bind {

namespace {

using models::Detector;
using models::FusedPhaseRetrieval;
using models::PhaseRetrievalConfig;

template <class T>
class BoundPhaseRetrieval {
 public:
  BoundPhaseRetrieval(const py::array& amplitude, const py::object& basis,
                      const py::object& diversity, const py::array& data,
                      const py::object& weights, std::size_t grid, std::size_t bin,
                      double wavelength, std::vector<double> wavelengths,
                      std::vector<double> spectral_weights) {
    PhaseRetrievalConfig<T> cfg;
    amplitude_ = strict<T>(amplitude, "amplitude");
    data_ = strict<T>(data, "data");
    if (amplitude_.ndim() != 2 || amplitude_.shape(0) != amplitude_.shape(1)) {
      throw std::invalid_argument("amplitude must be square (n, n)");
    }
    if (data_.ndim() != 3) throw std::invalid_argument("data must have shape (P, M, M)");
    const auto n = static_cast<std::size_t>(amplitude_.shape(0));
    cfg.n = n;
    cfg.grid = grid;
    cfg.bin = bin;
    cfg.planes = static_cast<std::size_t>(data_.shape(0));
    if (bin == 0 || grid % bin != 0 || data_.shape(1) != static_cast<py::ssize_t>(grid / bin) ||
        data_.shape(2) != static_cast<py::ssize_t>(grid / bin)) {
      throw std::invalid_argument("data must have shape (P, grid / bin, grid / bin)");
    }
    const std::vector<py::ssize_t> pupil_shape{static_cast<py::ssize_t>(n),
                                               static_cast<py::ssize_t>(n)};
    cfg.amplitude = amplitude_.data();
    cfg.data = data_.data();
    if (!basis.is_none()) {
      basis_ = strict<T>(py::reinterpret_borrow<py::array>(basis), "basis");
      if (basis_->ndim() != 3 || basis_->shape(1) != pupil_shape[0] ||
          basis_->shape(2) != pupil_shape[1] || basis_->shape(0) == 0) {
        throw std::invalid_argument("basis must have shape (K, n, n)");
      }
      cfg.modes = static_cast<std::size_t>(basis_->shape(0));
      cfg.basis = basis_->data();
    }
    if (!diversity.is_none()) {
      diversity_ = strict<T>(py::reinterpret_borrow<py::array>(diversity), "diversity");
      if (diversity_->ndim() != 3 || diversity_->shape(0) != data_.shape(0) ||
          diversity_->shape(1) != pupil_shape[0] || diversity_->shape(2) != pupil_shape[1]) {
        throw std::invalid_argument("diversity must have shape (P, n, n)");
      }
      cfg.diversity = diversity_->data();
    }
    if (!weights.is_none()) {
      weights_ = strict<T>(py::reinterpret_borrow<py::array>(weights), "weights");
      if (shape_of(*weights_) != shape_of(data_)) {
        throw std::invalid_argument("weights must have the shape of data");
      }
      cfg.weights = weights_->data();
    }
    cfg.wavelength = wavelength;
    cfg.wavelengths = std::move(wavelengths);
    cfg.spectral_weights = std::move(spectral_weights);
    modes_ = cfg.modes;
    n_ = n;
    planes_ = cfg.planes;
    binned_ = grid / bin;
    model_ = std::make_unique<FusedPhaseRetrieval<T>>(cfg);
  }

  py::tuple value_and_grad(const py::array& params, const std::optional<std::vector<double>>& p,
                           int threads) {
    const T* a = checked_params(params);
    const Detector detector = detector_of(p);
    Array<T> a_bar(params_shape());
    T* a_bar_data = a_bar.mutable_data();
    double p_bar[3] = {0, 0, 0};
    double energy;
    {
      py::gil_scoped_release release;
      energy = model_->value_and_grad(a, detector, a_bar_data, p_bar, threads);
    }
    py::object detector_bar = py::none();
    if (detector.quadratic) detector_bar = py::make_tuple(p_bar[0], p_bar[1], p_bar[2]);
    return py::make_tuple(energy, a_bar, detector_bar);
  }

  py::array simulate(const py::array& params, const std::optional<std::vector<double>>& p,
                     int threads) {
    const T* a = checked_params(params);
    const Detector detector = detector_of(p);
    const auto size = static_cast<py::ssize_t>(binned_);
    Array<T> model(std::vector<py::ssize_t>{static_cast<py::ssize_t>(planes_), size, size});
    T* out = model.mutable_data();
    {
      py::gil_scoped_release release;
      model_->simulate(a, detector, out, threads);
    }
    return model;
  }

  std::size_t workspace_bytes() const { return model_->workspace_bytes(); }

 private:
  std::vector<py::ssize_t> params_shape() const {
    if (modes_ > 0) return {static_cast<py::ssize_t>(modes_)};
    return {static_cast<py::ssize_t>(n_), static_cast<py::ssize_t>(n_)};
  }

  const T* checked_params(const py::array& params) const {
    const auto a = strict<T>(params, "a");
    if (shape_of(a) != params_shape()) {
      throw std::invalid_argument("a has the wrong shape for this model");
    }
    return a.data();
  }

  static Detector detector_of(const std::optional<std::vector<double>>& p) {
    Detector detector;
    if (!p) return detector;
    if (p->size() != 3) throw std::invalid_argument("p must be three numbers (a, b, c)");
    detector.quadratic = true;
    detector.a = (*p)[0];
    detector.b = (*p)[1];
    detector.c = (*p)[2];
    return detector;
  }

  Array<T> amplitude_, data_;
  std::optional<Array<T>> basis_, diversity_, weights_;
  std::size_t modes_ = 0, n_ = 0, planes_ = 0, binned_ = 0;
  std::unique_ptr<FusedPhaseRetrieval<T>> model_;
};

template <class T>
void bind_model_class(py::module_& m, const char* name) {
  py::class_<BoundPhaseRetrieval<T>>(m, name)
      .def(py::init<const py::array&, const py::object&, const py::object&, const py::array&,
                    const py::object&, std::size_t, std::size_t, double, std::vector<double>,
                    std::vector<double>>(),
           py::arg("amplitude"), py::arg("basis"), py::arg("diversity"), py::arg("data"),
           py::arg("weights"), py::arg("grid"), py::arg("bin"), py::arg("wavelength"),
           py::arg("wavelengths"), py::arg("spectral_weights"))
      .def("value_and_grad", &BoundPhaseRetrieval<T>::value_and_grad, py::arg("a"),
           py::arg("p"), py::arg("threads"))
      .def("simulate", &BoundPhaseRetrieval<T>::simulate, py::arg("a"), py::arg("p"),
           py::arg("threads"))
      .def_property_readonly("workspace_bytes", &BoundPhaseRetrieval<T>::workspace_bytes);
}

// The function pointer inside one of scipy.linalg.cython_blas's capsules.
template <class F>
F capsule_function(const py::object& capsule, const char* name) {
  if (!PyCapsule_CheckExact(capsule.ptr())) {
    throw py::type_error(std::string(name) + " must be a capsule from scipy.linalg.cython_blas");
  }
  void* pointer = PyCapsule_GetPointer(capsule.ptr(), PyCapsule_GetName(capsule.ptr()));
  if (pointer == nullptr) throw py::error_already_set();
  return reinterpret_cast<F>(pointer);
}

}  // namespace

void bind_phase_retrieval(py::module_& m) {
  bind_model_class<double>(m, "FusedPhaseRetrieval64");
  bind_model_class<float>(m, "FusedPhaseRetrieval32");
  m.def(
      "register_complex_gemm",
      [](const py::object& cgemm, const py::object& zgemm) {
        register_complex_gemm(capsule_function<ComplexGemm<float>>(cgemm, "cgemm"),
                              capsule_function<ComplexGemm<double>>(zgemm, "zgemm"));
      },
      py::arg("cgemm"), py::arg("zgemm"),
      "Register SciPy's BLAS cgemm and zgemm (capsules of scipy.linalg.cython_blas).");
}

}  // namespace phasegrad::bind
