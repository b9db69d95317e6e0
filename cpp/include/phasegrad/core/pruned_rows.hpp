// The row stage of the fused models' pruned 2-D forward transforms: the rows of an (R, L) plane
// (row stride L) transformed in fixed chunks of single-threaded plans, of which only the first
// `read` columns are read from the plane; the rest of each row is zero (written in a thread's
// scratch, below, never in the plane).
//
// Why: after the column stage of a padded pupil's transform only a row's first n columns can
// be non-zero. Zeroing the other columns in the pass that writes the pupil (as the models did)
// sends them to memory and back every call, half the plane at pad 2 (measured with the
// phase-retrieval model on one core, interleaved in one process: with the zeros written here
// instead a call took 0.86-1.0x the time at n = 128-512, most at 512). A radix-2 split of the zero tail (two transforms of half the
// length, as core/gathered_columns.hpp does for the columns) measured slower on contiguous rows:
// FFTW's whole-row transform costs less than the split's twiddles and interleaving save.
//
// Each chunk goes through a per-thread scratch of two halves, each the chunk's rows
// contiguous: the first `read` columns of its rows copied into the first half and the rest
// zeroed there, the transforms out of place into the second half, and the rows copied back.
// In place on the plane, FFTW's plans for these rows copied through buffers of their own (libc
// memcpy, ~5% of a phase-retrieval call at n = 128 float32, perf), and zeroing a row's tail in
// the plane read each of its lines for ownership first. transform_chunk leaves a chunk's
// transforms in the scratch for a caller that needs only part of them (the phase-retrieval
// model's fused rows, which run pass B and the adjoint transforms there).
//
// As in core/chunked_fft.hpp the chunks (rows per chunk) are fixed by the layout alone, never
// by the team, and each row is transformed by the same plan whoever runs it (and whether by
// execute or transform_chunk): results are bit-for-bit identical on any number of threads.
#pragma once

#include <complex>
#include <cstddef>
#include <utility>
#include <vector>

#include "phasegrad/core/fft.hpp"

namespace phasegrad {

template <class T>
class PrunedRows {
 public:
  PrunedRows() = default;

  // Rows [0, rows) of a plane with rows of `length` elements (row stride `length`), in chunks
  // of `chunk` rows (the last may be shorter): columns [0, read_columns) are read (the others
  // taken as zero: whole rows of the result, their columns past read_columns included, are
  // written back by execute()), the transforms are unnormalised (sign -1, or +1 when
  // `inverse`). Planned on the scratch; execute() runs on `team` threads.
  PrunedRows(std::size_t length, std::size_t rows, std::size_t read_columns, std::size_t chunk,
             bool inverse, int team);

  // Every chunk, on the team (one thread: in order, no parallel region). Safe inside another
  // parallel region when the team is 1.
  void execute(std::complex<T>* plane) const;

  // Chunk c alone, on the calling thread (for loops that fuse other work with a chunk).
  void execute_chunk(std::size_t c, std::complex<T>* plane) const;

  // Chunk c's transforms into the calling thread's scratch, the plane left as it is: the
  // returned rows (count(c) of `length`, contiguous) stay valid until this thread's next call
  // on any PrunedRows<T>.
  std::complex<T>* transform_chunk(std::size_t c, const std::complex<T>* plane) const;

  // The calling thread's scratch: {first half (the transforms' input), second half (their
  // output, transform_chunk's result)}; for a caller's own plans between the two.
  std::pair<std::complex<T>*, std::complex<T>*> scratch() const;

  // The same plans run on another team.
  PrunedRows with_team(int team) const;

  std::size_t chunks() const { return plans_.size(); }
  // Rows [first(c), first(c) + count(c)) make chunk c.
  std::size_t first(std::size_t c) const { return c * chunk_; }
  std::size_t count(std::size_t c) const;

 private:
  std::size_t length_ = 0, rows_ = 0, read_ = 0, chunk_ = 1;
  std::size_t half_ = 0;  // the elements of each half of the scratch (whole cache lines)
  int team_ = 1;
  std::vector<StridedPlan<T>> plans_;  // per chunk (chunks alike share one cached plan)
};

}  // namespace phasegrad
