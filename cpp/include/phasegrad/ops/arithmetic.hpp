// Element-wise arithmetic kernels (Jurling & Fienup Eq. 47-52, 61) over the "batch x inner"
// layout of core/leading_axes.hpp: `full` has batch * inner elements, `small` has inner, repeated
// over the batch (inner == 1: a scalar; batch == 1: two arrays of one size). Element types are
// float, double, std::complex<float>, std::complex<double> (core/element.hpp), one precision
// per call; the arithmetic rounds as NumPy's loops do. Explicit instantiations for every mix
// of real and complex operands of both precisions live in src/ops/arithmetic.cpp.
//
// Every reverse rule is one pass: it reads each input once, writes each element-wise gradient
// once, and sums the gradient of a repeated operand over the batch in the same pass, in double
// (`small_sum`, accumulator_t<S>: the caller rounds it); the terms of such a sum are formed in
// double too (exact products of single-precision input), so that a sum whose terms cancel
// keeps its accuracy. A gradient of a real operand is the real part (Eq. 67). No kernel
// throws; arguments are validated by the caller.
//
// Every tangent step (`op_jvp`) is one pass too: it reads each input and its tangent once and
// writes the op's output and the output's tangent side by side. A tangent has its input's
// element type, so full_dot is an F and small_dot an S, repeated over the batch as small is.
#pragma once

#include <cstddef>

#include "phasegrad/core/element.hpp"

namespace phasegrad::ops {

// z = full + small (Eq. 47, 48).
template <class F, class S>
void add(const F* full, const S* small, promoted_t<F, S>* z, std::size_t batch,
         std::size_t inner, int threads);

// z = full * small (Eq. 49, 51).
template <class F, class S>
void mul(const F* full, const S* small, promoted_t<F, S>* z, std::size_t batch,
         std::size_t inner, int threads);

// add's tangent step (Eq. 47, 48): z = full + small and z_dot = full_dot + small_dot.
template <class F, class S>
void add_jvp(const F* full, const S* small, const F* full_dot, const S* small_dot,
             promoted_t<F, S>* z, promoted_t<F, S>* z_dot, std::size_t batch, std::size_t inner,
             int threads);

// mul's tangent step (Eq. 49, 51): z = full small and z_dot = full_dot small + full small_dot.
template <class F, class S>
void mul_jvp(const F* full, const S* small, const F* full_dot, const S* small_dot,
             promoted_t<F, S>* z, promoted_t<F, S>* z_dot, std::size_t batch, std::size_t inner,
             int threads);

// add's reverse rule for two operands of n elements each: x_bar = z_bar, y_bar = z_bar.
template <class X, class Y, class G>
void add_vjp_same(const G* z_bar, X* x_bar, Y* y_bar, std::size_t n, int threads);

// add's reverse rule with a repeated operand (batch >= 2): full_bar = z_bar,
// small_sum[i] = sum_b z_bar[b, i] (Eq. 48).
template <class F, class S, class G>
void add_vjp_repeated(const G* z_bar, F* full_bar, accumulator_t<S>* small_sum, std::size_t batch,
                      std::size_t inner, int threads);

// mul's reverse rule for two operands of n elements each: x_bar = conj(y) z_bar,
// y_bar = conj(x) z_bar (Eq. 49).
template <class X, class Y, class G>
void mul_vjp_same(const G* z_bar, const X* x, const Y* y, X* x_bar, Y* y_bar, std::size_t n,
                  int threads);

// mul's reverse rule with a repeated operand (batch >= 2): full_bar = conj(small) z_bar,
// small_sum[i] = sum_b conj(full[b, i]) z_bar[b, i] (Eq. 49, 51).
template <class F, class S, class G>
void mul_vjp_repeated(const G* z_bar, const F* full, const S* small, F* full_bar,
                      accumulator_t<S>* small_sum, std::size_t batch, std::size_t inner,
                      int threads);

// broadcast: y[b, i] = x[i] (Eq. 61).
template <class E>
void broadcast(const E* x, E* y, std::size_t batch, std::size_t inner, int threads);

// broadcast's reverse rule: x_sum[i] = sum_b y_bar[b, i] (Eq. 61).
template <class E>
void sum_leading(const E* y_bar, accumulator_t<E>* x_sum, std::size_t batch, std::size_t inner,
                 int threads);

// y = x**c for a number c (Eq. 52), with NumPy's algorithm for a complex x (repeated
// multiplication for an integer |c| < 100, else the principal branch); x**0 == 1.
template <class E>
void power(const E* x, double c, E* y, std::size_t n, int threads);

// y = x**c for an array c repeated over the batch: c[i] meets x[b, i].
template <class E>
void power_array(const E* x, const real_t<E>* c, E* y, std::size_t batch, std::size_t inner,
                 int threads);

// power's reverse rule: x_bar = c conj(x)**(c - 1) y_bar (Eq. 52); Re y_bar for a real x.
template <class E, class G>
void power_vjp(const G* y_bar, const E* x, double c, E* x_bar, std::size_t n, int threads);

template <class E, class G>
void power_vjp_array(const G* y_bar, const E* x, const real_t<E>* c, E* x_bar, std::size_t batch,
                     std::size_t inner, int threads);

// power's tangent step (Eq. 52): y = x**c and y_dot = (x**(c - 1) c) x_dot, both powers by
// power's algorithm, in one pass.
template <class E>
void power_jvp(const E* x, const E* x_dot, double c, E* y, E* y_dot, std::size_t n, int threads);

template <class E>
void power_jvp_array(const E* x, const E* x_dot, const real_t<E>* c, E* y, E* y_dot,
                     std::size_t batch, std::size_t inner, int threads);

}  // namespace phasegrad::ops
