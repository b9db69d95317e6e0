// The fused hologram model: its passes over memory (see models/hologram.hpp for the math).
#include "phasegrad/models/hologram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/core/parallel.hpp"
#include "phasegrad/core/sincos.hpp"

namespace phasegrad::models {

namespace {

// ramp[j] = -2 pi (j shift mod n) / n, reduced to (-pi, pi]: shifting the output of an n-point
// backward DFT by `shift` (y[k] -> y[k - shift]) is the phase ramp exp(i ramp[j]) on its
// input. The product j shift is formed in integers (j shift < 2^62 for any n FFTW's int
// interface takes), so the angle carries one rounding, not j's worth.
template <class T>
std::vector<T> shift_ramp(std::size_t n, std::size_t shift) {
  std::vector<T> ramp(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t k = (j * shift) % n;
    const double turns = 2 * k <= n ? static_cast<double>(k) : -static_cast<double>(n - k);
    ramp[j] = static_cast<T>(-kTwoPi * turns / static_cast<double>(n));
  }
  return ramp;
}

// The ifftshift along one row: element j of a shifted row reads element j + shift (mod cols)
// of the natural row. body(first, last, offset) runs over [first, last) with source index
// j + offset, in two contiguous pieces.
template <class Body>
void for_shifted_row(std::size_t cols, std::size_t shift, Body&& body) {
  body(std::size_t{0}, cols - shift, static_cast<std::ptrdiff_t>(shift));
  body(cols - shift, cols, -static_cast<std::ptrdiff_t>(cols - shift));
}

template <class T>
struct PhasorSums {
  double norm;  // sum |phasor|^2
  T outside;    // sum of (|phi| - sincos_limit<T>())^+: positive (or NaN) when a phase is beyond
};

// Pass 1 on the piece [first, last) of one row of the phasor:
// out[j] = exp(i (source[j + shift] + row_ramp + col_ramp[j])), in T. The ramp goes into the
// angle (sincos_moderate adds it after reducing the phase, so a large phase loses nothing):
// no complex products. A function of its
// own, with everything passed by value, so that the simd loop keeps its pointers and sums in
// registers (captured by reference, they become per-lane stack arrays and the loop stays
// scalar).
template <class T, class SinCosFn>
[[gnu::always_inline]] inline PhasorSums<T> write_phasor(const T* source, T* out,
                                                         const T* col_ramp, T row_ramp,
                                                         std::size_t first, std::size_t last,
                                                         std::int64_t shift, SinCosFn sin_cos) {
  double norm = 0.0;
  T outside = 0;
  const auto begin = static_cast<std::int64_t>(first);
  const auto end = static_cast<std::int64_t>(last);
#pragma omp simd reduction(+ : norm, outside)
  for (std::int64_t j = begin; j < end; ++j) {
    const T phase = source[j + shift];
    // The positive part by arithmetic: a compare would be a bool, which GCC does not
    // vectorize into a sum.
    const T excess = std::fabs(phase) - sincos_limit<T>();
    outside += T(0.5) * (excess + std::fabs(excess));
    const SinCosOf<T> e = sin_cos(phase, row_ramp + col_ramp[j]);
    const T re = e.cos, im = e.sin;
    out[2 * j] = re;
    out[2 * j + 1] = im;
    norm += static_cast<double>(re) * re + static_cast<double>(im) * im;
  }
  return {norm, outside};
}

// Pass 1 with sincos_moderate, cloned for wider SIMD (PHASEGRAD_WIDE_SIMD): measured on the
// AVX-512 development VM, one thread, 512^2, the fused hologram took 4.2-4.3 ms instead of
// 5.0-5.3 in float64 and 2.5-2.8 instead of 3.1-3.3 in float32.
template <class T>
[[gnu::always_inline]] inline PhasorSums<T> write_phasor_moderate(
    const T* source, T* out, const T* col_ramp, T row_ramp, std::size_t first, std::size_t last,
    std::int64_t shift) {
  return write_phasor(source, out, col_ramp, row_ramp, first, last, shift,
                      [](T x, T s) { return sincos_moderate(x, s); });
}
PHASEGRAD_WIDE_SIMD PhasorSums<double> write_phasor_wide(const double* source, double* out,
                                                         const double* col_ramp,
                                                         double row_ramp, std::size_t first,
                                                         std::size_t last, std::int64_t shift) {
  return write_phasor_moderate(source, out, col_ramp, row_ramp, first, last, shift);
}
PHASEGRAD_WIDE_SIMD PhasorSums<float> write_phasor_wide(const float* source, float* out,
                                                        const float* col_ramp, float row_ramp,
                                                        std::size_t first, std::size_t last,
                                                        std::int64_t shift) {
  return write_phasor_moderate(source, out, col_ramp, row_ramp, first, last, shift);
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
      row_ramp_(shift_ramp<T>(rows, rows / 2)),
      col_ramp_(shift_ramp<T>(cols, cols / 2)),
      row_sums_(rows, 0.0),
      phasor_(rows * cols),
      field_(rows * cols) {
  if (rows == 0 || cols == 0) throw std::invalid_argument("target must not be empty");
  for (T value : target_) target_sum_ += static_cast<double>(value);
}

template <class T>
double FusedHologram<T>::forward(const T* phi, int team) {
  const auto rows = static_cast<std::int64_t>(rows_);
  const std::size_t cols = cols_, row_shift = row_shift_, col_shift = col_shift_;
  const T* col_ramp = col_ramp_.data();
  const T* row_ramp = row_ramp_.data();
  std::complex<T>* phasor = phasor_.data();
  double* row_sums = row_sums_.data();

  // Pass 1: phasor = exp(i (phi[j + h] + ramp[j])) in T, and the per-row sums of
  // |phasor|^2 in double. A row holding a phase beyond sincos_limit<T>() is redone with libm's
  // sin and cos.
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = static_cast<std::size_t>(r);
    const T* source = phi + ((row + row_shift) % rows_) * cols;
    T* out = reinterpret_cast<T*>(phasor + row * cols);
    const T ramp = row_ramp[row];
    // The ifftshift along the row: element j reads j + col_shift (mod cols), in two pieces.
    const std::size_t wrap = cols - col_shift;
    const auto ahead = static_cast<std::int64_t>(col_shift);
    const auto behind = -static_cast<std::int64_t>(wrap);
    // write(first, last, shift) writes one piece of the row and returns its sums.
    auto write_row = [&](auto write) {
      const PhasorSums<T> head = write(std::size_t{0}, wrap, ahead);
      const PhasorSums<T> tail = write(wrap, cols, behind);
      return PhasorSums<T>{head.norm + tail.norm, head.outside + tail.outside};
    };
    auto [norm, outside] = write_row([&](std::size_t first, std::size_t last, std::int64_t by) {
      return write_phasor_wide(source, out, col_ramp, ramp, first, last, by);
    });
    if (!(outside <= 0)) {
      // libm in double, rounded to T; the ramp by the angle-sum formulas, since x + shift
      // would round to an ulp of the large x.
      auto libm = [](T x, T shift) {
        const double sx = std::sin(static_cast<double>(x)), cx = std::cos(static_cast<double>(x));
        const double ss = std::sin(static_cast<double>(shift));
        const double cs = std::cos(static_cast<double>(shift));
        return SinCosOf<T>{static_cast<T>(sx * cs + cx * ss), static_cast<T>(cx * cs - sx * ss)};
      };
      norm = write_row([&](std::size_t first, std::size_t last, std::int64_t by) {
        return write_phasor(source, out, col_ramp, ramp, first, last, by, libm);
      }).norm;
    }
    row_sums[row] = norm;
  }
  const double phasor_norm = sum_in_order(row_sums_);

  dft2_unnormalized<T>(phasor_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/true, team);

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
  T* field = reinterpret_cast<T*>(field_.data());
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

  dft2_unnormalized<T>(field_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/false, team);

  // Pass 5: phi_bar[j + h] = Im(phasor_bar[j] conj(phasor[j])).
  const std::size_t row_shift = row_shift_, col_shift = col_shift_;
  const T* phasor = reinterpret_cast<const T*>(phasor_.data());
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
  const T* field = reinterpret_cast<const T*>(field_.data());
#pragma omp parallel for simd num_threads(team) schedule(static)
  for (std::int64_t i = 0; i < total; ++i) {
    const double re = field[2 * i], im = field[2 * i + 1];
    image[i] = static_cast<T>(to_normalised * (re * re + im * im));
  }
}

template class FusedHologram<float>;
template class FusedHologram<double>;

}  // namespace phasegrad::models
