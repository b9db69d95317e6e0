// The registry of SciPy's complex GEMM routines (see core/blas.hpp).
#include "phasegrad/core/blas.hpp"

#include <atomic>
#include <stdexcept>

namespace phasegrad {

namespace {

std::atomic<ComplexGemm<float>> cgemm_routine{nullptr};
std::atomic<ComplexGemm<double>> zgemm_routine{nullptr};

}  // namespace

void register_complex_gemm(ComplexGemm<float> cgemm, ComplexGemm<double> zgemm) {
  cgemm_routine.store(cgemm);
  zgemm_routine.store(zgemm);
}

template <>
ComplexGemm<float> complex_gemm<float>() {
  auto routine = cgemm_routine.load();
  if (routine == nullptr) throw std::runtime_error("no BLAS cgemm registered");
  return routine;
}

template <>
ComplexGemm<double> complex_gemm<double>() {
  auto routine = zgemm_routine.load();
  if (routine == nullptr) throw std::runtime_error("no BLAS zgemm registered");
  return routine;
}

// A row-major matrix is the column-major storage of its transpose, so the row-major product
// C = op(A) op(B) is computed as the column-major product C^T = op(B)^T op(A)^T: the operands
// swap places and keep their op letters.
template <class T>
void gemm_row_major(char op_a, char op_b, int m, int n, int k, const std::complex<T>* a,
                    int lda, const std::complex<T>* b, int ldb, std::complex<T>* c, int ldc) {
  std::complex<T> one(1), zero(0);
  char tb = op_b, ta = op_a;
  complex_gemm<T>()(&tb, &ta, &n, &m, &k, &one, const_cast<std::complex<T>*>(b), &ldb,
                    const_cast<std::complex<T>*>(a), &lda, &zero, c, &ldc);
}

template void gemm_row_major<float>(char, char, int, int, int, const std::complex<float>*, int,
                                    const std::complex<float>*, int, std::complex<float>*, int);
template void gemm_row_major<double>(char, char, int, int, int, const std::complex<double>*, int,
                                     const std::complex<double>*, int, std::complex<double>*,
                                     int);

}  // namespace phasegrad
