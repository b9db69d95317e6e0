// Pixels picked from each plane of a stack, by flat index or by a boolean mask: take (a gather,
// Eq. 59), put (an assignment into a zero plane, Eq. 60) and take's reverse rule (a scatter
// that accumulates repeated indices, Eq. 62).
//
// Planes are `plane` contiguous elements, `batch` of them one after the other; the picked
// pixels of a plane are `count` contiguous elements. Element types: float, double,
// std::complex<float>, std::complex<double>. The index functions check their indices before
// any parallel region and throw std::invalid_argument for one outside [0, plane) or a
// repeated pixel given to put, so nothing is written out of bounds whoever calls them; the
// mask functions read a layout made from the mask itself (the caller sizes y, or checks that
// x holds count() values per plane).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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

// A mask of `plane` bytes (nonzero: selected) picks its pixels in row-major order. Its layout
// says where each tile of the plane starts among the selected pixels, so that tiles run in
// parallel; count() pixels are selected in all.
struct MaskLayout {
  const std::uint8_t* mask;
  std::size_t plane;
  std::vector<std::size_t> start;  // one entry per tile, and the count last
  std::size_t count() const { return start.back(); }
};

MaskLayout mask_layout(const std::uint8_t* mask, std::size_t plane, int threads);

// y[b, :] = x[b, mask]: the selected pixels of each plane (y holds batch x count()), copied
// run by run of consecutive selected pixels.
template <class E>
void take_masked(const E* x, const MaskLayout& layout, E* y, std::size_t batch, int threads);

// y[b, p] = the next value of x[b, :] where mask[p], else 0 (x holds batch x count()): put,
// and take's reverse rule, with a mask (whose pixels never repeat). One pass over y.
template <class E>
void put_masked(const E* x, const MaskLayout& layout, E* y, std::size_t batch, int threads);

}  // namespace phasegrad
