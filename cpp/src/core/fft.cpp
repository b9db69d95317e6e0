// The only translation unit that talks to FFTW's planner. See core/fft.hpp for the rules it
// keeps.
#include "phasegrad/core/fft.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/fftw_api.hpp"

namespace phasegrad {

namespace {

std::mutex planner_mutex;

// Hold the planner lock across fork(), so the child never inherits it held by a thread that
// does not exist there.
struct ForkGuard {
  ForkGuard() {
    pthread_atfork([] { planner_mutex.lock(); }, [] { planner_mutex.unlock(); },
                   [] { planner_mutex.unlock(); });
  }
} fork_guard;

std::atomic<PlannerEffort> effort{PlannerEffort::measure};

unsigned effort_flag(PlannerEffort e) {
  switch (e) {
    case PlannerEffort::estimate: return FFTW_ESTIMATE;
    case PlannerEffort::patient: return FFTW_PATIENT;
    case PlannerEffort::measure: break;
  }
  return FFTW_MEASURE;
}

// Everything that changes the plan FFTW makes. Rank 2: `howmany` contiguous n0 x n1 planes.
// Rank 1: `howmany` transforms of length n0 with the given strides and distances (elements).
// Rank 3: one n0 x n1 real transform, out of place (r2c, or c2r when `inverse`).
struct PlanKey {
  int rank;
  std::size_t n0, n1, howmany, istride, idist, ostride, odist;
  bool inverse, inplace;
  int threads, align_in, align_out;
  PlannerEffort effort;
  bool operator==(const PlanKey& o) const {
    return rank == o.rank && n0 == o.n0 && n1 == o.n1 && howmany == o.howmany &&
           istride == o.istride && idist == o.idist && ostride == o.ostride && odist == o.odist &&
           inverse == o.inverse && inplace == o.inplace && threads == o.threads &&
           align_in == o.align_in && align_out == o.align_out && effort == o.effort;
  }
  // Elements spanned by the input (or output) of the whole batch; std::bad_alloc when the
  // count does not fit a size_t (it would wrap around to a small scratch buffer).
  std::size_t extent(std::size_t stride, std::size_t dist) const {
    std::size_t a = 0, b = 0, total = 0;
    bool wraps = false;
    if (rank >= 2) {
      wraps = __builtin_mul_overflow(howmany, n0, &a) || __builtin_mul_overflow(a, n1, &total);
    } else {
      wraps = __builtin_mul_overflow(n0 - 1, stride, &a) ||
              __builtin_mul_overflow(howmany - 1, dist, &b) ||
              __builtin_add_overflow(a, b, &total) || __builtin_add_overflow(total, 1, &total);
    }
    if (wraps) throw std::bad_alloc();
    return total;
  }
};

struct PlanKeyHash {
  std::size_t operator()(const PlanKey& k) const {
    std::size_t h = std::hash<std::size_t>()(k.n0);
    auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    mix(static_cast<std::size_t>(k.rank));
    mix(k.n1);
    mix(k.howmany);
    mix(k.istride);
    mix(k.idist);
    mix(k.ostride);
    mix(k.odist);
    mix(static_cast<std::size_t>(k.inverse) | (static_cast<std::size_t>(k.inplace) << 1));
    mix(static_cast<std::size_t>(k.threads));
    mix(static_cast<std::size_t>(k.align_in) * 131 + static_cast<std::size_t>(k.align_out));
    mix(static_cast<std::size_t>(k.effort));
    return h;
  }
};

// A cached plan is shared with the threads executing it, so clearing the cache never frees a
// plan in use; the last owner destroys it under the planner lock.
template <class T>
using SharedPlan = std::shared_ptr<std::remove_pointer_t<typename FftwApi<T>::plan>>;

template <class T>
using PlanMap = std::unordered_map<PlanKey, SharedPlan<T>, PlanKeyHash>;

// Deliberately never destroyed: plans may outlive static destruction at interpreter exit.
template <class T>
PlanMap<T>& plan_map() {
  static auto* plans = new PlanMap<T>();
  return *plans;
}

template <class T>
void init_threads_once() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    if (FftwApi<T>::init_threads() == 0) throw std::runtime_error("fftw_init_threads failed");
  });
}

int as_fftw_int(std::size_t value, const char* what) {
  if (value > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument(std::string(what) + " is too large for FFTW's int interface");
  }
  return static_cast<int>(value);
}

// Scratch memory for planning, placed so that FFTW sees the same alignment as the caller's
// buffer: room for `bytes` at any offset below the Buffer's alignment (more than FFTW's SIMD
// alignment), and at_alignment() the address at the caller's offset.
using Scratch = Buffer<unsigned char>;

Scratch scratch_for(std::size_t bytes) {
  if (bytes > std::numeric_limits<std::size_t>::max() - Scratch::kAlignment) {
    throw std::bad_alloc();
  }
  return Scratch(bytes + Scratch::kAlignment);
}

// a * b, or std::bad_alloc when the product of sizes wraps around.
std::size_t bytes_of(std::size_t a, std::size_t b) {
  std::size_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) throw std::bad_alloc();
  return product;
}

template <class T>
typename FftwApi<T>::complex* at_alignment(const Scratch& scratch, int alignment) {
  return reinterpret_cast<typename FftwApi<T>::complex*>(scratch.data() + alignment);
}

std::atomic<bool> plan_check{false};
std::atomic<std::size_t> plans_checked{0}, second_plans_kept{0};

std::string take_fftw_string(char* text) {
  if (text == nullptr) return std::string();
  std::string copy(text);
  std::free(text);
  return copy;
}

// Seconds of the fastest of `rounds` samples of each plan, sampled in turn (interference
// from other work only adds time, so the fastest sample is the plan's own speed); a sample
// runs a plan `repeats` times.
template <class Run, class Plan>
std::pair<double, double> fastest_samples(const Run& run, Plan first, Plan second) {
  using Clock = std::chrono::steady_clock;
  auto sample = [&run](Plan p, int repeats) {
    const auto start = Clock::now();
    for (int r = 0; r < repeats; ++r) run(p);
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  run(first);
  run(second);
  // Repeats that fill about 0.2 ms per sample, from one timed run (at most 1000).
  const double once = std::max(sample(first, 1), 1e-7);
  const int repeats = static_cast<int>(std::clamp(2e-4 / once, 1.0, 1000.0));
  constexpr int kRounds = 5;
  double best_first = std::numeric_limits<double>::infinity(), best_second = best_first;
  for (int round = 0; round < kRounds; ++round) {
    double a = 0, b = 0;
    if (round % 2 == 0) {  // the order alternates, so that neither always runs first
      a = sample(first, repeats);
      b = sample(second, repeats);
    } else {
      b = sample(second, repeats);
      a = sample(first, repeats);
    }
    best_first = std::min(best_first, a);
    best_second = std::min(best_second, b);
  }
  return {best_first, best_second};
}

// A plan FFTW_MEASURE has not met before, measured twice: FFTW_MEASURE picks by timings that
// a busy machine makes noisy, and its pick goes into the wisdom (and the per-user cache) for
// good. The plan is made once, then the wisdom is put back as it was and the plan made again
// (FFTW measures afresh); both plans are timed in turn and the faster is kept, with the wisdom
// its planning left. Called with the planner lock held.
template <class T, class Make, class Run>
typename FftwApi<T>::plan plan_twice_keep_faster(const Make& make, const Run& run,
                                                 unsigned flags) {
  using Api = FftwApi<T>;
  const std::string before = take_fftw_string(Api::export_wisdom());
  typename Api::plan first = make(flags);
  if (first == nullptr) return nullptr;
  const std::string after_first = take_fftw_string(Api::export_wisdom());
  Api::forget_wisdom();
  Api::import_wisdom(before.c_str());
  typename Api::plan second = make(flags);
  if (second == nullptr) {  // keep the first and its wisdom
    Api::forget_wisdom();
    Api::import_wisdom(after_first.c_str());
    return first;
  }
  plans_checked.fetch_add(1);
  const auto [first_seconds, second_seconds] = fastest_samples(run, first, second);
  if (second_seconds < first_seconds) {
    second_plans_kept.fetch_add(1);
    Api::destroy_plan(first);
    return second;  // the wisdom is the second planning's
  }
  Api::destroy_plan(second);
  Api::forget_wisdom();
  Api::import_wisdom(after_first.c_str());
  return first;
}

// Called with the planner lock held.
template <class T>
SharedPlan<T> find_or_make_plan(const PlanKey& key) {
  using Api = FftwApi<T>;
  auto& plans = plan_map<T>();
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;

  const int n[2] = {as_fftw_int(key.n0, "n0"), as_fftw_int(key.n1, "n1")};
  const int howmany = as_fftw_int(key.howmany, "batch");
  const int istride = as_fftw_int(key.istride, "stride");
  const int ostride = as_fftw_int(key.ostride, "stride");
  const int idist = as_fftw_int(key.idist, "distance");
  const int odist = as_fftw_int(key.odist, "distance");
  const std::size_t complex_bytes = sizeof(std::complex<T>);
  init_threads_once<T>();
  Api::plan_with_nthreads(key.threads);
  const Scratch in_scratch =
      scratch_for(bytes_of(complex_bytes, key.extent(key.istride, key.idist)));
  Scratch out_scratch;
  auto* in = at_alignment<T>(in_scratch, key.align_in);
  auto* out = in;
  if (!key.inplace) {
    out_scratch = scratch_for(bytes_of(complex_bytes, key.extent(key.ostride, key.odist)));
    out = at_alignment<T>(out_scratch, key.align_out);
  }
  // The real transform's real side (n0 x n1); its half spectrum lives in in_scratch.
  Scratch real_scratch;
  T* real = nullptr;
  typename Api::complex* half = nullptr;
  if (key.rank == 3) {
    real_scratch = scratch_for(bytes_of(sizeof(T), key.extent(1, 1)));
    real = reinterpret_cast<T*>(real_scratch.data() + (key.inverse ? key.align_out
                                                                      : key.align_in));
    half = at_alignment<T>(in_scratch, key.inverse ? key.align_in : key.align_out);
  }
  auto make = [&](unsigned flags) -> typename Api::plan {
    if (key.rank == 3) {
      return key.inverse ? Api::plan_c2r_2d(n[0], n[1], half, real, flags)
                         : Api::plan_r2c_2d(n[0], n[1], real, half, flags);
    }
    return Api::plan_many_dft(key.rank, n, howmany, in, istride, idist, out, ostride, odist,
                              key.inverse ? FFTW_BACKWARD : FFTW_FORWARD, flags);
  };
  const unsigned flags = effort_flag(key.effort);
  typename Api::plan raw = nullptr;
  if (plan_check.load() && key.effort != PlannerEffort::estimate) {
    raw = make(flags | FFTW_WISDOM_ONLY);  // what the wisdom (the cache) already knows
    if (raw == nullptr) {
      // Zeros in every array the timings run on (no NaN or subnormal slow paths).
      std::memset(in_scratch.data(), 0, in_scratch.size());
      if (!key.inplace) std::memset(out_scratch.data(), 0, out_scratch.size());
      if (key.rank == 3) std::memset(real_scratch.data(), 0, real_scratch.size());
      auto run = [&](typename Api::plan p) {
        if (key.rank != 3) {
          Api::execute_dft(p, in, out);
        } else if (key.inverse) {
          Api::execute_c2r(p, half, real);
        } else {
          Api::execute_r2c(p, real, half);
        }
      };
      raw = plan_twice_keep_faster<T>(make, run, flags);
    }
  } else {
    raw = make(flags);
  }
  if (raw == nullptr) throw std::runtime_error("FFTW could not plan the transform");
  SharedPlan<T> plan(raw, [](typename Api::plan p) {
    std::lock_guard<std::mutex> lock(planner_mutex);
    Api::destroy_plan(p);
  });
  plans.emplace(key, plan);
  return plan;
}

template <class T>
std::size_t clear_map() {
  PlanMap<T> dropped;
  {
    std::lock_guard<std::mutex> lock(planner_mutex);
    dropped.swap(plan_map<T>());
  }
  return dropped.size();  // destroyed here, each deleter taking the lock in turn
}

}  // namespace

const char* fftw_version_string() { return ::fftw_version; }

std::mutex& fftw_planner_mutex() { return planner_mutex; }

void set_planner_effort(PlannerEffort e) { effort.store(e); }

PlannerEffort planner_effort() { return effort.load(); }

void set_plan_check(bool enabled) { plan_check.store(enabled); }

bool plan_check_enabled() { return plan_check.load(); }

PlanCheckCounts plan_check_counts() { return {plans_checked.load(), second_plans_kept.load()}; }

template <class T>
void dft2_unnormalized(const std::complex<T>* in, std::complex<T>* out, std::size_t batch,
                       std::size_t rows, std::size_t cols, bool inverse, int threads) {
  using Api = FftwApi<T>;
  // FFTW's out-of-place complex transforms leave their input untouched, so the const_cast
  // only satisfies FFTW's signature.
  auto* src = reinterpret_cast<typename Api::complex*>(const_cast<std::complex<T>*>(in));
  auto* dst = reinterpret_cast<typename Api::complex*>(out);
  const std::size_t plane = rows * cols;
  PlanKey key{2,
              rows,
              cols,
              batch,
              1,
              plane,
              1,
              plane,
              inverse,
              src == dst,
              threads < 1 ? 1 : threads,
              Api::alignment_of(reinterpret_cast<typename Api::real*>(src)),
              Api::alignment_of(reinterpret_cast<typename Api::real*>(dst)),
              effort.load()};
  SharedPlan<T> plan;
  {
    std::lock_guard<std::mutex> lock(planner_mutex);
    plan = find_or_make_plan<T>(key);
  }
  Api::execute_dft(plan.get(), src, dst);
}

template void dft2_unnormalized<float>(const std::complex<float>*, std::complex<float>*,
                                       std::size_t, std::size_t, std::size_t, bool, int);
template void dft2_unnormalized<double>(const std::complex<double>*, std::complex<double>*,
                                        std::size_t, std::size_t, std::size_t, bool, int);

template <class T>
StridedPlan<T> plan_strided_dft1(const StridedBatch& layout, bool inverse,
                                 const std::complex<T>* in, const std::complex<T>* out,
                                 int threads) {
  using Api = FftwApi<T>;
  if (layout.length == 0 || layout.howmany == 0) {
    throw std::invalid_argument("a strided transform needs a positive length and batch");
  }
  auto* src = reinterpret_cast<typename Api::real*>(const_cast<std::complex<T>*>(in));
  auto* dst = reinterpret_cast<typename Api::real*>(const_cast<std::complex<T>*>(out));
  PlanKey key{1,
              layout.length,
              1,
              layout.howmany,
              layout.istride,
              layout.idist,
              layout.ostride,
              layout.odist,
              inverse,
              in == out,
              threads < 1 ? 1 : threads,
              Api::alignment_of(src),
              Api::alignment_of(dst),
              effort.load()};
  std::lock_guard<std::mutex> lock(planner_mutex);
  return StridedPlan<T>(std::shared_ptr<void>(find_or_make_plan<T>(key)));
}

template <class T>
void StridedPlan<T>::execute(std::complex<T>* in, std::complex<T>* out) const {
  using Api = FftwApi<T>;
  Api::execute_dft(static_cast<typename Api::plan>(plan_.get()),
                   reinterpret_cast<typename Api::complex*>(in),
                   reinterpret_cast<typename Api::complex*>(out));
}

template class StridedPlan<float>;
template class StridedPlan<double>;
template StridedPlan<float> plan_strided_dft1<float>(const StridedBatch&, bool,
                                                     const std::complex<float>*,
                                                     const std::complex<float>*, int);
template StridedPlan<double> plan_strided_dft1<double>(const StridedBatch&, bool,
                                                       const std::complex<double>*,
                                                       const std::complex<double>*, int);

template <class T>
RealPlan<T> plan_real_dft2(std::size_t rows, std::size_t cols, bool inverse, const T* real,
                           const std::complex<T>* half, int threads) {
  using Api = FftwApi<T>;
  if (rows == 0 || cols == 0) throw std::invalid_argument("a real transform needs a size");
  auto* real_ptr = const_cast<T*>(real);
  auto* half_ptr = reinterpret_cast<typename Api::real*>(const_cast<std::complex<T>*>(half));
  const int real_align = Api::alignment_of(real_ptr), half_align = Api::alignment_of(half_ptr);
  // The scratch for the complex side is the key's input extent (rows x cols elements of
  // complex, more than the half spectrum needs); istride/idist are unused.
  PlanKey key{3,
              rows,
              cols,
              1,
              1,
              1,
              1,
              1,
              inverse,
              false,
              threads < 1 ? 1 : threads,
              inverse ? half_align : real_align,
              inverse ? real_align : half_align,
              effort.load()};
  std::lock_guard<std::mutex> lock(planner_mutex);
  return RealPlan<T>(std::shared_ptr<void>(find_or_make_plan<T>(key)));
}

template <class T>
void RealPlan<T>::forward(T* in, std::complex<T>* out) const {
  using Api = FftwApi<T>;
  Api::execute_r2c(static_cast<typename Api::plan>(plan_.get()), in,
                   reinterpret_cast<typename Api::complex*>(out));
}

template <class T>
void RealPlan<T>::inverse(std::complex<T>* in, T* out) const {
  using Api = FftwApi<T>;
  Api::execute_c2r(static_cast<typename Api::plan>(plan_.get()),
                   reinterpret_cast<typename Api::complex*>(in), out);
}

template class RealPlan<float>;
template class RealPlan<double>;
template RealPlan<float> plan_real_dft2<float>(std::size_t, std::size_t, bool, const float*,
                                               const std::complex<float>*, int);
template RealPlan<double> plan_real_dft2<double>(std::size_t, std::size_t, bool, const double*,
                                                 const std::complex<double>*, int);

std::size_t cached_plan_count() {
  std::lock_guard<std::mutex> lock(planner_mutex);
  return plan_map<float>().size() + plan_map<double>().size();
}

void clear_plan_cache() {
  clear_map<float>();
  clear_map<double>();
}

std::string export_wisdom_double() {
  init_threads_once<double>();  // as planning does: wisdom then records the threaded planner
  std::lock_guard<std::mutex> lock(planner_mutex);
  return take_fftw_string(fftw_export_wisdom_to_string());
}

std::string export_wisdom_float() {
  init_threads_once<float>();  // as planning does: wisdom then records the threaded planner
  std::lock_guard<std::mutex> lock(planner_mutex);
  return take_fftw_string(fftwf_export_wisdom_to_string());
}

bool import_wisdom_double(const std::string& text) {
  // FFTW's threads must be set up first: until fftw_init_threads has run, wisdom written by a
  // process that planned threaded transforms is refused (in a fresh process, before any
  // transform of this precision).
  init_threads_once<double>();
  std::lock_guard<std::mutex> lock(planner_mutex);
  return fftw_import_wisdom_from_string(text.c_str()) != 0;
}

std::pair<bool, bool> replace_wisdom(const std::string& double_text,
                                     const std::string& float_text) {
  init_threads_once<double>();
  init_threads_once<float>();
  // One lock for both: no plan is made from the old wisdom, nor from none, in between.
  std::lock_guard<std::mutex> lock(planner_mutex);
  fftw_forget_wisdom();
  fftwf_forget_wisdom();
  return {fftw_import_wisdom_from_string(double_text.c_str()) != 0,
          fftwf_import_wisdom_from_string(float_text.c_str()) != 0};
}

bool import_wisdom_float(const std::string& text) {
  // FFTW's threads must be set up first: until fftw_init_threads has run, wisdom written by a
  // process that planned threaded transforms is refused (in a fresh process, before any
  // transform of this precision).
  init_threads_once<float>();
  std::lock_guard<std::mutex> lock(planner_mutex);
  return fftwf_import_wisdom_from_string(text.c_str()) != 0;
}

}  // namespace phasegrad
