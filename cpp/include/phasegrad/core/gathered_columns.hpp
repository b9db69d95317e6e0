// Columns of a plane transformed in place through a small contiguous scratch: the column stage
// of the fused models' pruned 2-D transforms.
//
// Why: a batch of strided columns (row stride N, a power of two) maps every element of a
// column onto the same few cache sets, and FFTW's strided plans copy them through buffers of
// their own, reading and writing every row. Here each chunk of adjacent columns is copied row
// by row into a small per-thread scratch (contiguous: no set conflicts), transformed there by
// one single-threaded plan vectorised across the adjacent columns, and copied back; only the
// rows that can be non-zero are read (the rest are known zeros: the pupil's padding) and only
// the rows a caller keeps are written (the adjoint's crop). With at most half the rows read or
// written (an even length: a pupil padded 2x or more), each column runs as two transforms of
// half the length (the radix-2 split: zero tail forward, crop in the adjoint; see the .cpp).
//
// As in core/chunked_fft.hpp the chunks are fixed by the layout alone, never by the team, and
// each is transformed by the same plan whoever runs it: results are bit-for-bit identical on
// any number of threads.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

#include "phasegrad/core/fft.hpp"

namespace phasegrad {

template <class T>
class GatheredColumns {
 public:
  GatheredColumns() = default;

  // Columns [0, columns) of a plane of `length` rows with row stride `stride` (elements), in
  // chunks of `chunk` adjacent columns (the last may be narrower): rows [0, read_rows) are
  // read (the others taken as zero), the transforms of length `length` are unnormalised (sign
  // -1, or +1 when `inverse`), and rows [0, write_rows) are written back (the others keep
  // what they held). execute() runs on `team` threads.
  GatheredColumns(std::size_t length, std::size_t columns, std::size_t stride,
                  std::size_t read_rows, std::size_t write_rows, std::size_t chunk,
                  bool inverse, int team);

  // Every chunk, on the team (one thread: in order, no parallel region). Safe inside another
  // parallel region when the team is 1 (each thread has its own scratch).
  void execute(std::complex<T>* plane) const;

  // Chunk c alone, on the calling thread.
  void execute_chunk(std::size_t c, std::complex<T>* plane) const;

  // The same with the rows read from `source` instead (row y at source + y * source_stride,
  // columns [0, columns) of it) and the transforms written into `plane`: a caller that keeps
  // the input apart (the phase-retrieval pupil, (n, n)) need not copy it into the plane first.
  void execute(const std::complex<T>* source, std::size_t source_stride,
               std::complex<T>* plane) const;
  void execute_chunk(std::size_t c, const std::complex<T>* source, std::size_t source_stride,
                     std::complex<T>* plane) const;

  // The same plans run on another team.
  GatheredColumns with_team(int team) const;

  std::size_t chunks() const { return chunk_ == 0 ? 0 : (columns_ + chunk_ - 1) / chunk_; }

 private:
  std::size_t length_ = 0, columns_ = 0, stride_ = 0, read_rows_ = 0, write_rows_ = 0;
  std::size_t chunk_ = 0;
  int team_ = 1;
  // An even length with at most half the rows read (kZeroTail) or written (kCrop) runs as two
  // transforms of half the length; twiddles_: w^y, y < length / 2.
  enum class Split { kNone, kZeroTail, kCrop };
  Split split_ = Split::kNone;
  std::size_t odd_offset_ = 0, scratch_size_ = 0;  // the second half's place; the scratch's size
  std::vector<std::complex<T>> twiddles_;
  StridedPlan<T> full_, last_;  // a whole chunk's transforms, and the last (narrower) chunk's
};

}  // namespace phasegrad
