// Zero-padding and cropping with top-left placement (Eq. 59, 60): one kernel for both, since
// each is the other's reverse rule and both are "copy the common top-left block, zeros around".
#pragma once

#include <cstddef>

namespace phasegrad {

// out[b, r, c] = in[b, r, c] for r < min(in_rows, out_rows), c < min(in_cols, out_cols), for
// `batch` planes: in is batch x in_rows x in_cols, out is batch x out_rows x out_cols (either
// may be larger along either axis). Writes that block only, one pass: where out extends beyond
// in, the caller hands it over zeroed. Allocated by calloc (numpy.zeros), such memory costs
// nothing until it is touched, and this copy never touches it, as NumPy's own zero-padding
// y = zeros(...); y[:n, :m] = x. Element types: float, double, std::complex<float>,
// std::complex<double>.
template <class E>
void copy_top_left(const E* in, std::size_t in_rows, std::size_t in_cols, E* out,
                   std::size_t out_rows, std::size_t out_cols, std::size_t batch, int threads);

}  // namespace phasegrad
