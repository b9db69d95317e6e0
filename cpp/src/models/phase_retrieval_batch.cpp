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

namespace {

// jtj (C, C) += jt jt^T and jtr (C) += jt r for the transposed Jacobian jt (C, rows) of one plane
// and its residuals r (rows): row i against rows j, j + 1, j + 2, j + 3 (and r) in one sweep,
// four independent sums that share the loads of row i; the lower triangle mirrored.
void accumulate_system(const double* jt, const double* r, std::size_t columns, std::size_t rows,
                       double* jtj, double* jtr) {
  auto add = [&](std::size_t i, std::size_t j, double sum) {
    jtj[i * columns + j] += sum;
    if (j != i) jtj[j * columns + i] += sum;
  };
  for (std::size_t i = 0; i < columns; ++i) {
    const double* a = jt + i * rows;
    std::size_t j = 0;
    for (; j + 4 <= i + 1; j += 4) {
      const double *b0 = jt + j * rows, *b1 = b0 + rows, *b2 = b1 + rows, *b3 = b2 + rows;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
      for (std::size_t q = 0; q < rows; ++q) {
        s0 += a[q] * b0[q];
        s1 += a[q] * b1[q];
        s2 += a[q] * b2[q];
        s3 += a[q] * b3[q];
      }
      add(i, j, s0);
      add(i, j + 1, s1);
      add(i, j + 2, s2);
      add(i, j + 3, s3);
    }
    // The rest of the row (up to three products) with J^T r.
    double s0 = 0, s1 = 0, s2 = 0, sr = 0;
    const std::size_t left = i + 1 - j;
    const double* b0 = left > 0 ? jt + j * rows : a;  // no row j past the last: a again
    const double* b1 = left > 1 ? b0 + rows : b0;
    const double* b2 = left > 2 ? b0 + 2 * rows : b0;
#pragma omp simd reduction(+ : s0, s1, s2, sr)
    for (std::size_t q = 0; q < rows; ++q) {
      s0 += a[q] * b0[q];
      s1 += a[q] * b1[q];
      s2 += a[q] * b2[q];
      sr += a[q] * r[q];
    }
    if (left > 0) add(i, j, s0);
    if (left > 1) add(i, j + 1, s1);
    if (left > 2) add(i, j + 2, s2);
    jtr[i] += sr;
  }
}

}  // namespace

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
