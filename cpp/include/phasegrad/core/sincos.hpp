// sin and cos of x + shift together, in float or double, written so that a `#pragma omp simd`
// loop vectorizes them (libm's sin and cos are scalar calls, about 25 ns a pair here: in a
// fused model's phasor pass they cost more than both FFTs). Valid for |x| <= sincos_limit<T>()
// and |shift| <= 2 pi; callers take libm beyond it (see the hologram's phasor pass).
//
// Reduction (Cody-Waite: pi/2 in three parts, the first two short enough that k times them is
// exact below the limit): in float, x = k1 pi/2 + r1, then r1 + shift = k2 pi/2 + r,
// |r| <= pi/4. Adding the shift to the reduced r1 rather than to x keeps the result as
// accurate as x allows where x is large: x + shift would round to an ulp of x (1e-3 for a
// float near 8192). In double that rounding is negligible and x + shift is reduced at once. k is
// rounded by the 1.5 * 2^(mantissa) trick and the quadrant found arithmetically, so nothing
// needs SSE4.1 or a compare (GCC will not if-convert floating-point compares that may trap,
// which they may without -ffast-math). Kernels on [-pi/4, pi/4]: fdlibm's __kernel_sin /
// __kernel_cos (double, under 1 ulp) and Cephes' sinf / cosf (float, about 1 ulp). Overall
// error: a few ulp.
#pragma once

#include <cmath>
#include <type_traits>

// On x86-64 with GCC and glibc, PHASEGRAD_WIDE_SIMD before a function compiles it three times,
// for baseline x86-64 (SSE2), x86-64-v3 (AVX2) and x86-64-v4 (AVX-512), and the loader picks the
// best the CPU runs (an ifunc): the wheel stays portable and a sin/cos loop gets 4 or 8 lanes
// where the CPU has them. Everything it calls must be inlined into it ([[gnu::always_inline]]),
// or only the call is cloned. Elsewhere it expands to nothing.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__)
#define PHASEGRAD_WIDE_SIMD \
  __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define PHASEGRAD_WIDE_SIMD
#endif

namespace phasegrad {

template <class T>
struct SinCosOf {
  T sin, cos;
};

template <class T>
struct SincosConstants;

template <>
struct SincosConstants<double> {
  static constexpr double limit = 1.0e5;  // k < 2^16, far below the 2^20 the split allows
  static constexpr double two_over_pi = 6.36619772367581382433e-01;
  static constexpr double pio2_head = 1.57079632673412561417e+00;  // 33 bits
  static constexpr double pio2_mid = 6.07710050630396597660e-11;   // next 33 bits
  static constexpr double pio2_tail = 2.02226624879595063154e-21;  // pi/2 - head - mid
  static constexpr double round = 6755399441055744.0;               // 1.5 * 2^52
};

template <>
struct SincosConstants<float> {
  static constexpr float limit = 8192.0f;  // k < 2^13: k times head (8 bits), mid (11) exact
  static constexpr float two_over_pi = 0.636619772367581343f;
  static constexpr float pio2_head = 1.5703125f;
  static constexpr float pio2_mid = 4.837512969970703125e-4f;
  static constexpr float pio2_tail = 7.54978995489188216e-8f;
  static constexpr float round = 12582912.0f;  // 1.5 * 2^23
};

// Beyond this |x|, sincos_moderate's reduction is no longer exact.
template <class T>
constexpr T sincos_limit() {
  return SincosConstants<T>::limit;
}

namespace detail {

// The nearest integer to v (|v| < 2^(mantissa - 1)), ties to even.
template <class T>
inline T nearest(T v) {
  return (v + SincosConstants<T>::round) - SincosConstants<T>::round;
}

// v - k pi/2 with pi/2 in three parts.
template <class T>
inline T minus_quarter_turns(T v, T k) {
  using C = SincosConstants<T>;
  return ((v - k * C::pio2_head) - k * C::pio2_mid) - k * C::pio2_tail;
}

inline SinCosOf<double> kernel(double r) {
  const double z = r * r;
  const double sin_poly =
      8.33333333332248946124e-03 +
      z * (-1.98412698298579493134e-04 +
           z * (2.75573137070700676789e-06 +
                z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)));
  const double cos_poly =
      4.16666666666666019037e-02 +
      z * (-1.38888888888741095749e-03 +
           z * (2.48015872894767294178e-05 +
                z * (-2.75573143513906633035e-07 +
                     z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11))));
  const double half_z = 0.5 * z;
  const double one_minus = 1.0 - half_z;  // fdlibm's compensated 1 - z/2 + z^2 poly
  return {r + (z * r) * (-1.66666666666666324348e-01 + z * sin_poly),
          one_minus + (((1.0 - one_minus) - half_z) + (z * z) * cos_poly)};
}

inline SinCosOf<float> kernel(float r) {
  const float z = r * r;
  return {r + (z * r) * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f)),
          (1.0f - 0.5f * z) + (z * z) * (4.166664568298827e-2f +
                                         z * (-1.388731625493765e-3f +
                                              z * 2.443315711809948e-5f))};
}

}  // namespace detail

// (sin, cos) of x + shift for |x| <= sincos_limit<T>(), |shift| <= 2 pi. Returned by value: a
// simd loop keeps it in registers, where out-parameters become per-lane stack arrays that
// stop the loop vectorizing.
template <class T>
inline SinCosOf<T> sincos_moderate(T x, T shift) {
  using C = SincosConstants<T>;
  using detail::minus_quarter_turns;
  using detail::nearest;
  T k, r;
  if constexpr (std::is_same_v<T, float>) {
    const T k1 = nearest(x * C::two_over_pi);
    const T shifted = minus_quarter_turns(x, k1) + shift;
    const T k2 = nearest(shifted * C::two_over_pi);
    r = minus_quarter_turns(shifted, k2);
    k = k1 + k2;
  } else {
    // In double, x + shift rounds by half an ulp of x (7e-12 at the limit): one reduction.
    const T angle = x + shift;
    k = nearest(angle * C::two_over_pi);
    r = minus_quarter_turns(angle, k);
  }
  const SinCosOf<T> e = detail::kernel(r);
  // The quadrant q = k mod 4 as g = k - 4 round(k / 4), in {0, 1, +-2, -1} for q = 0, 1, 2,
  // 3. With (A, B) = (cos q pi/2, sin q pi/2) = (1 - |g|, g (2 - |g|)), exact small
  // integers: sin = A sin r + B cos r, cos = A cos r - B sin r.
  const T g = k - T(4) * nearest(T(0.25) * k);
  const T a = T(1) - std::fabs(g);
  const T b = g * (T(2) - std::fabs(g));
  return {a * e.sin + b * e.cos, a * e.cos - b * e.sin};
}

}  // namespace phasegrad
