// 2-D FFTs over the last two axes of a batch of planes, computed by FFTW.
#pragma once

#include <complex>
#include <cstddef>
#include <mutex>

namespace phasegrad {

// The version string of the linked FFTW ("fftw-3.3.10-...").
const char* fftw_version_string();

// FFTW's planner, plan destruction, fftw_plan_with_nthreads and wisdom are not thread-safe and
// share global state: every call to them happens under this one process-wide lock.
std::mutex& fftw_planner_mutex();

// In-place unnormalised 2-D DFT of `batch` contiguous rows x cols planes:
// sign -1 (forward) when `inverse` is false, +1 otherwise; no 1/N factor.
// Throws std::invalid_argument for extents FFTW's int interface cannot hold, and
// std::runtime_error if FFTW cannot make a plan.
template <class T>
void dft2_unnormalized_inplace(std::complex<T>* data, std::size_t batch, std::size_t rows,
                               std::size_t cols, bool inverse, int threads);

}  // namespace phasegrad
