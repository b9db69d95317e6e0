// Zero-padding and cropping. See ops/indexing.hpp.
#include "phasegrad/ops/indexing.hpp"

#include <algorithm>
#include <complex>
#include <cstdint>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

template <class E>
void copy_top_left(const E* in, std::size_t in_rows, std::size_t in_cols, E* out,
                   std::size_t out_rows, std::size_t out_cols, std::size_t batch, int threads) {
  const std::size_t rows = std::min(in_rows, out_rows), cols = std::min(in_cols, out_cols);
  const auto total_rows = static_cast<std::int64_t>(batch * rows);
#pragma omp parallel for num_threads(threads_for(batch * rows * cols, threads)) schedule(static)
  for (std::int64_t row = 0; row < total_rows; ++row) {
    const auto b = static_cast<std::size_t>(row) / rows;
    const auto r = static_cast<std::size_t>(row) % rows;
    std::copy_n(in + (b * in_rows + r) * in_cols, cols, out + (b * out_rows + r) * out_cols);
  }
}

#define PHASEGRAD_PAD_INSTANCE(E)                                                     \
  template void copy_top_left<E>(const E*, std::size_t, std::size_t, E*, std::size_t, \
                                 std::size_t, std::size_t, int);

PHASEGRAD_PAD_INSTANCE(float)
PHASEGRAD_PAD_INSTANCE(double)
PHASEGRAD_PAD_INSTANCE(std::complex<float>)
PHASEGRAD_PAD_INSTANCE(std::complex<double>)

#undef PHASEGRAD_PAD_INSTANCE

}  // namespace phasegrad::ops
