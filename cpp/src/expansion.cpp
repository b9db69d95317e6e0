// Basis expansion kernels: definitions and explicit instantiations (see
// phasegrad/kernels/expansion.hpp).
#include "phasegrad/kernels/expansion.hpp"

#include <omp.h>

#include <algorithm>
#include <complex>
#include <cstddef>
#include <vector>

#include "phasegrad/kernels/leading_axes.hpp"
#include "phasegrad/parallel.hpp"

namespace phasegrad {

using std::size_t;

namespace {

// Pixels per block: a block of every mode (count * kPixelBlock values) stays in cache while
// the batch items pass over it, and the double accumulators of a block fit in L1.
constexpr size_t kPixelBlock = 512;

double real_part(float v) { return v; }
double real_part(double v) { return v; }
double real_part(std::complex<float> v) { return v.real(); }
double real_part(std::complex<double> v) { return v.real(); }

// sum_j u[j] v[j] in double over four interleaved partial sums (a fixed order, independent of
// the compiler, that it can vectorise).
template <class T>
double dot(const double* u, const T* v, size_t n) {
  double lane[4] = {0.0, 0.0, 0.0, 0.0};
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    for (size_t l = 0; l < 4; ++l) lane[l] += u[j + l] * static_cast<double>(v[j + l]);
  }
  double total = (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (; j < n; ++j) total += u[j] * static_cast<double>(v[j]);
  return total;
}

}  // namespace

template <class T>
void basis(const T* a, const T* modes, T* y, size_t batch, size_t count, size_t pixels,
           int threads) {
  const size_t blocks = (pixels + kPixelBlock - 1) / kPixelBlock;
  const size_t items = blocks * batch;  // block-major: consecutive items share a block of modes
  const int nt = threads_for(batch * pixels * count, threads);
#pragma omp parallel num_threads(nt)
  {
    double acc[kPixelBlock];
    const auto [first, last] =
        passes::share(items, omp_get_thread_num(), omp_get_num_threads());
    for (size_t item = first; item < last; ++item) {
      const size_t block = item / batch, p = item % batch;
      const size_t j0 = block * kPixelBlock, len = std::min(pixels, j0 + kPixelBlock) - j0;
      const T* coefficients = a + p * count;
      std::fill(acc, acc + len, 0.0);
      for (size_t k = 0; k < count; ++k) {
        const double c = coefficients[k];
        const T* mode = modes + k * pixels + j0;
        for (size_t j = 0; j < len; ++j) acc[j] += c * static_cast<double>(mode[j]);
      }
      T* out = y + p * pixels + j0;
      for (size_t j = 0; j < len; ++j) out[j] = static_cast<T>(acc[j]);
    }
  }
}

template <class T, class G>
void basis_vjp(const G* y_bar, const T* modes, T* a_bar, size_t batch, size_t count,
               size_t pixels, int threads) {
  const size_t blocks = (pixels + kPixelBlock - 1) / kPixelBlock;
  const size_t items = blocks * batch;
  const size_t outputs = batch * count;
  const int nt = threads_for(batch * pixels * count, threads);
  std::vector<double> partial(static_cast<size_t>(nt) * outputs, 0.0);
#pragma omp parallel num_threads(nt)
  {
    double cotangent[kPixelBlock];
    const int t = omp_get_thread_num();
    double* sums = partial.data() + static_cast<size_t>(t) * outputs;
    const auto [first, last] = passes::share(items, t, omp_get_num_threads());
    for (size_t item = first; item < last; ++item) {
      const size_t block = item / batch, p = item % batch;
      const size_t j0 = block * kPixelBlock, len = std::min(pixels, j0 + kPixelBlock) - j0;
      const G* in = y_bar + p * pixels + j0;
      for (size_t j = 0; j < len; ++j) cotangent[j] = real_part(in[j]);
      double* out = sums + p * count;
      for (size_t k = 0; k < count; ++k) out[k] += dot(cotangent, modes + k * pixels + j0, len);
    }
  }
  for (size_t o = 0; o < outputs; ++o) {
    double total = 0.0;
    for (int t = 0; t < nt; ++t) total += partial[static_cast<size_t>(t) * outputs + o];
    a_bar[o] = static_cast<T>(total);
  }
}

template void basis<float>(const float*, const float*, float*, size_t, size_t, size_t, int);
template void basis<double>(const double*, const double*, double*, size_t, size_t, size_t, int);
template void basis_vjp<float, float>(const float*, const float*, float*, size_t, size_t, size_t,
                                      int);
template void basis_vjp<float, std::complex<float>>(const std::complex<float>*, const float*,
                                                    float*, size_t, size_t, size_t, int);
template void basis_vjp<double, double>(const double*, const double*, double*, size_t, size_t,
                                        size_t, int);
template void basis_vjp<double, std::complex<double>>(const std::complex<double>*, const double*,
                                                      double*, size_t, size_t, size_t, int);

}  // namespace phasegrad
