// The only translation unit that plans FFTW transforms. Plans are made under the process-wide
// planner lock; execution (the expensive part) runs outside it.
#include "phasegrad/fft.hpp"

#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>

#include "phasegrad/fftw_api.hpp"

namespace phasegrad {

const char* fftw_version_string() { return ::fftw_version; }

std::mutex& fftw_planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

namespace {

// fftw_init_threads must run once per precision before any threaded plan.
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

}  // namespace

template <class T>
void dft2_unnormalized_inplace(std::complex<T>* data, std::size_t batch, std::size_t rows,
                               std::size_t cols, bool inverse, int threads) {
  using Api = FftwApi<T>;
  const int n[2] = {as_fftw_int(rows, "rows"), as_fftw_int(cols, "cols")};
  const int howmany = as_fftw_int(batch, "batch");
  const int dist = as_fftw_int(rows * cols, "rows * cols");
  auto* buffer = reinterpret_cast<typename Api::complex*>(data);
  typename Api::plan plan;
  {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    init_threads_once<T>();
    Api::plan_with_nthreads(threads < 1 ? 1 : threads);
    // FFTW_ESTIMATE never touches the arrays, so planning on the caller's buffer is safe.
    plan = Api::plan_many_dft(2, n, howmany, buffer, nullptr, 1, dist, buffer, nullptr, 1, dist,
                              inverse ? FFTW_BACKWARD : FFTW_FORWARD, FFTW_ESTIMATE);
  }
  if (plan == nullptr) throw std::runtime_error("FFTW could not plan the 2-D transform");
  Api::execute_dft(plan, buffer, buffer);
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  Api::destroy_plan(plan);
}

template void dft2_unnormalized_inplace<float>(std::complex<float>*, std::size_t, std::size_t,
                                               std::size_t, bool, int);
template void dft2_unnormalized_inplace<double>(std::complex<double>*, std::size_t, std::size_t,
                                                std::size_t, bool, int);

}  // namespace phasegrad
