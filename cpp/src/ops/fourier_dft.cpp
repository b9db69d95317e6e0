// The scaled 2-D DFT. See ops/fourier.hpp.
#include "phasegrad/ops/fourier.hpp"

#include <complex>
#include <cstdint>

#include "phasegrad/core/fft.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

template <class T>
void dft2(const std::complex<T>* in, std::complex<T>* out, std::size_t batch, std::size_t rows,
          std::size_t cols, double scale, bool inverse, int threads) {
  dft2_unnormalized<T>(in, out, batch, rows, cols, inverse, threads);
  if (scale == 1.0) return;
  const T s = static_cast<T>(scale);
  const std::size_t n = batch * rows * cols;
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) out[i] *= s;
}

template void dft2<float>(const std::complex<float>*, std::complex<float>*, std::size_t,
                          std::size_t, std::size_t, double, bool, int);
template void dft2<double>(const std::complex<double>*, std::complex<double>*, std::size_t,
                           std::size_t, std::size_t, double, bool, int);

}  // namespace phasegrad::ops
