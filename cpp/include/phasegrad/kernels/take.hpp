// Pixels picked by flat index from each plane of a stack: take (a gather, Eq. 59), put (an
// assignment into a zero plane, Eq. 60) and take's reverse rule (a scatter that accumulates
// repeated indices, Eq. 62).
//
// Planes are `plane` contiguous elements, `batch` of them one after the other; the picked
// pixels of a plane are `count` contiguous elements. Element types: float, double,
// std::complex<float>, std::complex<double>. Every function checks its indices before any
// parallel region and throws std::invalid_argument for one outside [0, plane) (and, for put,
// for a repeated pixel), so nothing is written out of bounds whoever calls it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace phasegrad {

// y[b, j] = x[b, index[j]].
template <class E>
void take_pixels(const E* x, const std::int64_t* index, std::size_t count, E* y,
                 std::size_t batch, std::size_t plane, int threads);

// y[b, :] = 0, then y[b, index[j]] = x[b, j]; the indices must be distinct.
template <class E>
void put_pixels(const E* x, const std::int64_t* index, std::size_t count, E* y,
                std::size_t batch, std::size_t plane, int threads);

// x_bar[b, p] = sum of y_bar[b, j] over the j with index[j] == p (0 where there is none),
// summed in double precision in the order of j.
template <class E>
void take_pixels_vjp(const E* y_bar, const std::int64_t* index, std::size_t count, E* x_bar,
                     std::size_t batch, std::size_t plane, int threads);

}  // namespace phasegrad
