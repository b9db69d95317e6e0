// DFT matrices of the MFT. See ops/fourier.hpp.
#include "phasegrad/ops/fourier.hpp"

#include <cmath>
#include <cstdint>

#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

template <class T>
void mft_matrix(std::complex<T>* out, std::size_t n_out, std::size_t n_in, double scale,
                bool conjugate, bool transpose, int threads) {
  const double sign = conjugate ? 1.0 : -1.0;
  const double centre = static_cast<double>(n_out / 2);
  // Rows of the written matrix: k (or p when transposed); columns: p (or k).
  const std::size_t rows = transpose ? n_in : n_out;
  const std::size_t cols = transpose ? n_out : n_in;
  const auto total = static_cast<std::int64_t>(rows * cols);
#pragma omp parallel for num_threads(threads_for(rows * cols, threads)) schedule(static)
  for (std::int64_t e = 0; e < total; ++e) {
    const auto r = static_cast<std::size_t>(e) / cols;
    const auto c = static_cast<std::size_t>(e) % cols;
    const std::size_t k = transpose ? c : r;
    const std::size_t p = transpose ? r : c;
    const double cycles = scale * ((static_cast<double>(k) - centre) * static_cast<double>(p));
    const double phase = -kTwoPi * cycles;
    out[e] = std::complex<T>(static_cast<T>(std::cos(phase)),
                             static_cast<T>(sign * -std::sin(phase)));
  }
}

template void mft_matrix<float>(std::complex<float>*, std::size_t, std::size_t, double, bool,
                                bool, int);
template void mft_matrix<double>(std::complex<double>*, std::size_t, std::size_t, double, bool,
                                 bool, int);

}  // namespace phasegrad::ops
