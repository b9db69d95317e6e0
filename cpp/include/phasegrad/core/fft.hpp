// Batched 2-D FFTs over the last two axes, through cached FFTW plans.
//
// Plans are made once per (precision, rows, cols, batch, direction, threads, planner effort,
// in-place, input and output alignment) and kept for the life of the process. Planning happens
// on aligned scratch buffers (never on caller data: FFTW_MEASURE overwrites its arrays) under
// one process-wide lock that also covers fftw_plan_with_nthreads, destroy and wisdom;
// execution uses the new-array execute functions on caller buffers whose alignment matches the
// plan's, outside the lock.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace phasegrad {

// The version string of the linked FFTW ("fftw-3.3.10-sse2-avx").
const char* fftw_version_string();

// The process-wide lock for FFTW's planner, plan destruction, fftw_plan_with_nthreads and
// wisdom. A fork handler holds it across fork(), so a child never inherits it locked.
std::mutex& fftw_planner_mutex();

// Planner effort for plans made from now on: FFTW_ESTIMATE, FFTW_MEASURE or FFTW_PATIENT.
enum class PlannerEffort { estimate, measure, patient };
void set_planner_effort(PlannerEffort effort);
PlannerEffort planner_effort();

// Checking new plans (off by default; the per-user wisdom cache turns it on, so that what it
// keeps was measured twice): a FFTW_MEASURE or FFTW_PATIENT plan the wisdom does not hold yet is
// planned twice, the wisdom put back in between so that FFTW measures afresh, both plans are
// timed in turn (the fastest of five samples each) and the faster one is kept with its wisdom.
// The counts: plans checked so far, and how many of them kept the second planning.
void set_plan_check(bool enabled);
bool plan_check_enabled();
struct PlanCheckCounts {
  std::size_t checked, second_kept;
};
PlanCheckCounts plan_check_counts();

// Unnormalised 2-D DFT of `batch` contiguous rows x cols planes from `in` to `out` (which may
// be the same buffer): sign -1, or +1 when `inverse`. `in` is not modified when in != out.
// Throws std::invalid_argument for extents FFTW's int interface cannot hold and
// std::runtime_error if FFTW cannot plan.
template <class T>
void dft2_unnormalized(const std::complex<T>* in, std::complex<T>* out, std::size_t batch,
                       std::size_t rows, std::size_t cols, bool inverse, int threads);

// A batch of 1-D transforms of length `length`: transform j reads in[j * idist + k * istride]
// and writes out[j * odist + k * ostride] (element units). Rows, columns or any strided subset
// of a plane, for the pruned transforms of the fused models.
struct StridedBatch {
  std::size_t length, howmany, istride, idist, ostride, odist;
};

// A cached plan held for repeated execution (a fused model plans once and executes every
// call). It must run on buffers laid out and aligned like the ones it was planned for; the
// plan stays valid after clear_plan_cache() (shared ownership).
template <class T>
class StridedPlan {
 public:
  StridedPlan() = default;
  explicit StridedPlan(std::shared_ptr<void> plan) : plan_(std::move(plan)) {}
  // Unnormalised transform (sign -1, or +1 when planned inverse) from `in` to `out`.
  void execute(std::complex<T>* in, std::complex<T>* out) const;

 private:
  std::shared_ptr<void> plan_;
};

// The cached plan for `layout` on buffers aligned like `in` and `out` (in place when they are
// the same pointer), run on `threads` threads. Neither buffer is touched while planning.
template <class T>
StridedPlan<T> plan_strided_dft1(const StridedBatch& layout, bool inverse,
                                 const std::complex<T>* in, const std::complex<T>* out,
                                 int threads);

// A cached 2-D real transform held for repeated execution, out of place: forward, rows x cols
// real -> rows x (cols / 2 + 1) complex (the half spectrum, unnormalised, sign -1); inverse,
// the half spectrum -> rows x cols real (unnormalised, sign +1), which overwrites its input
// and reads the half spectrum as Hermitian (the k_x = 0 and k_x = cols / 2 columns too).
template <class T>
class RealPlan {
 public:
  RealPlan() = default;
  explicit RealPlan(std::shared_ptr<void> plan) : plan_(std::move(plan)) {}
  void forward(T* in, std::complex<T>* out) const;
  void inverse(std::complex<T>* in, T* out) const;
  bool valid() const { return plan_ != nullptr; }

 private:
  std::shared_ptr<void> plan_;
};

// The cached plan of a rows x cols real transform (inverse: half spectrum to real) on buffers
// aligned like `real` and `half` (never touched while planning), run on `threads` threads.
template <class T>
RealPlan<T> plan_real_dft2(std::size_t rows, std::size_t cols, bool inverse, const T* real,
                           const std::complex<T>* half, int threads);

// Number of cached plans (both precisions), and dropping them all.
std::size_t cached_plan_count();
void clear_plan_cache();

// FFTW wisdom of both precisions, as text: export, and import (false when FFTW rejects it).
std::string export_wisdom_double();
std::string export_wisdom_float();
bool import_wisdom_double(const std::string& text);
bool import_wisdom_float(const std::string& text);
// Forget all FFTW wisdom of both precisions and import these texts instead, under one hold of
// the planner lock (whether FFTW accepted each). Plans already made are kept: clear the plan
// cache first for later plans to come from the new wisdom only.
std::pair<bool, bool> replace_wisdom(const std::string& double_text,
                                     const std::string& float_text);

}  // namespace phasegrad
