// Element types of the arithmetic kernels (float, double, std::complex<float>,
// std::complex<double>) and the arithmetic on them, written to round as NumPy's loops do: a real
// operand meeting a complex one is promoted to complex with a zero imaginary part, and the
// complex product is the textbook formula. A kernel and the NumPy reference then agree to the
// last bit on finite input, and no libgcc __mulsc3/__muldc3 call (std::complex's operator*
// without -ffast-math) blocks vectorisation.
#pragma once

#include <complex>
#include <type_traits>

namespace phasegrad {

template <class E>
struct element_traits {
  using real = E;
  static constexpr bool is_complex = false;
};
template <class T>
struct element_traits<std::complex<T>> {
  using real = T;
  static constexpr bool is_complex = true;
};

// float for float and std::complex<float>; double for double and std::complex<double>.
template <class E>
using real_t = typename element_traits<E>::real;

template <class E>
inline constexpr bool is_complex_v = element_traits<E>::is_complex;

// The element type of a result of A and B (of one precision): complex when either is.
template <class A, class B>
using promoted_t = std::conditional_t<is_complex_v<A> || is_complex_v<B>,
                                      std::complex<real_t<A>>, real_t<A>>;

// The double-precision accumulator of sums into an element of type E.
template <class E>
using accumulator_t = std::conditional_t<is_complex_v<E>, std::complex<double>, double>;

// ---- arithmetic that rounds as NumPy's loops do ------------------------------------------

template <class T>
constexpr std::complex<T> as_complex(T a) {
  return {a, T(0)};
}
template <class T>
constexpr std::complex<T> as_complex(std::complex<T> a) {
  return a;
}

template <class T>
constexpr T conjugate(T a) {
  return a;
}
template <class T>
constexpr std::complex<T> conjugate(std::complex<T> a) {
  return {a.real(), -a.imag()};
}

template <class A, class B>
constexpr promoted_t<A, B> plus(A a, B b) {
  static_assert(std::is_same_v<real_t<A>, real_t<B>>, "operands of one precision");
  if constexpr (is_complex_v<A> || is_complex_v<B>) {
    const auto u = as_complex(a), v = as_complex(b);
    return {u.real() + v.real(), u.imag() + v.imag()};
  } else {
    return a + b;
  }
}

template <class A, class B>
constexpr promoted_t<A, B> times(A a, B b) {
  static_assert(std::is_same_v<real_t<A>, real_t<B>>, "operands of one precision");
  if constexpr (is_complex_v<A> || is_complex_v<B>) {
    const auto u = as_complex(a), v = as_complex(b);
    return {u.real() * v.real() - u.imag() * v.imag(), u.real() * v.imag() + u.imag() * v.real()};
  } else {
    return a * b;
  }
}

// a / b for complex b, as NumPy's cdiv (Smith's method: no overflow in |b|^2).
template <class T>
constexpr std::complex<T> divide(std::complex<T> a, std::complex<T> b) {
  const T br = b.real(), bi = b.imag();
  const T abs_br = br < 0 ? -br : br, abs_bi = bi < 0 ? -bi : bi;
  if (abs_br >= abs_bi) {
    if (abs_br == 0 && abs_bi == 0) return {a.real() / abs_br, a.imag() / abs_bi};
    const T ratio = bi / br, scale = T(1) / (br + bi * ratio);
    return {(a.real() + a.imag() * ratio) * scale, (a.imag() - a.real() * ratio) * scale};
  }
  const T ratio = br / bi, scale = T(1) / (bi + br * ratio);
  return {(a.real() * ratio + a.imag()) * scale, (a.imag() * ratio - a.real()) * scale};
}

// A value as an element of type Out: the real part when Out is real (Eq. 67: the gradient of
// a real input is the real part of the promoted one), else the value promoted to complex.
template <class Out, class V>
constexpr Out project(V v) {
  if constexpr (is_complex_v<Out>) {
    return as_complex(v);
  } else if constexpr (is_complex_v<V>) {
    return v.real();
  } else {
    return v;
  }
}

// A value in double precision (exact for float input).
template <class V>
constexpr auto widen(V v) {
  if constexpr (is_complex_v<V>) {
    return std::complex<double>(static_cast<double>(v.real()), static_cast<double>(v.imag()));
  } else {
    return static_cast<double>(v);
  }
}

// A value into a double-precision accumulator: its real part when the accumulator is real.
template <class Acc, class V>
constexpr Acc accumulate_as(V v) {
  if constexpr (is_complex_v<Acc>) {
    const auto c = as_complex(v);
    return {static_cast<double>(c.real()), static_cast<double>(c.imag())};
  } else if constexpr (is_complex_v<V>) {
    return static_cast<double>(v.real());
  } else {
    return static_cast<double>(v);
  }
}

}  // namespace phasegrad
