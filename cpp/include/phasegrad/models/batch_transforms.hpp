// What no batch of phase-retrieval problems can beat (python -m phasegrad.bench.batch): the
// FFTW transforms every problem of a point-source batch needs, and nothing else. Per problem
// and diversity plane, on the padded (N, N) field, exactly the pruned transforms the kernel
// runs (models/phase_retrieval.hpp, Jurling & Fienup Eq. 99-101): forward, the n columns that
// hold the pupil and then every row; adjoint, every row and then the n columns the crop keeps.
// The plans are the kernel's (the same layouts, chunks and alignment, so the process-wide
// plan cache hands out the same FFTW plans); each thread transforms its own zeroed field (an
// unnormalised round trip multiplies by N^2: zeros never overflow, and FFTW's arithmetic is
// the same whatever the values). The problems are split across the threads as the batch
// splits them (dynamically, one at a time); a problem's transforms run on its thread without
// a parallel region of their own.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/chunked_fft.hpp"

namespace phasegrad::models {

template <class T>
class BatchTransforms {
 public:
  // A pupil of n x n padded to grid x grid, `planes` planes per problem, `problems` problems.
  BatchTransforms(std::size_t n, std::size_t grid, std::size_t planes, std::size_t problems);

  // Every problem's transforms, the problems across `threads` threads.
  void run(int threads);

  // 1-D transforms per problem: planes * 2 (n + N).
  std::size_t transforms_per_problem() const;

 private:
  std::size_t n_, grid_, planes_, problems_;
  std::vector<Buffer<std::complex<T>>> fields_;  // one zeroed (N, N) field per thread
  ChunkedPlan<T> columns_, rows_, rows_adjoint_, columns_adjoint_;
};

}  // namespace phasegrad::models
