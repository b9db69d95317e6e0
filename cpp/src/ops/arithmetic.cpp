// Element-wise arithmetic kernels: definitions and explicit instantiations (see
// phasegrad/ops/arithmetic.hpp for the layout and the rules they keep).
#include "phasegrad/ops/arithmetic.hpp"

#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>

#include "phasegrad/core/element.hpp"
#include "phasegrad/core/leading_axes.hpp"

namespace phasegrad::ops {

using std::size_t;

namespace {

// out[k] = op(full[k], small[k % inner]) for k < batch * inner, in one pass; a scalar small
// operand is read once.
template <class F, class S, class Z, class Op>
void map_repeated(const F* full, const S* small, Z* out, size_t batch, size_t inner, int threads,
                  Op op) {
  const size_t n = batch * inner;
  if (inner == 1) {
    const S s = small[0];
    for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
      for (size_t k = k0; k < k1; ++k) out[k] = op(full[k], s);
    });
    return;
  }
  for_each_segment(n, inner, threads, [&](size_t k0, size_t k1, size_t i0) {
    const F* f = full + k0;
    const S* s = small + i0;
    Z* z = out + k0;
    const size_t count = k1 - k0;
    for (size_t j = 0; j < count; ++j) z[j] = op(f[j], s[j]);
  });
}

// The same pass for an op and its tangent step: op(f, s, f_dot, s_dot, z, z_dot) sets element
// k of both outputs from full[k], small[k % inner] and their tangents.
template <class F, class S, class Z, class Op>
void map_repeated_jvp(const F* full, const S* small, const F* full_dot, const S* small_dot,
                      Z* out, Z* out_dot, size_t batch, size_t inner, int threads, Op op) {
  const size_t n = batch * inner;
  if (inner == 1) {
    const S s = small[0], s_dot = small_dot[0];
    for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
      for (size_t k = k0; k < k1; ++k) op(full[k], s, full_dot[k], s_dot, out[k], out_dot[k]);
    });
    return;
  }
  for_each_segment(n, inner, threads, [&](size_t k0, size_t k1, size_t i0) {
    const F* f = full + k0;
    const F* fd = full_dot + k0;
    const S* s = small + i0;
    const S* sd = small_dot + i0;
    Z* z = out + k0;
    Z* zd = out_dot + k0;
    const size_t count = k1 - k0;
    for (size_t j = 0; j < count; ++j) op(f[j], s[j], fd[j], sd[j], z[j], zd[j]);
  });
}

}  // namespace

template <class F, class S>
void add(const F* full, const S* small, promoted_t<F, S>* z, size_t batch, size_t inner,
         int threads) {
  map_repeated(full, small, z, batch, inner, threads, [](F f, S s) { return plus(f, s); });
}

template <class F, class S>
void mul(const F* full, const S* small, promoted_t<F, S>* z, size_t batch, size_t inner,
         int threads) {
  map_repeated(full, small, z, batch, inner, threads, [](F f, S s) { return times(f, s); });
}

template <class F, class S>
void add_jvp(const F* full, const S* small, const F* full_dot, const S* small_dot,
             promoted_t<F, S>* z, promoted_t<F, S>* z_dot, size_t batch, size_t inner,
             int threads) {
  using Z = promoted_t<F, S>;
  map_repeated_jvp(full, small, full_dot, small_dot, z, z_dot, batch, inner, threads,
                   [](F f, S s, F f_dot, S s_dot, Z& out, Z& out_dot) {
                     out = plus(f, s);
                     out_dot = plus(f_dot, s_dot);
                   });
}

// The sum of the two products is the reference's x_dot y + x y_dot whichever operand is the
// full one: the textbook complex product and the sum are commutative to the last bit.
template <class F, class S>
void mul_jvp(const F* full, const S* small, const F* full_dot, const S* small_dot,
             promoted_t<F, S>* z, promoted_t<F, S>* z_dot, size_t batch, size_t inner,
             int threads) {
  using Z = promoted_t<F, S>;
  map_repeated_jvp(full, small, full_dot, small_dot, z, z_dot, batch, inner, threads,
                   [](F f, S s, F f_dot, S s_dot, Z& out, Z& out_dot) {
                     out = times(f, s);
                     out_dot = plus(times(f_dot, s), times(f, s_dot));
                   });
}

template <class X, class Y, class G>
void add_vjp_same(const G* z_bar, X* x_bar, Y* y_bar, size_t n, int threads) {
  for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
    for (size_t k = k0; k < k1; ++k) {
      const G g = z_bar[k];
      x_bar[k] = project<X>(g);
      y_bar[k] = project<Y>(g);
    }
  });
}

template <class F, class S, class G>
void add_vjp_repeated(const G* z_bar, F* full_bar, accumulator_t<S>* small_sum, size_t batch,
                      size_t inner, int threads) {
  using Acc = accumulator_t<S>;
  if (inner == 1) {
    small_sum[0] = sum_all<Acc>(batch, threads, [&](size_t k0, size_t k1) {
      return sum_terms<Acc>(k0, k1, [&](size_t k) {
        const G g = z_bar[k];
        full_bar[k] = project<F>(g);
        return accumulate_as<Acc>(g);
      });
    });
    return;
  }
  sum_over_leading<Acc>(batch, inner, threads, small_sum,
                        [&](size_t b, size_t i0, size_t i1, Acc* acc) {
    const G* g = z_bar + b * inner;
    F* out = full_bar + b * inner;
    for (size_t i = i0; i < i1; ++i) {
      out[i] = project<F>(g[i]);
      acc[i - i0] += accumulate_as<Acc>(g[i]);
    }
  });
}

template <class X, class Y, class G>
void mul_vjp_same(const G* z_bar, const X* x, const Y* y, X* x_bar, Y* y_bar, size_t n,
                  int threads) {
  for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
    for (size_t k = k0; k < k1; ++k) {
      const G g = z_bar[k];
      x_bar[k] = project<X>(times(conjugate(y[k]), g));
      y_bar[k] = project<Y>(times(conjugate(x[k]), g));
    }
  });
}

template <class F, class S, class G>
void mul_vjp_repeated(const G* z_bar, const F* full, const S* small, F* full_bar,
                      accumulator_t<S>* small_sum, size_t batch, size_t inner, int threads) {
  using Acc = accumulator_t<S>;
  if (inner == 1) {
    const S s_conj = conjugate(small[0]);
    small_sum[0] = sum_all<Acc>(batch, threads, [&](size_t k0, size_t k1) {
      return sum_terms<Acc>(k0, k1, [&](size_t k) {
        const G g = z_bar[k];
        full_bar[k] = project<F>(times(s_conj, g));
        return accumulate_as<Acc>(times(conjugate(widen(full[k])), widen(g)));
      });
    });
    return;
  }
  sum_over_leading<Acc>(batch, inner, threads, small_sum,
                        [&](size_t b, size_t i0, size_t i1, Acc* acc) {
    const G* g = z_bar + b * inner;
    const F* f = full + b * inner;
    F* out = full_bar + b * inner;
    for (size_t i = i0; i < i1; ++i) {
      out[i] = project<F>(times(conjugate(small[i]), g[i]));
      acc[i - i0] += accumulate_as<Acc>(times(conjugate(widen(f[i])), widen(g[i])));
    }
  });
}

template <class E>
void broadcast(const E* x, E* y, size_t batch, size_t inner, int threads) {
  const size_t n = batch * inner;
  if (inner == 1) {
    const E value = x[0];
    for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
      for (size_t k = k0; k < k1; ++k) y[k] = value;
    });
    return;
  }
  for_each_segment(n, inner, threads, [&](size_t k0, size_t k1, size_t i0) {
    const E* from = x + i0;
    E* to = y + k0;
    const size_t count = k1 - k0;
    for (size_t j = 0; j < count; ++j) to[j] = from[j];
  });
}

template <class E>
void sum_leading(const E* y_bar, accumulator_t<E>* x_sum, size_t batch, size_t inner,
                 int threads) {
  using Acc = accumulator_t<E>;
  if (inner == 1) {
    x_sum[0] = sum_all<Acc>(batch, threads, [&](size_t k0, size_t k1) {
      return sum_terms<Acc>(k0, k1, [&](size_t k) { return accumulate_as<Acc>(y_bar[k]); });
    });
    return;
  }
  sum_over_leading<Acc>(batch, inner, threads, x_sum,
                        [&](size_t b, size_t i0, size_t i1, Acc* acc) {
    const E* row = y_bar + b * inner;
    for (size_t i = i0; i < i1; ++i) acc[i - i0] += accumulate_as<Acc>(row[i]);
  });
}

// ---- power (Eq. 52) --------------------------------------------------------------------------

namespace {

// a**n for an integer 0 < |n| < 100 by repeated squaring, as NumPy's npy_cpow computes it
// (so that single-precision results round alike).
template <class T>
std::complex<T> power_integer(std::complex<T> a, long n) {
  if (n == 1) return a;
  if (n == 2) return times(a, a);
  if (n == 3) return times(a, times(a, a));
  const long m = n < 0 ? -n : n;
  std::complex<T> result(1, 0), square = a;
  for (long mask = 1;; mask <<= 1) {
    if (m & mask) result = times(result, square);
    if (m < (mask << 1)) break;
    square = times(square, square);
  }
  return n < 0 ? divide(std::complex<T>(1, 0), result) : result;
}

// a**c, principal branch, as NumPy's npy_cpow: x**0 == 1; 0**c == 0 for c > 0; repeated
// multiplication for integer exponents; else exp(c log a), evaluated in double.
template <class T>
std::complex<T> power_complex(std::complex<T> a, T c) {
  if (c == 0) return {T(1), T(0)};
  if (a.real() == 0 && a.imag() == 0) {
    if (c > 0) return {T(0), T(0)};
    const T nan = std::numeric_limits<T>::quiet_NaN();
    return {nan, nan};
  }
  if (c > -100 && c < 100) {
    const long n = static_cast<long>(c);
    if (static_cast<T>(n) == c) return power_integer(a, n);
  }
  const std::complex<double> r = std::pow(std::complex<double>(a), static_cast<double>(c));
  return {static_cast<T>(r.real()), static_cast<T>(r.imag())};
}

// x**c of one element, exponent read per element (an array c).
template <class E>
E power_element(E x, real_t<E> c) {
  if constexpr (is_complex_v<E>) {
    return power_complex(x, c);
  } else {
    return std::pow(x, c);
  }
}

// Calls body(pow) with pow(x) = x**e specialised for e, so that the loop inside body has no
// branch on the exponent and the common exponents (0, 1, 2, 1/2; 3, -1, -2 for a real x;
// integers below 100 in magnitude for a complex x) avoid pow.
template <class E, class Body>
void with_power(real_t<E> e, Body&& body) {
  using T = real_t<E>;
  if (e == 0) return body([](E) { return E(T(1)); });
  if (e == 1) return body([](E v) { return v; });
  if (e == 2) return body([](E v) { return times(v, v); });
  if (e == T(0.5)) return body([](E v) { return std::sqrt(v); });
  if constexpr (is_complex_v<E>) {
    if (e > -100 && e < 100 && static_cast<T>(static_cast<long>(e)) == e) {
      const long n = static_cast<long>(e);
      return body([n](E v) { return power_integer(v, n); });
    }
    return body([e](E v) { return power_complex(v, e); });
  } else {
    if (e == 3) return body([](E v) { return v * v * v; });
    if (e == -1) return body([](E v) { return T(1) / v; });
    // (1/v)^2, not 1/v^2: v^2 overflows for |v| > 1.3e154 (float64) where the result is a
    // representable subnormal (1e155 -> 1e-310, as std::pow gives).
    if (e == -2) return body([](E v) { const T r = T(1) / v; return r * r; });
    return body([e](E v) { return std::pow(v, e); });
  }
}

}  // namespace

template <class E>
void power(const E* x, double c, E* y, size_t n, int threads) {
  with_power<E>(static_cast<real_t<E>>(c), [&](auto pow) {
    for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
      for (size_t k = k0; k < k1; ++k) y[k] = pow(x[k]);
    });
  });
}

template <class E>
void power_array(const E* x, const real_t<E>* c, E* y, size_t batch, size_t inner, int threads) {
  map_repeated(x, c, y, batch, inner, threads,
               [](E v, real_t<E> e) { return power_element(v, e); });
}

template <class E, class G>
void power_vjp(const G* y_bar, const E* x, double c, E* x_bar, size_t n, int threads) {
  using T = real_t<E>;
  const T scale = static_cast<T>(c);
  // NumPy's order: (c * conj(x)**(c - 1)) * y_bar, with c - 1 formed in double.
  with_power<E>(static_cast<T>(c - 1.0), [&](auto pow) {
    for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
      for (size_t k = k0; k < k1; ++k) {
        x_bar[k] = times(times(scale, pow(conjugate(x[k]))), project<E>(y_bar[k]));
      }
    });
  });
}

template <class E, class G>
void power_vjp_array(const G* y_bar, const E* x, const real_t<E>* c, E* x_bar, size_t batch,
                     size_t inner, int threads) {
  using T = real_t<E>;
  const size_t n = batch * inner;
  for_each_segment(n, inner, threads, [&](size_t k0, size_t k1, size_t i0) {
    const T* e = c + i0;
    const size_t count = k1 - k0;
    for (size_t j = 0; j < count; ++j) {
      const size_t k = k0 + j;
      const E derivative = times(e[j], power_element(conjugate(x[k]), e[j] - T(1)));
      x_bar[k] = times(derivative, project<E>(y_bar[k]));
    }
  });
}

template <class E>
void power_jvp(const E* x, const E* x_dot, double c, E* y, E* y_dot, size_t n, int threads) {
  using T = real_t<E>;
  const T scale = static_cast<T>(c);
  // The reference's order: (x**(c - 1) * c) * x_dot, with c - 1 formed in double.
  with_power<E>(static_cast<T>(c), [&](auto pow) {
    with_power<E>(static_cast<T>(c - 1.0), [&](auto pow_less) {
      for_each_segment(n, n, threads, [&](size_t k0, size_t k1, size_t) {
        for (size_t k = k0; k < k1; ++k) {
          const E v = x[k];
          y[k] = pow(v);
          y_dot[k] = times(times(pow_less(v), scale), x_dot[k]);
        }
      });
    });
  });
}

template <class E>
void power_jvp_array(const E* x, const E* x_dot, const real_t<E>* c, E* y, E* y_dot,
                     size_t batch, size_t inner, int threads) {
  using T = real_t<E>;
  const size_t n = batch * inner;
  for_each_segment(n, inner, threads, [&](size_t k0, size_t k1, size_t i0) {
    const T* e = c + i0;
    const size_t count = k1 - k0;
    for (size_t j = 0; j < count; ++j) {
      const size_t k = k0 + j;
      y[k] = power_element(x[k], e[j]);
      y_dot[k] = times(times(power_element(x[k], e[j] - T(1)), e[j]), x_dot[k]);
    }
  });
}

// ---- explicit instantiations ----------------------------------------------------------------

#define PHASEGRAD_BINARY(A, B)                                                         \
  template void add<A, B>(const A*, const B*, promoted_t<A, B>*, size_t, size_t, int); \
  template void mul<A, B>(const A*, const B*, promoted_t<A, B>*, size_t, size_t, int); \
  template void add_jvp<A, B>(const A*, const B*, const A*, const B*, promoted_t<A, B>*,  \
                              promoted_t<A, B>*, size_t, size_t, int);                   \
  template void mul_jvp<A, B>(const A*, const B*, const A*, const B*, promoted_t<A, B>*,  \
                              promoted_t<A, B>*, size_t, size_t, int);

#define PHASEGRAD_BINARY_VJP(A, B, G)                                                            \
  template void add_vjp_same<A, B, G>(const G*, A*, B*, size_t, int);                            \
  template void add_vjp_repeated<A, B, G>(const G*, A*, accumulator_t<B>*, size_t, size_t, int); \
  template void mul_vjp_same<A, B, G>(const G*, const A*, const B*, A*, B*, size_t, int);        \
  template void mul_vjp_repeated<A, B, G>(const G*, const A*, const B*, A*, accumulator_t<B>*,   \
                                          size_t, size_t, int);

#define PHASEGRAD_ELEMENT(E)                                                      \
  template void broadcast<E>(const E*, E*, size_t, size_t, int);                  \
  template void sum_leading<E>(const E*, accumulator_t<E>*, size_t, size_t, int); \
  template void power<E>(const E*, double, E*, size_t, int);                      \
  template void power_array<E>(const E*, const real_t<E>*, E*, size_t, size_t, int); \
  template void power_jvp<E>(const E*, const E*, double, E*, E*, size_t, int);        \
  template void power_jvp_array<E>(const E*, const E*, const real_t<E>*, E*, E*, size_t, \
                                   size_t, int);

#define PHASEGRAD_POWER_VJP(E, G)                                                               \
  template void power_vjp<E, G>(const G*, const E*, double, E*, size_t, int);                   \
  template void power_vjp_array<E, G>(const G*, const E*, const real_t<E>*, E*, size_t, size_t, \
                                      int);

#define PHASEGRAD_PRECISION(T, C) \
  PHASEGRAD_BINARY(T, T)          \
  PHASEGRAD_BINARY(T, C)          \
  PHASEGRAD_BINARY(C, T)          \
  PHASEGRAD_BINARY(C, C)          \
  PHASEGRAD_BINARY_VJP(T, T, T)   \
  PHASEGRAD_BINARY_VJP(T, T, C)   \
  PHASEGRAD_BINARY_VJP(T, C, T)   \
  PHASEGRAD_BINARY_VJP(T, C, C)   \
  PHASEGRAD_BINARY_VJP(C, T, T)   \
  PHASEGRAD_BINARY_VJP(C, T, C)   \
  PHASEGRAD_BINARY_VJP(C, C, T)   \
  PHASEGRAD_BINARY_VJP(C, C, C)   \
  PHASEGRAD_ELEMENT(T)            \
  PHASEGRAD_ELEMENT(C)            \
  PHASEGRAD_POWER_VJP(T, T)       \
  PHASEGRAD_POWER_VJP(T, C)       \
  PHASEGRAD_POWER_VJP(C, T)       \
  PHASEGRAD_POWER_VJP(C, C)

PHASEGRAD_PRECISION(float, std::complex<float>)
PHASEGRAD_PRECISION(double, std::complex<double>)

#undef PHASEGRAD_PRECISION
#undef PHASEGRAD_POWER_VJP
#undef PHASEGRAD_ELEMENT
#undef PHASEGRAD_BINARY_VJP
#undef PHASEGRAD_BINARY

}  // namespace phasegrad::ops
