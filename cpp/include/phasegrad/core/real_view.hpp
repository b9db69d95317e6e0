// Real numbers read at a fixed stride: a real array (stride 1), or the real or imaginary parts
// of an interleaved complex array (stride 2). The rules of Table 1 use Re(y_bar) for a real
// output; reading it through a view lets a complex cotangent in without a temporary, and the
// kernels call one loop body, compiled for each stride, through with_stride().
#pragma once

#include <complex>
#include <cstddef>
#include <type_traits>

namespace phasegrad {

template <class T>
struct RealView {
  const T* data;
  std::size_t stride;  // 1 or 2

  static RealView of(const T* x) { return {x, 1}; }
  // std::complex<T> is layout-compatible with T[2] ([complex.numbers]).
  static RealView real_of(const std::complex<T>* z) {
    return {reinterpret_cast<const T*>(z), 2};
  }
  static RealView imag_of(const std::complex<T>* z) {
    return {reinterpret_cast<const T*>(z) + 1, 2};
  }
};

// Calls body(std::integral_constant<std::size_t, S>{}) with S = view.stride (1 or 2), so that
// the loop inside body sees a compile-time stride and vectorizes.
template <class T, class Body>
void with_stride(const RealView<T>& view, Body&& body) {
  if (view.stride == 1) {
    body(std::integral_constant<std::size_t, 1>{});
  } else {
    body(std::integral_constant<std::size_t, 2>{});
  }
}

}  // namespace phasegrad
