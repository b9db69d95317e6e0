// The two DFT matrices of the matrix Fourier transform with a centred output (Soummer et al.
// 2007; Jurling & Fienup Eq. 69-74). The matrix products themselves run in BLAS (NumPy's
// matmul), which no hand-written loop here would beat.
#pragma once

#include <complex>
#include <cstddef>

namespace phasegrad {

// M[k, p] = exp(-2 pi i scale (k - n_out / 2) p) for k < n_out, p < n_in, the phase computed
// in double precision as scale * ((k - n_out / 2) p). `conjugate` writes conj(M); `transpose`
// writes M (or conj(M)) transposed, n_in x n_out, row-major. T: float or double.
template <class T>
void mft_matrix(std::complex<T>* out, std::size_t n_out, std::size_t n_in, double scale,
                bool conjugate, bool transpose, int threads);

}  // namespace phasegrad
