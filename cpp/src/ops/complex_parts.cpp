// Kernels of the real <-> complex ops and the exponentials (see ops/complex_parts.hpp).
//
// Complex arrays are walked as interleaved (re, im) pairs of T, written out in real arithmetic:
// the compiler vectorizes these loops, and without -ffast-math std::complex's operator* would
// call the NaN-recovering __muldc3 path instead.
#include "phasegrad/ops/complex_parts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "phasegrad/core/sincos.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

namespace {

template <class T>
const T* parts(const std::complex<T>* z) {
  return reinterpret_cast<const T*>(z);
}

template <class T>
T* parts(std::complex<T>* z) {
  return reinterpret_cast<T*>(z);
}

}  // namespace

template <class T>
void abs2(const T* x, T* y, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) y[i] = x[i] * x[i];
}

template <class T>
void abs2(const std::complex<T>* x, T* y, std::size_t n, int threads) {
  const T* xp = parts(x);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const T re = xp[2 * i], im = xp[2 * i + 1];
    y[i] = re * re + im * im;
  }
}

template <class T>
void abs2_vjp(RealView<T> y_bar, const T* x, T* x_bar, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
  with_stride(y_bar, [&](auto stride) {
    constexpr std::int64_t S = stride;
    const T* g = y_bar.data;
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
    for (std::int64_t i = 0; i < count; ++i) x_bar[i] = (T(2) * g[S * i]) * x[i];
  });
}

template <class T>
void abs2_vjp(RealView<T> y_bar, const std::complex<T>* x, std::complex<T>* x_bar,
              std::size_t n, int threads) {
  const T* xp = parts(x);
  T* out = parts(x_bar);
  const auto count = static_cast<std::int64_t>(n);
  with_stride(y_bar, [&](auto stride) {
    constexpr std::int64_t S = stride;
    const T* g = y_bar.data;
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
    for (std::int64_t i = 0; i < count; ++i) {
      const T twice = T(2) * g[S * i];
      out[2 * i] = twice * xp[2 * i];
      out[2 * i + 1] = twice * xp[2 * i + 1];
    }
  });
}

template <class T>
void abs2_jvp(const T* x, const T* x_dot, T* y, T* y_dot, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const T v = x[i];
    y[i] = v * v;
    y_dot[i] = (v * x_dot[i]) * T(2);
  }
}

template <class T>
void abs2_jvp(const std::complex<T>* x, const std::complex<T>* x_dot, T* y, T* y_dot,
              std::size_t n, int threads) {
  const T* xp = parts(x);
  const T* dp = parts(x_dot);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const T re = xp[2 * i], im = xp[2 * i + 1];
    y[i] = re * re + im * im;
    y_dot[i] = (re * dp[2 * i] + im * dp[2 * i + 1]) * T(2);  // 2 Re(conj(x) x_dot)
  }
}

template <class T>
void copy_part(RealView<T> part, T* y, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
  with_stride(part, [&](auto stride) {
    constexpr std::int64_t S = stride;
    const T* src = part.data;
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
    for (std::int64_t i = 0; i < count; ++i) y[i] = src[S * i];
  });
}

template <class T>
void embed(RealView<T> part, bool imaginary, std::complex<T>* y, std::size_t n, int threads) {
  T* out = parts(y);
  const auto count = static_cast<std::int64_t>(n);
  // The part written and the part zeroed swap places between real_vjp/to_complex and imag_vjp;
  // both are compile-time offsets in the loop.
  const auto fill = [&](auto filled) {
    constexpr std::int64_t F = filled, Z = 1 - F;
    with_stride(part, [&](auto stride) {
      constexpr std::int64_t S = stride;
      const T* src = part.data;
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
      for (std::int64_t i = 0; i < count; ++i) {
        out[2 * i + F] = src[S * i];
        out[2 * i + Z] = T(0);
      }
    });
  };
  if (imaginary) {
    fill(std::integral_constant<std::int64_t, 1>{});
  } else {
    fill(std::integral_constant<std::int64_t, 0>{});
  }
}

template <class T>
void exp(const T* x, T* y, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) y[i] = std::exp(x[i]);
}

template <class T>
void exp(const std::complex<T>* x, std::complex<T>* y, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) y[i] = std::exp(x[i]);
}

template <class T>
void exp_jvp(const T* x, const T* x_dot, T* y, T* y_dot, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const T e = std::exp(x[i]);
    y[i] = e;
    y_dot[i] = e * x_dot[i];
  }
}

template <class T>
void exp_jvp(const std::complex<T>* x, const std::complex<T>* x_dot, std::complex<T>* y,
             std::complex<T>* y_dot, std::size_t n, int threads) {
  const T* dp = parts(x_dot);
  T* out = parts(y_dot);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const std::complex<T> e = std::exp(x[i]);
    y[i] = e;
    const T er = e.real(), ei = e.imag(), dr = dp[2 * i], di = dp[2 * i + 1];
    out[2 * i] = er * dr - ei * di;  // the textbook product y x_dot
    out[2 * i + 1] = er * di + ei * dr;
  }
}

template <class T>
void exp_vjp(const std::complex<T>* y_bar, const std::complex<T>* y, std::complex<T>* x_bar,
             std::size_t n, int threads) {
  const T* g = parts(y_bar);
  const T* yp = parts(y);
  T* out = parts(x_bar);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const T gr = g[2 * i], gi = g[2 * i + 1], yr = yp[2 * i], yi = yp[2 * i + 1];
    out[2 * i] = gr * yr + gi * yi;       // Re(g conj(y))
    out[2 * i + 1] = gi * yr - gr * yi;   // Im(g conj(y))
  }
}

template <class T>
void exp_vjp(const T* y_bar, const std::complex<T>* y, std::complex<T>* x_bar, std::size_t n,
             int threads) {
  const T* yp = parts(y);
  T* out = parts(x_bar);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    out[2 * i] = y_bar[i] * yp[2 * i];
    out[2 * i + 1] = -(y_bar[i] * yp[2 * i + 1]);
  }
}

template <class T>
void exp_vjp(RealView<T> y_bar, const T* y, T* x_bar, std::size_t n, int threads) {
  const auto count = static_cast<std::int64_t>(n);
  with_stride(y_bar, [&](auto stride) {
    constexpr std::int64_t S = stride;
    const T* g = y_bar.data;
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
    for (std::int64_t i = 0; i < count; ++i) x_bar[i] = g[S * i] * y[i];
  });
}

namespace {

// out[2 i], out[2 i + 1] = cos, sin of x[i] on [begin, end), valid below sincos_limit<T>(),
// cloned for wider SIMD (PHASEGRAD_WIDE_SIMD): ops.expi of 1024^2 on one thread took 1.55 ms
// instead of 4.7 in float64 and 0.94 instead of 2.6 in float32 on the AVX-512 development VM.
template <class T>
[[gnu::always_inline]] inline void expi_span(const T* x, T* out, std::int64_t begin,
                                             std::int64_t end) {
#pragma omp simd
  for (std::int64_t i = begin; i < end; ++i) {
    const SinCosOf<T> e = sincos_moderate(x[i], T(0));
    out[2 * i] = e.cos;
    out[2 * i + 1] = e.sin;
  }
}
PHASEGRAD_WIDE_SIMD void expi_wide(const double* x, double* out, std::int64_t begin,
                                   std::int64_t end) {
  expi_span(x, out, begin, end);
}
PHASEGRAD_WIDE_SIMD void expi_wide(const float* x, float* out, std::int64_t begin,
                                   std::int64_t end) {
  expi_span(x, out, begin, end);
}

}  // namespace

// exp(i x) by the vectorised sin/cos of core/sincos.hpp (a few ulp, 4-7x libm's scalar
// sincos here), with libm for |x| beyond that kernel's reduction (1e5 in double, 8192 in
// float) and for non-finite x. Blocks of 1024 keep the fix-up pass in cache.
template <class T>
void expi(const T* x, std::complex<T>* y, std::size_t n, int threads) {
  T* out = parts(y);
  constexpr std::int64_t kBlock = 1024;
  const auto count = static_cast<std::int64_t>(n);
  const std::int64_t blocks = (count + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::int64_t begin = b * kBlock, end = std::min(count, begin + kBlock);
    expi_wide(x, out, begin, end);
    for (std::int64_t i = begin; i < end; ++i) {
      if (!(std::abs(x[i]) <= sincos_limit<T>())) {
        out[2 * i] = std::cos(x[i]);
        out[2 * i + 1] = std::sin(x[i]);
      }
    }
  }
}

// y as expi computes it, block by block, and y_dot = (-sin x x_dot, cos x x_dot) from the block
// of y while it is in cache.
template <class T>
void expi_jvp(const T* x, const T* x_dot, std::complex<T>* y, std::complex<T>* y_dot,
              std::size_t n, int threads) {
  T* out = parts(y);
  T* out_dot = parts(y_dot);
  constexpr std::int64_t kBlock = 1024;
  const auto count = static_cast<std::int64_t>(n);
  const std::int64_t blocks = (count + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::int64_t begin = b * kBlock, end = std::min(count, begin + kBlock);
    expi_wide(x, out, begin, end);
    for (std::int64_t i = begin; i < end; ++i) {
      if (!(std::abs(x[i]) <= sincos_limit<T>())) {
        out[2 * i] = std::cos(x[i]);
        out[2 * i + 1] = std::sin(x[i]);
      }
    }
#pragma omp simd
    for (std::int64_t i = begin; i < end; ++i) {
      out_dot[2 * i] = -(out[2 * i + 1] * x_dot[i]);
      out_dot[2 * i + 1] = out[2 * i] * x_dot[i];
    }
  }
}

template <class T>
void expi_vjp(const std::complex<T>* y_bar, const std::complex<T>* y, T* x_bar, std::size_t n,
              int threads) {
  const T* g = parts(y_bar);
  const T* yp = parts(y);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    x_bar[i] = g[2 * i + 1] * yp[2 * i] - g[2 * i] * yp[2 * i + 1];
  }
}

template <class T>
void expi_vjp(const T* y_bar, const std::complex<T>* y, T* x_bar, std::size_t n, int threads) {
  const T* yp = parts(y);
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for simd num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) x_bar[i] = -(y_bar[i] * yp[2 * i + 1]);
}

#define PHASEGRAD_INSTANTIATE(T)                                                              \
  template void abs2<T>(const T*, T*, std::size_t, int);                                      \
  template void abs2<T>(const std::complex<T>*, T*, std::size_t, int);                        \
  template void abs2_vjp<T>(RealView<T>, const T*, T*, std::size_t, int);                     \
  template void abs2_vjp<T>(RealView<T>, const std::complex<T>*, std::complex<T>*,            \
                            std::size_t, int);                                                \
  template void abs2_jvp<T>(const T*, const T*, T*, T*, std::size_t, int);                     \
  template void abs2_jvp<T>(const std::complex<T>*, const std::complex<T>*, T*, T*, std::size_t, \
                            int);                                                              \
  template void copy_part<T>(RealView<T>, T*, std::size_t, int);                              \
  template void embed<T>(RealView<T>, bool, std::complex<T>*, std::size_t, int);              \
  template void exp<T>(const T*, T*, std::size_t, int);                                       \
  template void exp<T>(const std::complex<T>*, std::complex<T>*, std::size_t, int);           \
  template void exp_vjp<T>(const std::complex<T>*, const std::complex<T>*, std::complex<T>*,  \
                           std::size_t, int);                                                 \
  template void exp_vjp<T>(const T*, const std::complex<T>*, std::complex<T>*, std::size_t,   \
                           int);                                                              \
  template void exp_vjp<T>(RealView<T>, const T*, T*, std::size_t, int);                      \
  template void exp_jvp<T>(const T*, const T*, T*, T*, std::size_t, int);                      \
  template void exp_jvp<T>(const std::complex<T>*, const std::complex<T>*, std::complex<T>*,    \
                           std::complex<T>*, std::size_t, int);                                \
  template void expi<T>(const T*, std::complex<T>*, std::size_t, int);                        \
  template void expi_jvp<T>(const T*, const T*, std::complex<T>*, std::complex<T>*,           \
                            std::size_t, int);                                                \
  template void expi_vjp<T>(const std::complex<T>*, const std::complex<T>*, T*, std::size_t,  \
                            int);                                                             \
  template void expi_vjp<T>(const T*, const std::complex<T>*, T*, std::size_t, int);

PHASEGRAD_INSTANTIATE(float)
PHASEGRAD_INSTANTIATE(double)

#undef PHASEGRAD_INSTANTIATE

}  // namespace phasegrad::ops
