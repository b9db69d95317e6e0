// Kernels of the propagation ops (python/phasegrad/reference/propagation.py is the spec): the
// band-limited angular-spectrum method (Matsushima & Shimobaba 2009), the Fresnel transfer
// function and the single-FFT Fresnel (impulse-response) method, over the last two axes, and
// each one's conjugate transpose (its reverse rule, Jurling & Fienup Eq. 69-74). T is float or
// double (explicit instantiations in src/ops/propagation.cpp). Every phase is formed in double
// as a number of turns, the whole turns removed before it is multiplied by 2 pi.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace phasegrad::ops {

enum class Propagator { angular_spectrum, fresnel_transfer, fresnel_impulse };

// The physical parameters, validated by the caller: wavelength, pitch > 0, pad >= 1 (1 for the
// Fresnel methods), distance > 0 for the impulse method. Lengths in any one unit.
struct Propagation {
  Propagator method;
  double distance, wavelength, pitch;
  bool band_limit;  // angular spectrum only
  std::size_t pad;  // angular spectrum only: the zero-padding factor per axis
};

// The transfer function H of the angular spectrum or Fresnel transfer method on a rows x cols
// grid (the padded grid) in FFT order, row-major, in double (see reference transfer_function).
std::vector<std::complex<double>> transfer_function(std::size_t rows, std::size_t cols,
                                                    const Propagation& p);

// The single-FFT method's factors on a rows x cols grid: y = constant out_rows[k] out_cols[l]
// fftshift(DFT_u(ifftshift(in_rows[p] in_cols[q] x))) (see reference impulse_chirps).
struct ImpulseChirps {
  std::vector<std::complex<double>> in_rows, in_cols, out_rows, out_cols;
  std::complex<double> constant;
};
ImpulseChirps impulse_chirps(std::size_t rows, std::size_t cols, const Propagation& p);

// out = the propagation of the `batch` contiguous rows x cols planes of `in` (its conjugate
// transpose when `adjoint`). in != out; in is not modified. The transfer methods zero-pad each
// plane top-left to (pad rows) x (pad cols), run the core's cached FFTW plans forward, multiply
// by H / (padded size) (conj(H) when adjoint) and back, and crop; the impulse method is one
// pass (chirp and ifftshift), one FFT and one pass (fftshift, chirp, constant).
template <class T>
void propagate(const std::complex<T>* in, std::complex<T>* out, std::size_t batch,
               std::size_t rows, std::size_t cols, const Propagation& p, bool adjoint,
               int threads);

}  // namespace phasegrad::ops
