// The native batch of phase-retrieval problems: see models/phase_retrieval_batch.hpp.
#include "phasegrad/models/phase_retrieval_batch.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace phasegrad::models {

template <class T>
FusedPhaseRetrievalBatch<T>::FusedPhaseRetrievalBatch(const PhaseRetrievalConfig<T>& config,
                                                      std::size_t problems,
                                                      bool per_problem_weights)
    : cfg_(config), problems_(problems), per_problem_weights_(per_problem_weights) {
  if (problems == 0) throw std::invalid_argument("a batch needs at least one problem");
  if (config.data == nullptr) throw std::invalid_argument("a batch needs data");
  engines_.push_back(std::make_unique<FusedPhaseRetrieval<T>>(cfg_));
}

template <class T>
std::size_t FusedPhaseRetrievalBatch<T>::parameters() const {
  return cfg_.modes > 0 ? cfg_.modes : cfg_.n * cfg_.n;
}

template <class T>
std::size_t FusedPhaseRetrievalBatch<T>::image_values() const {
  const std::size_t size = engines_.front()->image_size();
  return cfg_.planes * size * size;
}

template <class T>
bool FusedPhaseRetrievalBatch<T>::across_problems(int threads, BatchSchedule schedule) const {
  return batch_across_problems(problems_, threads, schedule);
}

template <class T>
std::size_t FusedPhaseRetrievalBatch<T>::workspace_bytes() const {
  std::size_t total = 0;
  for (const auto& engine : engines_) total += engine->workspace_bytes();
  return total;
}

// Calls body(engine, b, engine_threads) for every active problem b, with the engine pointed at
// b's data and weights (models/batch_run.hpp).
template <class T>
template <class Body>
void FusedPhaseRetrievalBatch<T>::run(const unsigned char* active, int threads,
                                      BatchSchedule schedule, Body&& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t values = image_values();
  auto make = [this] { return std::make_unique<FusedPhaseRetrieval<T>>(cfg_); };
  auto point = [&](FusedPhaseRetrieval<T>& engine, std::size_t b) {
    const T* weights = cfg_.weights;
    if (weights != nullptr && per_problem_weights_) weights += b * values;
    engine.set_data(cfg_.data + b * values, weights);
  };
  run_batch(engines_, make, problems_, active, threads, schedule, point, body);
}

namespace {

Detector detector_at(const double* detectors, std::size_t b) {
  Detector detector;
  if (detectors == nullptr) return detector;
  detector.quadratic = true;
  detector.a = detectors[3 * b];
  detector.b = detectors[3 * b + 1];
  detector.c = detectors[3 * b + 2];
  return detector;
}

}  // namespace

template <class T>
void FusedPhaseRetrievalBatch<T>::value_and_grad(const T* params, const double* detectors,
                                                 const unsigned char* active, double* energies,
                                                 T* params_bar, double* detectors_bar,
                                                 int threads, BatchSchedule schedule) {
  const std::size_t k = parameters();
  run(active, threads, schedule, [&](FusedPhaseRetrieval<T>& engine, std::size_t b, int t) {
    double* detector_bar = detectors_bar ? detectors_bar + 3 * b : nullptr;
    double scratch[3] = {0, 0, 0};
    energies[b] = engine.value_and_grad(params + b * k, detector_at(detectors, b),
                                        params_bar + b * k,
                                        detector_bar ? detector_bar : scratch, t);
  });
}

template <class T>
void FusedPhaseRetrievalBatch<T>::simulate(const T* params, const double* detectors,
                                           const unsigned char* active, T* images, int threads,
                                           BatchSchedule schedule) {
  const std::size_t k = parameters(), values = image_values();
  run(active, threads, schedule, [&](FusedPhaseRetrieval<T>& engine, std::size_t b, int t) {
    engine.simulate(params + b * k, detector_at(detectors, b), images + b * values, t);
  });
}

template <class T>
void FusedPhaseRetrievalBatch<T>::residuals(const T* params, const double* detectors,
                                            const unsigned char* active, double* r, int threads,
                                            BatchSchedule schedule) {
  const std::size_t k = parameters(), values = image_values();
  run(active, threads, schedule, [&](FusedPhaseRetrieval<T>& engine, std::size_t b, int t) {
    engine.residuals(params + b * k, detector_at(detectors, b), r + b * values, t);
  });
}

template <class T>
void FusedPhaseRetrievalBatch<T>::jvp(const T* params, const double* detectors,
                                      const T* params_dot, const double* detectors_dot,
                                      const unsigned char* active, double* r_dot, int threads,
                                      BatchSchedule schedule) {
  const std::size_t k = parameters(), values = image_values();
  run(active, threads, schedule, [&](FusedPhaseRetrieval<T>& engine, std::size_t b, int t) {
    engine.jvp(params + b * k, detector_at(detectors, b), params_dot + b * k,
               detectors_dot ? detectors_dot + 3 * b : nullptr, r_dot + b * values, t);
  });
}

template <class T>
void FusedPhaseRetrievalBatch<T>::gauss_newton(const T* params, const double* detectors,
                                               const unsigned char* active, double* jtj,
                                               double* jtr, int threads,
                                               BatchSchedule schedule) {
  const std::size_t k = parameters(), columns = k + (detectors ? 3 : 0);
  const std::size_t image = engines_.front()->image_size() * engines_.front()->image_size();
  const std::size_t planes = cfg_.planes;
  run(active, threads, schedule, [&](FusedPhaseRetrieval<T>& engine, std::size_t b, int t) {
    // One thread's buffers, kept between calls (the OpenMP team's threads persist).
    thread_local std::vector<double> jacobian_t, residuals;
    jacobian_t.resize(columns * image);
    residuals.resize(planes * image);
    const Detector detector = detector_at(detectors, b);
    engine.residuals(params + b * k, detector, residuals.data(), t);
    double* system = jtj + b * columns * columns;
    double* gradient = jtr + b * columns;
    std::fill(system, system + columns * columns, 0.0);
    std::fill(gradient, gradient + columns, 0.0);
    for (std::size_t p = 0; p < planes; ++p) {
      engine.jacobian(params + b * k, detector, p, p + 1, jacobian_t.data(), t);
      accumulate_system(jacobian_t.data(), residuals.data() + p * image, columns, image, system,
                        gradient);
    }
  });
}

template class FusedPhaseRetrievalBatch<float>;
template class FusedPhaseRetrievalBatch<double>;

}  // namespace phasegrad::models
