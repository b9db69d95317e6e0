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

}  // namespace phasegrad
