// The fused phase-retrieval model; see models/phase_retrieval.hpp for the passes.
#include "phasegrad/models/phase_retrieval.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "phasegrad/blas.hpp"
#include "phasegrad/parallel.hpp"

namespace phasegrad {

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// exp(2 pi i m / N) for an integer m in [0, N), exact at the quarter turns.
std::complex<double> turn(std::size_t m, std::size_t period) {
  if (m == 0) return {1.0, 0.0};
  if (2 * m == period) return {-1.0, 0.0};
  if (4 * m == period) return {0.0, 1.0};
  if (4 * m == 3 * period) return {0.0, -1.0};
  const double angle = kTwoPi * static_cast<double>(m) / static_cast<double>(period);
  return {std::cos(angle), std::sin(angle)};
}

int as_int(std::size_t value) {
  if (value > static_cast<std::size_t>(1) << 30) {
    throw std::invalid_argument("the padded grid is too large for the BLAS int interface");
  }
  return static_cast<int>(value);
}

}  // namespace

// Zero-initialised, 64-byte aligned memory (FFTW's SIMD alignment and a cache line).
template <class T>
struct FusedPhaseRetrieval<T>::Buffer {
  void* data = nullptr;
  std::size_t bytes = 0;
  explicit Buffer(std::size_t size) : bytes(size) {
    const std::size_t rounded = ((size + 63) / 64) * 64;
    data = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (data == nullptr) throw std::bad_alloc();
    std::memset(data, 0, rounded == 0 ? 64 : rounded);
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  template <class U>
  U* as() const {
    return static_cast<U*>(data);
  }
};

template <class T>
struct FusedPhaseRetrieval<T>::Band {
  double wavelength = 1, weight = 1;
  T phase_scale = 1;                // 2 pi / lambda
  bool fft = true;                  // the reference wavelength: the FFT path, else an MFT
  std::unique_ptr<Buffer> pupil;    // g, (N, n) on the FFT path (rows >= n stay zero), else (n, n)
  std::unique_ptr<Buffer> field;    // G, then G_bar, then g_bar in its top-left (n, n): (N, N)
  std::vector<Complex> mft;         // E[k, x] = exp(-2 pi i s (k - N//2) x), (N, n)
  std::vector<Complex> mft_conj;    // conj(E)
  StridedPlan<T> columns, rows, rows_adjoint, columns_adjoint;
};

template <class T>
FusedPhaseRetrieval<T>::FusedPhaseRetrieval(const PhaseRetrievalConfig<T>& config)
    : cfg_(config) {
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  if (n < 1 || grid < n || cfg_.bin < 1 || grid % cfg_.bin != 0 || cfg_.planes < 1) {
    throw std::invalid_argument("inconsistent phase-retrieval sizes");
  }
  if (cfg_.wavelengths.empty() || cfg_.wavelengths.size() != cfg_.spectral_weights.size()) {
    throw std::invalid_argument("one spectral weight per wavelength is needed");
  }
  if (cfg_.amplitude == nullptr || cfg_.data == nullptr || (cfg_.modes > 0 && !cfg_.basis)) {
    throw std::invalid_argument("amplitude, data (and basis with modes) are required");
  }
  binned_ = grid / cfg_.bin;

  // Runs of non-zero amplitude, row by row.
  row_runs_.assign(n + 1, 0);
  for (std::size_t y = 0; y < n; ++y) {
    row_runs_[y] = runs_.size();
    std::size_t x = 0;
    while (x < n) {
      while (x < n && cfg_.amplitude[y * n + x] == T(0)) ++x;
      const std::size_t start = x;
      while (x < n && cfg_.amplitude[y * n + x] != T(0)) ++x;
      if (x > start) runs_.push_back({y, start, x});
    }
  }
  row_runs_[n] = runs_.size();

  ramp_.resize(n);
  for (std::size_t x = 0; x < n; ++x) {
    ramp_[x] = Complex(turn((x * (grid / 2)) % grid, grid));
  }

  const std::size_t complex_bytes = sizeof(Complex);
  bool any_fft = false;
  for (std::size_t l = 0; l < cfg_.wavelengths.size(); ++l) {
    auto band = std::make_unique<Band>();
    band->wavelength = cfg_.wavelengths[l];
    band->weight = cfg_.spectral_weights[l];
    band->phase_scale = static_cast<T>(kTwoPi / band->wavelength);
    band->fft = band->wavelength == cfg_.wavelength;
    any_fft = any_fft || band->fft;
    band->pupil = std::make_unique<Buffer>(complex_bytes * (band->fft ? grid : n) * n);
    band->field = std::make_unique<Buffer>(complex_bytes * grid * grid);
    if (!band->fft) {
      complex_gemm<T>();  // fail here, not inside a call, when no BLAS is registered
      const double scale = cfg_.wavelength / (band->wavelength * static_cast<double>(grid));
      band->mft.resize(grid * n);
      band->mft_conj.resize(grid * n);
      for (std::size_t k = 0; k < grid; ++k) {
        const double centred = static_cast<double>(k) - static_cast<double>(grid / 2);
        for (std::size_t x = 0; x < n; ++x) {
          const double angle = -kTwoPi * scale * centred * static_cast<double>(x);
          const std::complex<double> e(std::cos(angle), std::sin(angle));
          band->mft[k * n + x] = Complex(e);
          band->mft_conj[k * n + x] = Complex(std::conj(e));
        }
      }
    }
    bands_.push_back(std::move(band));
  }
  // The FFT path's staging grid between its column and row stages (columns >= n stay zero);
  // the MFT path's (N, n) intermediate product. One buffer serves both, one band at a time,
  // so the MFT path zeroes what it used before the FFT path runs again.
  staging_ = std::make_unique<Buffer>(complex_bytes * grid * grid);
  (void)any_fft;
  wavefront_ = std::make_unique<Buffer>(sizeof(T) * n * n);
  wavefront_bar_ = std::make_unique<Buffer>(sizeof(T) * n * n);
}

template <class T>
FusedPhaseRetrieval<T>::~FusedPhaseRetrieval() = default;

template <class T>
std::size_t FusedPhaseRetrieval<T>::workspace_bytes() const {
  std::size_t total = staging_->bytes + wavefront_->bytes + wavefront_bar_->bytes;
  for (const auto& band : bands_) {
    total += band->pupil->bytes + band->field->bytes;
    total += sizeof(Complex) * (band->mft.size() + band->mft_conj.size());
  }
  return total;
}

template <class T>
void FusedPhaseRetrieval<T>::plan_for(int threads) {
  if (planned_threads_ == threads) return;
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  Complex* staging = staging_->template as<Complex>();
  for (auto& band : bands_) {
    if (!band->fft) continue;
    Complex* pupil = band->pupil->template as<Complex>();
    Complex* field = band->field->template as<Complex>();
    // Forward: the n non-zero columns of the zero-padded pupil (stride n) into the staging
    // grid, then every row of it into the field. Adjoint: every row of G_bar in place, then
    // only the n columns the crop keeps.
    band->columns = plan_strided_dft1<T>({grid, n, n, 1, grid, 1}, false, pupil, staging, threads);
    band->rows = plan_strided_dft1<T>({grid, grid, 1, grid, 1, grid}, false, staging, field,
                                      threads);
    band->rows_adjoint = plan_strided_dft1<T>({grid, grid, 1, grid, 1, grid}, true, field, field,
                                              threads);
    band->columns_adjoint = plan_strided_dft1<T>({grid, n, grid, 1, grid, 1}, true, field, field,
                                                 threads);
  }
  planned_threads_ = threads;
}

// W = sum_k a_k Z_k on the pupil's support (or W = a for a wavefront map), in blocks that stay
// in cache while every mode is added.
template <class T>
void FusedPhaseRetrieval<T>::synthesize(const T* params, int threads) {
  const std::size_t n = cfg_.n, pixels = n * n, modes = cfg_.modes;
  T* wavefront = wavefront_->template as<T>();
  const T* basis = cfg_.basis;
  const long long rows = static_cast<long long>(n);
  const int team = threads_for(modes == 0 ? pixels : pixels * modes, threads);
#pragma omp parallel for num_threads(team) schedule(static)
  for (long long yy = 0; yy < rows; ++yy) {
    const auto y = static_cast<std::size_t>(yy);
    for (std::size_t r = row_runs_[y]; r < row_runs_[y + 1]; ++r) {
      const std::size_t begin = y * n + runs_[r].x0, end = y * n + runs_[r].x1;
      if (modes == 0) {
        for (std::size_t i = begin; i < end; ++i) wavefront[i] = params[i];
        continue;
      }
      for (std::size_t i = begin; i < end; ++i) wavefront[i] = params[0] * basis[i];
      for (std::size_t k = 1; k < modes; ++k) {
        const T coefficient = params[k];
        const T* mode = basis + k * pixels;
        for (std::size_t i = begin; i < end; ++i) wavefront[i] += coefficient * mode[i];
      }
    }
  }
}

// Pass A: g = A exp(i 2 pi / lam (W + Phi_p)) for every wavelength, written into each band's
// pupil buffer; on the FFT path times ramp[x] ramp[y], which moves the zero frequency of the
// transform to pixel (N//2, N//2) (the fftshift).
template <class T>
void FusedPhaseRetrieval<T>::pupil_fields(std::size_t plane, int threads) {
  const std::size_t n = cfg_.n;
  const T* wavefront = wavefront_->template as<T>();
  const T* amplitude = cfg_.amplitude;
  const T* diversity = cfg_.diversity ? cfg_.diversity + plane * n * n : nullptr;
  const long long rows = static_cast<long long>(n);
  const int team = threads_for(n * n * bands_.size() * 8, threads);
  for (auto& band : bands_) {
    Complex* pupil = band->pupil->template as<Complex>();
    const T scale = band->phase_scale;
    const bool shift = band->fft;
    const Complex* ramp = ramp_.data();
#pragma omp parallel for num_threads(team) schedule(static)
    for (long long yy = 0; yy < rows; ++yy) {
      const auto y = static_cast<std::size_t>(yy);
      const Complex row_ramp = shift ? ramp[y] : Complex(1);
      for (std::size_t r = row_runs_[y]; r < row_runs_[y + 1]; ++r) {
        for (std::size_t x = runs_[r].x0; x < runs_[r].x1; ++x) {
          const std::size_t i = y * n + x;
          const T phase = (diversity ? wavefront[i] + diversity[i] : wavefront[i]) * scale;
          Complex g(amplitude[i] * std::cos(phase), amplitude[i] * std::sin(phase));
          if (shift) g *= row_ramp * ramp[x];
          pupil[i] = g;
        }
      }
    }
  }
}

template <class T>
void FusedPhaseRetrieval<T>::transform_forward(Band& band, int threads) {
  (void)threads;
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  Complex* pupil = band.pupil->template as<Complex>();
  Complex* field = band.field->template as<Complex>();
  Complex* staging = staging_->template as<Complex>();
  if (band.fft) {
    band.columns.execute(pupil, staging);
    band.rows.execute(staging, field);
    return;
  }
  // G = E g E^T: (n, N) = g E^T into the staging buffer, then E (g E^T).
  const int in = as_int(n), out = as_int(grid);
  gemm_row_major<T>('N', 'T', in, out, in, pupil, in, band.mft.data(), in, staging, out);
  gemm_row_major<T>('N', 'N', out, out, in, band.mft.data(), in, staging, out, field, out);
  std::memset(static_cast<void*>(staging), 0, sizeof(Complex) * n * grid);
}

template <class T>
void FusedPhaseRetrieval<T>::transform_adjoint(Band& band, int threads) {
  (void)threads;
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  Complex* field = band.field->template as<Complex>();
  if (band.fft) {
    band.rows_adjoint.execute(field, field);
    band.columns_adjoint.execute(field, field);
    return;
  }
  // g_bar = E^H G_bar conj(E): (N, n) = G_bar conj(E), then conj(E)^T of it, written into the
  // field's top-left (n, n) with row stride N.
  Complex* staging = staging_->template as<Complex>();
  const int in = as_int(n), out = as_int(grid);
  gemm_row_major<T>('N', 'N', out, in, out, field, out, band.mft_conj.data(), in, staging, in);
  gemm_row_major<T>('T', 'N', in, in, out, band.mft_conj.data(), in, staging, in, field, out);
  std::memset(static_cast<void*>(staging), 0, sizeof(Complex) * n * grid);
}

// Pass B: I = sum_lam s |G|^2, binned; the detector model M; with `reverse`, E, the detector
// gradients and G_bar = 2 s I_bar G in place (Eq. 53, 88, 93, 98-101), else M into `model`.
template <class T>
double FusedPhaseRetrieval<T>::detector_pass(std::size_t plane, const Detector& detector,
                                             T* model, bool reverse, double* detector_bar,
                                             int threads) {
  const std::size_t grid = cfg_.grid, bin = cfg_.bin, size = binned_;
  const std::size_t offset = plane * size * size;
  const T* data = cfg_.data + offset;
  const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
  const std::size_t band_count = bands_.size();
  std::vector<Complex*> fields(band_count);
  std::vector<T> weight(band_count), twice_weight(band_count);
  for (std::size_t l = 0; l < band_count; ++l) {
    fields[l] = bands_[l]->field->template as<Complex>();
    weight[l] = static_cast<T>(bands_[l]->weight);
    twice_weight[l] = static_cast<T>(2 * bands_[l]->weight);
  }
  const bool quadratic = detector.quadratic;
  const T qa = static_cast<T>(detector.a), qb = static_cast<T>(detector.b),
          qc = static_cast<T>(detector.c);
  double energy = 0, bar_a = 0, bar_b = 0, bar_c = 0;
  const long long rows = static_cast<long long>(size);
  const int team = threads_for(grid * grid * band_count, threads);
#pragma omp parallel for num_threads(team) schedule(static) \
    reduction(+ : energy, bar_a, bar_b, bar_c)
  for (long long ii = 0; ii < rows; ++ii) {
    const auto i = static_cast<std::size_t>(ii);
    for (std::size_t j = 0; j < size; ++j) {
      T intensity = 0;
      for (std::size_t l = 0; l < band_count; ++l) {
        T band_sum = 0;
        for (std::size_t dy = 0; dy < bin; ++dy) {
          const Complex* row = fields[l] + (i * bin + dy) * grid + j * bin;
          for (std::size_t dx = 0; dx < bin; ++dx) band_sum += std::norm(row[dx]);
        }
        intensity += weight[l] * band_sum;
      }
      const std::size_t d = i * size + j;
      const T value = quadratic ? (qa * intensity + qb) * intensity + qc : intensity;
      if (!reverse) {
        model[offset + d] = value;
        continue;
      }
      const T residual = value - data[d];
      const T weighted = weights ? weights[d] * residual : residual;
      energy += static_cast<double>(weighted) * static_cast<double>(residual);
      const T value_bar = 2 * weighted;
      T intensity_bar = value_bar;
      if (quadratic) {
        intensity_bar = value_bar * (2 * qa * intensity + qb);
        const double vb = static_cast<double>(value_bar), iv = static_cast<double>(intensity);
        bar_a += vb * iv * iv;
        bar_b += vb * iv;
        bar_c += vb;
      }
      for (std::size_t l = 0; l < band_count; ++l) {
        const T factor = twice_weight[l] * intensity_bar;
        for (std::size_t dy = 0; dy < bin; ++dy) {
          Complex* row = fields[l] + (i * bin + dy) * grid + j * bin;
          for (std::size_t dx = 0; dx < bin; ++dx) row[dx] *= factor;
        }
      }
    }
  }
  if (reverse && quadratic && detector_bar != nullptr) {
    detector_bar[0] += bar_a;
    detector_bar[1] += bar_b;
    detector_bar[2] += bar_c;
  }
  return energy;
}

// Pass C: W_bar (+)= sum_lam 2 pi / lam Im(g_bar conj(g)) (Eq. 51, 57, 61); on the last plane
// a_bar_k = sum W_bar Z_k (Eq. 58) row by row while the row of W_bar is in cache, or
// a_bar = W_bar for a wavefront map.
template <class T>
void FusedPhaseRetrieval<T>::gradient_pass(bool first_plane, bool last_plane, T* params_bar,
                                           int threads) {
  const std::size_t n = cfg_.n, grid = cfg_.grid, pixels = n * n, modes = cfg_.modes;
  T* wavefront_bar = wavefront_bar_->template as<T>();
  const std::size_t band_count = bands_.size();
  std::vector<const Complex*> pupils(band_count), fields(band_count);
  std::vector<T> scales(band_count);
  for (std::size_t l = 0; l < band_count; ++l) {
    pupils[l] = bands_[l]->pupil->template as<Complex>();
    fields[l] = bands_[l]->field->template as<Complex>();
    scales[l] = bands_[l]->phase_scale;
  }
  const bool project = last_plane && modes > 0;
  const T* basis = cfg_.basis;
  std::vector<double> totals(project ? modes : 0, 0.0);
  const long long rows = static_cast<long long>(n);
  const int team = threads_for(project ? pixels * modes : pixels * band_count * 4, threads);
#pragma omp parallel num_threads(team)
  {
    std::vector<double> partial(project ? modes : 0, 0.0);
#pragma omp for schedule(static)
    for (long long yy = 0; yy < rows; ++yy) {
      const auto y = static_cast<std::size_t>(yy);
      for (std::size_t r = row_runs_[y]; r < row_runs_[y + 1]; ++r) {
        const std::size_t x0 = runs_[r].x0, x1 = runs_[r].x1;
        for (std::size_t x = x0; x < x1; ++x) {
          T sum = 0;
          for (std::size_t l = 0; l < band_count; ++l) {
            const Complex g_bar = fields[l][y * grid + x], g = pupils[l][y * n + x];
            sum += scales[l] * (g_bar.imag() * g.real() - g_bar.real() * g.imag());
          }
          wavefront_bar[y * n + x] = first_plane ? sum : wavefront_bar[y * n + x] + sum;
        }
        if (last_plane && modes == 0) {
          for (std::size_t x = x0; x < x1; ++x) params_bar[y * n + x] = wavefront_bar[y * n + x];
        }
        if (project) {
          const T* w_bar = wavefront_bar + y * n;
          for (std::size_t k = 0; k < modes; ++k) {
            const T* mode = basis + k * pixels + y * n;
            double dot = 0;
            for (std::size_t x = x0; x < x1; ++x) {
              dot += static_cast<double>(mode[x]) * static_cast<double>(w_bar[x]);
            }
            partial[k] += dot;
          }
        }
      }
    }
    if (project) {
#pragma omp critical(phasegrad_projection)
      for (std::size_t k = 0; k < modes; ++k) totals[k] += partial[k];
    }
  }
  if (project) {
    for (std::size_t k = 0; k < modes; ++k) params_bar[k] = static_cast<T>(totals[k]);
  }
}

template <class T>
double FusedPhaseRetrieval<T>::value_and_grad(const T* params, const Detector& detector,
                                              T* params_bar, double* detector_bar,
                                              int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  threads = threads < 1 ? 1 : threads;
  plan_for(threads);
  if (cfg_.modes == 0) std::memset(params_bar, 0, sizeof(T) * cfg_.n * cfg_.n);
  if (detector_bar != nullptr) detector_bar[0] = detector_bar[1] = detector_bar[2] = 0;
  synthesize(params, threads);
  double energy = 0;
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    pupil_fields(p, threads);
    for (auto& band : bands_) transform_forward(*band, threads);
    energy += detector_pass(p, detector, nullptr, true, detector_bar, threads);
    for (auto& band : bands_) transform_adjoint(*band, threads);
    gradient_pass(p == 0, p + 1 == cfg_.planes, params_bar, threads);
  }
  return energy;
}

template <class T>
void FusedPhaseRetrieval<T>::simulate(const T* params, const Detector& detector, T* model,
                                      int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  threads = threads < 1 ? 1 : threads;
  plan_for(threads);
  synthesize(params, threads);
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    pupil_fields(p, threads);
    for (auto& band : bands_) transform_forward(*band, threads);
    detector_pass(p, detector, model, false, nullptr, threads);
  }
}

template class FusedPhaseRetrieval<float>;
template class FusedPhaseRetrieval<double>;

}  // namespace phasegrad
