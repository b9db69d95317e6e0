// The native batch of imaging problems (python/phasegrad/models/batch.py): B problems that share a
// FusedImaging configuration (optics, window, metric, object kind, free blocks) but not their data,
// and optionally not their weights, computed in one call on models/batch_run.hpp's schedule: one
// FusedImaging engine per thread, pointed at each problem's data and weights in turn
// (FusedImaging::set_data, which makes the Poisson metric's constants of the data again).
//
// Each block of a call (models/imaging.hpp's ImagingBlocks) is shared by every problem (a fixed
// block: a known object, fixed flux, background, shift or jitter) or per problem (a free block:
// row b of a (B, ...) array); `stride` gives the values between problems' rows (0: shared).
// Gradients are always per problem. Problem b's results equal a single FusedImaging's on its data
// called with the thread count its engine ran on, bit for bit (below N = 256 the single model
// runs on one thread whatever it is asked: models/phase_retrieval.hpp's engine_threads).
// Inactive problems (active[b] == 0) are skipped: their outputs are left untouched.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "phasegrad/models/batch_run.hpp"
#include "phasegrad/models/imaging.hpp"

namespace phasegrad::models {

// The blocks of every problem: `base` holds problem 0's pointers (and a shared jitter value);
// stride[block] the values between consecutive problems' (0: shared). A per-problem jitter is
// read from jitters[b * stride[jitter]].
template <class T>
struct ImagingBatchBlocks {
  ImagingBlocks<T> base;
  std::array<std::size_t, 10> stride{};
  const double* jitters = nullptr;
  ImagingBlocks<T> at(std::size_t b) const;
};

// Gradients of the free blocks of every problem, problem b's at base + b * stride[block].
template <class T>
struct ImagingBatchGrads {
  ImagingGrads<T> base;
  std::array<std::size_t, 10> stride{};
  ImagingGrads<T> at(std::size_t b) const;
};

template <class T>
class FusedImagingBatch {
 public:
  // config.data: (B, P, M, M) of `problems` problems; config.weights: (B, P, M, M) with
  // per_problem_weights, else (P, M, M) shared or null; read_noises: (B,) each problem's read
  // noise of the Poisson metric (its shift depends on the data), or empty for config's. The
  // arrays must outlive the batch.
  FusedImagingBatch(const ImagingConfig<T>& config, std::size_t problems,
                    bool per_problem_weights, std::vector<double> read_noises);
  FusedImagingBatch(const FusedImagingBatch&) = delete;
  FusedImagingBatch& operator=(const FusedImagingBatch&) = delete;

  void value_and_grad(const ImagingBatchBlocks<T>& blocks, const ImagingBatchGrads<T>& grads,
                      const unsigned char* active, double* energies, int threads,
                      BatchSchedule schedule);
  // images (B, P, M, M); r and r_dot (B, P M^2).
  void simulate(const ImagingBatchBlocks<T>& blocks, const unsigned char* active, T* images,
                int threads, BatchSchedule schedule);
  void residuals(const ImagingBatchBlocks<T>& blocks, const unsigned char* active, double* r,
                 int threads, BatchSchedule schedule);
  void jvp(const ImagingBatchBlocks<T>& blocks, const ImagingBatchBlocks<T>& dots,
           const unsigned char* active, double* r_dot, int threads, BatchSchedule schedule);

  // The Gauss-Newton system of every active problem for the free blocks `free` (in that order,
  // C values in all): jtj (B, C, C) = J^T J and jtr (B, C) = J^T r, plane by plane from the
  // engine's Jacobian of the plane (FusedImaging::jacobian, into one per-thread buffer) and its
  // residuals (models/batch_run.hpp's accumulate_system; to rounding of BLAS's products).
  void gauss_newton(const ImagingBatchBlocks<T>& blocks, const std::vector<ImagingBlock>& free,
                    const unsigned char* active, double* jtj, double* jtr, int threads,
                    BatchSchedule schedule);

  std::size_t problems() const { return problems_; }
  std::size_t image_values() const;  // P M^2 per problem
  std::size_t block_size(ImagingBlock block) const { return engines_.front()->block_size(block); }
  bool across_problems(int threads, BatchSchedule schedule) const {
    return batch_across_problems(problems_, threads, schedule);
  }
  std::size_t workspace_bytes() const;
  const ImagingConfig<T>& config() const { return cfg_; }

 private:
  template <class Body>
  void run(const unsigned char* active, int threads, BatchSchedule schedule, Body&& body);

  ImagingConfig<T> cfg_;
  std::size_t problems_ = 0;
  bool per_problem_weights_ = false;
  std::vector<double> read_noises_;
  std::vector<std::unique_ptr<FusedImaging<T>>> engines_;
  std::mutex mutex_;
};

}  // namespace phasegrad::models
