// The fused object-eliminated phase-diversity metric; see models/phase_diversity.hpp.
#include "phasegrad/models/phase_diversity.hpp"

#include <cstring>
#include <stdexcept>
#include <vector>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad::models {

namespace {

// Index of the pixel that ifftshift moves to position i of an axis of length N (N//2 -> 0),
// and the one fftshift moves there ((N+1)//2 -> 0): for i in [0, N).
inline std::size_t ifftshift_source(std::size_t i, std::size_t grid) {
  return (i + grid / 2) % grid;
}
inline std::size_t fftshift_source(std::size_t i, std::size_t grid) {
  return (i + (grid + 1) / 2) % grid;
}

}  // namespace

template <class T>
FusedPhaseDiversity<T>::FusedPhaseDiversity(const PhaseRetrievalConfig<T>& config,
                                            double regularization)
    : engine_(config) {
  if (config.bin != 1 || config.planes < 2) {
    throw std::invalid_argument("phase diversity needs K >= 2 images and no binning");
  }
  if (!(regularization > 0)) throw std::invalid_argument("regularization must be positive");
  images_ = config.planes;
  grid_ = config.grid;
  pairs_ = (images_ + 1) / 2;
  gamma_ = regularization;
  const std::size_t pixels = grid_ * grid_;
  data_spectra_ = Buffer<Complex>::zeros(images_ * pixels);
  image_ = Buffer<T>::zeros(pixels);
  otfs_ = Buffer<Complex>::zeros(pairs_ * pixels);
  otfs_bar_ = Buffer<Complex>::zeros(pairs_ * pixels);
  // D_k = DFT2(ifftshift(d_k)), once.
  for (std::size_t k = 0; k < images_; ++k) {
    spectrum_of(config.data + k * pixels, data_spectra_.data() + k * pixels);
  }
  dft2_unnormalized<T>(data_spectra_.data(), data_spectra_.data(), images_, grid_, grid_, false,
                       1);
}

// The ifftshift of a real (N, N) image into a complex buffer (imaginary parts zero).
template <class T>
void FusedPhaseDiversity<T>::spectrum_of(const T* image, Complex* spectrum) {
  const std::size_t grid = grid_;
  for (std::size_t y = 0; y < grid; ++y) {
    const T* row = image + ifftshift_source(y, grid) * grid;
    for (std::size_t x = 0; x < grid; ++x) {
      spectrum[y * grid + x] = Complex(row[ifftshift_source(x, grid)], T(0));
    }
  }
}

template <class T>
std::size_t FusedPhaseDiversity<T>::workspace_bytes() const {
  return engine_.workspace_bytes() + data_spectra_.bytes() + image_.bytes() + otfs_.bytes() +
         otfs_bar_.bytes();
}

template <class T>
void FusedPhaseDiversity<T>::plan_for(int threads) {
  if (planned_threads_ == threads) return;
  const std::size_t grid = grid_;
  Complex* buffer = otfs_.data();
  // In place on an (N, N) buffer: every row, then every column (the same plans serve every
  // pair's buffer, all aligned alike).
  rows_ = plan_strided_dft1<T>({grid, grid, 1, grid, 1, grid}, false, buffer, buffer, threads);
  columns_ = plan_strided_dft1<T>({grid, grid, grid, 1, grid, 1}, false, buffer, buffer, threads);
  rows_inverse_ =
      plan_strided_dft1<T>({grid, grid, 1, grid, 1, grid}, true, buffer, buffer, threads);
  columns_inverse_ =
      plan_strided_dft1<T>({grid, grid, grid, 1, grid, 1}, true, buffer, buffer, threads);
  planned_threads_ = threads;
}

// The PSFs of every image through the engine, packed in pairs through the ifftshift, and the
// pairs' forward transforms: otfs_[p] = S_2p + i S_2p+1.
template <class T>
void FusedPhaseDiversity<T>::otf_pairs(const T* params, int threads) {
  const std::size_t grid = grid_, pixels = grid * grid;
  engine_.begin(params, nullptr, threads);
  for (std::size_t k = 0; k < images_; ++k) {
    T* image = image_.data();
    engine_.psf(k, image, threads);
    Complex* pair = otfs_.data() + (k / 2) * pixels;
    const bool imaginary = k % 2 == 1;
    const int team = threads_for(pixels, threads);
    const long long rows = static_cast<long long>(grid);
#pragma omp parallel for num_threads(team) schedule(static)
    for (long long yy = 0; yy < rows; ++yy) {
      const auto y = static_cast<std::size_t>(yy);
      const T* row = image + ifftshift_source(y, grid) * grid;
      Complex* out = pair + y * grid;
      if (imaginary) {
        for (std::size_t x = 0; x < grid; ++x) {
          out[x] = Complex(out[x].real(), row[ifftshift_source(x, grid)]);
        }
      } else {
        for (std::size_t x = 0; x < grid; ++x) {
          out[x] = Complex(row[ifftshift_source(x, grid)], T(0));
        }
      }
    }
  }
  for (std::size_t p = 0; p < pairs_; ++p) {
    Complex* pair = otfs_.data() + p * pixels;
    rows_.execute(pair, pair);
    columns_.execute(pair, pair);
  }
}

template <class T>
double FusedPhaseDiversity<T>::value_and_grad(const T* params, T* params_bar, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  plan_for(threads);
  otf_pairs(params, threads);

  using C = std::complex<double>;
  const std::size_t grid = grid_, pixels = grid * grid, images = images_, pairs = pairs_;
  const double gamma = gamma_;
  const double scale = 1.0 / static_cast<double>(pixels);
  const C cotangent_scale(-2.0 * scale, 0.0);
  const Complex* otfs = otfs_.data();
  const Complex* spectra = data_spectra_.data();
  Complex* otfs_bar = otfs_bar_.data();
  std::vector<double> row_energy(grid, 0.0);
  const int team = threads_for(pixels * images, threads);
  const long long rows = static_cast<long long>(grid);
#pragma omp parallel num_threads(team)
  {
    std::vector<C> otf(images), residual(images);
#pragma omp for schedule(static)
    for (long long yy = 0; yy < rows; ++yy) {
      const auto y = static_cast<std::size_t>(yy);
      const std::size_t y_mirror = (grid - y) % grid;
      double energy = 0;
      for (std::size_t x = 0; x < grid; ++x) {
        const std::size_t f = y * grid + x;
        const std::size_t mirror = y_mirror * grid + (grid - x) % grid;
        // S_2p, S_2p+1 from Z_p(f) and Z_p(-f).
        for (std::size_t p = 0; p < pairs; ++p) {
          const C z(otfs[p * pixels + f]);
          const C zm = std::conj(C(otfs[p * pixels + mirror]));
          otf[2 * p] = 0.5 * (z + zm);
          if (2 * p + 1 < images) otf[2 * p + 1] = C(0.0, -0.5) * (z - zm);
        }
        double q = gamma;
        C u(0.0, 0.0);
        for (std::size_t k = 0; k < images; ++k) {
          const C d(spectra[k * pixels + f]);
          q += std::norm(otf[k]);
          u += d * std::conj(otf[k]);
        }
        const C object = u / q;
        double e = gamma * std::norm(object);
        const C factor = cotangent_scale * std::conj(object);
        for (std::size_t k = 0; k < images; ++k) {
          residual[k] = C(spectra[k * pixels + f]) - object * otf[k];
          e += std::norm(residual[k]);
        }
        energy += e;
        for (std::size_t p = 0; p < pairs; ++p) {
          C packed = factor * residual[2 * p];
          if (2 * p + 1 < images) packed += C(0.0, 1.0) * (factor * residual[2 * p + 1]);
          otfs_bar[p * pixels + f] = Complex(packed);
        }
      }
      row_energy[y] = energy;
    }
  }
  double total = 0;
  for (const double e : row_energy) total += e;

  for (std::size_t p = 0; p < pairs; ++p) {
    Complex* pair = otfs_bar + p * pixels;
    rows_inverse_.execute(pair, pair);
    columns_inverse_.execute(pair, pair);
  }
  // I_k_bar = fftshift(Re or Im of the pair's inverse transform), last image first.
  for (std::size_t kk = images; kk-- > 0;) {
    const Complex* pair = otfs_bar + (kk / 2) * pixels;
    const bool imaginary = kk % 2 == 1;
    T* image = image_.data();
    for (std::size_t y = 0; y < grid; ++y) {
      const Complex* row = pair + fftshift_source(y, grid) * grid;
      T* out = image + y * grid;
      for (std::size_t x = 0; x < grid; ++x) {
        const Complex value = row[fftshift_source(x, grid)];
        out[x] = imaginary ? value.imag() : value.real();
      }
    }
    engine_.psf_reverse(kk, image, kk == images - 1, kk == 0, params_bar, nullptr, threads);
  }
  return total * scale;
}

template <class T>
void FusedPhaseDiversity<T>::estimate_object(const T* params, T* object, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  plan_for(threads);
  otf_pairs(params, threads);

  using C = std::complex<double>;
  const std::size_t grid = grid_, pixels = grid * grid, images = images_, pairs = pairs_;
  const Complex* otfs = otfs_.data();
  const Complex* spectra = data_spectra_.data();
  Complex* spectrum = otfs_bar_.data();
  std::vector<C> otf(images);
  for (std::size_t y = 0; y < grid; ++y) {
    const std::size_t y_mirror = (grid - y) % grid;
    for (std::size_t x = 0; x < grid; ++x) {
      const std::size_t f = y * grid + x;
      const std::size_t mirror = y_mirror * grid + (grid - x) % grid;
      for (std::size_t p = 0; p < pairs; ++p) {
        const C z(otfs[p * pixels + f]);
        const C zm = std::conj(C(otfs[p * pixels + mirror]));
        otf[2 * p] = 0.5 * (z + zm);
        if (2 * p + 1 < images) otf[2 * p + 1] = C(0.0, -0.5) * (z - zm);
      }
      double q = gamma_;
      C u(0.0, 0.0);
      for (std::size_t k = 0; k < images; ++k) {
        q += std::norm(otf[k]);
        u += C(spectra[k * pixels + f]) * std::conj(otf[k]);
      }
      spectrum[f] = Complex(u / q);
    }
  }
  rows_inverse_.execute(spectrum, spectrum);
  columns_inverse_.execute(spectrum, spectrum);
  const T scale = static_cast<T>(1.0 / static_cast<double>(pixels));
  for (std::size_t y = 0; y < grid; ++y) {
    const Complex* row = spectrum + fftshift_source(y, grid) * grid;
    for (std::size_t x = 0; x < grid; ++x) {
      object[y * grid + x] = row[fftshift_source(x, grid)].real() * scale;
    }
  }
}

template class FusedPhaseDiversity<float>;
template class FusedPhaseDiversity<double>;

}  // namespace phasegrad::models
