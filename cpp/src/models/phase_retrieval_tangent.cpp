// The least-squares view of the fused phase-retrieval model: residuals, their tangents (forward
// mode), cotangents, Jacobian columns and Gauss-Newton products; see models/phase_retrieval.hpp.
// The forward steps (synthesize, pupil_fields, transform_forward) and the reverse ones
// (transform_adjoint, gradient_pass) are phase_retrieval.cpp's; the tangent and cotangent steps
// of the detector side are here.
#include "phasegrad/models/phase_retrieval.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad::models {

namespace {

// sqrt(w) of detector pixel d, the factor between the residual and M - D (1 without weights).
template <class T>
double root_weight(const T* weights, std::size_t d) {
  return weights ? std::sqrt(static_cast<double>(weights[d])) : 1.0;
}

}  // namespace

// Buffers of `count` threads' tangents and of the per-plane detector quantities, made once.
template <class T>
void FusedPhaseRetrieval<T>::ensure_tangents(std::size_t count) {
  const std::size_t n = cfg_.n, grid = cfg_.grid, image = binned_ * binned_;
  if (slope_.size() == 0) {
    slope_ = Buffer<double>::zeros(image);
    binned_intensity_ = Buffer<double>::zeros(image);
    plane_residuals_ = Buffer<double>::zeros(image);
  }
  while (tangents_.size() < count) {
    auto work = std::make_unique<Tangent>();
    work->wavefront = Buffer<T>::zeros(n * n);
    for (const auto& band : bands_) {
      work->pupil.push_back(band->fft ? Buffer<Complex>() : Buffer<Complex>::zeros(n * n));
      work->field.push_back(Buffer<Complex>::zeros(grid * grid));
    }
    work->staging = Buffer<Complex>::zeros(staging_.size());
    tangents_.push_back(std::move(work));
  }
}

// The forward transform's chunked plans on the calling thread alone, for tangents transformed
// in parallel (one per thread, each on its own buffers: FFTW's new-array execution is
// thread-safe). The same plans as the team's (after plan_for), so a Jacobian column equals the
// jvp of its unit vector bit for bit.
template <class T>
void FusedPhaseRetrieval<T>::plan_single() {
  if (single_planned_) return;
  for (auto& band : bands_) {
    if (!band->fft) continue;
    band->columns_single = band->columns.with_team(1);
    band->rows_single = band->rows.with_team(1);
  }
  single_planned_ = true;
}

// The primal of one plane: g and G in each band's buffers (as value_and_grad's forward half),
// then, with `detector_quantities`, per detector pixel I_b and the slope f = sqrt(w) M'(I_b) =
// sqrt(w) (2 a I_b + b), in double (pass T computes them itself when it runs once per plane).
template <class T>
void FusedPhaseRetrieval<T>::primal_plane(std::size_t plane, const Detector& detector,
                                          bool detector_quantities, int threads) {
  pupil_fields(plane, threads);
  for (auto& band : bands_) {
    transform_forward(*band, band->pupil.data(), band->field.data(), staging_.data(), false);
  }
  if (!detector_quantities) return;
  const std::size_t grid = cfg_.grid, bin = cfg_.bin, size = binned_;
  const T* weights = cfg_.weights ? cfg_.weights + plane * size * size : nullptr;
  double* slope = slope_.data();
  double* intensity_out = binned_intensity_.data();
  const long long rows = static_cast<long long>(size);
  const int team = threads_for(grid * grid * bands_.size(), threads);
#pragma omp parallel for num_threads(team) schedule(dynamic, 8) if (team > 1)
  for (long long ii = 0; ii < rows; ++ii) {
    const auto i = static_cast<std::size_t>(ii);
    for (std::size_t j = 0; j < size; ++j) {
      double intensity = 0;
      for (const auto& band : bands_) {
        double band_sum = 0;
        for (std::size_t dy = 0; dy < bin; ++dy) {
          const Complex* row = band->field.data() + (i * bin + dy) * grid + j * bin;
          for (std::size_t dx = 0; dx < bin; ++dx) band_sum += std::norm(row[dx]);
        }
        intensity += band->weight * band_sum;
      }
      const std::size_t d = i * size + j;
      const double root = root_weight(weights, d);
      intensity_out[d] = intensity;
      slope[d] = detector.quadratic ? root * (2 * detector.a * intensity + detector.b) : root;
    }
  }
}

// The unit direction of parameter `column`: W_dot = Z_k for a basis, else the map's pixel.
template <class T>
void FusedPhaseRetrieval<T>::unit_direction(std::size_t column, T* wavefront_dot) const {
  const std::size_t pixels = cfg_.n * cfg_.n;
  if (cfg_.modes > 0) {
    std::memcpy(wavefront_dot, cfg_.basis + column * pixels, sizeof(T) * pixels);
    return;
  }
  std::memset(wavefront_dot, 0, sizeof(T) * pixels);
  wavefront_dot[column] = T(1);
}

// The tangent of the pupil fields and of their transform: g_dot = i 2 pi / lam W_dot g (Eq. 57
// in forward mode; g carries the fftshift ramp on the FFT path, which is linear and so applies
// to g_dot alike), zero-padded into the tangent's field and transformed like the primal.
template <class T>
void FusedPhaseRetrieval<T>::tangent_field(Tangent& work, bool single_threaded, int threads) {
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  const T* wavefront_dot = work.wavefront.data();
  const T* amplitude_dot = amplitude_dot_;  // the engine's amplitude tangent, or null
  const int team = single_threaded ? 1 : threads_for(grid * grid * bands_.size(), threads);
  for (std::size_t l = 0; l < bands_.size(); ++l) {
    Band& band = *bands_[l];
    const Complex* pupil = band.pupil.data();
    const Complex* phasor = amplitude_dot ? band.phasor.data() : nullptr;
    Complex* target = band.fft ? work.field[l].data() : work.pupil[l].data();
    const std::size_t stride = band.fft ? grid : n;
    const long long rows = static_cast<long long>(n);
    const T scale = band.phase_scale;
#pragma omp parallel for num_threads(team) schedule(dynamic, 4) if (team > 1)
    for (long long yy = 0; yy < rows; ++yy) {
      const auto y = static_cast<std::size_t>(yy);
      Complex* row = target + y * stride;
      // As pass A: only the pupil's (n, n) corner is read by the pruned transforms.
      if (band.fft) std::memset(static_cast<void*>(row), 0, sizeof(Complex) * n);
      for (std::size_t r = row_runs_[y]; r < row_runs_[y + 1]; ++r) {
        for (std::size_t x = runs_[r].x0; x < runs_[r].x1; ++x) {
          const std::size_t i = y * n + x;
          const T theta_dot = scale * wavefront_dot[i];
          row[x] = Complex(-theta_dot * pupil[i].imag(), theta_dot * pupil[i].real());
        }
        if (phasor) {  // + A_dot exp(i theta) (with the ramp on the FFT path)
          for (std::size_t x = runs_[r].x0; x < runs_[r].x1; ++x) {
            row[x] += amplitude_dot[y * n + x] * phasor[y * n + x];
          }
        }
      }
    }
    transform_forward(band, work.pupil[l].data(), work.field[l].data(), work.staging.data(),
                      single_threaded);
  }
}

// Pass T: r_dot = f sum_lam 2 s Re(conj(G) G_dot), binned (Eq. 53, 88 in forward mode), plus
// sqrt(w) (a_dot I_b^2 + b_dot I_b + c_dot) for a quadratic detector's tangent (Eq. 98). With
// `primal_inline` it also forms I_b and f from G as it goes (and keeps them for a cotangent
// pass), else it reads primal_plane's.
template <class T>
void FusedPhaseRetrieval<T>::tangent_residuals(std::size_t plane, const Tangent& work,
                                               const Detector& detector,
                                               const double* detector_dot, bool primal_inline,
                                               double* r_dot, int threads) {
  const std::size_t grid = cfg_.grid, bin = cfg_.bin, size = binned_;
  const T* weights = cfg_.weights ? cfg_.weights + plane * size * size : nullptr;
  double* slope = slope_.data();
  double* intensity = binned_intensity_.data();
  const bool detector_terms = detector.quadratic && detector_dot != nullptr;
  const long long rows = static_cast<long long>(size);
  const int team = threads_for(grid * grid * bands_.size(), threads);
#pragma omp parallel for num_threads(team) schedule(dynamic, 8) if (team > 1)
  for (long long ii = 0; ii < rows; ++ii) {
    const auto i = static_cast<std::size_t>(ii);
    double* out = r_dot + i * size;
    double* row_intensity = intensity + i * size;
    if (bin == 1) {
      for (std::size_t j = 0; j < size; ++j) out[j] = 0;
      if (primal_inline) {
        for (std::size_t j = 0; j < size; ++j) row_intensity[j] = 0;
      }
      for (std::size_t l = 0; l < bands_.size(); ++l) {
        const T* g = reinterpret_cast<const T*>(bands_[l]->field.data() + i * grid);
        const T* t = reinterpret_cast<const T*>(work.field[l].data() + i * grid);
        const double twice = 2 * bands_[l]->weight, weight = bands_[l]->weight;
        if (primal_inline) {
#pragma omp simd
          for (std::size_t j = 0; j < size; ++j) {
            const T dot = g[2 * j] * t[2 * j] + g[2 * j + 1] * t[2 * j + 1];
            const T norm = g[2 * j] * g[2 * j] + g[2 * j + 1] * g[2 * j + 1];
            out[j] += twice * static_cast<double>(dot);
            row_intensity[j] += weight * static_cast<double>(norm);
          }
        } else {
#pragma omp simd
          for (std::size_t j = 0; j < size; ++j) {
            const T dot = g[2 * j] * t[2 * j] + g[2 * j + 1] * t[2 * j + 1];
            out[j] += twice * static_cast<double>(dot);
          }
        }
      }
    } else {
      for (std::size_t j = 0; j < size; ++j) {
        double sum = 0, norm_sum = 0;
        for (std::size_t l = 0; l < bands_.size(); ++l) {
          double band_sum = 0, band_norm = 0;
          for (std::size_t dy = 0; dy < bin; ++dy) {
            const std::size_t offset = (i * bin + dy) * grid + j * bin;
            const Complex* g = bands_[l]->field.data() + offset;
            const Complex* t = work.field[l].data() + offset;
            for (std::size_t dx = 0; dx < bin; ++dx) {
              band_sum += static_cast<double>(g[dx].real() * t[dx].real() +
                                              g[dx].imag() * t[dx].imag());
              band_norm += static_cast<double>(std::norm(g[dx]));
            }
          }
          sum += 2 * bands_[l]->weight * band_sum;
          norm_sum += bands_[l]->weight * band_norm;
        }
        out[j] = sum;
        if (primal_inline) row_intensity[j] = norm_sum;
      }
    }
    for (std::size_t j = 0; j < size; ++j) {
      const std::size_t d = i * size + j;
      const double root = root_weight(weights, d);
      if (primal_inline) {
        slope[d] = detector.quadratic ? root * (2 * detector.a * intensity[d] + detector.b)
                                      : root;
      }
      out[j] *= slope[d];
      if (detector_terms) {
        const double value = intensity[d];
        out[j] += root * ((detector_dot[0] * value + detector_dot[1]) * value + detector_dot[2]);
      }
    }
  }
}

// Pass B's reverse half for a cotangent u of the residuals: M_bar = sqrt(w) u, I_bar = f u and
// G_bar = 2 s I_bar G in place (Eq. 53, 88, 93); a quadratic detector's (a_bar, b_bar, c_bar)
// += sum sqrt(w) u (I_b^2, I_b, 1) (Eq. 101), summed per row and then in row order (the same on
// any team).
template <class T>
void FusedPhaseRetrieval<T>::cotangent_pass(std::size_t plane, const Detector& detector,
                                            const double* u, double* detector_bar,
                                            int threads) {
  const std::size_t grid = cfg_.grid, bin = cfg_.bin, size = binned_;
  const T* weights = cfg_.weights ? cfg_.weights + plane * size * size : nullptr;
  const double* slope = slope_.data();
  const double* intensity = binned_intensity_.data();
  const long long rows = static_cast<long long>(size);
  const int team = threads_for(grid * grid * bands_.size(), threads);
  std::vector<double> sums(3 * size, 0.0);
#pragma omp parallel num_threads(team) if (team > 1)
  {
#pragma omp for schedule(dynamic, 8)
    for (long long ii = 0; ii < rows; ++ii) {
      const auto i = static_cast<std::size_t>(ii);
      double* own = sums.data() + 3 * i;
      for (std::size_t j = 0; j < size; ++j) {
        const std::size_t d = i * size + j;
        const double intensity_bar = slope[d] * u[d];
        if (detector.quadratic) {
          const double root = root_weight(weights, d);
          const double model_bar = root * u[d], value = intensity[d];
          own[0] += model_bar * value * value;
          own[1] += model_bar * value;
          own[2] += model_bar;
        }
        for (const auto& band : bands_) {
          const T factor = static_cast<T>(2 * band->weight * intensity_bar);
          for (std::size_t dy = 0; dy < bin; ++dy) {
            Complex* row = band->field.data() + (i * bin + dy) * grid + j * bin;
            for (std::size_t dx = 0; dx < bin; ++dx) row[dx] *= factor;
          }
        }
      }
    }
  }
  if (detector.quadratic && detector_bar != nullptr) {
    for (std::size_t i = 0; i < size; ++i) {
      for (std::size_t c = 0; c < 3; ++c) detector_bar[c] += sums[3 * i + c];
    }
  }
}

template <class T>
void FusedPhaseRetrieval<T>::residuals(const T* params, const Detector& detector, double* r,
                                       int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool planned = false;
  threads = start_call(kResiduals, threads, planned);
  const Stopwatch watch;
  reset_engine();
  ensure_tangents(1);
  synthesize(params, wavefront_.data(), threads);
  const std::size_t image = binned_ * binned_;
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    primal_plane(p, detector, true, threads);
    const T* data = cfg_.data + p * image;
    const T* weights = cfg_.weights ? cfg_.weights + p * image : nullptr;
    const double* intensity = binned_intensity_.data();
    double* out = r + p * image;
    for (std::size_t d = 0; d < image; ++d) {
      const double value = intensity[d];
      const double model =
          detector.quadratic ? (detector.a * value + detector.b) * value + detector.c : value;
      const double root = root_weight(weights, d);
      out[d] = root * (model - static_cast<double>(data[d]));
    }
  }
  choices_[kResiduals].record(watch.seconds(), !planned);
}

template <class T>
void FusedPhaseRetrieval<T>::jvp(const T* params, const Detector& detector, const T* params_dot,
                                 const double* detector_dot, double* r_dot, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool planned = false;
  threads = start_call(kJvp, threads, planned);
  const Stopwatch watch;
  reset_engine();
  ensure_tangents(1);
  Tangent& work = *tangents_[0];
  synthesize(params, wavefront_.data(), threads);
  synthesize(params_dot, work.wavefront.data(), threads);
  const std::size_t image = binned_ * binned_;
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    primal_plane(p, detector, false, threads);
    tangent_field(work, false, threads);
    tangent_residuals(p, work, detector, detector_dot, true, r_dot + p * image, threads);
  }
  choices_[kJvp].record(watch.seconds(), !planned);
}

template <class T>
void FusedPhaseRetrieval<T>::vjp(const T* params, const Detector& detector, const double* u,
                                 T* params_bar, double* detector_bar, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool planned = false;
  threads = start_call(kVjp, threads, planned);
  const Stopwatch watch;
  reset_engine();
  ensure_tangents(1);
  if (cfg_.modes == 0) std::memset(params_bar, 0, sizeof(T) * cfg_.n * cfg_.n);
  if (detector_bar != nullptr) detector_bar[0] = detector_bar[1] = detector_bar[2] = 0;
  synthesize(params, wavefront_.data(), threads);
  const std::size_t image = binned_ * binned_;
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    primal_plane(p, detector, true, threads);
    cotangent_pass(p, detector, u + p * image, detector_bar, threads);
    for (auto& band : bands_) transform_adjoint(*band);
    gradient_pass(p == 0, p + 1 == cfg_.planes, params_bar, threads);
  }
  choices_[kVjp].record(watch.seconds(), !planned);
}

template <class T>
void FusedPhaseRetrieval<T>::gauss_newton_product(const T* params, const Detector& detector,
                                                  const T* params_dot,
                                                  const double* detector_dot, T* params_out,
                                                  double* detector_out, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool planned = false;
  threads = start_call(kGaussNewton, threads, planned);
  const Stopwatch watch;
  reset_engine();
  ensure_tangents(1);
  Tangent& work = *tangents_[0];
  if (cfg_.modes == 0) std::memset(params_out, 0, sizeof(T) * cfg_.n * cfg_.n);
  if (detector_out != nullptr) detector_out[0] = detector_out[1] = detector_out[2] = 0;
  synthesize(params, wavefront_.data(), threads);
  synthesize(params_dot, work.wavefront.data(), threads);
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    primal_plane(p, detector, false, threads);
    tangent_field(work, false, threads);
    tangent_residuals(p, work, detector, detector_dot, true, plane_residuals_.data(), threads);
    cotangent_pass(p, detector, plane_residuals_.data(), detector_out, threads);
    for (auto& band : bands_) transform_adjoint(*band);
    gradient_pass(p == 0, p + 1 == cfg_.planes, params_out, threads);
  }
  choices_[kGaussNewton].record(watch.seconds(), !planned);
}

// Columns in parallel, one direction per thread on its own tangent buffers with single-threaded
// plans; a chirp-z band's transform is const and runs on the tangent's own work buffer. With 5
// wavelengths and 20 modes (n = 32 and 64, both precisions) 2 threads took 0.56-0.64x the time
// of serial columns on the quiet 2-core development VM (load average 1.2). Each column is
// computed alone, so the result does not depend on the thread count.
template <class T>
void FusedPhaseRetrieval<T>::jacobian(const T* params, const Detector& detector,
                                      std::size_t plane_begin, std::size_t plane_end,
                                      double* jacobian_t, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int team = team_size(threads);
  plan_for(team);
  reset_engine();
  const int columns_team = std::max(1, threads);
  const bool single = columns_team > 1;
  if (single) plan_single();
  ensure_tangents(static_cast<std::size_t>(columns_team));
  synthesize(params, wavefront_.data(), team);
  const std::size_t image = binned_ * binned_, rows = (plane_end - plane_begin) * image;
  const std::size_t n = cfg_.n;
  const std::size_t wavefront_columns = cfg_.modes > 0 ? cfg_.modes : n * n;
  for (std::size_t p = plane_begin; p < plane_end; ++p) {
    primal_plane(p, detector, true, team);
    const std::size_t offset = (p - plane_begin) * image;
    const long long columns = static_cast<long long>(wavefront_columns);
#pragma omp parallel for num_threads(columns_team) schedule(dynamic) if (columns_team > 1)
    for (long long kk = 0; kk < columns; ++kk) {
      const auto k = static_cast<std::size_t>(kk);
      double* column = jacobian_t + k * rows + offset;
      if (cfg_.modes == 0 && cfg_.amplitude[k] == T(0)) {  // no light: no effect
        std::fill(column, column + image, 0.0);
        continue;
      }
      Tangent& work = *tangents_[static_cast<std::size_t>(omp_get_thread_num())];
      unit_direction(k, work.wavefront.data());
      tangent_field(work, single, single ? 1 : team);
      tangent_residuals(p, work, detector, nullptr, false, column, single ? 1 : team);
    }
    if (detector.quadratic) {
      const T* weights = cfg_.weights ? cfg_.weights + p * image : nullptr;
      const double* intensity = binned_intensity_.data();
      double* da = jacobian_t + wavefront_columns * rows + offset;
      double* db = da + rows;
      double* dc = db + rows;
      for (std::size_t d = 0; d < image; ++d) {
        const double root = root_weight(weights, d);
        da[d] = root * intensity[d] * intensity[d];
        db[d] = root * intensity[d];
        dc[d] = root;
      }
    }
  }
}


// -- the PSF engine's tangent half (the caller serialises; see the header) ------------------

template <class T>
void FusedPhaseRetrieval<T>::begin_tangent(const T* params_dot, const T* amplitude_dot_or_null,
                                           int threads) {
  threads = team_size(threads);
  if (amplitude_dot_or_null != nullptr && !keep_phasor_) {
    throw std::logic_error("begin_tangent: an amplitude tangent needs begin's amplitude");
  }
  ensure_tangents(1);
  amplitude_dot_ = amplitude_dot_or_null;
  synthesize(params_dot, tangents_[0]->wavefront.data(), threads);
}

template <class T>
void FusedPhaseRetrieval<T>::psf_tangent(std::size_t plane, T* intensity_or_null,
                                         T* intensity_dot, int threads) {
  threads = team_size(threads);
  plan_for(threads);
  ensure_tangents(1);
  ensure_plane(plane, threads);
  Tangent& work = *tangents_[0];
  tangent_field(work, false, threads);
  const std::size_t grid = cfg_.grid, band_count = bands_.size();
  const long long rows = static_cast<long long>(grid);
  const int team = threads_for(grid * grid * band_count, threads);
#pragma omp parallel for num_threads(team) schedule(dynamic, 8) if (team > 1)
  for (long long yy = 0; yy < rows; ++yy) {
    const auto y = static_cast<std::size_t>(yy);
    T* out = intensity_dot + y * grid;
    T* primal = intensity_or_null ? intensity_or_null + y * grid : nullptr;
    for (std::size_t l = 0; l < band_count; ++l) {
      const T* g = reinterpret_cast<const T*>(bands_[l]->field.data() + y * grid);
      const T* t = reinterpret_cast<const T*>(work.field[l].data() + y * grid);
      const T weight = static_cast<T>(bands_[l]->weight), twice = 2 * weight;
      for (std::size_t x = 0; x < grid; ++x) {
        const T dot = twice * (g[2 * x] * t[2 * x] + g[2 * x + 1] * t[2 * x + 1]);
        const T norm = weight * (g[2 * x] * g[2 * x] + g[2 * x + 1] * g[2 * x + 1]);
        out[x] = l == 0 ? dot : out[x] + dot;
        if (primal) primal[x] = l == 0 ? norm : primal[x] + norm;
      }
    }
  }
}

// The public members defined here, for both precisions (the class and the members defined in
// phase_retrieval.cpp are instantiated there).
#define PHASEGRAD_TANGENT_MEMBERS(T)                                                          \
  template void FusedPhaseRetrieval<T>::residuals(const T*, const Detector&, double*, int);  \
  template void FusedPhaseRetrieval<T>::jvp(const T*, const Detector&, const T*,             \
                                            const double*, double*, int);                   \
  template void FusedPhaseRetrieval<T>::vjp(const T*, const Detector&, const double*, T*,    \
                                            double*, int);                                  \
  template void FusedPhaseRetrieval<T>::gauss_newton_product(                               \
      const T*, const Detector&, const T*, const double*, T*, double*, int);                 \
  template void FusedPhaseRetrieval<T>::jacobian(const T*, const Detector&, std::size_t,     \
                                                 std::size_t, double*, int);                 \
  template void FusedPhaseRetrieval<T>::begin_tangent(const T*, const T*, int);              \
  template void FusedPhaseRetrieval<T>::psf_tangent(std::size_t, T*, T*, int);
PHASEGRAD_TANGENT_MEMBERS(float)
PHASEGRAD_TANGENT_MEMBERS(double)
#undef PHASEGRAD_TANGENT_MEMBERS

}  // namespace phasegrad::models
