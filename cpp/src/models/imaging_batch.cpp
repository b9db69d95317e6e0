// The native batch of imaging problems: see models/imaging_batch.hpp.
#include "phasegrad/models/imaging_batch.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace phasegrad::models {

namespace {

template <class P>
P* offset(P* pointer, std::size_t stride, std::size_t b) {
  return pointer == nullptr ? nullptr : pointer + stride * b;
}

}  // namespace

template <class T>
ImagingBlocks<T> ImagingBatchBlocks<T>::at(std::size_t b) const {
  auto s = [this](ImagingBlock block) { return stride[static_cast<std::size_t>(block)]; };
  ImagingBlocks<T> out = base;
  out.wavefront = offset(base.wavefront, s(ImagingBlock::wavefront), b);
  out.detector = offset(base.detector, s(ImagingBlock::detector), b);
  out.positions = offset(base.positions, s(ImagingBlock::positions), b);
  out.fluxes = offset(base.fluxes, s(ImagingBlock::fluxes), b);
  out.object = offset(base.object, s(ImagingBlock::object), b);
  out.flux = offset(base.flux, s(ImagingBlock::flux), b);
  out.background = offset(base.background, s(ImagingBlock::background), b);
  out.shift = offset(base.shift, s(ImagingBlock::shift), b);
  if (jitters != nullptr) out.jitter = jitters[s(ImagingBlock::jitter) * b];
  out.amplitude = offset(base.amplitude, s(ImagingBlock::amplitude), b);
  return out;
}

template <class T>
ImagingGrads<T> ImagingBatchGrads<T>::at(std::size_t b) const {
  auto s = [this](ImagingBlock block) { return stride[static_cast<std::size_t>(block)]; };
  ImagingGrads<T> out;
  out.wavefront = offset(base.wavefront, s(ImagingBlock::wavefront), b);
  out.detector = offset(base.detector, s(ImagingBlock::detector), b);
  out.positions = offset(base.positions, s(ImagingBlock::positions), b);
  out.fluxes = offset(base.fluxes, s(ImagingBlock::fluxes), b);
  out.object = offset(base.object, s(ImagingBlock::object), b);
  out.flux = offset(base.flux, s(ImagingBlock::flux), b);
  out.background = offset(base.background, s(ImagingBlock::background), b);
  out.shift = offset(base.shift, s(ImagingBlock::shift), b);
  out.jitter = offset(base.jitter, s(ImagingBlock::jitter), b);
  out.amplitude = offset(base.amplitude, s(ImagingBlock::amplitude), b);
  return out;
}

template <class T>
FusedImagingBatch<T>::FusedImagingBatch(const ImagingConfig<T>& config, std::size_t problems,
                                        bool per_problem_weights,
                                        std::vector<double> read_noises)
    : cfg_(config),
      problems_(problems),
      per_problem_weights_(per_problem_weights),
      read_noises_(std::move(read_noises)) {
  if (problems == 0) throw std::invalid_argument("a batch needs at least one problem");
  if (config.data == nullptr) throw std::invalid_argument("a batch needs data");
  if (!read_noises_.empty() && read_noises_.size() != problems) {
    throw std::invalid_argument("one read noise per problem is needed");
  }
  engines_.push_back(std::make_unique<FusedImaging<T>>(cfg_));
}

template <class T>
std::size_t FusedImagingBatch<T>::image_values() const {
  return cfg_.optics.planes * cfg_.window * cfg_.window;
}

template <class T>
std::size_t FusedImagingBatch<T>::workspace_bytes() const {
  std::size_t total = 0;
  for (const auto& engine : engines_) total += engine->workspace_bytes();
  return total;
}

template <class T>
template <class Body>
void FusedImagingBatch<T>::run(const unsigned char* active, int threads, BatchSchedule schedule,
                               Body&& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t values = image_values();
  auto make = [this] { return std::make_unique<FusedImaging<T>>(cfg_); };
  auto point = [&](FusedImaging<T>& engine, std::size_t b) {
    const T* weights = cfg_.weights;
    if (weights != nullptr && per_problem_weights_) weights += b * values;
    engine.set_data(cfg_.data + b * values, weights,
                    read_noises_.empty() ? cfg_.read_noise : read_noises_[b]);
  };
  run_batch(engines_, make, problems_, active, threads, schedule, point, body);
}

template <class T>
void FusedImagingBatch<T>::value_and_grad(const ImagingBatchBlocks<T>& blocks,
                                          const ImagingBatchGrads<T>& grads,
                                          const unsigned char* active, double* energies,
                                          int threads, BatchSchedule schedule) {
  run(active, threads, schedule, [&](FusedImaging<T>& engine, std::size_t b, int t) {
    energies[b] = engine.value_and_grad(blocks.at(b), grads.at(b), t);
  });
}

template <class T>
void FusedImagingBatch<T>::simulate(const ImagingBatchBlocks<T>& blocks,
                                    const unsigned char* active, T* images, int threads,
                                    BatchSchedule schedule) {
  const std::size_t values = image_values();
  run(active, threads, schedule, [&](FusedImaging<T>& engine, std::size_t b, int t) {
    engine.simulate(blocks.at(b), images + b * values, t);
  });
}

template <class T>
void FusedImagingBatch<T>::residuals(const ImagingBatchBlocks<T>& blocks,
                                     const unsigned char* active, double* r, int threads,
                                     BatchSchedule schedule) {
  const std::size_t values = image_values();
  run(active, threads, schedule, [&](FusedImaging<T>& engine, std::size_t b, int t) {
    engine.residuals(blocks.at(b), r + b * values, t);
  });
}

template <class T>
void FusedImagingBatch<T>::jvp(const ImagingBatchBlocks<T>& blocks,
                               const ImagingBatchBlocks<T>& dots, const unsigned char* active,
                               double* r_dot, int threads, BatchSchedule schedule) {
  const std::size_t values = image_values();
  run(active, threads, schedule, [&](FusedImaging<T>& engine, std::size_t b, int t) {
    engine.jvp(blocks.at(b), dots.at(b), r_dot + b * values, t);
  });
}

template <class T>
void FusedImagingBatch<T>::gauss_newton(const ImagingBatchBlocks<T>& blocks,
                                        const std::vector<ImagingBlock>& free,
                                        const unsigned char* active, double* jtj, double* jtr,
                                        int threads, BatchSchedule schedule) {
  std::size_t columns = 0;
  for (const ImagingBlock block : free) columns += block_size(block);
  const std::size_t image = cfg_.window * cfg_.window, planes = cfg_.optics.planes;
  run(active, threads, schedule, [&](FusedImaging<T>& engine, std::size_t b, int t) {
    // One thread's buffers, kept between calls (the OpenMP team's threads persist).
    thread_local std::vector<double> jacobian_t, residuals;
    jacobian_t.resize(columns * image);
    residuals.resize(planes * image);
    const ImagingBlocks<T> problem = blocks.at(b);
    engine.residuals(problem, residuals.data(), t);
    double* system = jtj + b * columns * columns;
    double* gradient = jtr + b * columns;
    std::fill(system, system + columns * columns, 0.0);
    std::fill(gradient, gradient + columns, 0.0);
    for (std::size_t p = 0; p < planes; ++p) {
      engine.jacobian(problem, free, p, p + 1, jacobian_t.data(), t);
      accumulate_system(jacobian_t.data(), residuals.data() + p * image, columns, image, system,
                        gradient);
    }
  });
}

template struct ImagingBatchBlocks<float>;
template struct ImagingBatchBlocks<double>;
template struct ImagingBatchGrads<float>;
template struct ImagingBatchGrads<double>;
template class FusedImagingBatch<float>;
template class FusedImagingBatch<double>;

}  // namespace phasegrad::models
