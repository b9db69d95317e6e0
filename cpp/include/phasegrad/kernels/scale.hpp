// y *= s over a buffer: the normalisation pass of scaled transforms.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

#include "phasegrad/parallel.hpp"

namespace phasegrad {

template <class T>
void scale_inplace(std::complex<T>* data, std::size_t n, T s, int threads) {
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) data[i] *= s;
}

}  // namespace phasegrad
