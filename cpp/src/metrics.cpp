// Kernels of wsse, poly_detector and mean_normalize (see kernels/metrics.hpp).
#include "phasegrad/kernels/metrics.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "phasegrad/parallel.hpp"

namespace phasegrad::metrics {

namespace {

// The contiguous share [begin, end) of [0, n) that thread `thread` of `count` works on.
struct Share {
  std::size_t begin, end;
};

Share share_of(std::size_t n, int thread, int count) {
  const auto t = static_cast<std::size_t>(thread), k = static_cast<std::size_t>(count);
  const std::size_t base = n / k, extra = n % k;
  const std::size_t begin = t * base + std::min(t, extra);
  return {begin, begin + base + (t < extra ? 1 : 0)};
}

Share this_threads_share(std::size_t n) {
  return share_of(n, omp_get_thread_num(), omp_get_num_threads());
}

// Splits [begin, end) at multiples of `period` and calls run(first, stop, offset) for each
// piece, offset = first % period: the position inside the repeating pattern (a plane, or the
// trailing axes a weight array broadcasts along) where the piece starts.
template <class Run>
void for_each_run(Share share, std::size_t period, Run&& run) {
  std::size_t first = share.begin;
  while (first < share.end) {
    const std::size_t offset = first % period;
    const std::size_t stop = std::min(share.end, first + (period - offset));
    run(first, stop, offset);
    first = stop;
  }
}

}  // namespace

template <class T>
double wsse(const T* M, const T* D, Weights<T> w, std::size_t n, int threads) {
  double total = 0.0;
  const int team = threads_for(n, threads);
  if (w.data == nullptr) {
    const double weight = w.value;
    const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(team) schedule(static) reduction(+ : total)
    for (std::int64_t i = 0; i < count; ++i) {
      const double residual = static_cast<double>(M[i]) - static_cast<double>(D[i]);
      total += (residual * residual) * weight;
    }
    return total;
  }
#pragma omp parallel num_threads(team) reduction(+ : total)
  for_each_run(this_threads_share(n), w.period, [&](std::size_t first, std::size_t stop,
                                                     std::size_t offset) {
    const T* weight = w.data + offset;
    const T* model = M + first;
    const T* data = D + first;
    const auto length = static_cast<std::int64_t>(stop - first);
    double run_total = 0.0;
#pragma omp simd reduction(+ : run_total)
    for (std::int64_t k = 0; k < length; ++k) {
      const double residual = static_cast<double>(model[k]) - static_cast<double>(data[k]);
      run_total += (residual * residual) * static_cast<double>(weight[k]);
    }
    total += run_total;
  });
  return total;
}

template <class T>
void wsse_vjp(double E_bar, const T* M, const T* D, Weights<T> w, T* M_bar, std::size_t n,
              int threads) {
  // The reference's rounding: (M - D) in T, times T(2 E_bar), times the weight in T.
  const T factor = static_cast<T>(2.0 * E_bar);
  const int team = threads_for(n, threads);
  if (w.data == nullptr) {
    const T weight = static_cast<T>(w.value);
    const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(team) schedule(static)
    for (std::int64_t i = 0; i < count; ++i) M_bar[i] = ((M[i] - D[i]) * factor) * weight;
    return;
  }
#pragma omp parallel num_threads(team)
  for_each_run(this_threads_share(n), w.period, [&](std::size_t first, std::size_t stop,
                                                     std::size_t offset) {
    const T* weight = w.data + offset;
    const auto length = static_cast<std::int64_t>(stop - first);
#pragma omp simd
    for (std::int64_t k = 0; k < length; ++k) {
      const std::size_t i = first + static_cast<std::size_t>(k);
      M_bar[i] = ((M[i] - D[i]) * factor) * weight[k];
    }
  });
}

template <class T>
void poly_detector(const T* I, double a, double b, double c, T* M, std::size_t n, int threads) {
  const T at = static_cast<T>(a), bt = static_cast<T>(b), ct = static_cast<T>(c);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) M[i] = (at * I[i] + bt) * I[i] + ct;
}

template <class T>
CoefficientGradients poly_detector_vjp(RealView<T> M_bar, const T* I, double a, double b,
                                       T* I_bar, std::size_t n, int threads) {
  const T slope = static_cast<T>(2.0 * a), bt = static_cast<T>(b);
  const auto count = static_cast<std::int64_t>(n);
  double a_bar = 0.0, b_bar = 0.0, c_bar = 0.0;
  with_stride(M_bar, [&](auto stride) {
    constexpr std::int64_t S = stride;
    const T* g = M_bar.data;
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static) \
    reduction(+ : a_bar, b_bar, c_bar)
    for (std::int64_t i = 0; i < count; ++i) {
      const T cotangent = g[S * i], intensity = I[i];
      I_bar[i] = (slope * intensity + bt) * cotangent;
      const double weighted = static_cast<double>(cotangent) * static_cast<double>(intensity);
      a_bar += weighted * static_cast<double>(intensity);
      b_bar += weighted;
      c_bar += static_cast<double>(cotangent);
    }
  });
  return {a_bar, b_bar, c_bar};
}

// The per-plane sums below run many planes one thread each (each plane summed serially), or,
// with fewer planes than threads, each plane split over the threads.
template <class T>
void plane_sums(const T* x, std::size_t batch, std::size_t plane, double* sums, int threads) {
  const int team = threads_for(batch * plane, threads);
  const auto length = static_cast<std::int64_t>(plane);
  if (team > 1 && batch >= static_cast<std::size_t>(team)) {
    const auto planes = static_cast<std::int64_t>(batch);
#pragma omp parallel for num_threads(team) schedule(static)
    for (std::int64_t p = 0; p < planes; ++p) {
      const T* values = x + static_cast<std::size_t>(p) * plane;
      double total = 0.0;
#pragma omp simd reduction(+ : total)
      for (std::int64_t k = 0; k < length; ++k) total += static_cast<double>(values[k]);
      sums[p] = total;
    }
    return;
  }
  for (std::size_t p = 0; p < batch; ++p) {
    const T* values = x + p * plane;
    double total = 0.0;
#pragma omp parallel for simd num_threads(threads_for(plane, threads)) schedule(static) \
    reduction(+ : total)
    for (std::int64_t k = 0; k < length; ++k) total += static_cast<double>(values[k]);
    sums[p] = total;
  }
}

template <class T>
void plane_sums_with_projection(RealView<T> y_bar, const T* x, std::size_t batch,
                                std::size_t plane, double* sum_x, double* sum_yx, int threads) {
  const int team = threads_for(batch * plane, threads);
  const auto length = static_cast<std::int64_t>(plane);
  with_stride(y_bar, [&](auto stride) {
    constexpr std::int64_t S = stride;
    if (team > 1 && batch >= static_cast<std::size_t>(team)) {
      const auto planes = static_cast<std::int64_t>(batch);
#pragma omp parallel for num_threads(team) schedule(static)
      for (std::int64_t p = 0; p < planes; ++p) {
        const std::size_t start = static_cast<std::size_t>(p) * plane;
        const T* values = x + start;
        const T* g = y_bar.data + S * static_cast<std::int64_t>(start);
        double total = 0.0, projection = 0.0;
#pragma omp simd reduction(+ : total, projection)
        for (std::int64_t k = 0; k < length; ++k) {
          total += static_cast<double>(values[k]);
          projection += static_cast<double>(g[S * k]) * static_cast<double>(values[k]);
        }
        sum_x[p] = total;
        sum_yx[p] = projection;
      }
      return;
    }
    for (std::size_t p = 0; p < batch; ++p) {
      const T* values = x + p * plane;
      const T* g = y_bar.data + S * static_cast<std::int64_t>(p * plane);
      double total = 0.0, projection = 0.0;
#pragma omp parallel for simd num_threads(threads_for(plane, threads)) schedule(static) \
    reduction(+ : total, projection)
      for (std::int64_t k = 0; k < length; ++k) {
        total += static_cast<double>(values[k]);
        projection += static_cast<double>(g[S * k]) * static_cast<double>(values[k]);
      }
      sum_x[p] = total;
      sum_yx[p] = projection;
    }
  });
}

template <class T>
void scale_planes(RealView<T> src, const double* scale, const double* offset, std::size_t batch,
                  std::size_t plane, T* y, int threads) {
  const std::size_t n = batch * plane;
  with_stride(src, [&](auto stride) {
    constexpr std::int64_t S = stride;
#pragma omp parallel num_threads(threads_for(n, threads))
    for_each_run(this_threads_share(n), plane, [&](std::size_t first, std::size_t stop,
                                                    std::size_t /*offset*/) {
      const std::size_t p = first / plane;
      const T factor = static_cast<T>(scale[p]);
      const T* values = src.data + S * static_cast<std::int64_t>(first);
      T* out = y + first;
      const auto length = static_cast<std::int64_t>(stop - first);
      if (offset == nullptr) {
#pragma omp simd
        for (std::int64_t k = 0; k < length; ++k) out[k] = values[S * k] * factor;
      } else {
        const T shift = static_cast<T>(offset[p]);
#pragma omp simd
        for (std::int64_t k = 0; k < length; ++k) out[k] = values[S * k] * factor - shift;
      }
    });
  });
}

#define PHASEGRAD_INSTANTIATE(T)                                                              \
  template double wsse<T>(const T*, const T*, Weights<T>, std::size_t, int);                  \
  template void wsse_vjp<T>(double, const T*, const T*, Weights<T>, T*, std::size_t, int);    \
  template void poly_detector<T>(const T*, double, double, double, T*, std::size_t, int);     \
  template CoefficientGradients poly_detector_vjp<T>(RealView<T>, const T*, double, double,   \
                                                     T*, std::size_t, int);                   \
  template void plane_sums<T>(const T*, std::size_t, std::size_t, double*, int);              \
  template void plane_sums_with_projection<T>(RealView<T>, const T*, std::size_t,             \
                                              std::size_t, double*, double*, int);            \
  template void scale_planes<T>(RealView<T>, const double*, const double*, std::size_t,       \
                                std::size_t, T*, int);

PHASEGRAD_INSTANTIATE(float)
PHASEGRAD_INSTANTIATE(double)

#undef PHASEGRAD_INSTANTIATE

}  // namespace phasegrad::metrics
