// Passes over a "batch x inner" layout, split among OpenMP threads: the layout every broadcast
// of phasegrad's arithmetic kernels is reduced to. A "full" operand has batch * inner
// elements; a "small" one has inner elements and is repeated over the batch (element k of the
// full operand meets element k % inner of the small one). inner == batch * inner is two arrays
// of one size, inner == 1 a scalar.
//
// Every driver names its thread count explicitly, runs small passes serially
// (threads_for), allocates before its parallel region, and calls bodies that must not throw.
// Sums accumulate in double, in an order that depends on the thread count only where the text
// says so.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad {

// Calls segment(k0, k1, i0) on contiguous pieces [k0, k1) of [0, n) that never cross a
// multiple of inner: element k of a piece meets small element i0 + (k - k0). Each thread
// takes one contiguous share of [0, n). With inner == n, each thread gets a single piece.
template <class Segment>
void for_each_segment(std::size_t n, std::size_t inner, int threads, Segment&& segment) {
  const int nt = threads_for(n, threads);
#pragma omp parallel num_threads(nt)
  {
    const auto [begin, end] = share(n, omp_get_thread_num(), omp_get_num_threads());
    std::size_t k = begin;
    while (k < end) {
      const std::size_t i = k % inner;
      const std::size_t stop = std::min(end, k + (inner - i));
      segment(k, stop, i);
      k = stop;
    }
  }
}

// Elements summed into one accumulator before the running total takes them: keeps the
// rounding error of long sums near that of pairwise summation.
constexpr std::size_t kSumChunk = 4096;

// total = the sum over [0, n) of chunk(k0, k1), the sum of the pieces [k0, k1) that chunk
// computes itself (with any element-wise outputs it writes along the way). Per-thread totals
// are added in thread order: the rounding depends on the thread count.
template <class Acc, class Chunk>
Acc sum_all(std::size_t n, int threads, Chunk&& chunk) {
  const int nt = threads_for(n, threads);
  std::vector<Acc> totals(static_cast<std::size_t>(nt), Acc(0));
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    const auto [begin, end] = share(n, t, omp_get_num_threads());
    Acc total(0);
    for (std::size_t k = begin; k < end; k += kSumChunk) {
      total += chunk(k, std::min(end, k + kSumChunk));
    }
    totals[static_cast<std::size_t>(t)] = total;
  }
  Acc total(0);
  for (const Acc& part : totals) total += part;
  return total;
}

// The sum over k in [k0, k1) of term(k) (which may also write element-wise outputs), in four
// interleaved running sums: a fixed order that keeps four additions in flight instead of
// waiting on one chain of them.
template <class Acc, class Term>
Acc sum_terms(std::size_t k0, std::size_t k1, Term&& term) {
  Acc s0(0), s1(0), s2(0), s3(0);
  std::size_t k = k0;
  for (; k + 4 <= k1; k += 4) {
    s0 += term(k);
    s1 += term(k + 1);
    s2 += term(k + 2);
    s3 += term(k + 3);
  }
  for (; k < k1; ++k) s0 += term(k);
  return (s0 + s1) + (s2 + s3);
}

// Inner elements per block when threads split the inner axis: each row is read in runs long
// enough for the hardware prefetcher (a run per row and block: short runs of rows a power of
// two apart measured ~1.5x slower), while the block's double accumulators (1 MiB at most)
// stay in cache.
constexpr std::size_t kInnerBlock = 65536;

// sums[i] = the sum over b of the contributions row(b, i0, i1, acc) adds to acc[i - i0] for
// the elements [i0, i1) of row b (row also writes any element-wise outputs). For inner >= 2.
// A long inner axis is split among threads in blocks, and every sum then runs over the batch
// in order (the result does not depend on the thread count); a short one with a long batch is
// split over the batch, and per-thread partial sums are added in thread order.
template <class Acc, class Row>
void sum_over_leading(std::size_t batch, std::size_t inner, int threads, Acc* sums, Row&& row) {
  const int nt = threads_for(batch * inner, threads);
  if (nt == 1 || inner >= kInnerBlock * static_cast<std::size_t>(nt)) {
    const std::size_t blocks = (inner + kInnerBlock - 1) / kInnerBlock;
    const std::size_t room = std::min(inner, kInnerBlock);
    std::vector<Acc> scratch(static_cast<std::size_t>(nt) * room);
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num();
      Acc* acc = scratch.data() + static_cast<std::size_t>(t) * room;
      const auto [first, last] = share(blocks, t, omp_get_num_threads());
      for (std::size_t block = first; block < last; ++block) {
        const std::size_t i0 = block * kInnerBlock, i1 = std::min(inner, i0 + kInnerBlock);
        std::fill(acc, acc + (i1 - i0), Acc(0));
        for (std::size_t b = 0; b < batch; ++b) row(b, i0, i1, acc);
        std::copy(acc, acc + (i1 - i0), sums + i0);
      }
    }
    return;
  }
  std::vector<Acc> partial(static_cast<std::size_t>(nt) * inner, Acc(0));
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    const auto [first, last] = share(batch, t, omp_get_num_threads());
    Acc* acc = partial.data() + static_cast<std::size_t>(t) * inner;
    for (std::size_t b = first; b < last; ++b) row(b, std::size_t{0}, inner, acc);
  }
  for (std::size_t i = 0; i < inner; ++i) {
    Acc total(0);
    for (int t = 0; t < nt; ++t) total += partial[static_cast<std::size_t>(t) * inner + i];
    sums[i] = total;
  }
}

}  // namespace phasegrad
