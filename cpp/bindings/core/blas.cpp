// Binding of the BLAS registry (see core/blas.hpp): the fused models' matrix Fourier transforms
// call SciPy's cgemm/zgemm, which Python registers once from scipy.linalg.cython_blas.
#include <string>

#include "module.hpp"
#include "phasegrad/core/blas.hpp"

namespace phasegrad::bind {

namespace {

// The function pointer inside one of scipy.linalg.cython_blas's capsules. (A py::object, not a
// py::capsule: pybind11 names the capsule type by the Python version it is built for, and the
// stub _core.pyi must not depend on it.)
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

void bind_blas(py::module_& m) {
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
