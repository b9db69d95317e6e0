// Complex matrix products from the BLAS that SciPy links, reached through the function pointers
// SciPy exports for Cython (scipy.linalg.cython_blas). The bindings register them once; the
// fused models call them without the GIL for their matrix Fourier transforms.
#pragma once

#include <complex>

namespace phasegrad {

// Fortran BLAS ?gemm: C = alpha op(A) op(B) + beta C, column-major, arguments by pointer.
template <class T>
using ComplexGemm = void (*)(char* transa, char* transb, int* m, int* n, int* k,
                             std::complex<T>* alpha, std::complex<T>* a, int* lda,
                             std::complex<T>* b, int* ldb, std::complex<T>* beta,
                             std::complex<T>* c, int* ldc);

void register_complex_gemm(ComplexGemm<float> cgemm, ComplexGemm<double> zgemm);

// The registered routine; throws std::runtime_error when none is registered.
template <class T>
ComplexGemm<T> complex_gemm();

// Row-major helper on top of the column-major routine: C (m x n, leading dimension ldc) =
// op(A) op(B) for row-major A and B, where op is 'N' (as stored) or 'T' (transposed).
template <class T>
void gemm_row_major(char op_a, char op_b, int m, int n, int k, const std::complex<T>* a,
                    int lda, const std::complex<T>* b, int ldb, std::complex<T>* c, int ldc);

}  // namespace phasegrad
