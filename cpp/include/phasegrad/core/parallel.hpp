// OpenMP conventions of the kernels: every parallel region names its thread count explicitly
// (num_threads(n)), and small loops run serially, where spawning threads costs more than the
// work.
#pragma once

#include <cstddef>

namespace phasegrad {

// Elements below which a single pass over memory runs on one thread.
constexpr std::size_t kParallelGrain = std::size_t{1} << 15;

inline int threads_for(std::size_t elements, int threads) {
  return (elements < kParallelGrain || threads < 1) ? 1 : threads;
}

}  // namespace phasegrad
