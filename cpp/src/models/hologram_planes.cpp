// The general fused hologram: its passes (see models/hologram_planes.hpp for the model).
#include "phasegrad/models/hologram_planes.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "phasegrad/core/chunked_fft.hpp"
#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/core/parallel.hpp"
#include "phasegrad/core/sincos.hpp"
#include "phasegrad/ops/propagation.hpp"

namespace phasegrad::models {

namespace {

double sum_in_order(const std::vector<double>& parts) {
  double total = 0.0;
  for (double part : parts) total += part;
  return total;
}

template <class T>
std::complex<T> narrow(std::complex<double> z) {
  return {static_cast<T>(z.real()), static_cast<T>(z.imag())};
}

// The Fourier-domain passes, in real arithmetic on interleaved parts (std::complex's operator*
// checks for NaN and calls __muldc3, which keeps a loop from vectorising; finite inputs give
// the same values), each cloned for wider SIMD (PHASEGRAD_WIDE_SIMD: the build targets
// baseline x86-64, two double lanes). ISO C++ mode contracts no FMAs, so every clone computes
// the same values; only the order of a sum differs, by its lane count.
//
// out[e] = a[e] b[e] over [first, last); returns sum |out[e]|^2 in double (Parseval's sum of
// the plane that out's inverse transform will be).
template <class T>
[[gnu::always_inline]] inline double product(const T* x, const T* y, T* z, std::int64_t first,
                                             std::int64_t last) {
  double norm = 0.0;
#pragma omp simd reduction(+ : norm)
  for (std::int64_t e = first; e < last; ++e) {
    const T ar = x[2 * e], ai = x[2 * e + 1];
    const T br = y[2 * e], bi = y[2 * e + 1];
    const T re = ar * br - ai * bi, im = ar * bi + ai * br;
    z[2 * e] = re;
    z[2 * e + 1] = im;
    norm += static_cast<double>(re) * re + static_cast<double>(im) * im;
  }
  return norm;
}
PHASEGRAD_WIDE_SIMD double product_wide(const float* a, const float* b, float* out,
                                        std::int64_t first, std::int64_t last) {
  return product(a, b, out, first, last);
}
PHASEGRAD_WIDE_SIMD double product_wide(const double* a, const double* b, double* out,
                                        std::int64_t first, std::int64_t last) {
  return product(a, b, out, first, last);
}

// sum[e] = conj(h[e]) w[e] (+ kappa |h[e]|^2 s[e] with `constant`), or sum[e] plus that with
// `accumulate`: the adjoint of the transfer product, summed over the planes of a colour.
template <class T, bool accumulate, bool constant>
[[gnu::always_inline]] inline void adjoint_sum(const T* h, const T* w, const T* s, T kappa,
                                               T* sum, std::int64_t first, std::int64_t last) {
#pragma omp simd
  for (std::int64_t e = first; e < last; ++e) {
    const T hr = h[2 * e], hi = h[2 * e + 1];
    const T wr = w[2 * e], wi = w[2 * e + 1];
    T re = hr * wr + hi * wi, im = hr * wi - hi * wr;
    if (constant) {
      const T weight = kappa * (hr * hr + hi * hi);
      re += weight * s[2 * e];
      im += weight * s[2 * e + 1];
    }
    sum[2 * e] = accumulate ? sum[2 * e] + re : re;
    sum[2 * e + 1] = accumulate ? sum[2 * e + 1] + im : im;
  }
}
template <class T>
[[gnu::always_inline]] inline void adjoint_sum_any(const T* h, const T* w, const T* s, T kappa,
                                                   T* sum, std::int64_t first,
                                                   std::int64_t last, bool accumulate) {
  if (s == nullptr) {
    if (accumulate) {
      adjoint_sum<T, true, false>(h, w, s, kappa, sum, first, last);
    } else {
      adjoint_sum<T, false, false>(h, w, s, kappa, sum, first, last);
    }
  } else if (accumulate) {
    adjoint_sum<T, true, true>(h, w, s, kappa, sum, first, last);
  } else {
    adjoint_sum<T, false, true>(h, w, s, kappa, sum, first, last);
  }
}
PHASEGRAD_WIDE_SIMD void adjoint_sum_wide(const float* h, const float* w, const float* s,
                                          float kappa, float* sum, std::int64_t first,
                                          std::int64_t last, bool accumulate) {
  adjoint_sum_any(h, w, s, kappa, sum, first, last, accumulate);
}
PHASEGRAD_WIDE_SIMD void adjoint_sum_wide(const double* h, const double* w, const double* s,
                                          double kappa, double* sum, std::int64_t first,
                                          std::int64_t last, bool accumulate) {
  adjoint_sum_any(h, w, s, kappa, sum, first, last, accumulate);
}

// adjoint_sum of one plane and the product of the next in one pass over [first, last): after
// reading w[e] (the plane's transformed cotangent) for the sum, w[e] = s[e] g[e] (the next
// plane's transfer product, g its transfer function); returns sum |w[e]|^2 as product does.
template <class T, bool accumulate, bool constant>
[[gnu::always_inline]] inline double adjoint_product(const T* h, T* w, const T* s, T kappa,
                                                     T* sum, const T* g, std::int64_t first,
                                                     std::int64_t last) {
  double norm = 0.0;
#pragma omp simd reduction(+ : norm)
  for (std::int64_t e = first; e < last; ++e) {
    const T hr = h[2 * e], hi = h[2 * e + 1];
    const T wr = w[2 * e], wi = w[2 * e + 1];
    const T sr = s[2 * e], si = s[2 * e + 1];
    T re = hr * wr + hi * wi, im = hr * wi - hi * wr;
    if (constant) {
      const T weight = kappa * (hr * hr + hi * hi);
      re += weight * sr;
      im += weight * si;
    }
    sum[2 * e] = accumulate ? sum[2 * e] + re : re;
    sum[2 * e + 1] = accumulate ? sum[2 * e + 1] + im : im;
    const T gr = g[2 * e], gi = g[2 * e + 1];
    const T pr = sr * gr - si * gi, pi = sr * gi + si * gr;
    w[2 * e] = pr;
    w[2 * e + 1] = pi;
    norm += static_cast<double>(pr) * pr + static_cast<double>(pi) * pi;
  }
  return norm;
}
template <class T>
[[gnu::always_inline]] inline double adjoint_product_any(const T* h, T* w, const T* s, T kappa,
                                                         T* sum, const T* g,
                                                         std::int64_t first, std::int64_t last,
                                                         bool accumulate, bool constant) {
  if (constant) {
    return accumulate ? adjoint_product<T, true, true>(h, w, s, kappa, sum, g, first, last)
                      : adjoint_product<T, false, true>(h, w, s, kappa, sum, g, first, last);
  }
  return accumulate ? adjoint_product<T, true, false>(h, w, s, kappa, sum, g, first, last)
                    : adjoint_product<T, false, false>(h, w, s, kappa, sum, g, first, last);
}
PHASEGRAD_WIDE_SIMD double adjoint_product_wide(const float* h, float* w, const float* s,
                                                float kappa, float* sum, const float* g,
                                                std::int64_t first, std::int64_t last,
                                                bool accumulate, bool constant) {
  return adjoint_product_any(h, w, s, kappa, sum, g, first, last, accumulate, constant);
}
PHASEGRAD_WIDE_SIMD double adjoint_product_wide(const double* h, double* w, const double* s,
                                                double kappa, double* sum, const double* g,
                                                std::int64_t first, std::int64_t last,
                                                bool accumulate, bool constant) {
  return adjoint_product_any(h, w, s, kappa, sum, g, first, last, accumulate, constant);
}

// The staged path's passes over a tile: `rows` rows of `width` adjacent columns, contiguous
// (x, w, v, s, sum), and the transfer function's tile h (row y of it at h + y width, or with
// `mirrored` at min(y, rows - y): a transfer function even in f_y, stored to rows / 2).
// chunk_product: w = x h, returning sum |w|^2 (product's, row by row in order);
// chunk_adjoint: sum (+)= conj(h) v + kappa |h|^2 s (adjoint_sum's).
[[gnu::always_inline]] inline std::size_t mirror(std::size_t y, std::size_t rows, bool mirrored) {
  return mirrored ? std::min(y, rows - y) : y;
}
template <class T>
[[gnu::always_inline]] inline double chunk_product(const T* x, const T* h, bool mirrored, T* w,
                                                   std::size_t rows, std::size_t width) {
  double norm = 0.0;
  const auto span = static_cast<std::int64_t>(width);
  for (std::size_t y = 0; y < rows; ++y) {
    norm += product(x + 2 * y * width, h + 2 * mirror(y, rows, mirrored) * width,
                    w + 2 * y * width, 0, span);
  }
  return norm;
}
PHASEGRAD_WIDE_SIMD double chunk_product_wide(const float* x, const float* h, bool mirrored,
                                              float* w, std::size_t rows, std::size_t width) {
  return chunk_product(x, h, mirrored, w, rows, width);
}
PHASEGRAD_WIDE_SIMD double chunk_product_wide(const double* x, const double* h, bool mirrored,
                                              double* w, std::size_t rows, std::size_t width) {
  return chunk_product(x, h, mirrored, w, rows, width);
}
template <class T, bool accumulate>
[[gnu::always_inline]] inline void chunk_adjoint(const T* h, bool mirrored, const T* v,
                                                 const T* s, T kappa, T* sum, std::size_t rows,
                                                 std::size_t width) {
  const auto span = static_cast<std::int64_t>(width);
  for (std::size_t y = 0; y < rows; ++y) {
    const std::size_t at = 2 * y * width;
    adjoint_sum<T, accumulate, true>(h + 2 * mirror(y, rows, mirrored) * width, v + at, s + at,
                                     kappa, sum + at, 0, span);
  }
}
template <class T>
[[gnu::always_inline]] inline void chunk_adjoint_any(const T* h, bool mirrored, const T* v,
                                                     const T* s, T kappa, T* sum,
                                                     std::size_t rows, std::size_t width,
                                                     bool accumulate) {
  if (accumulate) {
    chunk_adjoint<T, true>(h, mirrored, v, s, kappa, sum, rows, width);
  } else {
    chunk_adjoint<T, false>(h, mirrored, v, s, kappa, sum, rows, width);
  }
}
PHASEGRAD_WIDE_SIMD void chunk_adjoint_wide(const float* h, bool mirrored, const float* v,
                                            const float* s, float kappa, float* sum,
                                            std::size_t rows, std::size_t width,
                                            bool accumulate) {
  chunk_adjoint_any(h, mirrored, v, s, kappa, sum, rows, width, accumulate);
}
PHASEGRAD_WIDE_SIMD void chunk_adjoint_wide(const double* h, bool mirrored, const double* v,
                                            const double* s, double kappa, double* sum,
                                            std::size_t rows, std::size_t width,
                                            bool accumulate) {
  chunk_adjoint_any(h, mirrored, v, s, kappa, sum, rows, width, accumulate);
}

// chunk_adjoint of plane p and chunk_product of plane p + 1 (transfer function g) in one sweep
// over the tile (adjoint_product's, row by row): v is read for the sum, then overwritten by
// s g; returns sum |s g|^2 in row order, as chunk_product does. One read of s and v instead of
// two.
template <class T, bool accumulate>
[[gnu::always_inline]] inline double chunk_adjoint_product(const T* h, const T* g, bool mirrored,
                                                           T* v, const T* s, T kappa, T* sum,
                                                           std::size_t rows, std::size_t width) {
  double norm = 0.0;
  const auto span = static_cast<std::int64_t>(width);
  for (std::size_t y = 0; y < rows; ++y) {
    const std::size_t at = 2 * y * width;
    const std::size_t row = 2 * mirror(y, rows, mirrored) * width;
    norm += adjoint_product<T, accumulate, true>(h + row, v + at, s + at, kappa, sum + at,
                                                 g + row, 0, span);
  }
  return norm;
}
template <class T>
[[gnu::always_inline]] inline double chunk_adjoint_product_any(const T* h, const T* g,
                                                               bool mirrored, T* v, const T* s,
                                                               T kappa, T* sum, std::size_t rows,
                                                               std::size_t width,
                                                               bool accumulate) {
  return accumulate
             ? chunk_adjoint_product<T, true>(h, g, mirrored, v, s, kappa, sum, rows, width)
             : chunk_adjoint_product<T, false>(h, g, mirrored, v, s, kappa, sum, rows, width);
}
PHASEGRAD_WIDE_SIMD double chunk_adjoint_product_wide(const float* h, const float* g,
                                                      bool mirrored, float* v, const float* s,
                                                      float kappa, float* sum, std::size_t rows,
                                                      std::size_t width, bool accumulate) {
  return chunk_adjoint_product_any(h, g, mirrored, v, s, kappa, sum, rows, width, accumulate);
}
PHASEGRAD_WIDE_SIMD double chunk_adjoint_product_wide(const double* h, const double* g,
                                                      bool mirrored, double* v, const double* s,
                                                      double kappa, double* sum,
                                                      std::size_t rows, std::size_t width,
                                                      bool accumulate) {
  return chunk_adjoint_product_any(h, g, mirrored, v, s, kappa, sum, rows, width, accumulate);
}

// `count` rows of `width` elements from `from` (row stride from_stride, in T) to `to` (row
// stride to_stride): a block's part of a tile, gathered or scattered in one loop (a memcpy a
// row costs its call on rows of 256 bytes).
template <class T>
[[gnu::always_inline]] inline void copy_rows(const T* from, std::size_t from_stride, T* to,
                                             std::size_t to_stride, std::size_t count,
                                             std::size_t width) {
  for (std::size_t y = 0; y < count; ++y) {
    const T* source = from + y * from_stride;
    T* destination = to + y * to_stride;
#pragma omp simd
    for (std::size_t j = 0; j < width; ++j) destination[j] = source[j];
  }
}
PHASEGRAD_WIDE_SIMD void copy_rows_wide(const float* from, std::size_t from_stride, float* to,
                                        std::size_t to_stride, std::size_t count,
                                        std::size_t width) {
  copy_rows(from, from_stride, to, to_stride, count, width);
}
PHASEGRAD_WIDE_SIMD void copy_rows_wide(const double* from, std::size_t from_stride, double* to,
                                        std::size_t to_stride, std::size_t count,
                                        std::size_t width) {
  copy_rows(from, from_stride, to, to_stride, count, width);
}

// The extraction of the phase-only modulator over one row (the staged path's; run()'s
// extract_row for the others, the same arithmetic in the same order): theta_bar =
// Im(A bar conj(e)) in T, turn = alpha theta_bar; the first colour writes s_bar, the later ones
// add, and with `finish` (the last colour, no crosstalk) phi_bar = s_bar slope instead. With
// `amplitude` null (`unit`, a uniform unit amplitude) A = 1 is not read (the same values).
template <class T, bool first_colour, bool finish, bool unit>
[[gnu::always_inline]] inline void extract(const T* bar, const double* amplitude,
                                           const T* phasor, double alpha, double* effective_bar,
                                           const double* slope, T* phi_bar, std::int64_t count) {
#pragma omp simd
  for (std::int64_t j = 0; j < count; ++j) {
    const T br = unit ? bar[2 * j] : bar[2 * j] * static_cast<T>(amplitude[j]);
    const T bi = unit ? bar[2 * j + 1] : bar[2 * j + 1] * static_cast<T>(amplitude[j]);
    const T theta_bar = bi * phasor[2 * j] - br * phasor[2 * j + 1];
    const double turn = alpha * static_cast<double>(theta_bar);
    const double sum = first_colour ? turn : effective_bar[j] + turn;
    if (finish) {
      phi_bar[j] = static_cast<T>(sum * slope[j]);
    } else {
      effective_bar[j] = sum;
    }
  }
}
template <class T, bool unit>
[[gnu::always_inline]] inline void extract_any(const T* bar, const double* amplitude,
                                               const T* phasor, double alpha,
                                               double* effective_bar, const double* slope,
                                               T* phi_bar, std::int64_t count, bool first_colour,
                                               bool finish) {
  if (first_colour) {
    if (finish) {
      extract<T, true, true, unit>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                                   count);
    } else {
      extract<T, true, false, unit>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                                    count);
    }
  } else if (finish) {
    extract<T, false, true, unit>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                                  count);
  } else {
    extract<T, false, false, unit>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                                   count);
  }
}
PHASEGRAD_WIDE_SIMD void extract_wide(const float* bar, const double* amplitude,
                                      const float* phasor, double alpha, double* effective_bar,
                                      const double* slope, float* phi_bar, std::int64_t count,
                                      bool first_colour, bool finish) {
  if (amplitude == nullptr) {
    extract_any<float, true>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                             count, first_colour, finish);
  } else {
    extract_any<float, false>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                              count, first_colour, finish);
  }
}
PHASEGRAD_WIDE_SIMD void extract_wide(const double* bar, const double* amplitude,
                                      const double* phasor, double alpha, double* effective_bar,
                                      const double* slope, double* phi_bar, std::int64_t count,
                                      bool first_colour, bool finish) {
  if (amplitude == nullptr) {
    extract_any<double, true>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                              count, first_colour, finish);
  } else {
    extract_any<double, false>(bar, amplitude, phasor, alpha, effective_bar, slope, phi_bar,
                               count, first_colour, finish);
  }
}

// The staged path's tiles: adjacent columns per tile (256 bytes of a row), and the calling
// thread's scratch for a block of rows (core/buffer.hpp's thread_scratch, this model's own).
template <class T>
constexpr std::size_t staged_chunk() {
  return 256 / sizeof(std::complex<T>);
}
template <class T>
std::complex<T>* staged_scratch(std::size_t elements) {
  return thread_scratch<FusedHologramPlanes<T>, std::complex<T>>(elements);
}

// out[k] = exp(i alpha s[k]) in T over [first, last), by sincos_moderate (every |alpha s| within
// its range), cloned for wider SIMD like the passes above.
template <class T>
[[gnu::always_inline]] inline void phasor_row(const double* s, double alpha, T* out,
                                              std::int64_t first, std::int64_t last) {
#pragma omp simd
  for (std::int64_t k = first; k < last; ++k) {
    const SinCosOf<T> e = sincos_moderate(static_cast<T>(alpha * s[k]), T(0));
    out[2 * k] = e.cos;
    out[2 * k + 1] = e.sin;
  }
}
PHASEGRAD_WIDE_SIMD void phasor_row_wide(const double* s, double alpha, float* out,
                                         std::int64_t first, std::int64_t last) {
  phasor_row(s, alpha, out, first, last);
}
PHASEGRAD_WIDE_SIMD void phasor_row_wide(const double* s, double alpha, double* out,
                                         std::int64_t first, std::int64_t last) {
  phasor_row(s, alpha, out, first, last);
}

// The phasor pass and the placement fused (angular spectrum, the field's own value): over
// [first, last) of one row, phasor[k] = exp(i alpha s[k]) in T (by sincos_moderate when
// `moderate`, every |alpha s| within its range, else libm) and dst[k - first] =
// A[k] (m[k] phasor[k] + zeta), m = 1 for the phase-only modulator (`modulation` null) and
// A = 1 for a uniform unit amplitude (`amplitude` null: the product by 1 is exact, so the same
// values without reading A). The same arithmetic in the same order as the separate passes it
// replaces.
template <class T, bool modulated, bool unit>
[[gnu::always_inline]] inline void source_row(const double* s, double alpha,
                                              const double* amplitude, const double* modulation,
                                              T zeta_re, T zeta_im, T* phasor, T* dst,
                                              std::int64_t first, std::int64_t last) {
#pragma omp simd
  for (std::int64_t k = first; k < last; ++k) {
    const SinCosOf<T> e = sincos_moderate(static_cast<T>(alpha * s[k]), T(0));
    phasor[2 * k] = e.cos;
    phasor[2 * k + 1] = e.sin;
    const T m = modulated ? static_cast<T>(modulation[k]) : T(1);
    const T re = modulated ? m * e.cos : e.cos, im = modulated ? m * e.sin : e.sin;
    if (unit) {
      dst[2 * (k - first)] = re + zeta_re;
      dst[2 * (k - first) + 1] = im + zeta_im;
    } else {
      const T a = static_cast<T>(amplitude[k]);
      dst[2 * (k - first)] = a * (re + zeta_re);
      dst[2 * (k - first) + 1] = a * (im + zeta_im);
    }
  }
}
template <class T>
[[gnu::always_inline]] inline void source_row_any(const double* s, double alpha,
                                                  const double* amplitude,
                                                  const double* modulation, T zeta_re,
                                                  T zeta_im, T* phasor, T* dst,
                                                  std::int64_t first, std::int64_t last) {
  if (modulation != nullptr) {
    if (amplitude == nullptr) {
      source_row<T, true, true>(s, alpha, amplitude, modulation, zeta_re, zeta_im, phasor, dst,
                                first, last);
    } else {
      source_row<T, true, false>(s, alpha, amplitude, modulation, zeta_re, zeta_im, phasor,
                                 dst, first, last);
    }
  } else if (amplitude == nullptr) {
    source_row<T, false, true>(s, alpha, amplitude, modulation, zeta_re, zeta_im, phasor, dst,
                               first, last);
  } else {
    source_row<T, false, false>(s, alpha, amplitude, modulation, zeta_re, zeta_im, phasor, dst,
                                first, last);
  }
}
PHASEGRAD_WIDE_SIMD void source_row_wide(const double* s, double alpha, const double* amplitude,
                                         const double* modulation, float zeta_re, float zeta_im,
                                         float* phasor, float* dst, std::int64_t first,
                                         std::int64_t last) {
  source_row_any(s, alpha, amplitude, modulation, zeta_re, zeta_im, phasor, dst, first, last);
}
PHASEGRAD_WIDE_SIMD void source_row_wide(const double* s, double alpha, const double* amplitude,
                                         const double* modulation, double zeta_re,
                                         double zeta_im, double* phasor, double* dst,
                                         std::int64_t first, std::int64_t last) {
  source_row_any(s, alpha, amplitude, modulation, zeta_re, zeta_im, phasor, dst, first, last);
}

// The normalised MSE's one pass over a row of the field U (in place) against its target row
// (the plane's whole extent is the fit region): adds sum r^2, sum I^2 and sum I T of the row
// (r = scale I - T, I = |U|^2, in double) to `sums` and writes U <- gain r U, the cotangent
// without mean_normalize_vjp's constant term (which run() adds in the Fourier domain).
template <class T>
[[gnu::always_inline]] inline void fit_row(T* row, const T* target_row, std::int64_t width,
                                           double scale, double gain, double* sums) {
  double squares = 0.0, squared = 0.0, cross = 0.0;
#pragma omp simd reduction(+ : squares, squared, cross)
  for (std::int64_t j = 0; j < width; ++j) {
    const double re = static_cast<double>(row[2 * j]);
    const double im = static_cast<double>(row[2 * j + 1]);
    const double intensity = re * re + im * im;
    const double t = static_cast<double>(target_row[j]);
    const double residual = scale * intensity - t;
    squares += residual * residual;
    squared += intensity * intensity;
    cross += intensity * t;
    const T factor = static_cast<T>(gain * residual);
    row[2 * j] *= factor;
    row[2 * j + 1] *= factor;
  }
  sums[0] = squares;
  sums[1] = squared;
  sums[2] = cross;
}
PHASEGRAD_WIDE_SIMD void fit_row_wide(float* row, const float* target_row, std::int64_t width,
                                      double scale, double gain, double* sums) {
  fit_row(row, target_row, width, scale, gain, sums);
}
PHASEGRAD_WIDE_SIMD void fit_row_wide(double* row, const double* target_row, std::int64_t width,
                                      double scale, double gain, double* sums) {
  fit_row(row, target_row, width, scale, gain, sums);
}

// Splits [0, total) into one contiguous chunk per thread of the team.
template <class Body>
void in_chunks(std::size_t total, int team, Body&& body) {
#pragma omp parallel num_threads(team)
  {
    const auto [first, last] = share(total, omp_get_thread_num(), omp_get_num_threads());
    body(static_cast<std::int64_t>(first), static_cast<std::int64_t>(last));
  }
}

}  // namespace

template <class T>
FusedHologramPlanes<T>::FusedHologramPlanes(const T* target, HologramPlanesConfig config)
    : config_(std::move(config)) {
  const HologramPlanesConfig& c = config_;
  if (c.rows == 0 || c.cols == 0 || c.colours == 0 || c.planes == 0) {
    throw std::invalid_argument("target must not be empty");
  }
  const bool far = c.distances.empty();
  padded_rows_ = far ? c.rows : c.pad * c.rows;
  padded_cols_ = far ? c.cols : c.pad * c.cols;
  const std::size_t n = c.rows * c.cols, np = padded_rows_ * padded_cols_;
  const std::size_t count = c.colours * c.planes;
  unit_amplitude_ = std::all_of(c.amplitude.begin(), c.amplitude.end(),
                                [](double a) { return a == 1.0; });
  target_.assign(target, target + count * n);
  target_sums_.assign(count, 0.0);
  signal_counts_.assign(count, 0);
  for (std::size_t k = 0; k < count; ++k) {
    for (std::size_t j = 0; j < n; ++j) {
      const T value = target_[k * n + j];
      target_sums_[k] += static_cast<double>(value);
      signal_counts_[k] += value > 0 ? 1 : 0;
    }
  }
  if (!far) {
    const double inverse_size = 1.0 / static_cast<double>(np);
    for (std::size_t colour = 0; colour < c.colours; ++colour) {
      for (std::size_t plane = 0; plane < c.planes; ++plane) {
        const ops::Propagation propagation{ops::Propagator::angular_spectrum,
                                           c.distances[plane], c.wavelengths[colour], c.pitch,
                                           true, c.pad};
        const auto h = ops::transfer_function(padded_rows_, padded_cols_, propagation);
        Buffer<std::complex<T>> table(np);
        for (std::size_t k = 0; k < np; ++k) table.data()[k] = narrow<T>(h[k] * inverse_size);
        transfer_.push_back(std::move(table));
      }
    }
  }
  shown_.resize(n);
  slope_.resize(n);
  effective_.resize(n);
  effective_bar_.resize(n);
  phasor_ = Buffer<std::complex<T>>(n);
  spectrum_ = Buffer<std::complex<T>>(np);
  spectrum_bar_ = Buffer<std::complex<T>>(np);
  work_ = Buffer<std::complex<T>>(np);
  field_ = Buffer<std::complex<T>>(np);
  row_sums_a_.resize(c.rows);
  fit_sums_.resize(3 * c.rows);
  row_sums_b_.resize(c.rows);
  row_sums_c_.resize(c.rows);
  row_sums_d_.resize(c.rows);
  row_sums_e_.resize(c.rows);
}

// The amplitude + phase modulator: m = (1 + sin beta) / 2 (beta = phi's second plane), its
// slope cos(beta) / 2 and (jvp) its tangent along v's second plane; m_bar is sized (the
// first colour's extraction pass writes it).
template <class T>
void FusedHologramPlanes<T>::modulate(const T* phi, const double* vector, int threads) {
  if (!config_.amplitude_phase) return;
  const std::size_t n = config_.rows * config_.cols;
  modulation_.resize(n);
  modulation_slope_.resize(n);
  modulation_bar_.resize(n);
  if (vector != nullptr) modulation_dot_.resize(n);
  double* m = modulation_.data();
  double* slope = modulation_slope_.data();
  double* dot = modulation_dot_.data();
  const auto all = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t e = 0; e < all; ++e) {
    const double beta = static_cast<double>(phi[static_cast<std::int64_t>(n) + e]);
    m[e] = 0.5 * (1.0 + std::sin(beta));
    slope[e] = 0.5 * std::cos(beta);
    if (vector != nullptr) dot[e] = slope[e] * vector[static_cast<std::int64_t>(n) + e];
  }
}

// beta_bar = m_bar dm/dbeta into the second plane of phi_bar (or of out).
template <class T>
void FusedHologramPlanes<T>::modulation_gradient(T* phi_bar, double* out, bool to_phi_bar,
                                                 int threads) const {
  if (!config_.amplitude_phase) return;
  const std::size_t n = config_.rows * config_.cols;
  const auto all = static_cast<std::int64_t>(n);
  const double* m_bar = modulation_bar_.data();
  const double* slope = modulation_slope_.data();
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t e = 0; e < all; ++e) {
    const double value = m_bar[e] * slope[e];
    if (to_phi_bar) {
      phi_bar[static_cast<std::int64_t>(n) + e] = static_cast<T>(value);
    } else {
      out[static_cast<std::int64_t>(n) + e] = value;
    }
  }
}

template <class T>
double FusedHologramPlanes<T>::plane_metric(std::size_t c, std::size_t p,
                                            std::complex<T>* field, std::size_t stride,
                                            const std::complex<T>* tangent, Mode mode,
                                            const double* vector, T* images, double* out,
                                            int team) {
  const HologramPlanesConfig& cfg = config_;
  const std::size_t rows = cfg.rows, cols = cfg.cols, n = rows * cols;
  const std::size_t index = c * cfg.planes + p;
  const T* target = target_.data() + index * n;
  const double weight = cfg.weights[index];
  const bool efficiency = cfg.efficiency >= 0;
  const auto row_count = static_cast<std::int64_t>(rows);
  double* sums_a = row_sums_a_.data();
  double* sums_b = row_sums_b_.data();
  double* sums_c = row_sums_c_.data();

  double* sums_d = row_sums_d_.data();
  double* sums_e = row_sums_e_.data();
  // Pass A: sum I, sum_S I, the fit region's sum I^2 and sum I T (the whole plane, or S with
  // efficiency; T is 0 outside S), and (jvp) sum I_dot.
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < row_count; ++r) {
    const auto i = static_cast<std::size_t>(r);
    const T* row = reinterpret_cast<const T*>(field + i * stride);
    const T* target_row = target + i * cols;
    const double fit_all = efficiency ? 0.0 : 1.0;
    const auto width = static_cast<std::int64_t>(cols);
    double total = 0.0, inside = 0.0, moved = 0.0, squared = 0.0, cross = 0.0;
#pragma omp simd reduction(+ : total, inside, squared, cross)
    for (std::int64_t j = 0; j < width; ++j) {
      const double re = static_cast<double>(row[2 * j]);
      const double im = static_cast<double>(row[2 * j + 1]);
      const double intensity = re * re + im * im;
      const double t = static_cast<double>(target_row[j]);
      const double in_signal = t > 0 ? 1.0 : 0.0;
      total += intensity;
      inside += in_signal * intensity;
      squared += std::max(in_signal, fit_all) * intensity * intensity;
      cross += intensity * t;
    }
    if (tangent != nullptr) {
      for (std::size_t j = 0; j < cols; ++j) {
        const std::complex<T> u = field[i * stride + j], du = tangent[i * stride + j];
        moved += 2.0 * (static_cast<double>(u.real()) * du.real() +
                        static_cast<double>(u.imag()) * du.imag());
      }
    }
    sums_a[i] = total;
    sums_b[i] = inside;
    sums_c[i] = moved;
    sums_d[i] = squared;
    sums_e[i] = cross;
  }
  const double total = sum_in_order(row_sums_a_), inside = sum_in_order(row_sums_b_);
  const double moved = sum_in_order(row_sums_c_);
  const double fit_squared = sum_in_order(row_sums_d_), fit_cross = sum_in_order(row_sums_e_);
  const double count = static_cast<double>(n);
  const double signal_count = static_cast<double>(signal_counts_[index]);
  const double target_mean = target_sums_[index] / count;
  const double signal_mean = target_sums_[index] / signal_count;
  // I_r = scale I: mean_normalize by the whole plane, or by the signal region.
  const double scale = efficiency ? signal_mean / (inside / signal_count)
                                  : target_mean / (total / count);
  const double root_weight = std::sqrt(weight / count);
  T* image = images == nullptr ? nullptr : images + index * n;
  double* flat = out == nullptr ? nullptr : out + index * n;
  const double* u_in = mode == Mode::vjp ? vector + index * n : nullptr;

  if (mode == Mode::intensity || mode == Mode::normalised || mode == Mode::residuals ||
      mode == Mode::jvp) {
#pragma omp parallel for num_threads(team) schedule(static)
    for (std::int64_t r = 0; r < row_count; ++r) {
      const auto i = static_cast<std::size_t>(r);
      for (std::size_t j = 0; j < cols; ++j) {
        const std::complex<T> u = field[i * stride + j];
        const double intensity = static_cast<double>(std::norm(u));
        const std::size_t k = i * cols + j;
        if (mode == Mode::intensity) {
          image[k] = static_cast<T>(intensity);
        } else if (mode == Mode::normalised) {
          image[k] = static_cast<T>(scale * intensity);
        } else if (mode == Mode::residuals) {
          flat[k] = root_weight * (scale * intensity - static_cast<double>(target[k]));
        } else {
          const std::complex<T> du = tangent[i * stride + j];
          const double intensity_dot = 2.0 * (static_cast<double>(u.real()) * du.real() +
                                              static_cast<double>(u.imag()) * du.imag());
          flat[k] = root_weight * (scale * intensity_dot - scale * intensity * moved / total);
        }
      }
    }
    return 0.0;
  }

  // sum(I_r_bar I) over the fit region, I_r_bar being the cotangent of the normalised image.
  // For the loss's, I_r_bar = 2 w (scale I - T) / count, it follows from pass A's moments;
  // for vjp's, sqrt(w / N) u, pass B sums it.
  const double fit_count = efficiency ? signal_count : count;
  if (mode == Mode::vjp) {
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < row_count; ++r) {
    const auto i = static_cast<std::size_t>(r);
    double paired = 0.0;
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t k = i * cols + j;
      if (efficiency && !(target[k] > 0)) continue;
      const double intensity = static_cast<double>(std::norm(field[i * stride + j]));
      paired += root_weight * u_in[k] * intensity;
    }
    sums_b[i] = paired;
  }
  }
  const double paired = mode == Mode::vjp
                            ? sum_in_order(row_sums_b_)
                            : 2.0 * weight / fit_count * (scale * fit_squared - fit_cross);
  const double light = efficiency ? inside : total;  // the normalisation's sum
  const double gamma = efficiency ? cfg.efficiency * signal_mean * signal_mean : 0.0;
  const double penalty_term = efficiency ? gamma * (1.0 - inside / total) : 0.0;
  const double constant = scale / light * paired;
  // The efficiency term's derivative: -penalty (1_S - eta).
  const double penalty = weight * gamma / total;
  const double eta = inside / total;

  // Pass C: field <- 2 U I_bar (abs2_vjp), I_bar = scale I_r_bar - constant (mean_normalize_vjp),
  // and the loss's sum of squared residuals. The gradient of the normalised MSE, the common
  // case, in a loop of its own that vectorises.
  if (mode == Mode::gradient && !efficiency) {
    const double factor = scale * 2.0 * weight / fit_count;
    const auto width = static_cast<std::int64_t>(cols);
#pragma omp parallel for num_threads(team) schedule(static)
    for (std::int64_t r = 0; r < row_count; ++r) {
      const auto i = static_cast<std::size_t>(r);
      T* row = reinterpret_cast<T*>(field + i * stride);
      const T* target_row = target + i * cols;
      double squares = 0.0;
#pragma omp simd reduction(+ : squares)
      for (std::int64_t j = 0; j < width; ++j) {
        const double re = static_cast<double>(row[2 * j]);
        const double im = static_cast<double>(row[2 * j + 1]);
        const double residual = scale * (re * re + im * im) - static_cast<double>(target_row[j]);
        squares += residual * residual;
        const T gain = static_cast<T>(2.0 * (factor * residual - constant));
        row[2 * j] *= gain;
        row[2 * j + 1] *= gain;
      }
      sums_a[i] = squares;
    }
    return weight * (sum_in_order(row_sums_a_) / fit_count + penalty_term);
  }
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < row_count; ++r) {
    const auto i = static_cast<std::size_t>(r);
    double squares = 0.0;
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t k = i * cols + j;
      std::complex<T>& u = field[i * stride + j];
      const bool in_signal = target[k] > 0;
      double intensity_bar = 0.0;
      if (!efficiency || in_signal) {
        const double intensity = static_cast<double>(std::norm(u));
        const double residual = scale * intensity - static_cast<double>(target[k]);
        const double normalised_bar = mode == Mode::vjp ? root_weight * u_in[k]
                                                        : 2.0 * weight * residual / fit_count;
        intensity_bar = scale * normalised_bar - constant;
        squares += residual * residual;
      }
      if (efficiency) intensity_bar -= penalty * ((in_signal ? 1.0 : 0.0) - eta);
      u *= static_cast<T>(2.0 * intensity_bar);
    }
    sums_a[i] = squares;
  }
  if (mode == Mode::vjp) return 0.0;
  return weight * (sum_in_order(row_sums_a_) / fit_count + penalty_term);
}

// I_r = scale I (mean_normalize by the whole plane; sum I from Parseval), and the normalised
// MSE's cotangent 2 U I_bar with I_bar = scale 2 w r / N - constant (as plane_metric's): the
// pass's scale and gain (fit_row's).
template <class T>
std::pair<double, double> FusedHologramPlanes<T>::fit_factors(std::size_t index,
                                                              double total) const {
  const double count = static_cast<double>(config_.rows * config_.cols);
  const double scale = (target_sums_[index] / count) / (total / count);
  return {scale, 2.0 * scale * 2.0 * config_.weights[index] / count};
}

template <class T>
double FusedHologramPlanes<T>::fit_result(std::size_t index, double total, const double* sums,
                                          double* constant) const {
  const std::size_t rows = config_.rows;
  const double count = static_cast<double>(rows * config_.cols);
  const double weight = config_.weights[index];
  const double scale = fit_factors(index, total).first;
  double squares = 0.0, squared = 0.0, cross = 0.0;
  for (std::size_t i = 0; i < rows; ++i) {
    squares += sums[3 * i];
    squared += sums[3 * i + 1];
    cross += sums[3 * i + 2];
  }
  const double paired = 2.0 * weight / count * (scale * squared - cross);
  *constant = scale / total * paired;
  return weight * squares / count;
}

template <class T>
double FusedHologramPlanes<T>::fit_plane(std::size_t index, std::complex<T>* field, double total,
                                         double* constant, int team, double* sums) {
  const std::size_t rows = config_.rows, cols = config_.cols;
  const T* target = target_.data() + index * rows * cols;
  const auto [scale, gain] = fit_factors(index, total);
  const auto row_count = static_cast<std::int64_t>(rows);
  const auto width = static_cast<std::int64_t>(cols);
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < row_count; ++r) {
    fit_row_wide(reinterpret_cast<T*>(field) + 2 * r * width, target + r * width, width, scale,
                 gain, sums + 3 * r);
  }
  return fit_result(index, total, sums, constant);
}

template <class T>
void FusedHologramPlanes<T>::prepare_staged() {
  Staged& st = staged_;
  if (st.plane.size() != 0) return;
  const std::size_t rows = config_.rows, cols = config_.cols, planes = config_.planes;
  const std::size_t count = config_.colours * planes, n = rows * cols;
  st.block = std::min(rows, transform_row_chunk<T>(cols));
  st.blocks = (rows + st.block - 1) / st.block;
  st.chunk = std::min(cols, staged_chunk<T>());
  st.chunks = (cols + st.chunk - 1) / st.chunk;
  st.plane = Buffer<std::complex<T>>(n);
  st.sum = Buffer<std::complex<T>>(n);
  st.spectrum = Buffer<std::complex<T>>(n);
  st.norms.assign(planes * st.chunks, 0.0);
  st.sums.assign(3 * rows, 0.0);
  // The transfer functions tiled (tile c: its rows, row stride width). The band-limited
  // angular spectrum's is even in f_y (row i equals row rows - i, bit for bit: f_y^2 alone
  // enters it): then only rows [0, rows / 2] are kept, and the passes read the mirror.
  st.mirrored = true;
  for (std::size_t k = 0; k < count && st.mirrored; ++k) {
    const std::complex<T>* flat = transfer_[k].data();
    for (std::size_t i = 1; i < rows && st.mirrored; ++i) {
      st.mirrored = std::equal(flat + i * cols, flat + (i + 1) * cols,
                               flat + (rows - i) * cols);
    }
  }
  st.tile_rows = st.mirrored ? rows / 2 + 1 : rows;
  for (std::size_t k = 0; k < count; ++k) {
    Buffer<std::complex<T>> tiled(st.tile_rows * cols);
    const std::complex<T>* flat = transfer_[k].data();
    for (std::size_t c = 0; c < st.chunks; ++c) {
      const std::size_t x0 = c * st.chunk, width = std::min(st.chunk, cols - x0);
      for (std::size_t i = 0; i < st.tile_rows; ++i) {
        std::copy(flat + i * cols + x0, flat + i * cols + x0 + width,
                  tiled.data() + c * st.tile_rows * st.chunk + i * width);
      }
    }
    st.transfer.push_back(std::move(tiled));
  }
  // Rows in place in the scratch; columns in place in a tile (every tile starts on a cache
  // line: rows x chunk elements of 256 bytes a row).
  std::complex<T>* block = staged_scratch<T>(st.block * cols);
  auto rows_plan = [&](std::size_t number, bool inverse) {
    return plan_strided_dft1<T>({cols, number, 1, cols, 1, cols}, inverse, block, block, 1);
  };
  st.rows_forward = rows_plan(st.block, false);
  st.rows_inverse = rows_plan(st.block, true);
  const std::size_t rest_rows = rows % st.block;
  st.rows_forward_last = rest_rows == 0 ? st.rows_forward : rows_plan(rest_rows, false);
  st.rows_inverse_last = rest_rows == 0 ? st.rows_inverse : rows_plan(rest_rows, true);
  std::complex<T>* plane = st.plane.data();
  auto columns_plan = [&](std::size_t width, bool inverse) {
    return plan_strided_dft1<T>({rows, width, width, 1, width, 1}, inverse, plane, plane, 1);
  };
  st.columns_forward = columns_plan(st.chunk, false);
  st.columns_inverse = columns_plan(st.chunk, true);
  const std::size_t rest = cols % st.chunk;
  st.columns_forward_last = rest == 0 ? st.columns_forward : columns_plan(rest, false);
  st.columns_inverse_last = rest == 0 ? st.columns_inverse : columns_plan(rest, true);
}

template <class T>
double FusedHologramPlanes<T>::run(const T* phi, Mode mode, const double* vector, T* images,
                                   double* out, T* phi_bar, int threads) {
  const HologramPlanesConfig& cfg = config_;
  const std::size_t rows = cfg.rows, cols = cfg.cols, n = rows * cols;
  const std::size_t prows = padded_rows_, pcols = padded_cols_, np = prows * pcols;
  const bool far = cfg.distances.empty();
  const bool reverse = mode == Mode::gradient || mode == Mode::vjp;
  const bool forward_tangent = mode == Mode::jvp;
  const int team = threads_for(np, threads);
  const auto row_count = static_cast<std::int64_t>(rows);
  const auto all = static_cast<std::int64_t>(n);
  const double levels = static_cast<double>(cfg.levels);

  // The modulator: wrap, quantise, crosstalk (in double).
  double* shown = shown_.data();
  double* slope = slope_.data();
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t e = 0; e < all; ++e) {
    const double value = static_cast<double>(phi[e]);
    const double wrapped = value - kTwoPi * std::floor(value / kTwoPi);
    double q = wrapped, d = 1.0;
    if (cfg.levels > 0) {
      if (cfg.soft) {
        q = wrapped - std::sin(levels * wrapped) / levels;
        d = 1.0 - std::cos(levels * wrapped);
      } else {
        double step = std::nearbyint(wrapped * levels / kTwoPi);
        step -= levels * std::floor(step / levels);
        q = (kTwoPi / levels) * step;
      }
    }
    shown[e] = q;
    slope[e] = d;
  }
  modulate(phi, forward_tangent ? vector : nullptr, threads);
  const bool modulated = cfg.amplitude_phase;
  const double* modulation = modulation_.data();
  const double* modulation_dot = modulation_dot_.data();
  double* modulation_bar = modulation_bar_.data();
  const std::size_t kr = cfg.kernel_rows, kc = cfg.kernel_cols;
  const bool crosstalk = !cfg.crosstalk.empty();
  // out[k] = sum_d K[d + centre] in[k - d] (circular); the adjoint is the correlation.
  auto convolve = [&](const double* in, double* result, bool adjoint) {
    const double* kernel = cfg.crosstalk.data();
#pragma omp parallel for num_threads(threads_for(n * kr * kc, threads)) schedule(static)
    for (std::int64_t r = 0; r < row_count; ++r) {
      const auto i = static_cast<std::size_t>(r);
      for (std::size_t j = 0; j < cols; ++j) {
        double acc = 0.0;
        for (std::size_t a = 0; a < kr; ++a) {
          // d_r = a - kr / 2; the source row is i - d_r (i + d_r for the adjoint).
          const std::size_t si = adjoint ? (i + a + rows - kr / 2) % rows
                                         : (i + rows + kr / 2 - a) % rows;
          for (std::size_t b = 0; b < kc; ++b) {
            const std::size_t sj = adjoint ? (j + b + cols - kc / 2) % cols
                                           : (j + cols + kc / 2 - b) % cols;
            acc += kernel[a * kc + b] * in[si * cols + sj];
          }
        }
        result[i * cols + j] = acc;
      }
    }
  };
  // Without crosstalk the effective phase is the shown one (no copy).
  double* effective = crosstalk ? effective_.data() : shown;
  if (crosstalk) convolve(shown, effective, false);
  double* effective_dot = nullptr;
  if (forward_tangent) {  // the tangent of s along v: K * (slope v)
    if (shown_dot_.size() != n) shown_dot_.resize(n);
    effective_dot = effective_bar_.data();
    for (std::size_t e = 0; e < n; ++e) shown_dot_[e] = slope[e] * vector[e];
    if (crosstalk) {
      convolve(shown_dot_.data(), effective_dot, false);
    } else {
      std::memcpy(effective_dot, shown_dot_.data(), n * sizeof(double));
    }
    if (spectrum_dot_.size() != np) {
      spectrum_dot_ = Buffer<std::complex<T>>(np);
      work_dot_ = Buffer<std::complex<T>>(np);
      field_dot_ = Buffer<std::complex<T>>(np);
    }
  }
  double* effective_bar = effective_bar_.data();  // the first colour's extraction writes it

  std::complex<T>* phasor = phasor_.data();
  std::complex<T>* spectrum = spectrum_.data();
  std::complex<T>* spectrum_bar = spectrum_bar_.data();
  std::complex<T>* work = work_.data();
  std::complex<T>* spectrum_dot = forward_tangent ? spectrum_dot_.data() : nullptr;
  std::complex<T>* work_dot = forward_tangent ? work_dot_.data() : nullptr;
  const double* amplitude = cfg.amplitude.data();
  // The wide passes' amplitude (source_row_wide, extract_wide): null when it is 1 everywhere.
  const double* wide_amplitude = unit_amplitude_ ? nullptr : amplitude;
  const std::complex<T> zeta = narrow<T>(cfg.zero_order);
  const std::size_t row_shift = rows / 2, col_shift = cols / 2;
  const T inverse_n = static_cast<T>(1.0 / static_cast<double>(n));
  const auto padded_rows = static_cast<std::int64_t>(prows);
  double energy = 0.0;

  // The largest |s|: whether every phase alpha_c s is within sincos_moderate's range.
  double largest = 0.0;
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static) \
    reduction(max : largest)
  for (std::int64_t e = 0; e < all; ++e) largest = std::max(largest, std::fabs(effective[e]));

  // phasor = exp(i alpha_c s) in T, a vectorised pass (libm where a phase is too large).
  auto is_moderate = [&](double alpha) {
    return largest * std::fabs(alpha) <= 0.5 * sincos_limit<T>();
  };
  auto write_phasor = [&](double alpha) {
    const bool moderate = is_moderate(alpha);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
    for (std::int64_t r = 0; r < row_count; ++r) {
      const auto first = static_cast<std::int64_t>(static_cast<std::size_t>(r) * cols);
      const auto last = first + static_cast<std::int64_t>(cols);
      T* out = reinterpret_cast<T*>(phasor);
      if (moderate) {
        phasor_row_wide(effective, alpha, out, first, last);
      } else {
        for (std::int64_t k = first; k < last; ++k) {
          const T angle = static_cast<T>(alpha * effective[k]);
          out[2 * k] = std::cos(angle);
          out[2 * k + 1] = std::sin(angle);
        }
      }
    }
  };
  // The angular spectrum's field of one colour in one pass: the phasor (as write_phasor) and
  // A (m phasor + zeta) top-left of the zeroed padded plane dst (as place).
  // Row i of the padded plane dst (its phasor row, into `phasors`, too where i < rows).
  // (source_row: row i < rows of the field into `row`, its cols elements.)
  auto source_row = [&](std::size_t i, double alpha, bool moderate, std::complex<T>* row,
                        std::complex<T>* phasors) {
    const double* m = modulated ? modulation : nullptr;
    const auto first = static_cast<std::int64_t>(i * cols);
    const auto last = first + static_cast<std::int64_t>(cols);
    if (moderate) {
      source_row_wide(effective, alpha, wide_amplitude, m, zeta.real(), zeta.imag(),
                      reinterpret_cast<T*>(phasors), reinterpret_cast<T*>(row), first, last);
    } else {
      for (std::int64_t k = first; k < last; ++k) {
        const T angle = static_cast<T>(alpha * effective[k]);
        const std::complex<T> e(std::cos(angle), std::sin(angle));
        phasors[k] = e;
        const T a = static_cast<T>(amplitude[k]);
        row[k - first] = modulated ? a * (static_cast<T>(m[k]) * e + zeta) : a * (e + zeta);
      }
    }
  };
  auto source_at = [&](std::size_t i, double alpha, bool moderate, std::complex<T>* dst,
                       std::complex<T>* phasors) {
    std::complex<T>* row = dst + i * pcols;
    if (i >= rows) {
      std::fill(row, row + pcols, std::complex<T>(0, 0));
      return;
    }
    source_row(i, alpha, moderate, row, phasors);
    std::fill(row + cols, row + pcols, std::complex<T>(0, 0));
  };
  auto write_source = [&](double alpha, std::complex<T>* dst) {
    const bool moderate = is_moderate(alpha);
#pragma omp parallel for num_threads(team) schedule(static)
    for (std::int64_t r = 0; r < padded_rows; ++r) {
      source_at(static_cast<std::size_t>(r), alpha, moderate, dst, phasor);
    }
  };
  // Writes the field A (phasor + zeta) (or its tangent A i phasor alpha_c s_dot) of one colour
  // where the transforms start: top-left of the zeroed padded plane (angular spectrum), or
  // ifftshifted (far field).
  auto place = [&](std::size_t colour, std::complex<T>* dst, bool is_tangent) {
    const double alpha = cfg.phase_response[colour];
#pragma omp parallel for num_threads(team) schedule(static)
    for (std::int64_t r = 0; r < padded_rows; ++r) {
      const auto i = static_cast<std::size_t>(r);
      if (!far && i >= rows) {
        std::fill(dst + i * pcols, dst + (i + 1) * pcols, std::complex<T>(0, 0));
        continue;
      }
      const std::size_t si = far ? (i + row_shift) % rows : i;
      for (std::size_t j = 0; j < pcols; ++j) {
        if (!far && j >= cols) {
          dst[i * pcols + j] = std::complex<T>(0, 0);
          continue;
        }
        const std::size_t k = si * cols + (far ? (j + col_shift) % cols : j);
        const T a = static_cast<T>(amplitude[k]);
        if (modulated) {  // A (m e + zeta), or its tangent A e (i m alpha_c s_dot + m_dot)
          const T m = static_cast<T>(modulation[k]);
          if (!is_tangent) {
            dst[i * pcols + j] = a * (m * phasor[k] + zeta);
          } else {
            const T turn = static_cast<T>(alpha * effective_dot[k]);
            const std::complex<T> dm(static_cast<T>(modulation_dot[k]), m * turn);
            dst[i * pcols + j] = a * (phasor[k] * dm);
          }
        } else if (!is_tangent) {
          dst[i * pcols + j] = a * (phasor[k] + zeta);
        } else {
          const T turn = static_cast<T>(alpha * effective_dot[k]);
          dst[i * pcols + j] = a * (std::complex<T>(0, 1) * phasor[k] * turn);
        }
      }
    }
  };
  // Far field: dst[k] = src[(k - h) mod] / N (the fftshift and the inverse DFT's 1 / N).
  auto unshift = [&](const std::complex<T>* src, std::complex<T>* dst) {
#pragma omp parallel for num_threads(team) schedule(static)
    for (std::int64_t r = 0; r < row_count; ++r) {
      const auto i = static_cast<std::size_t>(r);
      const std::size_t si = (i + rows - row_shift) % rows;
      for (std::size_t j = 0; j < cols; ++j) {
        dst[i * cols + j] = src[si * cols + (j + cols - col_shift) % cols] * inverse_n;
      }
    }
  };

  // With the angular spectrum every transform is in place (spectrum, work, spectrum_bar):
  // timed alone on the (loaded) 2-core development VM, FFTW's in-place 512^2 plans ran
  // 0.6-1.1x its out-of-place ones, 0.86x in the median, and the working set is a plane
  // smaller. The far field keeps its out-of-place transforms.
  std::complex<T>* field = field_.data();
  std::complex<T>* field_dot = forward_tangent ? field_dot_.data() : nullptr;
  // The one-pass metric of fit_plane: value_and_grad of the normalised MSE without padding.
  const bool fast = !far && mode == Mode::gradient && cfg.efficiency < 0 && cfg.pad == 1;
  // theta_bar = Im(A u_bar conj(phasor)); s_bar += alpha_c theta_bar (the first colour
  // writes s_bar and m_bar, the later ones add), over row i of u_bar (`bar_row`). Without
  // crosstalk the last colour's pass also applies the quantiser's reverse rule,
  // phi_bar = s_bar slope.
  auto extract_row = [&](std::size_t colour, std::size_t i, const std::complex<T>* bar_row) {
    const double alpha = cfg.phase_response[colour];
    const bool first_colour = colour == 0;
    const bool finish = !crosstalk && colour + 1 == cfg.colours;
    const bool to_phi_bar = mode == Mode::gradient;
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t k = i * cols + j;
      const std::complex<T> bar = bar_row[j] * static_cast<T>(amplitude[k]);
      const std::complex<T> e = phasor[k];
      const T theta_bar = bar.imag() * e.real() - bar.real() * e.imag();
      double turn = alpha * static_cast<double>(theta_bar);
      if (modulated) {  // theta_bar = m Im(b conj(e)); m_bar += Re(b conj(e))
        turn = alpha * modulation[k] * static_cast<double>(theta_bar);
        const double moved = static_cast<double>(bar.real() * e.real() + bar.imag() * e.imag());
        modulation_bar[k] = first_colour ? moved : modulation_bar[k] + moved;
      }
      const double sum = first_colour ? turn : effective_bar[k] + turn;
      if (!finish) {
        effective_bar[k] = sum;
      } else if (to_phi_bar) {
        phi_bar[k] = static_cast<T>(sum * slope[k]);
      } else {
        out[k] = sum * slope[k];
      }
    }
  };

  // The staged path (value_and_grad of the normalised MSE without padding, every row on a
  // cache line): each 2-D transform is its row stage and its column stage (forward: rows, then
  // columns; inverse: columns, then rows), and every element-wise pass runs inside a stage, on
  // rows or columns the stage holds in cache. The Fourier-domain planes (the spectrum S, the
  // plane W, the adjoint sum B, the transfer functions) are tiled: tile c, `chunk` adjacent
  // columns, is one contiguous rows x width array, where the column transforms run in place;
  // a block of rows is gathered from the tiles into a per-thread scratch for the row
  // transforms and scattered back. Per colour:
  //   1. per block of rows: the field's rows (source_row) and their forward row transforms
  //      (for a later colour, inside the previous colour's stage 5);
  //   2. per tile: the forward column transforms (S = DFT_u(u)), the first plane's transfer
  //      product W = H_0 S with its Parseval sum, W's inverse column transforms;
  //   then per plane p:
  //   3. per block of rows: the inverse row transforms (U), fit_row (the metric and the
  //      cotangent), the forward row transforms;
  //   4. per tile: W's forward column transforms (V_p), B (+)= conj(H_p) V_p +
  //      kappa_p |H_p|^2 S and the next plane's W = H_(p+1) S with its sum in one sweep, W's
  //      inverse column transforms (after the last plane, B's inverse column transforms);
  //   5. per block of rows: B's inverse row transforms (u_bar), the extraction, and the next
  //      colour's stage 1.
  // The working set of a colour is four planes (S, W, B, the phasors) and half of each H: the
  // planes are done one after another rather than side by side to keep it in the last-level
  // cache. Blocks and tiles are fixed by the layout and run by the same plans whoever takes
  // them (for_each_chunk), and every sum is added in row or tile order: the same bits on any
  // team.
  const bool staged = fast && (cols * sizeof(std::complex<T>)) % 64 == 0;
  if (staged) {
    prepare_staged();
    Staged& st = staged_;
    const std::size_t planes = cfg.planes;
    using Complex = std::complex<T>;
    auto tile = [&](auto* plane, std::size_t c) { return plane + c * rows * st.chunk; };
    auto tile_width = [&](std::size_t c) { return std::min(st.chunk, cols - c * st.chunk); };
    auto block_rows = [&](std::size_t b) {
      return std::pair<std::size_t, std::size_t>{b * st.block,
                                                 std::min(rows, (b + 1) * st.block)};
    };
    // Block b's rows of a tiled plane to (gather) or from (scatter) a row-major block (row stride
    // cols), one loop per tile.
    auto gather = [&](const Complex* plane, std::size_t b, Complex* to) {
      const auto [first, last] = block_rows(b);
      for (std::size_t c = 0; c < st.chunks; ++c) {
        const std::size_t width = tile_width(c);
        copy_rows_wide(reinterpret_cast<const T*>(tile(plane, c) + first * width),
                       2 * width, reinterpret_cast<T*>(to + c * st.chunk), 2 * cols,
                       last - first, 2 * width);
      }
    };
    auto scatter = [&](const Complex* from, Complex* plane, std::size_t b) {
      const auto [first, last] = block_rows(b);
      for (std::size_t c = 0; c < st.chunks; ++c) {
        const std::size_t width = tile_width(c);
        copy_rows_wide(reinterpret_cast<const T*>(from + c * st.chunk), 2 * cols,
                       reinterpret_cast<T*>(tile(plane, c) + first * width), 2 * width,
                       last - first, 2 * width);
      }
    };
    auto row_stage = [&](Complex* block, std::size_t b, bool inverse) {
      const auto [first, last] = block_rows(b);
      const bool whole = last - first == st.block;
      const StridedPlan<T>& plan =
          inverse ? (whole ? st.rows_inverse : st.rows_inverse_last)
                  : (whole ? st.rows_forward : st.rows_forward_last);
      plan.execute(block, block);
    };
    auto column_stage = [&](Complex* data, std::size_t width, bool inverse) {
      const bool whole = width == st.chunk;
      const StridedPlan<T>& plan =
          inverse ? (whole ? st.columns_inverse : st.columns_inverse_last)
                  : (whole ? st.columns_forward : st.columns_forward_last);
      plan.execute(data, data);
    };
    Complex* spectrum_tiles = st.spectrum.data();
    auto field_rows = [&](std::size_t b, double alpha, bool moderate, Complex* block) {
      const auto [first, last] = block_rows(b);
      for (std::size_t i = first; i < last; ++i) {
        source_row(i, alpha, moderate, block + (i - first) * cols, phasor);
      }
      row_stage(block, b, false);
      scatter(block, spectrum_tiles, b);
    };
    {  // 1.
      const double alpha = cfg.phase_response[0];
      const bool moderate = is_moderate(alpha);
      for_each_chunk(st.blocks, team, [&](std::size_t b) {
        field_rows(b, alpha, moderate, staged_scratch<T>(st.block * cols));
      });
    }
    Complex* w_tiles = st.plane.data();
    Complex* sum_tiles = st.sum.data();
    auto h_tile = [&](std::size_t index, std::size_t c) {
      return reinterpret_cast<const T*>(st.transfer[index].data() + c * st.tile_rows * st.chunk);
    };
    for (std::size_t colour = 0; colour < cfg.colours; ++colour) {
      const std::size_t base = colour * planes;
      for_each_chunk(st.chunks, team, [&](std::size_t c) {  // 2.
        const std::size_t width = tile_width(c);
        Complex* s = tile(spectrum_tiles, c);
        Complex* w = tile(w_tiles, c);
        column_stage(s, width, false);
        st.norms[c] = chunk_product_wide(reinterpret_cast<const T*>(s), h_tile(base, c),
                                         st.mirrored, reinterpret_cast<T*>(w), rows, width);
        column_stage(w, width, true);
      });
      for (std::size_t p = 0; p < planes; ++p) {
        const std::size_t index = base + p;
        double norm = 0.0;
        for (std::size_t c = 0; c < st.chunks; ++c) norm += st.norms[p * st.chunks + c];
        const double total = norm * static_cast<double>(np);
        const auto [scale, gain] = fit_factors(index, total);
        const T* target = target_.data() + index * n;
        for_each_chunk(st.blocks, team, [&](std::size_t b) {  // 3.
          const auto [first, last] = block_rows(b);
          Complex* block = staged_scratch<T>(st.block * cols);
          gather(w_tiles, b, block);
          row_stage(block, b, true);
          const auto width = static_cast<std::int64_t>(cols);
          for (std::size_t i = first; i < last; ++i) {
            fit_row_wide(reinterpret_cast<T*>(block + (i - first) * cols), target + i * cols,
                         width, scale, gain, st.sums.data() + 3 * i);
          }
          row_stage(block, b, false);
          scatter(block, w_tiles, b);
        });
        double constant = 0.0;
        energy += fit_result(index, total, st.sums.data(), &constant);
        const T kappa = static_cast<T>(-2.0 * constant * static_cast<double>(np));
        const bool last_plane = p + 1 == planes;
        for_each_chunk(st.chunks, team, [&](std::size_t c) {  // 4. (and the next plane's 2.)
          const std::size_t width = tile_width(c);
          const Complex* s = tile(spectrum_tiles, c);
          Complex* w = tile(w_tiles, c);
          Complex* sum = tile(sum_tiles, c);
          column_stage(w, width, false);
          if (last_plane) {
            chunk_adjoint_wide(h_tile(index, c), st.mirrored, reinterpret_cast<const T*>(w),
                               reinterpret_cast<const T*>(s), kappa, reinterpret_cast<T*>(sum),
                               rows, width, p > 0);
            column_stage(sum, width, true);
            return;
          }
          st.norms[(p + 1) * st.chunks + c] = chunk_adjoint_product_wide(
              h_tile(index, c), h_tile(index + 1, c), st.mirrored, reinterpret_cast<T*>(w),
              reinterpret_cast<const T*>(s), kappa, reinterpret_cast<T*>(sum), rows, width,
              p > 0);
          column_stage(w, width, true);
        });
      }
      const bool next = colour + 1 < cfg.colours;
      const double next_alpha = next ? cfg.phase_response[colour + 1] : 0.0;
      const bool next_moderate = next && is_moderate(next_alpha);
      for_each_chunk(st.blocks, team, [&](std::size_t b) {  // 5.
        const auto [first, last] = block_rows(b);
        Complex* block = staged_scratch<T>(st.block * cols);
        gather(sum_tiles, b, block);
        row_stage(block, b, true);
        for (std::size_t i = first; i < last; ++i) {
          const Complex* bar = block + (i - first) * cols;
          if (modulated) {
            extract_row(colour, i, bar);
            continue;
          }
          const std::size_t k = i * cols;
          extract_wide(reinterpret_cast<const T*>(bar),
                       wide_amplitude != nullptr ? wide_amplitude + k : nullptr,
                       reinterpret_cast<const T*>(phasor + k), cfg.phase_response[colour],
                       effective_bar + k, slope + k, phi_bar + k,
                       static_cast<std::int64_t>(cols), colour == 0,
                       !crosstalk && colour + 1 == cfg.colours);
        }
        if (next) field_rows(b, next_alpha, next_moderate, block);
      });
    }
  }
  // The other modes and options: each 2-D transform whole, colour by colour (none here on
  // the staged path).
  std::vector<double> norms(static_cast<std::size_t>(team), 0.0);  // the product pass's sums
  for (std::size_t colour = 0; colour < (staged ? 0 : cfg.colours); ++colour) {
    if (far) {
      write_phasor(cfg.phase_response[colour]);
      place(colour, work, false);
    } else if (!(reverse && colour > 0)) {  // (in the reverse modes the previous colour's
      write_source(cfg.phase_response[colour], spectrum);  // extraction pass wrote it)
    }
    if (forward_tangent) place(colour, far ? work_dot : spectrum_dot, true);
    const std::complex<T>* field_bar = nullptr;  // u_bar, rows x cols, row stride pcols
    if (far) {
      // work holds ifftshift(u): U = fftshift(IDFT_u(work)) / N into field.
      dft2_unnormalized<T>(work, spectrum, 1, rows, cols, true, team);
      unshift(spectrum, field);
      if (forward_tangent) {
        dft2_unnormalized<T>(work_dot, spectrum_dot, 1, rows, cols, true, team);
        unshift(spectrum_dot, field_dot);
      }
      energy += plane_metric(colour, 0, field, cols, field_dot, mode, vector, images, out,
                             team);
      if (reverse) {
        // u_bar = fftshift(DFT_u(ifftshift(U_bar))) / N, into spectrum_bar.
#pragma omp parallel for num_threads(team) schedule(static)
        for (std::int64_t r = 0; r < row_count; ++r) {
          const auto i = static_cast<std::size_t>(r);
          const std::size_t si = (i + row_shift) % rows;
          for (std::size_t j = 0; j < cols; ++j) {
            work[i * cols + j] = field[si * cols + (j + col_shift) % cols];
          }
        }
        dft2_unnormalized<T>(work, spectrum, 1, rows, cols, false, team);
        unshift(spectrum, spectrum_bar);
        field_bar = spectrum_bar;
      }
    } else {
      dft2_unnormalized<T>(spectrum, spectrum, 1, prows, pcols, false, team);
      if (forward_tangent) {
        dft2_unnormalized<T>(spectrum_dot, spectrum_dot, 1, prows, pcols, false, team);
      }
      // In the reverse modes each plane's adjoint pass also forms the next plane's transfer
      // product (adjoint_product), so a plane after the first starts at its transform.
      bool formed = false;
      for (std::size_t plane = 0; plane < cfg.planes; ++plane) {
        const std::complex<T>* h = transfer_[colour * cfg.planes + plane].data();
        const T* hs = reinterpret_cast<const T*>(h);
        if (!formed) {
          std::fill(norms.begin(), norms.end(), 0.0);  // a team smaller than asked leaves some
          in_chunks(np, team, [&](std::int64_t first, std::int64_t last) {
            norms[static_cast<std::size_t>(omp_get_thread_num())] =
                product_wide(reinterpret_cast<const T*>(spectrum), hs,
                             reinterpret_cast<T*>(work), first, last);
            if (forward_tangent) {
              product_wide(reinterpret_cast<const T*>(spectrum_dot), hs,
                           reinterpret_cast<T*>(work_dot), first, last);
            }
          });
        }
        dft2_unnormalized<T>(work, work, 1, prows, pcols, true, team);
        if (forward_tangent) dft2_unnormalized<T>(work_dot, work_dot, 1, prows, pcols, true, team);
        // The fast path: the plane is the fit region (no padding to crop), so Parseval gives
        // sum I = Np sum |H S / Np|^2 from the product pass, and one pass does the metric and
        // its cotangent; mean_normalize_vjp's constant term, -2 constant U, is added after the
        // forward transform as -2 constant Np H S / Np (DFT_u(IDFT_u(x)) = Np x).
        double constant = 0.0;
        if (fast) {
          double norm = 0.0;
          for (double part : norms) norm += part;
          energy += fit_plane(colour * cfg.planes + plane, work,
                              norm * static_cast<double>(np), &constant, team,
                              fit_sums_.data());
        } else {
          energy += plane_metric(colour, plane, work, pcols, work_dot, mode, vector, images,
                                 out, team);
        }
        if (!reverse) continue;
        if (cfg.pad > 1) {  // the padding of the cotangent is zero (pad's adjoint is crop)
#pragma omp parallel for num_threads(team) schedule(static)
          for (std::int64_t r = 0; r < padded_rows; ++r) {
            const auto i = static_cast<std::size_t>(r);
            const std::size_t first = i < rows ? cols : 0;
            for (std::size_t j = first; j < pcols; ++j) work[i * pcols + j] = {0, 0};
          }
        }
        dft2_unnormalized<T>(work, work, 1, prows, pcols, false, team);
        const T kappa = static_cast<T>(-2.0 * constant * static_cast<double>(np));
        formed = plane + 1 < cfg.planes;
        if (formed) {
          const T* next =
              reinterpret_cast<const T*>(transfer_[colour * cfg.planes + plane + 1].data());
          std::fill(norms.begin(), norms.end(), 0.0);
          in_chunks(np, team, [&](std::int64_t first, std::int64_t last) {
            norms[static_cast<std::size_t>(omp_get_thread_num())] = adjoint_product_wide(
                hs, reinterpret_cast<T*>(work), reinterpret_cast<const T*>(spectrum), kappa,
                reinterpret_cast<T*>(spectrum_bar), next, first, last, plane > 0, fast);
          });
          continue;
        }
        in_chunks(np, team, [&](std::int64_t first, std::int64_t last) {
          adjoint_sum_wide(hs, reinterpret_cast<const T*>(work),
                           fast ? reinterpret_cast<const T*>(spectrum) : nullptr, kappa,
                           reinterpret_cast<T*>(spectrum_bar), first, last, plane > 0);
        });
      }
      if (reverse) {
        dft2_unnormalized<T>(spectrum_bar, spectrum_bar, 1, prows, pcols, true, team);
        field_bar = spectrum_bar;
      }
    }
    if (!reverse) continue;
    // With the angular spectrum the extraction also writes the next colour's field
    // (write_source's rows, after this row's phasors are read).
    const std::size_t stride = far ? cols : pcols;
    const bool next = !far && colour + 1 < cfg.colours;
    const double next_alpha = next ? cfg.phase_response[colour + 1] : 0.0;
    const bool next_moderate = next && is_moderate(next_alpha);
#pragma omp parallel for num_threads(next ? team : threads_for(n, threads)) schedule(static)
    for (std::int64_t r = 0; r < (next ? padded_rows : row_count); ++r) {
      const auto i = static_cast<std::size_t>(r);
      if (i < rows) extract_row(colour, i, field_bar + i * stride);
      if (next) source_at(i, next_alpha, next_moderate, spectrum, phasor);
    }
  }
  if (!reverse) return energy;
  // The crosstalk's and the quantiser's reverse rules (without crosstalk, done above).
  if (crosstalk) {
    convolve(effective_bar, effective, true);  // effective is free now
    const double* shown_bar = effective;
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
    for (std::int64_t e = 0; e < all; ++e) {
      const double value = shown_bar[e] * slope[e];
      if (mode == Mode::gradient) {
        phi_bar[e] = static_cast<T>(value);
      } else {
        out[e] = value;
      }
    }
  }
  modulation_gradient(phi_bar, out, mode == Mode::gradient, threads);
  return energy;
}

template <class T>
double FusedHologramPlanes<T>::value_and_grad(const T* phi, T* phi_bar, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  return run(phi, Mode::gradient, nullptr, nullptr, nullptr, phi_bar, threads);
}

template <class T>
void FusedHologramPlanes<T>::images(const T* phi, T* out, bool normalised, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  run(phi, normalised ? Mode::normalised : Mode::intensity, nullptr, out, nullptr, nullptr,
      threads);
}

template <class T>
void FusedHologramPlanes<T>::residuals(const T* phi, double* r, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  run(phi, Mode::residuals, nullptr, nullptr, r, nullptr, threads);
}

template <class T>
void FusedHologramPlanes<T>::jvp(const T* phi, const double* v, double* out, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  run(phi, Mode::jvp, v, nullptr, out, nullptr, threads);
}

template <class T>
void FusedHologramPlanes<T>::vjp(const T* phi, const double* u, double* out, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  run(phi, Mode::vjp, u, nullptr, out, nullptr, threads);
}

template class FusedHologramPlanes<float>;
template class FusedHologramPlanes<double>;

}  // namespace phasegrad::models
