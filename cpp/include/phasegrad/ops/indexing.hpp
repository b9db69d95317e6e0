// Kernels of the indexing ops, over the last two axes of a stack of planes: pixels picked by
// flat index or by a boolean mask (take, put, take's reverse rule), zero-padding and cropping
// (copy_top_left), and fftshift / ifftshift. Element types: float, double,
// std::complex<float>, std::complex<double> (explicit instantiations in
// src/ops/indexing_*.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace phasegrad::ops {

// ---- take / put (Eq. 59, 60, 62) ------------------------------------------------------------
//
// take is a gather, put an assignment into a zero plane, and take's reverse rule a scatter
// that accumulates repeated indices. Planes are `plane` contiguous elements, `batch` of them
// one after the other; the picked pixels of a plane are `count` contiguous elements. The index
// functions check their indices before any parallel region and throw std::invalid_argument for
// one outside [0, plane) or a repeated pixel given to put, so nothing is written out of bounds
// whoever calls them; the mask functions read a layout made from the mask itself (the caller
// sizes y, or checks that x holds count() values per plane).

// y[b, j] = x[b, index[j]].
template <class E>
void take(const E* x, const std::int64_t* index, std::size_t count, E* y, std::size_t batch,
          std::size_t plane, int threads);

// y[b, :] = 0, then y[b, index[j]] = x[b, j]; the indices must be distinct.
template <class E>
void put(const E* x, const std::int64_t* index, std::size_t count, E* y, std::size_t batch,
         std::size_t plane, int threads);

// x_bar[b, p] = sum of y_bar[b, j] over the j with index[j] == p (0 where there is none),
// summed in double precision in the order of j.
template <class E>
void take_vjp(const E* y_bar, const std::int64_t* index, std::size_t count, E* x_bar,
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
void take(const E* x, const MaskLayout& layout, E* y, std::size_t batch, int threads);

// y[b, p] = the next value of x[b, :] where mask[p], else 0 (x holds batch x count()): put,
// and take's reverse rule, with a mask (whose pixels never repeat). One pass over y.
template <class E>
void put(const E* x, const MaskLayout& layout, E* y, std::size_t batch, int threads);

// ---- pad / crop (Eq. 59, 60) ----------------------------------------------------------------
//
// Zero-padding and cropping with top-left placement: one kernel for both, since each is the
// other's reverse rule and both are "copy the common top-left block, zeros around".

// out[b, r, c] = in[b, r, c] for r < min(in_rows, out_rows), c < min(in_cols, out_cols), for
// `batch` planes: in is batch x in_rows x in_cols, out is batch x out_rows x out_cols (either
// may be larger along either axis). Writes that block only, one pass: where out extends beyond
// in, the caller hands it over zeroed. Allocated by calloc (numpy.zeros), such memory costs
// nothing until it is touched, and this copy never touches it, as NumPy's own zero-padding
// y = zeros(...); y[:n, :m] = x.
template <class E>
void copy_top_left(const E* in, std::size_t in_rows, std::size_t in_cols, E* out,
                   std::size_t out_rows, std::size_t out_cols, std::size_t batch, int threads);

// ---- fftshift / ifftshift ---------------------------------------------------------------------

// numpy.fft.fftshift (or, when `inverse`, ifftshift) of each rows x cols plane: a cyclic roll
// by (rows / 2, cols / 2) (ifftshift: back by the same amount), done as one pass (two
// contiguous copies per output row), correct for odd sizes. in and out must not overlap.
template <class E>
void fftshift(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
              bool inverse, int threads);

}  // namespace phasegrad::ops
