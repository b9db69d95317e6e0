// Kernels of wsse, poisson_nll, poly_detector and mean_normalize (see ops/metrics.hpp).
#include "phasegrad/ops/metrics.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

namespace {

// The contiguous share [begin, end) of [0, n) that thread `thread` of `count` works on.
struct Share {
  std::size_t begin, end;
};

Share this_threads_share(std::size_t n) {
  const auto [begin, end] = share(n, omp_get_thread_num(), omp_get_num_threads());
  return {begin, end};
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

// Sums over memory keep kLanes independent partial sums per reduction: with one accumulator
// every add waits for the one before it (about 4 cycles), and the sum runs at a quarter of the
// speed memory can feed it. Added pairwise at the end, the lanes also round less.
constexpr std::int64_t kLanes = 8;

template <std::size_t S>
using Lanes = double[S][kLanes];

// sums[s] += the sum of what body(i, lane, lanes) adds to lanes[s][lane] for i in [begin, end),
// on the calling thread. The body adds element i's terms to its lane of each sum (and may
// write element i of an output). It is taken by value: a local copy's captured pointers stay
// in registers, where a referenced closure is reloaded on every element (a store through a
// pointer it captured might change it) and the loop does not vectorize; so do terms returned
// as an aggregate, hence the lanes argument.
template <std::size_t S, class Body>
void accumulate(std::size_t begin, std::size_t end, Body body, double (&sums)[S]) {
  Lanes<S> lanes = {};
  const auto first = static_cast<std::int64_t>(begin);
  const auto length = static_cast<std::int64_t>(end - begin);
  const std::int64_t full = length - length % kLanes;
  for (std::int64_t block = 0; block < full; block += kLanes) {
#pragma omp simd
    for (std::int64_t lane = 0; lane < kLanes; ++lane) body(first + block + lane, lane, lanes);
  }
  for (std::int64_t k = full; k < length; ++k) body(first + k, k - full, lanes);
  for (std::size_t s = 0; s < S; ++s) {
    const double* l = lanes[s];
    sums[s] += ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
  }
}

// The same sums with [begin, end) split over the threads: an OpenMP reduction of each
// thread's partial sums.
template <std::size_t S, class Body>
void parallel_accumulate(std::size_t begin, std::size_t end, int threads, const Body& body,
                         double (&sums)[S]) {
  const std::size_t n = end - begin;
  double total[S] = {};
#pragma omp parallel num_threads(threads_for(n, threads)) reduction(+ : total)
  {
    const Share share = this_threads_share(n);
    accumulate<S>(begin + share.begin, begin + share.end, body, total);
  }
  for (std::size_t s = 0; s < S; ++s) sums[s] += total[s];
}

// results[s][p] = the sums accumulate() forms over plane p. Many planes run one thread each
// (each plane summed as one thread would); fewer planes than threads are each split over the
// threads.
template <std::size_t S, class Body>
void accumulate_planes(std::size_t batch, std::size_t plane, int threads, const Body& body,
                       const std::array<double*, S>& results) {
  const int team = threads_for(batch * plane, threads);
  if (team > 1 && batch >= static_cast<std::size_t>(team)) {
    const auto planes = static_cast<std::int64_t>(batch);
#pragma omp parallel for num_threads(team) schedule(static)
    for (std::int64_t p = 0; p < planes; ++p) {
      const std::size_t start = static_cast<std::size_t>(p) * plane;
      double sums[S] = {};
      accumulate<S>(start, start + plane, body, sums);
      for (std::size_t s = 0; s < S; ++s) results[s][p] = sums[s];
    }
    return;
  }
  for (std::size_t p = 0; p < batch; ++p) {
    double sums[S] = {};
    parallel_accumulate<S>(p * plane, (p + 1) * plane, threads, body, sums);
    for (std::size_t s = 0; s < S; ++s) results[s][p] = sums[s];
  }
}

}  // namespace

template <class T>
double wsse(const T* M, const T* D, Weights<T> w, std::size_t n, int threads) {
  if (w.data == nullptr) {
    const double weight = w.value;
    double total[1] = {0.0};
    parallel_accumulate<1>(0, n, threads, [=](std::int64_t i, std::int64_t lane, Lanes<1>& add) {
      const double residual = static_cast<double>(M[i]) - static_cast<double>(D[i]);
      add[0][lane] += (residual * residual) * weight;
    }, total);
    return total[0];
  }
  double total = 0.0;
#pragma omp parallel num_threads(threads_for(n, threads)) reduction(+ : total)
  {
    double local[1] = {0.0};
    for_each_run(this_threads_share(n), w.period, [&](std::size_t first, std::size_t stop,
                                                       std::size_t offset) {
      // Element i of this run has the weight weight[i - start].
      const T* weight = w.data + offset;
      const auto start = static_cast<std::int64_t>(first);
      accumulate<1>(first, stop, [=](std::int64_t i, std::int64_t lane, Lanes<1>& add) {
        const double residual = static_cast<double>(M[i]) - static_cast<double>(D[i]);
        add[0][lane] += (residual * residual) * static_cast<double>(weight[i - start]);
      }, local);
    });
    total += local[0];
  }
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
    const T* model = M + first;
    const T* data = D + first;
    T* out = M_bar + first;
    const auto length = static_cast<std::int64_t>(stop - first);
#pragma omp simd
    for (std::int64_t k = 0; k < length; ++k) out[k] = ((model[k] - data[k]) * factor) * weight[k];
  });
}

template <class T>
ValueAndTangent wsse_jvp(const T* M, const T* M_dot, const T* D, Weights<T> w, std::size_t n,
                         int threads) {
  double sums[2] = {0.0, 0.0};
  if (w.data == nullptr) {
    const double weight = w.value;
    parallel_accumulate<2>(0, n, threads, [=](std::int64_t i, std::int64_t lane, Lanes<2>& add) {
      const double residual = static_cast<double>(M[i]) - static_cast<double>(D[i]);
      add[0][lane] += (residual * residual) * weight;
      add[1][lane] += (residual * weight) * static_cast<double>(M_dot[i]);
    }, sums);
    return {sums[0], 2.0 * sums[1]};
  }
  double value = 0.0, tangent = 0.0;
#pragma omp parallel num_threads(threads_for(n, threads)) reduction(+ : value, tangent)
  {
    double local[2] = {0.0, 0.0};
    for_each_run(this_threads_share(n), w.period, [&](std::size_t first, std::size_t stop,
                                                       std::size_t offset) {
      // Element i of this run has the weight weight[i - start].
      const T* weight = w.data + offset;
      const auto start = static_cast<std::int64_t>(first);
      accumulate<2>(first, stop, [=](std::int64_t i, std::int64_t lane, Lanes<2>& add) {
        const double residual = static_cast<double>(M[i]) - static_cast<double>(D[i]);
        const auto wi = static_cast<double>(weight[i - start]);
        add[0][lane] += (residual * residual) * wi;
        add[1][lane] += (residual * wi) * static_cast<double>(M_dot[i]);
      }, local);
    });
    value += local[0];
    tangent += local[1];
  }
  return {value, 2.0 * tangent};
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
  double sums[3] = {0.0, 0.0, 0.0};
  with_stride(M_bar, [&](auto stride) {
    constexpr std::int64_t S = stride;
    const T* g = M_bar.data;
    // I_bar is written in the same pass that accumulates a_bar, b_bar and c_bar.
    parallel_accumulate<3>(0, n, threads, [=](std::int64_t i, std::int64_t lane, Lanes<3>& add) {
      const T cotangent = g[S * i], intensity = I[i];
      I_bar[i] = (slope * intensity + bt) * cotangent;
      const double weighted = static_cast<double>(cotangent) * static_cast<double>(intensity);
      add[0][lane] += weighted * static_cast<double>(intensity);
      add[1][lane] += weighted;
      add[2][lane] += static_cast<double>(cotangent);
    }, sums);
  });
  return {sums[0], sums[1], sums[2]};
}

template <class T>
void poly_detector_jvp(const T* I, const T* I_dot, double a, double b, double c, double a_dot,
                       double b_dot, double c_dot, T* M, T* M_dot, std::size_t n, int threads) {
  const T at = static_cast<T>(a), bt = static_cast<T>(b), ct = static_cast<T>(c);
  const T slope = static_cast<T>(2.0 * a);
  const T ad = static_cast<T>(a_dot), bd = static_cast<T>(b_dot), cd = static_cast<T>(c_dot);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const T intensity = I[i];
    M[i] = (at * intensity + bt) * intensity + ct;
    M_dot[i] = (slope * intensity + bt) * I_dot[i] + ((ad * intensity + bd) * intensity + cd);
  }
}

template <class T>
void plane_sums(const T* x, std::size_t batch, std::size_t plane, double* sums, int threads) {
  accumulate_planes<1>(batch, plane, threads, [=](std::int64_t i, std::int64_t lane,
                                                   Lanes<1>& add) {
    add[0][lane] += static_cast<double>(x[i]);
  }, {sums});
}

template <class T>
void plane_sums_with_projection(RealView<T> y_bar, const T* x, std::size_t batch,
                                std::size_t plane, double* sum_x, double* sum_yx, int threads) {
  with_stride(y_bar, [&](auto stride) {
    constexpr std::int64_t S = stride;
    const T* g = y_bar.data;
    accumulate_planes<2>(batch, plane, threads, [=](std::int64_t i, std::int64_t lane,
                                                     Lanes<2>& add) {
      const auto value = static_cast<double>(x[i]);
      add[0][lane] += value;
      add[1][lane] += static_cast<double>(g[S * i]) * value;
    }, {sum_x, sum_yx});
  });
}

template <class T>
void plane_sums_pair(const T* x, const T* x_dot, std::size_t batch, std::size_t plane,
                     double* sum_x, double* sum_x_dot, int threads) {
  accumulate_planes<2>(batch, plane, threads, [=](std::int64_t i, std::int64_t lane,
                                                   Lanes<2>& add) {
    add[0][lane] += static_cast<double>(x[i]);
    add[1][lane] += static_cast<double>(x_dot[i]);
  }, {sum_x, sum_x_dot});
}

template <class T>
void mean_normalize_jvp(const T* x, const T* x_dot, const double* scale, const double* ratio,
                        std::size_t batch, std::size_t plane, T* y, T* y_dot, int threads) {
  const std::size_t n = batch * plane;
#pragma omp parallel num_threads(threads_for(n, threads))
  for_each_run(this_threads_share(n), plane, [&](std::size_t first, std::size_t stop,
                                                  std::size_t /*offset*/) {
    const std::size_t p = first / plane;
    const T factor = static_cast<T>(scale[p]), shift = static_cast<T>(ratio[p]);
    const T* values = x + first;
    const T* tangents = x_dot + first;
    T* out = y + first;
    T* out_dot = y_dot + first;
    const auto length = static_cast<std::int64_t>(stop - first);
#pragma omp simd
    for (std::int64_t k = 0; k < length; ++k) {
      const T value = values[k] * factor;
      out[k] = value;
      out_dot[k] = tangents[k] * factor - value * shift;
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

namespace {

// Element i's weight.
template <class T>
double weight_at(const Weights<T>& w, std::size_t i) {
  return w.data == nullptr ? w.value : static_cast<double>(w.data[i % w.period]);
}

// One element of poisson_nll: its term t and its slope dt/dM, in double.
struct PoissonTerm {
  double term, slope;
};

PoissonTerm poisson_term(double model, double data, double shift) {
  const double z = model + shift;
  const double z_data = std::max(data + shift, 0.0);
  // No count: the term is z, for a mean z >= 0; a negative mean counts as 0 (E stays >= 0).
  if (z_data == 0.0) return z > 0.0 ? PoissonTerm{z, 1.0} : PoissonTerm{0.0, 0.0};
  const double slope = 1.0 - z_data / z;  // NaN data stay NaN
  if (z <= 0.0 && z_data > 0.0) return {std::numeric_limits<double>::infinity(), slope};
  const double u = (z - z_data) / z_data;
  return {z_data * (u - std::log1p(u)), slope};
}

}  // namespace

template <class T>
double poisson_nll(const T* M, const T* D, Weights<T> w, double shift, std::size_t n,
                   int threads) {
  const auto count = static_cast<std::int64_t>(n);
  double total = 0.0;
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static) \
    reduction(+ : total)
  for (std::int64_t i = 0; i < count; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const PoissonTerm t = poisson_term(static_cast<double>(M[k]), static_cast<double>(D[k]), shift);
    total += t.term * weight_at(w, k);
  }
  return total;
}

template <class T>
void poisson_nll_vjp(double E_bar, const T* M, const T* D, Weights<T> w, double shift, T* M_bar,
                     std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const PoissonTerm t = poisson_term(static_cast<double>(M[k]), static_cast<double>(D[k]), shift);
    M_bar[k] = static_cast<T>((t.slope * E_bar) * weight_at(w, k));
  }
}

template <class T>
ValueAndTangent poisson_nll_jvp(const T* M, const T* M_dot, const T* D, Weights<T> w,
                                double shift, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
  double value = 0.0, tangent = 0.0;
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static) \
    reduction(+ : value, tangent)
  for (std::int64_t i = 0; i < count; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const PoissonTerm t = poisson_term(static_cast<double>(M[k]), static_cast<double>(D[k]), shift);
    const double weight = weight_at(w, k);
    value += t.term * weight;
    tangent += (t.slope * weight) * static_cast<double>(M_dot[k]);
  }
  return {value, tangent};
}

#define PHASEGRAD_INSTANTIATE(T)                                                              \
  template double poisson_nll<T>(const T*, const T*, Weights<T>, double, std::size_t, int);   \
  template void poisson_nll_vjp<T>(double, const T*, const T*, Weights<T>, double, T*,        \
                                   std::size_t, int);                                         \
  template ValueAndTangent poisson_nll_jvp<T>(const T*, const T*, const T*, Weights<T>,       \
                                              double, std::size_t, int);                      \
  template double wsse<T>(const T*, const T*, Weights<T>, std::size_t, int);                  \
  template void wsse_vjp<T>(double, const T*, const T*, Weights<T>, T*, std::size_t, int);    \
  template ValueAndTangent wsse_jvp<T>(const T*, const T*, const T*, Weights<T>, std::size_t, \
                                        int);                                                 \
  template void poly_detector<T>(const T*, double, double, double, T*, std::size_t, int);     \
  template void poly_detector_jvp<T>(const T*, const T*, double, double, double, double,      \
                                     double, double, T*, T*, std::size_t, int);               \
  template CoefficientGradients poly_detector_vjp<T>(RealView<T>, const T*, double, double,   \
                                                     T*, std::size_t, int);                   \
  template void plane_sums<T>(const T*, std::size_t, std::size_t, double*, int);              \
  template void plane_sums_pair<T>(const T*, const T*, std::size_t, std::size_t, double*,     \
                                   double*, int);                                             \
  template void mean_normalize_jvp<T>(const T*, const T*, const double*, const double*,       \
                                      std::size_t, std::size_t, T*, T*, int);                 \
  template void plane_sums_with_projection<T>(RealView<T>, const T*, std::size_t,             \
                                              std::size_t, double*, double*, int);            \
  template void scale_planes<T>(RealView<T>, const double*, const double*, std::size_t,       \
                                std::size_t, T*, int);

PHASEGRAD_INSTANTIATE(float)
PHASEGRAD_INSTANTIATE(double)

#undef PHASEGRAD_INSTANTIATE

}  // namespace phasegrad::ops
