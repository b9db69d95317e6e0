// The imaging stage's 2-D real transforms (N x N real <-> the N x (N/2+1) half spectrum) as
// fixed chunks of single-threaded complex plans (core/chunked_fft.hpp), shared dynamically by
// a team, so that a busy core does not hold up the call (a threaded FFTW plan splits the work
// statically) and the results are bit-for-bit the same on any team.
//
// Forward: rows 2p and 2p+1 of the real input are one complex row z = a + i b; its transform
// Z = A + i B gives both rows' spectra, A(k) = (Z(k) + conj Z(-k)) / 2 and
// B(k) = (Z(k) - conj Z(-k)) / 2i for k in [0, N/2] (an odd N's last row goes alone); then
// every column of the half spectrum is transformed. Inverse: the columns, then per pair of rows
// Z = A + i B over the whole row from the Hermitian halves (A(N - k) = conj A(k); the k = 0 and
// k = N/2 values read as real, as a Hermitian spectrum has them), and a = Re, b = Im of its
// inverse transform. Unnormalised, like FFTW's r2c / c2r (sign -1 forward, +1 inverse); the
// inverse overwrites its input. The pair step fuses the packing, the row transform and the
// unpacking chunk by chunk. Not thread-safe (one work buffer): the caller serialises.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/chunked_fft.hpp"

namespace phasegrad::models {

template <class T>
class ChunkedRealDft2 {
 public:
  using Complex = std::complex<T>;

  ChunkedRealDft2() = default;
  // Plans for an N x N grid; `half` (N x (N/2+1)) is aligned like every half spectrum the
  // calls will transform (a Buffer) and is not touched.
  ChunkedRealDft2(std::size_t grid, const Complex* half);

  bool valid() const { return grid_ > 0; }
  // in (N, N) real -> out (N, N/2+1), on `team` threads.
  void forward(const T* in, Complex* out, int team) const;
  // in (N, N/2+1), overwritten -> out (N, N) real, on `team` threads.
  void inverse(Complex* in, T* out, int team) const;
  std::size_t workspace_bytes() const { return pairs_buffer_.bytes(); }

 private:
  std::size_t grid_ = 0, half_ = 0, pairs_ = 0;
  ChunkedPlan<T> rows_, rows_inverse_, columns_, columns_inverse_;
  mutable Buffer<Complex> pairs_buffer_;  // the rows' pairs z, (ceil(N / 2), N)
};

}  // namespace phasegrad::models
