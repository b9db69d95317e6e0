// OpenMP conventions of the kernels: every parallel region names its thread count explicitly
// (num_threads(n)), small loops run serially, where spawning threads costs more than the work,
// and a thread's contiguous share of a range is share().
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
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

// body(c) for every c in [0, count) on `team` threads: thread t runs its contiguous share
// [t count / team, (t + 1) count / team) from the front, then takes what is left of the
// others' shares from their backs, one item at a time (a slow thread's share is finished by the
// others). Each share is one atomic word, its front and back packed, so an owner's and a
// thief's claims on it cannot both win the last item. Against for_each_chunk, where adjacent
// items go to different threads, each thread here works on adjacent items (measured on the
// far-field hologram's bands and column chunks, docs/holography.md). A team of one runs the items in order without a parallel region.
template <class Body>
void for_each_share_stealing(std::size_t count, int team, Body&& body) {
  const int size = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(team), count));
  if (size <= 1) {
    for (std::size_t c = 0; c < count; ++c) body(c);
    return;
  }
  std::unique_ptr<std::atomic<std::uint64_t>[]> shares(new std::atomic<std::uint64_t>[size]);
  const auto n = static_cast<std::uint64_t>(count), parts = static_cast<std::uint64_t>(size);
  for (int t = 0; t < size; ++t) {
    const std::uint64_t front = n * static_cast<std::uint64_t>(t) / parts;
    const std::uint64_t back = n * static_cast<std::uint64_t>(t + 1) / parts;
    shares[t].store((front << 32) | back, std::memory_order_relaxed);
  }
  constexpr std::uint64_t kLow = 0xffffffffu;
#pragma omp parallel num_threads(size)
  {
    const int self = omp_get_thread_num();
    for (int k = 0; k < size; ++k) {
      const int victim = (self + k) % size;
      std::atomic<std::uint64_t>& share = shares[victim];
      std::uint64_t word = share.load(std::memory_order_relaxed);
      while (true) {
        const std::uint64_t front = word >> 32, back = word & kLow;
        if (front >= back) break;
        // The owner takes its front, a thief the back.
        const std::uint64_t item = k == 0 ? front : back - 1;
        const std::uint64_t next = k == 0 ? ((front + 1) << 32) | back : (front << 32) | (back - 1);
        if (share.compare_exchange_weak(word, next, std::memory_order_relaxed)) {
          body(static_cast<std::size_t>(item));
          word = share.load(std::memory_order_relaxed);
        }
      }
    }
  }
}

}  // namespace phasegrad
