// The imaging model's set-up for its calls, done once after construction; see
// FusedImaging::prepare in models/imaging.hpp.
//
// Without it the first call pays for its set-up: the PSF engine's plans and the stage's real
// transforms' plans (from the wisdom, or measured: 1.2 s for a float32 N = 256 model without
// the wisdom), the OpenMP team's first start and the first touch of the memory the passes run
// in. prepare() does that once, with Python's GIL released (the bindings), and times one
// plane's passes on the team and on one thread, so that every call kind starts on the faster
// (core/team_choice.hpp; the calls' own times decide from then on). Its time is the
// constructor's in the benchmarks (python/phasegrad/bench/busy_machine.py). The buffers it
// runs through are the ones every call overwrites before reading, so no result changes.
#include <cstring>
#include <mutex>

#include "phasegrad/core/team_choice.hpp"
#include "phasegrad/models/imaging.hpp"

namespace phasegrad::models {

// One plane's passes as a call runs them, on `team` threads, over a zero wavefront: the
// engine's begin and PSF, the transfer's real transforms (without the product: the spectrum
// goes back as it is), and the engine's reverse from a zero I_bar (its gradient discarded).
// Returns the seconds taken.
template <class T>
double FusedImaging<T>::prepare_pass(int team, T* params_bar) {
  const Stopwatch watch;
  engine_->begin(zero_params_.data(), nullptr, team);
  engine_->psf(0, intensity_.data(), team);
  if (cfg_.transfer) {
    real_dft_.forward(intensity_.data(), spectrum_.data(), team);
    real_dft_.inverse(spectrum_.data(), image_.data(), team);
  }
  std::memset(static_cast<void*>(image_bar_.data()), 0, image_bar_.bytes());
  engine_->psf_reverse(0, image_bar_.data(), true, true, params_bar, nullptr, team);
  return watch.seconds();
}

// The engine's own prepare (its plans; each transform once with a static split, so that every
// thread of the team touches its scratch), the stage's real transforms planned, then one
// plane's passes on the team (touching what the engine's prepare does not: the stage's
// buffers, the reverse pass's), again timed, and timed on one thread. The buffers written are
// zeroed again, so that the model is as constructed.
template <class T>
void FusedImaging<T>::prepare(int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int team = engine_->engine_threads(threads);
  engine_->prepare(team);
  plan_transfer();
  const std::size_t params = block_size(ImagingBlock::wavefront);
  if (zero_params_.size() != params) zero_params_ = Buffer<T>::zeros(params);
  Buffer<T> params_bar = Buffer<T>::zeros(params);  // the discarded gradient
  prepare_pass(team, params_bar.data());
  double on_team = 0, on_one = 0;
  if (team > 1) {
    on_team = prepare_pass(team, params_bar.data());
    on_one = prepare_pass(1, params_bar.data());
  }
  for (Buffer<T>* buffer : {&intensity_, &image_, &image_bar_}) {
    if (buffer->size()) std::memset(static_cast<void*>(buffer->data()), 0, buffer->bytes());
  }
  if (cfg_.transfer) {
    std::memset(static_cast<void*>(spectrum_.data()), 0, spectrum_.bytes());
  }
  primal_plane_ = -1;
  for (auto& choice : choices_) choice.start(team, on_team, on_one);
}

template void FusedImaging<float>::prepare(int);
template void FusedImaging<double>::prepare(int);

}  // namespace phasegrad::models
