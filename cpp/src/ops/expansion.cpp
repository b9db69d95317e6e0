// Basis expansion kernels: definitions and explicit instantiations (see
// phasegrad/ops/expansion.hpp).
#include "phasegrad/ops/expansion.hpp"

#include <omp.h>

#include <algorithm>
#include <complex>
#include <cstddef>
#include <vector>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

using std::size_t;

namespace {

// Pixels per block of the synthesis: a block of every mode (count * kPixelBlock values) stays
// in cache while the batch items pass over it.
constexpr size_t kPixelBlock = 512;
// Pixels per register tile of the synthesis (double accumulators held across all modes).
constexpr size_t kTile = 16;
// Pixels per block of the projection (64 KiB of double cotangent, kept in L2), and the
// running sums of its dot products.
constexpr size_t kProjectionBlock = 8192;
constexpr size_t kLanes = 8;

double real_part(float v) { return v; }
double real_part(double v) { return v; }
double real_part(std::complex<float> v) { return v.real(); }
double real_part(std::complex<double> v) { return v.real(); }

// sum_j u[j] v[j] in double over kLanes interleaved running sums (a fixed order, which the
// compiler can vectorise), added pairwise at the end.
template <class T>
double dot(const double* u, const T* v, size_t n) {
  double lane[kLanes] = {};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (size_t q = 0; q < kLanes; ++q) lane[q] += u[j + q] * static_cast<double>(v[j + q]);
  }
  for (size_t width = kLanes / 2; width > 0; width /= 2) {
    for (size_t q = 0; q < width; ++q) lane[q] += lane[q + width];
  }
  double total = lane[0];
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
    const auto [first, last] = share(items, omp_get_thread_num(), omp_get_num_threads());
    for (size_t item = first; item < last; ++item) {
      const size_t block = item / batch, p = item % batch;
      const size_t j0 = block * kPixelBlock, j1 = std::min(pixels, j0 + kPixelBlock);
      const T* coefficients = a + p * count;
      T* out = y + p * pixels;
      // A tile of pixels stays in registers while every mode adds to it: the modes stream
      // through once, the output is written once.
      size_t j = j0;
      for (; j + kTile <= j1; j += kTile) {
        double acc[kTile] = {};
        for (size_t k = 0; k < count; ++k) {
          const double c = coefficients[k];
          const T* mode = modes + k * pixels + j;
          for (size_t l = 0; l < kTile; ++l) acc[l] += c * static_cast<double>(mode[l]);
        }
        for (size_t l = 0; l < kTile; ++l) out[j + l] = static_cast<T>(acc[l]);
      }
      for (; j < j1; ++j) {
        double acc = 0.0;
        for (size_t k = 0; k < count; ++k) {
          acc += static_cast<double>(coefficients[k]) * static_cast<double>(modes[k * pixels + j]);
        }
        out[j] = static_cast<T>(acc);
      }
    }
  }
}

template <class T, class G>
void basis_vjp(const G* y_bar, const T* modes, T* a_bar, size_t batch, size_t count,
               size_t pixels, int threads) {
  const size_t blocks = (pixels + kProjectionBlock - 1) / kProjectionBlock;
  const size_t items = blocks * batch;
  const size_t outputs = batch * count;
  const int nt = threads_for(batch * pixels * count, threads);
  // Per thread: its partial sums of every output, and a block of the cotangent in double.
  std::vector<double> partial(static_cast<size_t>(nt) * outputs, 0.0);
  std::vector<double> scratch(static_cast<size_t>(nt) * kProjectionBlock);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    double* sums = partial.data() + static_cast<size_t>(t) * outputs;
    double* cotangent = scratch.data() + static_cast<size_t>(t) * kProjectionBlock;
    const auto [first, last] = share(items, t, omp_get_num_threads());
    for (size_t item = first; item < last; ++item) {
      const size_t block = item / batch, p = item % batch;
      const size_t j0 = block * kProjectionBlock;
      const size_t len = std::min(pixels, j0 + kProjectionBlock) - j0;
      const G* in = y_bar + p * pixels + j0;
      for (size_t j = 0; j < len; ++j) cotangent[j] = real_part(in[j]);
      // The block of the cotangent stays in cache while each mode streams past it once: the
      // cotangent is read from memory once for all modes.
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

}  // namespace phasegrad::ops
