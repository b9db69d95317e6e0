// Binding of the BLAS registry (see core/blas.hpp): the fused models' matrix Fourier transforms
// call SciPy's cgemm/zgemm, which Python registers once from scipy.linalg.cython_blas.
#include "module.hpp"
#include "phasegrad/core/blas.hpp"

namespace phasegrad::bind {

namespace {

// The function pointer inside one of scipy.linalg.cython_blas's capsules (pybind11 has checked
// that it is a capsule; its name is the routine's C signature).
template <class F>
F capsule_function(const py::capsule& capsule) {
  void* pointer = PyCapsule_GetPointer(capsule.ptr(), PyCapsule_GetName(capsule.ptr()));
  if (pointer == nullptr) throw py::error_already_set();
  return reinterpret_cast<F>(pointer);
}

}  // namespace

void bind_blas(py::module_& m) {
  m.def(
      "register_complex_gemm",
      [](const py::capsule& cgemm, const py::capsule& zgemm) {
        register_complex_gemm(capsule_function<ComplexGemm<float>>(cgemm),
                              capsule_function<ComplexGemm<double>>(zgemm));
      },
      py::arg("cgemm"), py::arg("zgemm"),
      "Register SciPy's BLAS cgemm and zgemm (capsules of scipy.linalg.cython_blas).");
}

}  // namespace phasegrad::bind
