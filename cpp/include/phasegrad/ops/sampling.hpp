// Kernels of the sampling ops: detector pixel binning and its transpose, pixel tiling
// (Eq. 87-90), over the last two axes. Each is the other's reverse rule.
#pragma once

#include <cstddef>

namespace phasegrad::ops {

// out[b, r, s] = sum_{i < p, j < q} in[b, r p + i, s q + j], summed in double precision:
// in is batch x rows x cols with p dividing rows and q dividing cols; out is
// batch x rows/p x cols/q. One pass over in. Element types: float, double,
// std::complex<float>, std::complex<double>.
template <class E>
void bin(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
         std::size_t p, std::size_t q, int threads);

// out[b, k, l] = in[b, k / p, l / q]: in is batch x rows x cols, out batch x rows p x cols q.
// One pass over out.
template <class E>
void tile(const E* in, E* out, std::size_t batch, std::size_t rows, std::size_t cols,
          std::size_t p, std::size_t q, int threads);

}  // namespace phasegrad::ops
