// Pixel binning and tiling. See ops/sampling.hpp.
#include "phasegrad/ops/sampling.hpp"

#include <algorithm>
#include <complex>
#include <cstdint>

#include "phasegrad/core/element.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

namespace {

// Output pixels summed at once: their double accumulators stay on the stack while the p input
// rows that feed them are read front to back.
constexpr std::size_t kBinChunk = 256;

}  // namespace

template <class E>
void bin(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
         std::size_t p, std::size_t q, int threads) {
  const std::size_t out_rows = rows / p, out_cols = cols / q;
  const auto total_rows = static_cast<std::int64_t>(batch * out_rows);
#pragma omp parallel for num_threads(threads_for(batch * rows * cols, threads)) schedule(static)
  for (std::int64_t row = 0; row < total_rows; ++row) {
    const auto b = static_cast<std::size_t>(row) / out_rows;
    const auto r = static_cast<std::size_t>(row) % out_rows;
    const E* block_rows = in + (b * rows + r * p) * cols;
    E* dst = out + static_cast<std::size_t>(row) * out_cols;
    accumulator_t<E> sums[kBinChunk];
    for (std::size_t s0 = 0; s0 < out_cols; s0 += kBinChunk) {
      const std::size_t width = std::min(kBinChunk, out_cols - s0);
      std::fill_n(sums, width, accumulator_t<E>{});
      for (std::size_t i = 0; i < p; ++i) {
        const E* src = block_rows + i * cols + s0 * q;
        for (std::size_t s = 0; s < width; ++s) {
          for (std::size_t j = 0; j < q; ++j) sums[s] += src[s * q + j];
        }
      }
      for (std::size_t s = 0; s < width; ++s) dst[s0 + s] = static_cast<E>(sums[s]);
    }
  }
}

template <class E>
void tile(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
          std::size_t p, std::size_t q, int threads) {
  const std::size_t out_rows = rows * p, out_cols = cols * q;
  const auto total_rows = static_cast<std::int64_t>(batch * out_rows);
#pragma omp parallel for num_threads(threads_for(batch * out_rows * out_cols, threads)) \
    schedule(static)
  for (std::int64_t row = 0; row < total_rows; ++row) {
    const auto b = static_cast<std::size_t>(row) / out_rows;
    const auto k = static_cast<std::size_t>(row) % out_rows;
    const E* src = in + (b * rows + k / p) * cols;
    E* dst = out + static_cast<std::size_t>(row) * out_cols;
    for (std::size_t s = 0; s < cols; ++s) std::fill_n(dst + s * q, q, src[s]);
  }
}

#define PHASEGRAD_SAMPLING_INSTANCES(E)                                                   \
  template void bin<E>(const E*, E*, std::size_t, std::size_t, std::size_t, std::size_t,  \
                       std::size_t, int);                                                 \
  template void tile<E>(const E*, E*, std::size_t, std::size_t, std::size_t, std::size_t, \
                        std::size_t, int);

PHASEGRAD_SAMPLING_INSTANCES(float)
PHASEGRAD_SAMPLING_INSTANCES(double)
PHASEGRAD_SAMPLING_INSTANCES(std::complex<float>)
PHASEGRAD_SAMPLING_INSTANCES(std::complex<double>)

#undef PHASEGRAD_SAMPLING_INSTANCES

}  // namespace phasegrad::ops
