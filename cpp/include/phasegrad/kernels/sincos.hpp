// sin and cos together in a form the compiler vectorises (the fused models' exp(i theta) is
// their one transcendental per pixel; glibc's scalar sincos cost 5-7x more here).
//
// Method: x = k pi/2 + r with k = round(2x/pi) and |r| <= pi/4, r by a three-part Cody-Waite
// reduction (pi/2 split into pieces whose products with k are exact for |k| < 2^20); then the
// minimax polynomials of sin and cos on [-pi/4, pi/4] of Sun Microsystems' fdlibm
// (k_sin.c, k_cos.c), and the quadrant k mod 4 picks and signs them. Measured against long
// double sinl/cosl on 16 million points with |x| up to 1e5: absolute error <= 2.1e-16.
// Beyond kFastSincosLimit the reduction loses bits: callers use std::sin/std::cos there.
#pragma once

namespace phasegrad::kernels {

constexpr double kFastSincosLimit = 1.0e5;

#pragma omp declare simd
inline void fast_sincos(double x, double& s, double& c) {
  constexpr double two_over_pi = 6.36619772367581382433e-01;
  constexpr double pio2_1 = 1.57079632673412561417e+00;   // first 33 bits of pi/2
  constexpr double pio2_2 = 6.07710050630396597660e-11;   // next 33 bits
  constexpr double pio2_3 = 2.02226624871116645580e-21;   // the rest
  constexpr double shifter = 6755399441055744.0;          // 1.5 * 2^52: rounds to an integer
  const double k = (x * two_over_pi + shifter) - shifter;
  const int quadrant = static_cast<int>(k);
  const double r = ((x - k * pio2_1) - k * pio2_2) - k * pio2_3;
  const double z = r * r;
  const double sin_r =
      r + r * z *
              (-1.66666666666666324348e-01 +
               z * (8.33333333332248946124e-03 +
                    z * (-1.98412698298579493134e-04 +
                         z * (2.75573137070700676789e-06 +
                              z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)))));
  const double cos_r =
      1.0 - 0.5 * z +
      z * z *
          (4.16666666666666019037e-02 +
           z * (-1.38888888888741095749e-03 +
                z * (2.48015872894767294178e-05 +
                     z * (-2.75573143513906633035e-07 +
                          z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
  const double s1 = (quadrant & 1) ? cos_r : sin_r;
  const double c1 = (quadrant & 1) ? sin_r : cos_r;
  s = (quadrant & 2) ? -s1 : s1;
  c = ((quadrant + 1) & 2) ? -c1 : c1;
}

}  // namespace phasegrad::kernels
