// Kernels of the error metric, the detector response and the per-plane intensity normalisation
// (Jurling & Fienup Eq. 7, 93, 98-101; mean_normalize of the hologram model). All real.
//
// Sums accumulate in double (a float32 sum of squared residuals overflows near 1e19) with
// OpenMP reductions; results with 1 and k threads agree to rounding. Every reverse rule is one
// pass that reads Re(M_bar) of a complex cotangent in place (RealView).
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

// sums[p] = sum of plane p of x (batch planes of `plane` elements each), in double.
template <class T>
void plane_sums(const T* x, std::size_t batch, std::size_t plane, double* sums, int threads);

// In one pass: sum_x[p] = sum of plane p of x, sum_yx[p] = sum of Re(y_bar) x over plane p.
template <class T>
void plane_sums_with_projection(RealView<T> y_bar, const T* x, std::size_t batch,
                                std::size_t plane, double* sum_x, double* sum_yx, int threads);

// y = src * T(scale[p]) - T(offset[p]) on plane p (no subtraction when offset is null):
// mean_normalize (y = x s) and its reverse rule (x_bar = s y_bar - s/sum(x) sum(y_bar x)).
template <class T>
void scale_planes(RealView<T> src, const double* scale, const double* offset, std::size_t batch,
                  std::size_t plane, T* y, int threads);

}  // namespace phasegrad::ops
