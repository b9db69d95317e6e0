// fftshift / ifftshift: a cyclic roll of the plane. See ops/indexing.hpp.
#include "phasegrad/ops/indexing.hpp"

#include <algorithm>
#include <complex>
#include <cstdint>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

template <class E>
void fftshift(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
              bool inverse, int threads) {
  // out[b, (r + row_shift) % rows, (c + col_shift) % cols] = in[b, r, c]: fftshift rolls by
  // half the plane (rounded down); ifftshift rolls back by the same amount.
  const std::size_t row_shift = (inverse ? rows - rows / 2 : rows / 2) % rows;
  const std::size_t col_shift = (inverse ? cols - cols / 2 : cols / 2) % cols;
  const auto total_rows = static_cast<std::int64_t>(batch * rows);
#pragma omp parallel for num_threads(threads_for(batch * rows * cols, threads)) schedule(static)
  for (std::int64_t row = 0; row < total_rows; ++row) {
    const auto b = static_cast<std::size_t>(row) / rows;
    const auto r = static_cast<std::size_t>(row) % rows;
    // Output row r comes from input row r - row_shift (mod rows).
    const E* src = in + (b * rows + (r + rows - row_shift) % rows) * cols;
    E* dst = out + static_cast<std::size_t>(row) * cols;
    std::copy_n(src + (cols - col_shift), col_shift, dst);
    std::copy_n(src, cols - col_shift, dst + col_shift);
  }
}

#define PHASEGRAD_FFTSHIFT_INSTANCE(E)                                                  \
  template void fftshift<E>(const E*, E*, std::size_t, std::size_t, std::size_t, bool, int);

PHASEGRAD_FFTSHIFT_INSTANCE(float)
PHASEGRAD_FFTSHIFT_INSTANCE(double)
PHASEGRAD_FFTSHIFT_INSTANCE(std::complex<float>)
PHASEGRAD_FFTSHIFT_INSTANCE(std::complex<double>)

#undef PHASEGRAD_FFTSHIFT_INSTANCE

}  // namespace phasegrad::ops
