// The native batch of phase-retrieval problems (python/phasegrad/models/batch.py): B problems
// that share a FusedPhaseRetrieval configuration (pupil, basis, diversity, grid, binning,
// wavelengths, detector kind) but not their data, and optionally not their weights, computed
// in one call.
//
// The schedule (problems in parallel, or the threads inside each problem's transforms) is
// models/batch_run.hpp's.
// Problem b's results equal those of a single FusedPhaseRetrieval made on its data and called
// with the thread count its engine ran on, bit for bit. Against a single model called with T > 1
// threads they are bit for bit below N = 256 (where the single model runs on one thread
// anyway, FusedPhaseRetrieval::engine_threads) and equal to rounding (~1e-15 relative: the
// per-thread partial sums add in another grouping) from N = 256 on.
//
// Inactive problems (active[b] == 0) are skipped: their outputs are left untouched.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "phasegrad/models/batch_run.hpp"
#include "phasegrad/models/phase_retrieval.hpp"

namespace phasegrad::models {

template <class T>
class FusedPhaseRetrievalBatch {
 public:
  // config.data: (B, P, M, M) of `problems` problems; config.weights: (B, P, M, M) with
  // per_problem_weights, else (P, M, M) shared or null. The arrays must outlive the batch.
  FusedPhaseRetrievalBatch(const PhaseRetrievalConfig<T>& config, std::size_t problems,
                           bool per_problem_weights);
  FusedPhaseRetrievalBatch(const FusedPhaseRetrievalBatch&) = delete;
  FusedPhaseRetrievalBatch& operator=(const FusedPhaseRetrievalBatch&) = delete;

  // Per problem b (row b of each (B, ...) array): params (B, K) in the model's precision
  // (K = modes, or n * n for a map); detectors (B, 3) doubles for a quadratic detector or null;
  // active (B,) flags or null (all). Outputs are written for the active problems only.
  void value_and_grad(const T* params, const double* detectors, const unsigned char* active,
                      double* energies, T* params_bar, double* detectors_bar, int threads,
                      BatchSchedule schedule);
  void simulate(const T* params, const double* detectors, const unsigned char* active,
                T* images, int threads, BatchSchedule schedule);
  void residuals(const T* params, const double* detectors, const unsigned char* active,
                 double* r, int threads, BatchSchedule schedule);
  void jvp(const T* params, const double* detectors, const T* params_dot,
           const double* detectors_dot, const unsigned char* active, double* r_dot, int threads,
           BatchSchedule schedule);

  // The Gauss-Newton system of every active problem: jtj (B, C, C) = J^T J and jtr (B, C) = J^T r,
  // C = K (+ 3 with detectors), accumulated plane by plane in double from the engine's Jacobian
  // of the plane (FusedPhaseRetrieval::jacobian, into one per-thread buffer) and its residuals,
  // as PhaseRetrieval.gauss_newton does with BLAS (the sums group differently: to rounding).
  void gauss_newton(const T* params, const double* detectors, const unsigned char* active,
                    double* jtj, double* jtr, int threads, BatchSchedule schedule);

  std::size_t problems() const { return problems_; }
  std::size_t parameters() const;   // K per problem
  std::size_t image_values() const;  // P M^2 per problem
  // Whether a call with `threads` runs across the problems.
  bool across_problems(int threads, BatchSchedule schedule) const;
  std::size_t workspace_bytes() const;
  const PhaseRetrievalConfig<T>& config() const { return cfg_; }

 private:
  template <class Body>
  void run(const unsigned char* active, int threads, BatchSchedule schedule, Body&& body);

  PhaseRetrievalConfig<T> cfg_;
  std::size_t problems_ = 0;
  bool per_problem_weights_ = false;
  std::vector<std::unique_ptr<FusedPhaseRetrieval<T>>> engines_;
  std::mutex mutex_;
};

}  // namespace phasegrad::models
