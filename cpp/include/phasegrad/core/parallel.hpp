// OpenMP conventions of the kernels: every parallel region names its thread count explicitly
// (num_threads(n)), small loops run serially, where spawning threads costs more than the work,
// and a thread's contiguous share of a range is share().
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>

namespace phasegrad {

// Elements below which a single pass over memory runs on one thread.
constexpr std::size_t kParallelGrain = std::size_t{1} << 15;

inline int threads_for(std::size_t elements, int threads) {
  return (elements < kParallelGrain || threads < 1) ? 1 : threads;
}

// Thread t's share [begin, end) of n items split as evenly as possible among nt threads.
inline std::pair<std::size_t, std::size_t> share(std::size_t n, int t, int nt) {
  const auto parts = static_cast<std::size_t>(nt), index = static_cast<std::size_t>(t);
  const std::size_t base = n / parts, extra = n % parts;
  const std::size_t begin = index * base + std::min(index, extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

// body(c) for every c in [0, count), the c handed out one at a time to whichever of `team`
// threads is free (a slow thread takes fewer). A team of one (or a single chunk) runs them in
// order on the calling thread without a parallel region: even a one-thread region makes and
// frees a team, about 1.5 us at the top level and more nested inside another region.
template <class Body>
void for_each_chunk(std::size_t count, int team, Body&& body) {
  const auto chunks = static_cast<long long>(count);
  const int size = static_cast<int>(std::min<long long>(team, chunks));
  if (size <= 1) {
    for (std::size_t c = 0; c < count; ++c) body(c);
    return;
  }
#pragma omp parallel for num_threads(size) schedule(dynamic, 1)
  for (long long c = 0; c < chunks; ++c) body(static_cast<std::size_t>(c));
}

}  // namespace phasegrad
