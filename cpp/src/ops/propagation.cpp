// The propagation kernels. See ops/propagation.hpp; the formulas are those of
// python/phasegrad/reference/propagation.py, evaluated in the same order.
#include "phasegrad/ops/propagation.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

namespace {

// k / (n pitch) for the signed index k of an n-point DFT (FFT order).
std::vector<double> frequencies(std::size_t n, double pitch) {
  std::vector<double> f(n);
  const double extent = static_cast<double>(n) * pitch;
  for (std::size_t q = 0; q < n; ++q) {
    const double k = q >= (n + 1) / 2 ? static_cast<double>(q) - static_cast<double>(n)
                                      : static_cast<double>(q);
    f[q] = k / extent;
  }
  return f;
}

// exp(2 pi i cycles), the whole turns removed first.
std::complex<double> turns(double cycles) {
  const double angle = kTwoPi * (cycles - std::nearbyint(cycles));
  return {std::cos(angle), std::sin(angle)};
}

template <class T>
std::complex<T> times(const std::complex<T>& a, const std::complex<double>& b) {
  return a * std::complex<T>(static_cast<T>(b.real()), static_cast<T>(b.imag()));
}

template <class T>
void through_transfer(const std::complex<T>* in, std::complex<T>* out, std::size_t batch,
                      std::size_t rows, std::size_t cols, const Propagation& p, bool adjoint,
                      int threads) {
  const std::size_t prows = p.pad * rows, pcols = p.pad * cols, plane = prows * pcols;
  const std::vector<std::complex<double>> h = transfer_function(prows, pcols, p);
  Buffer<std::complex<T>> work =
      p.pad > 1 ? Buffer<std::complex<T>>::zeros(batch * plane) : Buffer<std::complex<T>>(batch * plane);
  std::complex<T>* w = work.data();
  const auto all_rows = static_cast<std::int64_t>(batch * rows);
  const int team = threads_for(batch * rows * cols, threads);
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < all_rows; ++r) {
    const auto b = static_cast<std::size_t>(r) / rows, row = static_cast<std::size_t>(r) % rows;
    std::memcpy(static_cast<void*>(w + b * plane + row * pcols), in + (b * rows + row) * cols,
                cols * sizeof(std::complex<T>));
  }
  dft2_unnormalized<T>(w, w, batch, prows, pcols, false, threads);
  const double inverse_size = 1.0 / static_cast<double>(plane);
  const auto total = static_cast<std::int64_t>(batch * plane);
#pragma omp parallel for num_threads(threads_for(batch * plane, threads)) schedule(static)
  for (std::int64_t e = 0; e < total; ++e) {
    const std::complex<double> factor = h[static_cast<std::size_t>(e) % plane];
    w[e] = times(w[e], (adjoint ? std::conj(factor) : factor) * inverse_size);
  }
  dft2_unnormalized<T>(w, w, batch, prows, pcols, true, threads);
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < all_rows; ++r) {
    const auto b = static_cast<std::size_t>(r) / rows, row = static_cast<std::size_t>(r) % rows;
    std::memcpy(static_cast<void*>(out + (b * rows + row) * cols), w + b * plane + row * pcols,
                cols * sizeof(std::complex<T>));
  }
}

template <class T>
void through_impulse(const std::complex<T>* in, std::complex<T>* out, std::size_t batch,
                     std::size_t rows, std::size_t cols, const Propagation& p, bool adjoint,
                     int threads) {
  const ImpulseChirps c = impulse_chirps(rows, cols, p);
  const std::size_t plane = rows * cols, row_shift = rows / 2, col_shift = cols / 2;
  // before[i, j] and after[i, j] as the reference forms them (after includes the constant).
  auto before_at = [&](std::size_t i, std::size_t j) {
    if (!adjoint) return c.in_rows[i] * c.in_cols[j];
    return std::conj(c.constant * (c.out_rows[i] * c.out_cols[j]));
  };
  auto after_at = [&](std::size_t i, std::size_t j) {
    if (!adjoint) return c.constant * (c.out_rows[i] * c.out_cols[j]);
    return std::conj(c.in_rows[i] * c.in_cols[j]);
  };
  Buffer<std::complex<T>> work(batch * plane);
  std::complex<T>* w = work.data();
  const auto all_rows = static_cast<std::int64_t>(batch * rows);
  const int team = threads_for(batch * plane, threads);
  // w = ifftshift(before x): element (q, s) reads (q + rows/2, s + cols/2) mod the extents.
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < all_rows; ++r) {
    const auto b = static_cast<std::size_t>(r) / rows, q = static_cast<std::size_t>(r) % rows;
    const std::size_t i = (q + row_shift) % rows;
    for (std::size_t s = 0; s < cols; ++s) {
      const std::size_t j = (s + col_shift) % cols;
      w[b * plane + q * cols + s] = times(in[b * plane + i * cols + j], before_at(i, j));
    }
  }
  dft2_unnormalized<T>(w, w, batch, rows, cols, adjoint, threads);
  // out = after fftshift(w): element (k, l) reads (k - rows/2, l - cols/2) mod the extents.
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < all_rows; ++r) {
    const auto b = static_cast<std::size_t>(r) / rows, k = static_cast<std::size_t>(r) % rows;
    const std::size_t q = (k + rows - row_shift) % rows;
    for (std::size_t l = 0; l < cols; ++l) {
      const std::size_t s = (l + cols - col_shift) % cols;
      out[b * plane + k * cols + l] = times(w[b * plane + q * cols + s], after_at(k, l));
    }
  }
}

}  // namespace

std::vector<std::complex<double>> transfer_function(std::size_t rows, std::size_t cols,
                                                    const Propagation& p) {
  const double z = p.distance, wavelength = p.wavelength;
  const std::vector<double> fy = frequencies(rows, p.pitch), fx = frequencies(cols, p.pitch);
  std::vector<std::complex<double>> h(rows * cols);
  if (p.method == Propagator::fresnel_transfer) {
    const double base = z / wavelength, half = 0.5 * wavelength * z;
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) {
        h[i * cols + j] = turns(base - half * (fy[i] * fy[i] + fx[j] * fx[j]));
      }
    }
    return h;
  }
  double row_limit = INFINITY, col_limit = INFINITY;
  if (p.band_limit) {
    auto limit = [&](std::size_t n) {
      const double spacing = 1.0 / (static_cast<double>(n) * p.pitch);
      const double growth = 2.0 * spacing * z;
      return 1.0 / (wavelength * std::sqrt(growth * growth + 1.0));
    };
    row_limit = limit(rows);
    col_limit = limit(cols);
  }
  const double inverse_square = 1.0 / (wavelength * wavelength);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const double argument = inverse_square - fy[i] * fy[i] - fx[j] * fx[j];
      const bool kept = argument > 0 && std::fabs(fy[i]) < row_limit &&
                        std::fabs(fx[j]) < col_limit;
      h[i * cols + j] = kept ? turns(z * std::sqrt(argument)) : std::complex<double>(0.0, 0.0);
    }
  }
  return h;
}

ImpulseChirps impulse_chirps(std::size_t rows, std::size_t cols, const Propagation& p) {
  const double z = p.distance, wavelength = p.wavelength, pitch = p.pitch;
  const double scale = 0.5 / (wavelength * z);
  auto chirps = [&](std::size_t n, std::vector<std::complex<double>>& in,
                    std::vector<std::complex<double>>& out) {
    const double step = wavelength * z / (static_cast<double>(n) * pitch);
    const double in_factor = scale * pitch * pitch, out_factor = scale * step * step;
    in.resize(n);
    out.resize(n);
    for (std::size_t q = 0; q < n; ++q) {
      const double offset = static_cast<double>(q) - static_cast<double>(n / 2);
      in[q] = turns(in_factor * offset * offset);
      out[q] = turns(out_factor * offset * offset);
    }
  };
  ImpulseChirps c;
  chirps(rows, c.in_rows, c.out_rows);
  chirps(cols, c.in_cols, c.out_cols);
  c.constant = pitch * pitch / (wavelength * z) * turns(z / wavelength - 0.25);
  return c;
}

template <class T>
void propagate(const std::complex<T>* in, std::complex<T>* out, std::size_t batch,
               std::size_t rows, std::size_t cols, const Propagation& p, bool adjoint,
               int threads) {
  if (p.method == Propagator::fresnel_impulse) {
    through_impulse(in, out, batch, rows, cols, p, adjoint, threads);
  } else {
    through_transfer(in, out, batch, rows, cols, p, adjoint, threads);
  }
}

template void propagate<float>(const std::complex<float>*, std::complex<float>*, std::size_t,
                               std::size_t, std::size_t, const Propagation&, bool, int);
template void propagate<double>(const std::complex<double>*, std::complex<double>*,
                                std::size_t, std::size_t, std::size_t, const Propagation&, bool,
                                int);

}  // namespace phasegrad::ops
