// Zero-padding and cropping. See kernels/pad.hpp.
#include "phasegrad/kernels/pad.hpp"

#include <algorithm>
#include <complex>
#include <cstdint>

#include "phasegrad/parallel.hpp"

namespace phasegrad {

template <class E>
void copy_top_left(const E* in, std::size_t in_rows, std::size_t in_cols, E* out,
                   std::size_t out_rows, std::size_t out_cols, std::size_t batch, int threads) {
  const std::size_t kept_cols = std::min(in_cols, out_cols);
  const auto rows = static_cast<std::int64_t>(batch * out_rows);
#pragma omp parallel for num_threads(threads_for(batch * out_rows * out_cols, threads)) \
    schedule(static)
  for (std::int64_t row = 0; row < rows; ++row) {
    const auto b = static_cast<std::size_t>(row) / out_rows;
    const auto r = static_cast<std::size_t>(row) % out_rows;
    E* dst = out + static_cast<std::size_t>(row) * out_cols;
    std::size_t written = 0;
    if (r < in_rows) {
      std::copy_n(in + (b * in_rows + r) * in_cols, kept_cols, dst);
      written = kept_cols;
    }
    std::fill(dst + written, dst + out_cols, E{});
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

}  // namespace phasegrad
