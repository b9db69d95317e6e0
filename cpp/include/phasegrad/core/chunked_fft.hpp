// A batch of strided 1-D transforms run as fixed chunks of single-threaded FFTW plans, shared
// among a team of OpenMP threads dynamically (a thread takes the next chunk when it is free).
//
// Why not FFTW's own threads: a threaded plan splits the batch statically, so on a machine
// where another process keeps one core busy every call waits for the thread that shares it
// (measured: 2.7-3.3x slower on 2 threads than on 1; docs/fused-models.md, "Threads"). The
// chunks here are fixed by the layout alone, never by the team: each transform is computed by
// the same plan whatever the thread count or the order in which threads take chunks, so
// results are bit-for-bit identical on 1, 2 or 16 threads.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <vector>

#include "phasegrad/core/fft.hpp"

namespace phasegrad {

// Transforms per chunk of the models' chunked plans, fixed by the layout alone (never by the
// team): columns in groups of 128 bytes (two cache lines of a row; FFTW vectorises across
// adjacent columns), rows in groups of about 64 KiB. Every engine that chunks its transforms
// (phase retrieval, its batch bound, phase diversity, the imaging stage) uses this one rule.
template <class T>
constexpr std::size_t transform_column_chunk() {
  return 128 / sizeof(std::complex<T>);
}
template <class T>
std::size_t transform_row_chunk(std::size_t grid) {
  return std::max<std::size_t>(1, 65536 / (grid * sizeof(std::complex<T>)));
}
// Rows per chunk of a stage that runs the forward row transforms, a pass over the rows and
// the adjoint row transforms chunk by chunk (the phase-retrieval model's fused rows): about
// 16 KiB up to grids of 1024, so that a team of two shares the stage in finer pieces (at
// N = 256 float32, 32 chunks instead of 8: less time waiting for the last one); beyond,
// transform_row_chunk. Measured on one core, pinned CPU time, 7-9 alternating pairs at load
// 2.2-3.5 (the previous rule = 1): n = 128 / 256 / 512 / 1024 at pad 2, float32 1.02 / 0.97 /
// 0.97 / 1.00, float64 1.00 / 1.01 / 0.96 / 1.03 (16 KiB there too; hence the limit).
template <class T>
std::size_t fused_row_chunk(std::size_t grid) {
  if (grid > 1024) return transform_row_chunk<T>(grid);
  return std::max<std::size_t>(1, 16384 / (grid * sizeof(std::complex<T>)));
}

template <class T>
class ChunkedPlan {
 public:
  ChunkedPlan() = default;

  // `layout`'s howmany transforms in chunks of `chunk` (the last may be shorter), each chunk
  // planned single-threaded on buffers aligned like `in` and `out` at that chunk's offset
  // (which are never touched while planning); execute() runs on `team` threads.
  ChunkedPlan(const StridedBatch& layout, std::size_t chunk, bool inverse,
              const std::complex<T>* in, const std::complex<T>* out, int team);

  // Every chunk, on the team (one thread: in order, no parallel region). Safe inside another
  // parallel region when the team is 1.
  void execute(std::complex<T>* in, std::complex<T>* out) const;

  // Chunk c alone, on the calling thread (for loops that fuse other work with a chunk).
  void execute_chunk(std::size_t c, std::complex<T>* in, std::complex<T>* out) const;

  // The same plans run on another team.
  ChunkedPlan with_team(int team) const;

  std::size_t chunks() const { return plans_.size(); }
  std::size_t chunk_size() const { return chunk_; }
  // Transforms [first(c), first(c) + count(c)) make chunk c.
  std::size_t first(std::size_t c) const { return c * chunk_; }
  std::size_t count(std::size_t c) const;

 private:
  StridedBatch layout_{};
  std::size_t chunk_ = 1;
  int team_ = 1;
  std::vector<StridedPlan<T>> plans_;
};

}  // namespace phasegrad
