// Kernels of the Fourier ops (Jurling & Fienup Eq. 69-74): the scaled 2-D DFT over the last two
// axes, the DFT matrices of the matrix Fourier transform, and circular convolution with its
// reverse rule. T is float or double (explicit instantiations in src/ops/fourier_*.cpp).
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

namespace phasegrad::ops {

// ---- dft2 -------------------------------------------------------------------------------------

// out = scale * DFT_u(in) (or IDFT_u when `inverse`) of `batch` contiguous rows x cols planes:
// the core's cached FFTW plan (core/fft.hpp), then one scaling pass when scale != 1 (the factor
// rounded to T). in != out; in is not modified.
template <class T>
void dft2(const std::complex<T>* in, std::complex<T>* out, std::size_t batch, std::size_t rows,
          std::size_t cols, double scale, bool inverse, int threads);

// ---- mft_matrix -------------------------------------------------------------------------------

// The two DFT matrices of the matrix Fourier transform with a centred output (Soummer et al.
// 2007). The matrix products themselves run in BLAS (NumPy's matmul), which no hand-written
// loop here would beat.
//
// M[k, p] = exp(-2 pi i scale (k - n_out / 2) p) for k < n_out, p < n_in, the phase computed
// in double precision as scale * ((k - n_out / 2) p). `conjugate` writes conj(M); `transpose`
// writes M (or conj(M)) transposed, n_in x n_out, row-major.
template <class T>
void mft_matrix(std::complex<T>* out, std::size_t n_out, std::size_t n_in, double scale,
                bool conjugate, bool transpose, int threads);

// ---- convolve ---------------------------------------------------------------------------------

// Circular 2-D convolution over the last two axes through FFTs, with the leading (batch) axes
// broadcast as in NumPy. Broadcasting is given as two plane maps: output plane o convolves
// plane x_plane[o] of x with plane h_plane[o] of h. The transforms are the core's cached FFTW
// plans, complex only: x and h are each transformed once, whatever the number of output planes
// that use them; real planes are transformed two to a complex plane, and real outputs inverse-
// transformed in pairs (see src/ops/fourier_convolve.cpp).
struct ConvolveLayout {
  std::size_t rows, cols;           // the plane
  std::size_t x_planes, h_planes;   // planes of x and of h
  std::size_t out_planes;           // planes of y (and of y_bar)
  const std::int64_t* x_plane;      // out_planes entries in [0, x_planes)
  const std::int64_t* h_plane;      // out_planes entries in [0, h_planes)
};

// y[o] = IDFT(DFT(x[x_plane[o]]) DFT(h[h_plane[o]])) / (rows cols), the pointwise product in
// one pass. X and H are each T or std::complex<T> (T float or double); Y is T when both are
// real (y is then real: its real part is kept) and std::complex<T> otherwise.
// Throws std::invalid_argument for a plane map entry out of range.
template <class X, class H, class Y>
void convolve(const X* x, const H* h, Y* y, const ConvolveLayout& layout, int threads);

// The reverse rule: x_bar[t] = sum over the o with x_plane[o] == t of
// IDFT(DFT(y_bar[o]) conj(DFT(h[h_plane[o]]))) / (rows cols), and h_bar[t] likewise with x,
// the sums over broadcast planes taken in the Fourier domain in double precision; a real x or
// h gets the real part (Eq. 67). G, X, H: each T or std::complex<T>.
template <class G, class X, class H>
void convolve_vjp(const G* y_bar, const X* x, const H* h, X* x_bar, H* h_bar,
                  const ConvolveLayout& layout, int threads);

// The forward rule (the product rule, Eq. 49, in the Fourier domain): with X, X', H, H' the DFTs
// of x[x_plane[o]], x_dot[x_plane[o]], h[h_plane[o]], h_dot[h_plane[o]],
// y[o] = IDFT(X H) / (rows cols) and y_dot[o] = IDFT(X' H + X H') / (rows cols), the products
// in one pass in double precision. Every plane of x, x_dot, h and h_dot is transformed once,
// every plane of y and y_dot once: 4 forward and 2 inverse complex FFTs where three
// convolutions would take 6 and 3. Real planes are transformed each on its own, never packed
// two to a complex plane as convolve does: an input and its tangent may differ in scale by any
// factor, and a shared transform would leak the rounding of the larger into the smaller.
// x_dot has x's type and layout, h_dot h's; Y as for convolve.
template <class X, class H, class Y>
void convolve_jvp(const X* x, const H* h, const X* x_dot, const H* h_dot, Y* y, Y* y_dot,
                  const ConvolveLayout& layout, int threads);

}  // namespace phasegrad::ops
