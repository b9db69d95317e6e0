// Kernels of the ops that cross between real and complex arrays, and the exponentials
// (Jurling & Fienup Table 1, Eq. 53-57, and Eq. 67). Each op is one pass over memory; each
// reverse rule too, reading Re(y_bar) of a complex cotangent in place (RealView); each tangent
// step too, writing y and y_dot side by side from x and x_dot (x_dot has x's element type).
// The linear ops' tangent steps are the ops themselves applied to x_dot.
//
// Complex arrays are interleaved (re, im) pairs, as NumPy and std::complex store them. Every
// kernel writes to an output distinct from its inputs; n counts elements (complex numbers for
// complex arrays); threads is the OpenMP thread count (small n runs serially).
#pragma once

#include <complex>
#include <cstddef>

#include "phasegrad/core/real_view.hpp"

namespace phasegrad::ops {

// y = |x|^2 (Eq. 53), y real.
template <class T>
void abs2(const T* x, T* y, std::size_t n, int threads);
template <class T>
void abs2(const std::complex<T>* x, T* y, std::size_t n, int threads);

// x_bar = 2 x Re(y_bar) (Eq. 53), typed like x.
template <class T>
void abs2_vjp(RealView<T> y_bar, const T* x, T* x_bar, std::size_t n, int threads);
template <class T>
void abs2_vjp(RealView<T> y_bar, const std::complex<T>* x, std::complex<T>* x_bar,
              std::size_t n, int threads);

// abs2's tangent step (Eq. 53): y = |x|^2 and y_dot = 2 Re(conj(x) x_dot), both real.
template <class T>
void abs2_jvp(const T* x, const T* x_dot, T* y, T* y_dot, std::size_t n, int threads);
template <class T>
void abs2_jvp(const std::complex<T>* x, const std::complex<T>* x_dot, T* y, T* y_dot,
              std::size_t n, int threads);

// y = the real numbers `part` views, contiguous: Re x and Im x (Eq. 54, 55), Re y_bar (Eq. 67).
template <class T>
void copy_part(RealView<T> part, T* y, std::size_t n, int threads);

// y = complex numbers whose real part (or, when `imaginary`, imaginary part) is `part` and whose
// other part is zero: to_complex (Eq. 67), and the reverse rules of real and imag (Eq. 54, 55).
template <class T>
void embed(RealView<T> part, bool imaginary, std::complex<T>* y, std::size_t n, int threads);

// y = e^x (Eq. 56).
template <class T>
void exp(const T* x, T* y, std::size_t n, int threads);
template <class T>
void exp(const std::complex<T>* x, std::complex<T>* y, std::size_t n, int threads);

// x_bar = y_bar conj(y) (Eq. 56): complex y with a complex or a real y_bar; for a real y the
// real gradient Re(y_bar) y (Eq. 67).
template <class T>
void exp_vjp(const std::complex<T>* y_bar, const std::complex<T>* y, std::complex<T>* x_bar,
             std::size_t n, int threads);
template <class T>
void exp_vjp(const T* y_bar, const std::complex<T>* y, std::complex<T>* x_bar, std::size_t n,
             int threads);
template <class T>
void exp_vjp(RealView<T> y_bar, const T* y, T* x_bar, std::size_t n, int threads);

// exp's tangent step (Eq. 56): y = e^x and y_dot = y x_dot.
template <class T>
void exp_jvp(const T* x, const T* x_dot, T* y, T* y_dot, std::size_t n, int threads);
template <class T>
void exp_jvp(const std::complex<T>* x, const std::complex<T>* x_dot, std::complex<T>* y,
             std::complex<T>* y_dot, std::size_t n, int threads);

// y = e^{ix} = cos x + i sin x of a real phase x (Eq. 57).
template <class T>
void expi(const T* x, std::complex<T>* y, std::size_t n, int threads);

// expi's tangent step (Eq. 57): y = e^{ix} as expi computes it, and y_dot = i y x_dot =
// -sin(x) x_dot + i cos(x) x_dot, x and x_dot real.
template <class T>
void expi_jvp(const T* x, const T* x_dot, std::complex<T>* y, std::complex<T>* y_dot,
              std::size_t n, int threads);

// x_bar = Im(y_bar conj(y)) (Eq. 57), real; for a real y_bar, Im(y_bar) = 0.
template <class T>
void expi_vjp(const std::complex<T>* y_bar, const std::complex<T>* y, T* x_bar, std::size_t n,
              int threads);
template <class T>
void expi_vjp(const T* y_bar, const std::complex<T>* y, T* x_bar, std::size_t n, int threads);

}  // namespace phasegrad::ops
