// The general hologram's set-up for its calls, done once after construction; see
// FusedHologramPlanes::prepare in models/hologram_planes.hpp.
//
// Without it the first value_and_grad pays for its set-up: the FFTW plans (from the wisdom,
// or measured), the staged path's planes and tiled transfer functions (prepare_staged), the
// OpenMP team's first start and the first touch of the work buffers and of each thread's
// scratch. prepare() runs one value_and_grad over a zero phase instead, with Python's GIL
// released (the bindings); its time is the constructor's in the benchmarks
// (python/phasegrad/bench/busy_machine.py).
#include <mutex>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/models/hologram_planes.hpp"

namespace phasegrad::models {

template <class T>
void FusedHologramPlanes<T>::prepare(int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = (config_.amplitude_phase ? 2 : 1) * config_.rows * config_.cols;
  const Buffer<T> phi = Buffer<T>::zeros(count);
  Buffer<T> phi_bar = Buffer<T>::zeros(count);  // discarded
  run(phi.data(), Mode::gradient, nullptr, nullptr, nullptr, phi_bar.data(), threads);
}

template void FusedHologramPlanes<float>::prepare(int);
template void FusedHologramPlanes<double>::prepare(int);

}  // namespace phasegrad::models
