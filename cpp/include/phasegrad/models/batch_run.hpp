// How a native batch runs its problems (models/phase_retrieval_batch.hpp, models/imaging_batch.hpp):
// B problems that share a model's configuration but not their data, each computed by one of the
// batch's engines (a single model: its work buffers; FFTW's plans from the process-wide plan
// cache) pointed at that problem's data first.
//
// Two schedules (BatchSchedule):
//   problems    OpenMP across the problems: each thread owns one engine and, for each problem
//               it takes (dynamically, one at a time), points it at the problem's data and runs
//               the single model's call on one thread.
//   transforms  the problems one after another on engine 0, each call with every thread inside
//               its passes and transforms (the single model's own threading).
// automatic (the default) runs across the problems whenever more than one thread and more than
// one active problem are there, at every grid size (measured in docs/batch.md: never slower,
// as independent problems need no synchronisation where the transforms' threads meet at every
// pass). With one thread, or one active problem, the problems run in turn.
//
// accumulate_system adds one plane's Gauss-Newton products to a problem's system (the batches'
// native gauss_newton). Inactive problems (active[b] == 0) are skipped. An exception in one problem is kept and
// rethrown after the parallel region (none may leave it).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

namespace phasegrad::models {

enum class BatchSchedule { automatic, problems, transforms };

// Whether a call of `problems` problems on `threads` threads runs across the problems.
inline bool batch_across_problems(std::size_t problems, int threads, BatchSchedule schedule) {
  if (threads <= 1 || problems <= 1) return false;
  return schedule != BatchSchedule::transforms;
}

// Runs point(engine, b) then body(engine, b, engine_threads) for every active problem b of
// `problems`; `engines` grows (by make()) to the team's size.
template <class Engine, class Make, class Point, class Body>
void run_batch(std::vector<std::unique_ptr<Engine>>& engines, Make&& make, std::size_t problems,
               const unsigned char* active, int threads, BatchSchedule schedule, Point&& point,
               Body&& body) {
  std::vector<std::size_t> todo;
  todo.reserve(problems);
  for (std::size_t b = 0; b < problems; ++b) {
    if (active == nullptr || active[b]) todo.push_back(b);
  }
  if (engines.empty()) engines.push_back(make());
  if (!batch_across_problems(todo.size(), threads, schedule)) {
    Engine& engine = *engines.front();
    for (const std::size_t b : todo) {
      point(engine, b);
      body(engine, b, threads);
    }
    return;
  }
  const int team = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads),
                                                           todo.size()));
  while (engines.size() < static_cast<std::size_t>(team)) engines.push_back(make());
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const long long count = static_cast<long long>(todo.size());
#pragma omp parallel num_threads(team)
  {
    Engine& engine = *engines[static_cast<std::size_t>(omp_get_thread_num())];
#pragma omp for schedule(dynamic, 1)
    for (long long i = 0; i < count; ++i) {
      const std::size_t b = todo[static_cast<std::size_t>(i)];
      try {
        point(engine, b);
        body(engine, b, 1);
      } catch (...) {
        std::lock_guard<std::mutex> guard(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// jtj (C, C) += jt jt^T and jtr (C) += jt r for the transposed Jacobian jt (C, rows) of one plane
// and its residuals r (rows): row i against rows j, j + 1, j + 2, j + 3 (and r) in one sweep,
// four independent sums that share the loads of row i; the lower triangle mirrored.
inline void accumulate_system(const double* jt, const double* r, std::size_t columns,
                              std::size_t rows, double* jtj, double* jtr) {
  auto add = [&](std::size_t i, std::size_t j, double sum) {
    jtj[i * columns + j] += sum;
    if (j != i) jtj[j * columns + i] += sum;
  };
  for (std::size_t i = 0; i < columns; ++i) {
    const double* a = jt + i * rows;
    std::size_t j = 0;
    for (; j + 4 <= i + 1; j += 4) {
      const double *b0 = jt + j * rows, *b1 = b0 + rows, *b2 = b1 + rows, *b3 = b2 + rows;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
      for (std::size_t q = 0; q < rows; ++q) {
        s0 += a[q] * b0[q];
        s1 += a[q] * b1[q];
        s2 += a[q] * b2[q];
        s3 += a[q] * b3[q];
      }
      add(i, j, s0);
      add(i, j + 1, s1);
      add(i, j + 2, s2);
      add(i, j + 3, s3);
    }
    // The rest of the row (up to three products) with J^T r.
    double s0 = 0, s1 = 0, s2 = 0, sr = 0;
    const std::size_t left = i + 1 - j;
    const double* b0 = left > 0 ? jt + j * rows : a;  // no row j past the last: a again
    const double* b1 = left > 1 ? b0 + rows : b0;
    const double* b2 = left > 2 ? b0 + 2 * rows : b0;
#pragma omp simd reduction(+ : s0, s1, s2, sr)
    for (std::size_t q = 0; q < rows; ++q) {
      s0 += a[q] * b0[q];
      s1 += a[q] * b1[q];
      s2 += a[q] * b2[q];
      sr += a[q] * r[q];
    }
    if (left > 0) add(i, j, s0);
    if (left > 1) add(i, j + 1, s1);
    if (left > 2) add(i, j + 2, s2);
    jtr[i] += sr;
  }
}

}  // namespace phasegrad::models
