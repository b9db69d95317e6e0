// sin and cos of one double together, written so that a `#pragma omp simd` loop vectorizes
// them (libm's sin and cos are scalar calls, about 25 ns a pair: in a fused model's phasor
// pass they cost more than the FFTs). Valid for |x| <= kSincosLimit; callers take libm's
// std::sin / std::cos beyond it (see the hologram's phasor pass).
//
// Reduction: x = k pi/2 + r, |r| <= pi/4, with pi/2 split Cody-Waite style into two 33-bit
// parts and a tail (fdlibm's pio2_1, pio2_2, pio2_2t): for |k| < 2^20 the products k p1 and
// k p2 are exact, so r carries the rounding of one subtraction and of k * tail. k is rounded by
// the 1.5 * 2^52 trick and the quadrant found arithmetically, so nothing needs SSE4.1. Kernels: fdlibm's __kernel_sin / __kernel_cos minimax polynomials (error under
// 1 ulp on [-pi/4, pi/4]) without the reduction tail. Overall error: a few ulp.
#pragma once

#include <cmath>

namespace phasegrad {

// Beyond this |x| the reduction above loses its exactness (k reaches 2^16 here, far below
// 2^20); the phase maps of optics stay well inside it.
constexpr double kSincosLimit = 1.0e5;

struct SinCos {
  double sin, cos;
};

// Returned by value: a simd loop keeps it in registers, where out-parameters become per-lane
// stack arrays that stop the loop vectorizing.
inline SinCos sincos_moderate(double x) {
  constexpr double kTwoOverPi = 6.36619772367581382433e-01;
  constexpr double kPio2Head = 1.57079632673412561417e+00;  // first 33 bits of pi/2
  constexpr double kPio2Mid = 6.07710050630396597660e-11;   // next 33 bits
  constexpr double kPio2Tail = 2.02226624879595063154e-21;  // pi/2 - head - mid
  constexpr double kRound = 6755399441055744.0;              // 1.5 * 2^52

  const double k = (x * kTwoOverPi + kRound) - kRound;  // nearest integer (ties to even)
  const double r = ((x - k * kPio2Head) - k * kPio2Mid) - k * kPio2Tail;
  const double z = r * r;

  const double sin_poly =
      8.33333333332248946124e-03 +
      z * (-1.98412698298579493134e-04 +
           z * (2.75573137070700676789e-06 +
                z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)));
  const double sin_r = r + (z * r) * (-1.66666666666666324348e-01 + z * sin_poly);

  const double cos_poly =
      4.16666666666666019037e-02 +
      z * (-1.38888888888741095749e-03 +
           z * (2.48015872894767294178e-05 +
                z * (-2.75573143513906633035e-07 +
                     z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11))));
  const double half_z = 0.5 * z;
  const double one_minus = 1.0 - half_z;  // fdlibm's compensated 1 - z/2 + z^2 poly
  const double cos_r = one_minus + (((1.0 - one_minus) - half_z) + (z * z) * cos_poly);

  // The quadrant q = k mod 4 as g = k - 4 round(k / 4), in {0, 1, +-2, -1} for q = 0, 1, 2,
  // 3. With (A, B) = (cos q pi/2, sin q pi/2) = (1 - |g|, g (2 - |g|)), all exact small
  // integers, sin x = A sin r + B cos r and cos x = A cos r - B sin r. Arithmetic rather than
  // selects: GCC keeps floating-point compares out of if-converted (vectorized) code when
  // they may trap, which is the default without -ffast-math.
  const double quarter = 0.25 * k;
  const double g = k - 4.0 * ((quarter + kRound) - kRound);
  const double a = 1.0 - std::fabs(g);
  const double b = g * (2.0 - std::fabs(g));
  return {a * sin_r + b * cos_r, a * cos_r - b * sin_r};
}

}  // namespace phasegrad
