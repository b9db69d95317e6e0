// The fused hologram model: its passes over memory (see models/hologram.hpp for the math).
#include "phasegrad/models/hologram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <utility>

#include "phasegrad/fft.hpp"
#include "phasegrad/fftw_api.hpp"
#include "phasegrad/kernels/sincos.hpp"
#include "phasegrad/parallel.hpp"

namespace phasegrad::models {

namespace {

// exp(-2 pi i k / n) for 0 <= k < n: exact at quarter turns (the ramps of even extents are
// then exactly +-1), else from the angle of the reduced fraction k / n.
std::complex<double> unit_root(std::size_t k, std::size_t n) {
  if ((4 * k) % n == 0) {
    switch ((4 * k) / n) {
      case 0: return {1.0, 0.0};
      case 1: return {0.0, -1.0};
      case 2: return {-1.0, 0.0};
      default: return {0.0, 1.0};
    }
  }
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  const double angle = -kTwoPi * static_cast<double>(k) / static_cast<double>(n);
  return {std::cos(angle), std::sin(angle)};
}

// ramp[j] = exp(-2 pi i (j shift mod n) / n): shifting the output of an n-point backward DFT
// by `shift` (y[k] -> y[k - shift]) is this ramp on its input. j shift < 2^64 for any n that
// fits FFTW's int.
std::vector<std::complex<double>> shift_ramp(std::size_t n, std::size_t shift) {
  std::vector<std::complex<double>> ramp(n);
  for (std::size_t j = 0; j < n; ++j) ramp[j] = unit_root((j * shift) % n, n);
  return ramp;
}

template <class T>
std::complex<T>* allocate_plane(std::size_t elements) {
  void* block = FftwApi<T>::malloc(sizeof(std::complex<T>) * elements);
  if (block == nullptr) throw std::bad_alloc();
  return static_cast<std::complex<T>*>(block);
}

// The ifftshift along one row: element j of a shifted row reads element j + shift (mod cols)
// of the natural row. body(first, last, offset) runs over [first, last) with source index
// j + offset, in two contiguous pieces.
template <class Body>
void for_shifted_row(std::size_t cols, std::size_t shift, Body&& body) {
  body(std::size_t{0}, cols - shift, static_cast<std::ptrdiff_t>(shift));
  body(cols - shift, cols, -static_cast<std::ptrdiff_t>(cols - shift));
}

struct PhasorSums {
  double norm;     // sum |phasor|^2
  double outside;  // sum of (|phi| - kSincosLimit)^+: positive (or NaN) when a phase is beyond
};

// Pass 1 on the piece [first, last) of one row of the phasor: out[j] = exp(i source[j + shift])
// (rr + i ri) col_ramp[j], computed in double and rounded to T at the store. A function of its
// own, with everything passed by value, so that the simd loop keeps its pointers and sums in
// registers (captured by reference, they become per-lane stack arrays and the loop stays
// scalar).
template <class T, class SinCosOf>
PhasorSums write_phasor(const T* source, T* out, const double* col_ramp, double rr, double ri,
                        std::size_t first, std::size_t last, std::int64_t shift,
                        SinCosOf sin_cos) {
  double norm = 0.0, outside = 0.0;
  const auto begin = static_cast<std::int64_t>(first);
  const auto end = static_cast<std::int64_t>(last);
#pragma omp simd reduction(+ : norm, outside)
  for (std::int64_t j = begin; j < end; ++j) {
    const double angle = static_cast<double>(source[j + shift]);
    // The positive part by arithmetic: a compare would be a bool, which GCC does not
    // vectorize into a double sum.
    const double excess = std::fabs(angle) - kSincosLimit;
    outside += 0.5 * (excess + std::fabs(excess));
    const SinCos e = sin_cos(angle);
    const double cr = col_ramp[2 * j], ci = col_ramp[2 * j + 1];
    const double wr = rr * cr - ri * ci, wi = rr * ci + ri * cr;
    const T re = static_cast<T>(e.cos * wr - e.sin * wi);
    const T im = static_cast<T>(e.cos * wi + e.sin * wr);
    out[2 * j] = re;
    out[2 * j + 1] = im;
    norm += static_cast<double>(re) * re + static_cast<double>(im) * im;
  }
  return {norm, outside};
}

double sum_in_order(const std::vector<double>& parts) {
  double total = 0.0;
  for (double part : parts) total += part;
  return total;
}

}  // namespace

template <class T>
FusedHologram<T>::FusedHologram(const T* target, std::size_t rows, std::size_t cols)
    : rows_(rows),
      cols_(cols),
      row_shift_(rows / 2),
      col_shift_(cols / 2),
      target_(target, target + rows * cols),
      target_sum_(0.0),
      row_ramp_(shift_ramp(rows, rows / 2)),
      col_ramp_(shift_ramp(cols, cols / 2)),
      row_sums_(rows, 0.0) {
  if (rows == 0 || cols == 0) throw std::invalid_argument("target must not be empty");
  for (T value : target_) target_sum_ += static_cast<double>(value);
  phasor_ = allocate_plane<T>(rows * cols);
  try {
    field_ = allocate_plane<T>(rows * cols);
  } catch (...) {
    FftwApi<T>::free(phasor_);
    throw;
  }
}

template <class T>
FusedHologram<T>::~FusedHologram() {
  FftwApi<T>::free(phasor_);
  FftwApi<T>::free(field_);
}

template <class T>
double FusedHologram<T>::forward(const T* phi, int team) {
  const auto rows = static_cast<std::int64_t>(rows_);
  const std::size_t cols = cols_, row_shift = row_shift_, col_shift = col_shift_;
  const double* col_ramp = reinterpret_cast<const double*>(col_ramp_.data());
  const std::complex<double>* row_ramp = row_ramp_.data();
  std::complex<T>* phasor = phasor_;
  double* row_sums = row_sums_.data();

  // Pass 1: phasor = exp(i phi[j + h]) ramp[j], and the per-row sums of |phasor|^2, in
  // double for both precisions (the float path rounds once, at the store). The products are
  // written out on real and imaginary parts: std::complex's operator* checks for NaN and calls
  // __muldc3, which keeps the loop from vectorizing. A row holding a phase beyond
  // kSincosLimit is redone with libm's sin and cos.
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = static_cast<std::size_t>(r);
    const T* source = phi + ((row + row_shift) % rows_) * cols;
    T* out = reinterpret_cast<T*>(phasor + row * cols);
    const double rr = row_ramp[row].real(), ri = row_ramp[row].imag();
    auto write_row = [&](auto sin_cos) {
      const PhasorSums head = write_phasor(source, out, col_ramp, rr, ri, 0, cols - col_shift,
                                           static_cast<std::int64_t>(col_shift), sin_cos);
      const PhasorSums tail = write_phasor(source, out, col_ramp, rr, ri, cols - col_shift, cols,
                                           -static_cast<std::int64_t>(cols - col_shift), sin_cos);
      return PhasorSums{head.norm + tail.norm, head.outside + tail.outside};
    };
    auto [norm, outside] = write_row([](double x) { return sincos_moderate(x); });
    if (!(outside <= 0.0)) {
      norm = write_row([](double x) { return SinCos{std::sin(x), std::cos(x)}; }).norm;
    }
    row_sums[row] = norm;
  }
  const double phasor_norm = sum_in_order(row_sums_);

  dft2_unnormalized<T>(phasor_, field_, 1, rows_, cols_, /*inverse=*/true, team);

  // Parseval: sum |G|^2 = N sum |phasor|^2, so sum I = sum |G|^2 / N^2 = sum |phasor|^2 / N
  // and I_r = s |G|^2 / N^2 with s = sum T / sum I.
  const double n = static_cast<double>(rows_ * cols_);
  const double intensity_sum = phasor_norm / n;
  return (target_sum_ / intensity_sum) / (n * n);
}

template <class T>
double FusedHologram<T>::value_and_grad(const T* phi, T* phi_bar, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const double to_normalised = forward(phi, team);

  // Pass 3: E and the field's cotangent in place. With N_bar = 2 r / N (wsse_vjp, E_bar = 1/N)
  // and I_bar = s N_bar (mean_normalize_vjp; its constant term drops out, see the header),
  // G_bar = 2 I_bar G / N^2 (abs2_vjp through F = G / N), and the forward FFT below times 1/N
  // (idft2_vjp) gives the phasor's cotangent: field <- (4 s / N^3) r G.
  const double n = static_cast<double>(count);
  const double to_cotangent = 4.0 * to_normalised / n;
  const auto rows = static_cast<std::int64_t>(rows_);
  const auto cols = static_cast<std::int64_t>(cols_);
  T* field = reinterpret_cast<T*>(field_);
  const T* target = target_.data();
  double* row_sums = row_sums_.data();
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    T* g = field + 2 * r * cols;
    const T* t = target + r * cols;
    double squares = 0.0;
#pragma omp simd reduction(+ : squares)
    for (std::int64_t j = 0; j < cols; ++j) {
      const double re = g[2 * j], im = g[2 * j + 1];
      const double residual = to_normalised * (re * re + im * im) - static_cast<double>(t[j]);
      squares += residual * residual;
      const double weight = to_cotangent * residual;
      g[2 * j] = static_cast<T>(weight * re);
      g[2 * j + 1] = static_cast<T>(weight * im);
    }
    row_sums[r] = squares;
  }
  const double energy = sum_in_order(row_sums_) / n;

  dft2_unnormalized<T>(field_, field_, 1, rows_, cols_, /*inverse=*/false, team);

  // Pass 5: phi_bar[j + h] = Im(phasor_bar[j] conj(phasor[j])).
  const std::size_t row_shift = row_shift_, col_shift = col_shift_;
  const T* phasor = reinterpret_cast<const T*>(phasor_);
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = static_cast<std::size_t>(r);
    const T* a = phasor + 2 * r * cols;
    const T* b = field + 2 * r * cols;
    T* out = phi_bar + ((row + row_shift) % rows_) * cols_;
    for_shifted_row(cols_, col_shift, [&](std::size_t first, std::size_t last,
                                          std::ptrdiff_t offset) {
      const auto begin = static_cast<std::int64_t>(first);
      const auto end = static_cast<std::int64_t>(last);
      const auto shift = static_cast<std::int64_t>(offset);
#pragma omp simd
      for (std::int64_t j = begin; j < end; ++j) {
        out[j + shift] = b[2 * j + 1] * a[2 * j] - b[2 * j] * a[2 * j + 1];
      }
    });
  }
  return energy;
}

template <class T>
void FusedHologram<T>::simulate(const T* phi, T* image, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const double to_normalised = forward(phi, team);
  const auto total = static_cast<std::int64_t>(count);
  const T* field = reinterpret_cast<const T*>(field_);
#pragma omp parallel for simd num_threads(team) schedule(static)
  for (std::int64_t i = 0; i < total; ++i) {
    const double re = field[2 * i], im = field[2 * i + 1];
    image[i] = static_cast<T>(to_normalised * (re * re + im * im));
  }
}

template class FusedHologram<float>;
template class FusedHologram<double>;

}  // namespace phasegrad::models
