// Kernels of the error metric, the detector response and the per-plane intensity normalisation
// (Jurling & Fienup Eq. 7, 93, 98-101; mean_normalize of the hologram model). All real.
//
// Sums accumulate in double (a float32 sum of squared residuals overflows near 1e19) with
// OpenMP reductions; results with 1 and k threads agree to rounding. Every reverse rule is one
// pass that reads Re(M_bar) of a complex cotangent in place (RealView). Every tangent step
// computes the op's result and its tangent together, from the inputs and their (real)
// tangents: one pass, and mean_normalize's two (its plane sums, then the planes).
#pragma once

#include <cstddef>

#include "phasegrad/core/real_view.hpp"

namespace phasegrad::ops {

// The weights of wsse: when `data` is set, element i has weight data[i % period] (an array that
// broadcasts along the trailing axes repeats along the flat index); otherwise every element has
// weight `value` (1 when the caller gave none).
template <class T>
struct Weights {
  const T* data;
  std::size_t period;
  double value;
};

// E = sum w (M - D)^2 over n elements (Eq. 7), the residual formed in double.
template <class T>
double wsse(const T* M, const T* D, Weights<T> w, std::size_t n, int threads);

// M_bar = ((M - D) * 2 E_bar) * w (Eq. 93), in T as the reference rounds it.
template <class T>
void wsse_vjp(double E_bar, const T* M, const T* D, Weights<T> w, T* M_bar, std::size_t n,
              int threads);

// An op's scalar result and its tangent.
struct ValueAndTangent {
  double value, tangent;
};

// wsse's tangent step (Eq. 7, 93): E = sum w (M - D)^2 and E_dot = 2 sum (w (M - D)) M_dot, in
// one pass, the residual, its products and both sums in double.
template <class T>
ValueAndTangent wsse_jvp(const T* M, const T* M_dot, const T* D, Weights<T> w, std::size_t n,
                         int threads);

// The shifted-Poisson negative log-likelihood less its value at M = D (docs/imaging-model.md):
// E = sum w t with z = M + s, z_D = max(D + s, 0), t = z_D (u - log1p(u)), u = (z - z_D) / z_D
// where z_D > 0 (+inf where z <= 0 < z_D), t = z where z_D = 0; in double.
template <class T>
double poisson_nll(const T* M, const T* D, Weights<T> w, double shift, std::size_t n,
                   int threads);

// M_bar = ((1 - z_D / z) E_bar) w (1 where z_D = 0), in double, rounded to T once.
template <class T>
void poisson_nll_vjp(double E_bar, const T* M, const T* D, Weights<T> w, double shift, T* M_bar,
                     std::size_t n, int threads);

// (E, E_dot) of poisson_nll with E_dot = sum ((1 - z_D / z) w) M_dot, in one pass, in double.
template <class T>
ValueAndTangent poisson_nll_jvp(const T* M, const T* M_dot, const T* D, Weights<T> w,
                                double shift, std::size_t n, int threads);

// M = (a I + b) I + c (Eq. 98, Horner's form), the coefficients rounded to T.
template <class T>
void poly_detector(const T* I, double a, double b, double c, T* M, std::size_t n, int threads);

struct CoefficientGradients {
  double a, b, c;
};

// I_bar = (2a I + b) Re(M_bar) (Eq. 100), and a_bar = sum Re(M_bar) I^2, b_bar = sum Re(M_bar) I,
// c_bar = sum Re(M_bar) (Eq. 101), in the same pass.
template <class T>
CoefficientGradients poly_detector_vjp(RealView<T> M_bar, const T* I, double a, double b,
                                       T* I_bar, std::size_t n, int threads);

// poly_detector's tangent step (Eq. 98-101): M = (a I + b) I + c and
// M_dot = (2a I + b) I_dot + ((a_dot I + b_dot) I + c_dot), the coefficients rounded to T.
template <class T>
void poly_detector_jvp(const T* I, const T* I_dot, double a, double b, double c, double a_dot,
                       double b_dot, double c_dot, T* M, T* M_dot, std::size_t n, int threads);

// sums[p] = sum of plane p of x (batch planes of `plane` elements each), in double.
template <class T>
void plane_sums(const T* x, std::size_t batch, std::size_t plane, double* sums, int threads);

// In one pass: sum_x[p] = sum of plane p of x, sum_yx[p] = sum of Re(y_bar) x over plane p.
template <class T>
void plane_sums_with_projection(RealView<T> y_bar, const T* x, std::size_t batch,
                                std::size_t plane, double* sum_x, double* sum_yx, int threads);

// In one pass: sum_x[p] = sum of plane p of x, sum_x_dot[p] = sum of plane p of x_dot (the
// first pass of mean_normalize's tangent step).
template <class T>
void plane_sums_pair(const T* x, const T* x_dot, std::size_t batch, std::size_t plane,
                     double* sum_x, double* sum_x_dot, int threads);

// mean_normalize's tangent step on plane p, from s = scale[p] = c / mean(x) and
// r = ratio[p] = sum(x_dot) / sum(x): y = x T(s), y_dot = x_dot T(s) - y T(r).
template <class T>
void mean_normalize_jvp(const T* x, const T* x_dot, const double* scale, const double* ratio,
                        std::size_t batch, std::size_t plane, T* y, T* y_dot, int threads);

// y = src * T(scale[p]) - T(offset[p]) on plane p (no subtraction when offset is null):
// mean_normalize (y = x s) and its reverse rule (x_bar = s y_bar - s/sum(x) sum(y_bar x)).
template <class T>
void scale_planes(RealView<T> src, const double* scale, const double* offset, std::size_t batch,
                  std::size_t plane, T* y, int threads);

}  // namespace phasegrad::ops
