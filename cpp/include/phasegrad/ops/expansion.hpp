// Basis-function expansion of a wavefront (Jurling & Fienup Eq. 3, 58): W = sum_k a_k B_k and
// its reverse rule, the projection of the cotangent on every mode. Templates over float and
// double (explicit instantiations in src/ops/expansion.cpp); every sum accumulates in double.
#pragma once

#include <cstddef>

namespace phasegrad::ops {

// y[p, j] = sum_k a[p, k] modes[k, j] for p < batch, j < pixels, k < count (Eq. 3): each
// output pixel is one double-precision sum over the modes, rounded once.
template <class T>
void basis(const T* a, const T* modes, T* y, std::size_t batch, std::size_t count,
           std::size_t pixels, int threads);

// a_bar[p, k] = sum_j Re(y_bar[p, j]) modes[k, j] (Eq. 58): y_bar is read from memory once
// for all modes (a block of it, converted to double, stays in cache while every mode streams
// past), each mode once per batch item. G is T or std::complex<T> (a complex cotangent
// contributes its real part: Eq. 67). The sums are split among threads by pixel blocks and
// added in thread order: the rounding depends on the thread count.
template <class T, class G>
void basis_vjp(const G* y_bar, const T* modes, T* a_bar, std::size_t batch, std::size_t count,
               std::size_t pixels, int threads);

}  // namespace phasegrad::ops
