// fftshift / ifftshift over the last two axes: a cyclic roll of rows and columns, done as one
// pass (two contiguous copies per output row), correct for odd sizes.
#pragma once

#include <cstddef>

namespace phasegrad {

// out[b, (r + row_shift) % rows, (c + col_shift) % cols] = in[b, r, c] for `batch` planes,
// with 0 <= row_shift < rows and 0 <= col_shift < cols. fftshift is (rows / 2, cols / 2);
// ifftshift, its inverse, is (rows - rows / 2, cols - cols / 2). Element types: float, double,
// std::complex<float>, std::complex<double>. in and out must not overlap.
template <class E>
void roll_planes(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
                 std::size_t row_shift, std::size_t col_shift, int threads);

}  // namespace phasegrad
