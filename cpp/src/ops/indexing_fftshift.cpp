// Cyclic roll of the plane. See kernels/fftshift.hpp.
#include "phasegrad/ops/indexing.hpp"

#include <algorithm>
#include <complex>
#include <cstdint>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad {

template <class E>
void roll_planes(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
                 std::size_t row_shift, std::size_t col_shift, int threads) {
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

#define PHASEGRAD_ROLL_INSTANCE(E)                                                       \
  template void roll_planes<E>(const E*, E*, std::size_t, std::size_t, std::size_t, \
                               std::size_t, std::size_t, int);

PHASEGRAD_ROLL_INSTANCE(float)
PHASEGRAD_ROLL_INSTANCE(double)
PHASEGRAD_ROLL_INSTANCE(std::complex<float>)
PHASEGRAD_ROLL_INSTANCE(std::complex<double>)

#undef PHASEGRAD_ROLL_INSTANCE

}  // namespace phasegrad
