// The fused hologram model: its passes over memory (see models/hologram.hpp for the math).
#include "phasegrad/models/hologram.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "phasegrad/core/cache_lines.hpp"
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

// Pass 1 on the piece [first, last) of one row of the phasor:
// out[j] = exp(i (source[j + shift] + row_ramp + col_ramp[j])), in T. The ramp goes into the
// angle (sincos_moderate adds it after reducing the phase, so a large phase loses nothing):
// no complex products. Returns the sum of (|phi| - sincos_limit<T>())^+: positive (or NaN)
// when a phase is beyond the limit. No sum of |phasor|^2: it is the pixel count (see forward).
// A function of its own, with everything passed by value, so that the simd loop keeps its
// pointers and sums in registers (captured by reference, they become per-lane stack arrays
// and the loop stays scalar).
template <class T, class SinCosFn>
[[gnu::always_inline]] inline T write_phasor(const T* source, T* out, const T* col_ramp,
                                             T row_ramp, std::size_t first, std::size_t last,
                                             std::int64_t shift, SinCosFn sin_cos) {
  T outside = 0;
  const auto begin = static_cast<std::int64_t>(first);
  const auto end = static_cast<std::int64_t>(last);
#pragma omp simd reduction(+ : outside)
  for (std::int64_t j = begin; j < end; ++j) {
    const T phase = source[j + shift];
    // The positive part by arithmetic: a compare would be a bool, which GCC does not
    // vectorize into a sum.
    const T excess = std::fabs(phase) - sincos_limit<T>();
    outside += T(0.5) * (excess + std::fabs(excess));
    const SinCosOf<T> e = sin_cos(phase, row_ramp + col_ramp[j]);
    out[2 * j] = e.cos;
    out[2 * j + 1] = e.sin;
  }
  return outside;
}

// Pass 1 with sincos_moderate, cloned for wider SIMD (PHASEGRAD_WIDE_SIMD): measured on the
// AVX-512 development VM, one thread, 512^2, the fused hologram took 4.2-4.3 ms instead of
// 5.0-5.3 in float64 and 2.5-2.8 instead of 3.1-3.3 in float32.
template <class T>
[[gnu::always_inline]] inline T write_phasor_moderate(
    const T* source, T* out, const T* col_ramp, T row_ramp, std::size_t first, std::size_t last,
    std::int64_t shift) {
  return write_phasor(source, out, col_ramp, row_ramp, first, last, shift,
                      [](T x, T s) { return sincos_moderate(x, s); });
}
PHASEGRAD_WIDE_SIMD double write_phasor_wide(const double* source, double* out,
                                             const double* col_ramp, double row_ramp,
                                             std::size_t first, std::size_t last,
                                             std::int64_t shift) {
  return write_phasor_moderate(source, out, col_ramp, row_ramp, first, last, shift);
}
PHASEGRAD_WIDE_SIMD float write_phasor_wide(const float* source, float* out,
                                            const float* col_ramp, float row_ramp,
                                            std::size_t first, std::size_t last,
                                            std::int64_t shift) {
  return write_phasor_moderate(source, out, col_ramp, row_ramp, first, last, shift);
}

// Pass 3 on one row of G (in place) against its target row: returns the row's sum of squared
// residuals (in double) and writes g <- to_cotangent r g, r = to_normalised |g|^2 - t, formed
// in T: G itself carries T's rounding, and in float32 forming r in double only cost four
// conversions an element (half the lanes; perf, 256^2, one thread). A function of its own for
// the wide clones below.
template <class T>
[[gnu::always_inline]] inline double residual_row(T* g, const T* t, std::int64_t cols,
                                                  double to_normalised, double to_cotangent) {
  double squares = 0.0;
  const T scale = static_cast<T>(to_normalised), weight_scale = static_cast<T>(to_cotangent);
#pragma omp simd reduction(+ : squares)
  for (std::int64_t j = 0; j < cols; ++j) {
    const T re = g[2 * j], im = g[2 * j + 1];
    const T residual = scale * (re * re + im * im) - t[j];
    squares += static_cast<double>(residual) * static_cast<double>(residual);
    const T weight = weight_scale * residual;
    g[2 * j] = weight * re;
    g[2 * j + 1] = weight * im;
  }
  return squares;
}

// Pass 3 and pass 5 cloned for wider SIMD like pass 1 (the build targets baseline x86-64, whose
// two double lanes left pass 3 as slow as pass 1's sines and cosines: perf, float32 256^2, one
// thread). The arithmetic is the same in every clone (ISO C++ mode contracts no FMAs); only
// the order of the row's sum differs, by its lane count.
PHASEGRAD_WIDE_SIMD double residual_row_wide(float* g, const float* t, std::int64_t cols,
                                             double to_normalised, double to_cotangent) {
  return residual_row(g, t, cols, to_normalised, to_cotangent);
}
PHASEGRAD_WIDE_SIMD double residual_row_wide(double* g, const double* t, std::int64_t cols,
                                             double to_normalised, double to_cotangent) {
  return residual_row(g, t, cols, to_normalised, to_cotangent);
}

// Pass 5 on the piece [first, last) of one row: o[j + shift] = Im(b[j] conj(a[j])).
template <class T, class Out>
[[gnu::always_inline]] inline void project_piece(const T* a, const T* b, Out* o,
                                                 std::int64_t first, std::int64_t last,
                                                 std::int64_t shift) {
#pragma omp simd
  for (std::int64_t j = first; j < last; ++j) {
    o[j + shift] = static_cast<Out>(b[2 * j + 1]) * static_cast<Out>(a[2 * j]) -
                   static_cast<Out>(b[2 * j]) * static_cast<Out>(a[2 * j + 1]);
  }
}
PHASEGRAD_WIDE_SIMD void project_piece_wide(const float* a, const float* b, float* o,
                                            std::int64_t first, std::int64_t last,
                                            std::int64_t shift) {
  project_piece(a, b, o, first, last, shift);
}
PHASEGRAD_WIDE_SIMD void project_piece_wide(const float* a, const float* b, double* o,
                                            std::int64_t first, std::int64_t last,
                                            std::int64_t shift) {
  project_piece(a, b, o, first, last, shift);
}
PHASEGRAD_WIDE_SIMD void project_piece_wide(const double* a, const double* b, double* o,
                                            std::int64_t first, std::int64_t last,
                                            std::int64_t shift) {
  project_piece(a, b, o, first, last, shift);
}

// Pass 5 with the phasor computed again from phi, on the piece [first, last) of one row:
// o[j + shift] = Im(b[j] conj(a[j])), a[j] = exp(i (source[j + shift] + row_ramp + col_ramp[j]))
// by the same sincos_moderate as write_phasor (the same bits: neither loop contracts), for rows
// whose phases are all within sincos_limit<T>().
template <class T>
[[gnu::always_inline]] inline void project_recomputed(const T* source, const T* b, T* o,
                                                      const T* col_ramp, T row_ramp,
                                                      std::int64_t first, std::int64_t last,
                                                      std::int64_t shift) {
#pragma omp simd
  for (std::int64_t j = first; j < last; ++j) {
    const SinCosOf<T> e = sincos_moderate(source[j + shift], row_ramp + col_ramp[j]);
    o[j + shift] = b[2 * j + 1] * e.cos - b[2 * j] * e.sin;
  }
}
PHASEGRAD_WIDE_SIMD void project_recomputed_wide(const float* source, const float* b, float* o,
                                                 const float* col_ramp, float row_ramp,
                                                 std::int64_t first, std::int64_t last,
                                                 std::int64_t shift) {
  project_recomputed(source, b, o, col_ramp, row_ramp, first, last, shift);
}
PHASEGRAD_WIDE_SIMD void project_recomputed_wide(const double* source, const double* b,
                                                 double* o, const double* col_ramp,
                                                 double row_ramp, std::int64_t first,
                                                 std::int64_t last, std::int64_t shift) {
  project_recomputed(source, b, o, col_ramp, row_ramp, first, last, shift);
}

// The sum of x[i] - x[i] over [0, n): 0 when every x[i] is finite, NaN when one is NaN or
// infinite (inf - inf is NaN, and NaN stays NaN through every sum; no -ffast-math, so the
// compiler keeps the subtraction). One subtraction and one addition an element in wide
// SIMD: the pass streams phi at the speed of memory.
template <class T>
[[gnu::always_inline]] inline T nonfinite_probe(const T* x, std::int64_t n) {
  T probe = 0;
#pragma omp simd reduction(+ : probe)
  for (std::int64_t i = 0; i < n; ++i) probe += x[i] - x[i];
  return probe;
}
PHASEGRAD_WIDE_SIMD float nonfinite_probe_wide(const float* x, std::int64_t n) {
  return nonfinite_probe(x, n);
}
PHASEGRAD_WIDE_SIMD double nonfinite_probe_wide(const double* x, std::int64_t n) {
  return nonfinite_probe(x, n);
}

// exp(2 pi i q / n) for q in [0, n), in double: the plane waves of the hologram's Jacobian. The
// angle is formed from q reduced to (-n / 2, n / 2], with one rounding.
std::vector<std::complex<double>> plane_waves(std::size_t n) {
  std::vector<std::complex<double>> waves(n);
  for (std::size_t q = 0; q < n; ++q) {
    const double turns = 2 * q <= n ? static_cast<double>(q) : -static_cast<double>(n - q);
    const double angle = kTwoPi * turns / static_cast<double>(n);
    waves[q] = {std::cos(angle), std::sin(angle)};
  }
  return waves;
}

// Tiles of the symmetrisation pass over a dense square matrix.
constexpr std::size_t kTile = 64;

// m <- (m + m^T) / 2 for the n x n row-major m, in place, so that it is symmetric to the bit.
// Tile row a is one thread's: it owns the pairs (i, j), i < j, with i in that row, and writes
// m[i, j] and m[j, i] of each; no two threads touch one element.
void symmetrise(double* m, std::size_t n, int team) {
  const auto tiles = static_cast<std::int64_t>((n + kTile - 1) / kTile);
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
  for (std::int64_t a = 0; a < tiles; ++a) {
    const std::size_t row_first = static_cast<std::size_t>(a) * kTile;
    const std::size_t row_last = std::min(n, row_first + kTile);
    for (std::size_t col_first = row_first; col_first < n; col_first += kTile) {
      const std::size_t col_last = std::min(n, col_first + kTile);
      for (std::size_t i = row_first; i < row_last; ++i) {
        for (std::size_t j = std::max(col_first, i + 1); j < col_last; ++j) {
          const double mean = 0.5 * (m[i * n + j] + m[j * n + i]);
          m[i * n + j] = mean;
          m[j * n + i] = mean;
        }
      }
    }
  }
}

// The calling thread's scratch for the blocked path's chunks (core/buffer.hpp's
// thread_scratch, this model's own).
template <class T>
std::complex<T>* chunk_scratch(std::size_t elements) {
  return thread_scratch<FusedHologram<T>, std::complex<T>>(elements);
}

// The column chunk of value_and_grad's blocked path, or 0 where it does not apply: every row
// must be aligned like the first (cols complex numbers fill whole cache lines) for the rows'
// plans, and the chunk (adjacent columns, a power of two that divides cols) is the widest whose
// rows x chunk scratch stays within kChunkBytes, at least a cache line's worth of columns.
// Measured (one core, the transforms alone against FFTW's in-place 2-D pair): 256 KiB gave
// 0.88-0.99 of the pair at 512^2 and 1024^2 in both precisions, 128 KiB 0.94-1.07 and 1 MiB
// 0.93-1.15; at 256^2 128 KiB was 3 % faster, within the noise. The rows' band hardly mattered.
constexpr std::size_t kChunkBytes = std::size_t{1} << 18;

template <class T>
std::size_t blocked_chunk(std::size_t rows, std::size_t cols) {
  const std::size_t element = sizeof(std::complex<T>);
  if (rows < 2 || (cols * element) % 64 != 0) return 0;
  const std::size_t line = 64 / element;
  std::size_t chunk = line;
  while (cols % (2 * chunk) == 0 && 2 * chunk * rows * element <= kChunkBytes) chunk *= 2;
  return chunk;
}

// The band of rows of the blocked path's row stages: a power of two that divides rows, the
// widest whose rows stay within kBandBytes (one row at least).
constexpr std::size_t kBandBytes = std::size_t{1} << 15;

template <class T>
std::size_t blocked_band(std::size_t rows, std::size_t cols) {
  const std::size_t row = cols * sizeof(std::complex<T>);
  std::size_t band = 1;
  while (rows % (2 * band) == 0 && 2 * band * row <= kBandBytes) band *= 2;
  return band;
}

// The transposing copies of the blocked path's column stage go tile by tile, kTile x kTile
// elements (a compile-time count, so the tile's loops unroll), and the scratch's rows are one
// cache line longer than a column (see scratch_lead), so that its rows, like the plane's, do not
// all map onto the same cache sets. Measured (one core, standalone, a chunk's gather and
// scatter at 256^2-1024^2): 4 x 4 tiles into padded rows took 0.63-0.84x the time of 8 x 8
// into unpadded ones in both precisions (1.0-1.5x plain row copies).
constexpr std::size_t kTransposeTile = 4;

// How far ahead the gather asks for the plane's rows (prefetch_lines of each row's piece of
// the chunk: short runs a power of two apart). Measured (a timed build, one core, 1024^2,
// load 4): the gather took 1.02-1.10 ms instead of 1.47-1.60 in float32 and 1.83-2.08 instead of 2.49-2.53 in float64
// 8 rows ahead; 16 ahead gained less. The scatter's writes gained nothing from it.
constexpr std::size_t kGatherAhead = 8;

// work[x * lead + y] = plane[y * stride + x] for y < rows, x < width, in tiles of kTile
// (which divides rows and width).
template <std::size_t kTile, class E>
void gather_tiles(const E* plane, std::size_t stride, E* work, std::size_t lead,
                  std::size_t rows, std::size_t width) {
  const std::size_t bytes = width * sizeof(E);
  for (std::size_t y0 = 0; y0 < rows; y0 += kTile) {
    const std::size_t ahead = y0 + kGatherAhead;
    for (std::size_t y = ahead; y < std::min(rows, ahead + kTile); ++y) {
      prefetch_lines(plane + y * stride, bytes);
    }
    for (std::size_t x0 = 0; x0 < width; x0 += kTile) {
      for (std::size_t x = x0; x < x0 + kTile; ++x) {
        for (std::size_t y = y0; y < y0 + kTile; ++y) work[x * lead + y] = plane[y * stride + x];
      }
    }
  }
}

// The inverse: plane[y * stride + x] = work[x * lead + y].
template <std::size_t kTile, class E>
void scatter_tiles(const E* work, std::size_t lead, std::size_t rows, std::size_t width,
                   E* plane, std::size_t stride) {
  for (std::size_t y0 = 0; y0 < rows; y0 += kTile) {
    for (std::size_t x0 = 0; x0 < width; x0 += kTile) {
      for (std::size_t y = y0; y < y0 + kTile; ++y) {
        for (std::size_t x = x0; x < x0 + kTile; ++x) plane[y * stride + x] = work[x * lead + y];
      }
    }
  }
}

// A chunk of `width` adjacent columns of the plane (row stride `stride`, `rows` rows) into the
// scratch, transposed (column x is the scratch's row x, at x * lead), and back.
template <class E>
void gather_transposed(const E* plane, std::size_t stride, E* work, std::size_t lead,
                       std::size_t rows, std::size_t width) {
  if (rows % kTransposeTile == 0 && width % kTransposeTile == 0) {
    gather_tiles<kTransposeTile>(plane, stride, work, lead, rows, width);
  } else {
    gather_tiles<1>(plane, stride, work, lead, rows, width);
  }
}

template <class E>
void scatter_transposed(const E* work, std::size_t lead, std::size_t rows, std::size_t width,
                        E* plane, std::size_t stride) {
  if (rows % kTransposeTile == 0 && width % kTransposeTile == 0) {
    scatter_tiles<kTransposeTile>(work, lead, rows, width, plane, stride);
  } else {
    scatter_tiles<1>(work, lead, rows, width, plane, stride);
  }
}

// The row stride of the column stage's transposed scratch: the column length rounded up to
// whole cache lines, plus one line (rows of a power-of-two stride would share cache sets).
template <class T>
std::size_t scratch_lead(std::size_t rows) {
  return whole_lines<std::complex<T>>(rows) + kCacheLine / sizeof(std::complex<T>);
}

// The blocks of value_and_grad's finiteness pass: 16384 values (64 KiB of float, 128 KiB of
// double), so that two threads share a 256^2 phase and a block's loop is long.
constexpr std::size_t kFiniteBlock = std::size_t{1} << 14;

// value_and_grad's error for a phi holding NaN or infinity, wherever it finds one.
constexpr const char* kNotFinite = "phi must be finite; it contains NaN or infinity";

// The phasor plane's size from which the blocked path computes the phasor again in pass C
// rather than keeping it (FusedHologram::Phasor): there the call's planes with the phasor kept
// (phi, the phasor, the field, the target and phi_bar: 7 N reals) outgrow a 32 MiB last-level
// cache, and pass C reading phi (N reals) and computing a sine and a cosine again costs less
// than writing the phasor and reading it back (4-6 N reals, counted in docs/holography.md).
// Measured (one object each way in one process, one pinned core, CPU time, interleaved, load
// 3-7; value_and_grad / the in-place pair, medians of the rounds' ratios): float64 1024^2
// (16 MiB) 0.85-1.12 recomputed against 0.89-1.15 kept, lower in 11 runs of 13; float32
// 1024^2 (8 MiB) 1.11-1.28 against 1.08-1.23, and 256^2 1.23 against 1.12-1.14 in both
// precisions: where the planes stay in cache the second sine and cosine cost more than the
// traffic they save.
constexpr std::size_t kRecomputeBytes = std::size_t{16} << 20;

double sum_in_order(const std::vector<double>& parts) {
  double total = 0.0;
  for (double part : parts) total += part;
  return total;
}

// The default split is the blocked one (see the header). On the 2-vCPU development VM, 1024^2,
// two threads, it was the faster under load (interleaved medians, load 4-8: value_and_grad
// 1.00-1.16x the in-place pair in float32 and 1.15-1.47x in float64, against 1.28-1.54x and
// 1.46-1.57x for the whole-plane split); at load 2 the whole-plane split was faster in three of
// four interleaved runs (1.43-1.53x against 1.55-1.73x) but slower in six of six timings on one
// object after its first call (float64: 8.7-10.8 ms blocked, 11.0-18.9 ms whole), so no rule
// or first-call measurement was kept (docs/holography.md). Below 2^20 pixels, and on one
// thread, blocked was never slower.

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
      phasor_(Buffer<std::complex<T>>::huge_pages(rows * cols)),
      field_(Buffer<std::complex<T>>::huge_pages(rows * cols)),
      row_waves_(plane_waves(rows)),
      col_waves_(plane_waves(cols)) {
  if (rows == 0 || cols == 0) throw std::invalid_argument("target must not be empty");
  for (T value : target_) target_sum_ += static_cast<double>(value);
  chunk_ = blocked_chunk<T>(rows, cols);
  band_ = blocked_band<T>(rows, cols);
  finite_probes_.assign((rows * cols + kFiniteBlock - 1) / kFiniteBlock, T(0));
  if (chunk_ > 0) {
    // The target in the chunks' layout, transposed: column x of the plane is row x of it
    // (chunk c is its rows [c chunk_, (c + 1) chunk_)).
    const std::size_t chunks = cols / chunk_;
    target_chunks_ = Buffer<T>::huge_pages(rows * cols);
    chunk_sums_.assign(chunks, 0.0);
    row_kinds_.assign(rows, kFast);
    for (std::size_t y = 0; y < rows; ++y) {
      for (std::size_t x = 0; x < cols; ++x) {
        target_chunks_.data()[x * rows + y] = target_[y * cols + x];
      }
    }
  }
}

template <class T>
typename FusedHologram<T>::RowKind FusedHologram<T>::phasor_row(const T* phi, std::size_t row,
                                                               std::complex<T>* phasor) const {
  const std::size_t cols = cols_, col_shift = col_shift_;
  const T* col_ramp = col_ramp_.data();
  const T* source = phi + ((row + row_shift_) % rows_) * cols;
  T* out = reinterpret_cast<T*>(phasor);
  const T ramp = row_ramp_[row];
  // The ifftshift along the row: element j reads j + col_shift (mod cols), in two pieces.
  const std::size_t wrap = cols - col_shift;
  const auto ahead = static_cast<std::int64_t>(col_shift);
  const auto behind = -static_cast<std::int64_t>(wrap);
  // write(first, last, shift) writes one piece of the row and returns its excess.
  auto write_row = [&](auto write) {
    const T head = write(std::size_t{0}, wrap, ahead);
    return head + write(wrap, cols, behind);
  };
  const T outside = write_row([&](std::size_t first, std::size_t last, std::int64_t by) {
    return write_phasor_wide(source, out, col_ramp, ramp, first, last, by);
  });
  if (outside <= 0) return kFast;
  // libm in double, rounded to T; the ramp by the angle-sum formulas, since x + shift would
  // round to an ulp of the large x.
  auto libm = [](T x, T shift) {
    const double sx = std::sin(static_cast<double>(x)), cx = std::cos(static_cast<double>(x));
    const double ss = std::sin(static_cast<double>(shift));
    const double cs = std::cos(static_cast<double>(shift));
    return SinCosOf<T>{static_cast<T>(sx * cs + cx * ss), static_cast<T>(cx * cs - sx * ss)};
  };
  write_row([&](std::size_t first, std::size_t last, std::int64_t by) {
    return write_phasor(source, out, col_ramp, ramp, first, last, by, libm);
  });
  // The excess is NaN or infinite where a phase is: only such rows need the exact test.
  const bool finite = nonfinite_probe_wide(source, static_cast<std::int64_t>(cols)) == 0;
  return finite ? kLibm : kNonfinite;
}

template <class T>
double FusedHologram<T>::forward(const T* phi, int team) {
  const auto rows = static_cast<std::int64_t>(rows_);
  // Pass 1: phasor = exp(i (phi[j + h] + ramp[j])) in T. A row holding a phase beyond
  // sincos_limit<T>() is redone with libm's sin and cos.
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = static_cast<std::size_t>(r);
    phasor_row(phi, row, phasor_.data() + row * cols_);
  }

  dft2_unnormalized<T>(phasor_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/true, team);

  // Parseval: sum |G|^2 = N sum |phasor|^2 = N^2 (every phasor has modulus 1; the computed
  // ones to an ulp or two, as the reference's), so sum I = sum |G|^2 / N^2 = 1 and
  // I_r = s |G|^2 / N^2 with s = sum T / sum I = sum T.
  const double n = static_cast<double>(rows_ * cols_);
  return target_sum_ / (n * n);
}

template <class T>
void FusedHologram<T>::check_finite(const T* phi, int team) {
  // Blocks of kFiniteBlock values (the last may be shorter), handed out dynamically; each
  // block's probe goes to its own slot and the slots are read after the pass, so a thread's
  // flag never races another's.
  const std::size_t count = rows_ * cols_;
  const std::size_t blocks = (count + kFiniteBlock - 1) / kFiniteBlock;
  T* probes = finite_probes_.data();
  for_each_chunk(blocks, team, [&](std::size_t b) {
    const std::size_t first = b * kFiniteBlock;
    const std::size_t size = std::min(kFiniteBlock, count - first);
    probes[b] = nonfinite_probe_wide(phi + first, static_cast<std::int64_t>(size));
  });
  for (std::size_t b = 0; b < blocks; ++b) {
    if (!(probes[b] == 0)) {
      throw std::invalid_argument(kNotFinite);
    }
  }
}

template <class T>
double FusedHologram<T>::value_and_grad(const T* phi, T* phi_bar, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  if (chunk_ > 0) {
    const Split split = split_for();
    // The blocked and hybrid splits check phi in their first pass.
    if (split != Split::whole) return run_split(split, phi, phi_bar, team);
  }
  check_finite(phi, team);
  return finish_whole(forward(phi, team), phi_bar, team);
}

template <class T>
double FusedHologram<T>::finish_whole(double to_normalised, T* phi_bar, int team) {
  const std::size_t count = rows_ * cols_;
  // Pass 3: E and the field's cotangent in place. With N_bar = 2 r / N (wsse_vjp, E_bar = 1/N)
  // and I_bar = s N_bar (mean_normalize_vjp; its constant term drops out, see the header),
  // G_bar = 2 I_bar G / N^2 (abs2_vjp through F = G / N), and the forward FFT below times 1/N
  // (idft2_vjp) gives the phasor's cotangent: field <- (4 s / N^3) r G.
  const double n = static_cast<double>(count);
  const double to_cotangent = 4.0 * to_normalised / n;
  const double energy = residual_rows(to_normalised, to_cotangent, team) / n;

  dft2_unnormalized<T>(field_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/false, team);

  // Pass 5: phi_bar[j + h] = Im(phasor_bar[j] conj(phasor[j])).
  project(field_.data(), phi_bar, team);
  return energy;
}

// The residual pass over the whole field_ in place, row by row on the team (G into its
// cotangent, see finish_whole): the rows' sums of squared residuals, added in row order.
template <class T>
double FusedHologram<T>::residual_rows(double to_normalised, double to_cotangent, int team) {
  const auto rows = static_cast<std::int64_t>(rows_);
  const auto cols = static_cast<std::int64_t>(cols_);
  T* field = reinterpret_cast<T*>(field_.data());
  const T* target = target_.data();
  double* row_sums = row_sums_.data();
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    row_sums[r] = residual_row_wide(field + 2 * r * cols, target + r * cols, cols,
                                    to_normalised, to_cotangent);
  }
  return sum_in_order(row_sums_);
}

template <class T>
void FusedHologram<T>::plan_blocked() {
  if (planned_) return;
  const std::size_t rows = rows_, cols = cols_, chunk = chunk_, band = band_;
  // Single-threaded plans: every band of rows and every chunk of columns is one thread's, run
  // by the same plan whoever runs it, so the results do not depend on the team. The bands'
  // plans are made on the first rows of phasor_ and field_ (every band is aligned like them:
  // cols complex numbers fill whole cache lines), out of place phasor -> field backward and
  // field -> a thread's scratch forward; the chunks' on a thread's scratch, in place.
  row_inverse_ = plan_strided_dft1<T>({cols, band, 1, cols, 1, cols}, true, phasor_.data(),
                                      field_.data(), 1);
  std::complex<T>* work = chunk_scratch<T>(scratch_size());
  row_forward_ = plan_strided_dft1<T>({cols, band, 1, cols, 1, cols}, false, field_.data(), work,
                                      1);
  const std::size_t lead = scratch_lead<T>(rows);
  column_inverse_ = plan_strided_dft1<T>({rows, chunk, 1, lead, 1, lead}, true, work, work, 1);
  column_forward_ = plan_strided_dft1<T>({rows, chunk, 1, lead, 1, lead}, false, work, work, 1);
  planned_ = true;
}

template <class T>
void FusedHologram<T>::set_split(Split split) {
  std::lock_guard<std::mutex> lock(mutex_);
  forced_ = split;
}

template <class T>
typename FusedHologram<T>::Split FusedHologram<T>::split(int /*threads*/) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (chunk_ == 0) return Split::whole;
  return split_for();
}

template <class T>
typename FusedHologram<T>::Split FusedHologram<T>::split_for() const {
  return forced_ == Split::automatic ? Split::blocked : forced_;
}

template <class T>
void FusedHologram<T>::set_phasor(Phasor phasor) {
  std::lock_guard<std::mutex> lock(mutex_);
  forced_phasor_ = phasor;
}

template <class T>
typename FusedHologram<T>::Phasor FusedHologram<T>::phasor() {
  std::lock_guard<std::mutex> lock(mutex_);
  // The whole-plane split (where rows do not fill cache lines, or forced) keeps the phasor.
  if (chunk_ == 0 || split_for() == Split::whole) return Phasor::kept;
  return phasor_for();
}

template <class T>
typename FusedHologram<T>::Phasor FusedHologram<T>::phasor_for() const {
  if (forced_phasor_ != Phasor::automatic) return forced_phasor_;
  return rows_ * cols_ * sizeof(std::complex<T>) >= kRecomputeBytes ? Phasor::recomputed
                                                                    : Phasor::kept;
}

template <class T>
double FusedHologram<T>::run_split(Split split, const T* phi, T* phi_bar, int team) {
  switch (split) {
    case Split::hybrid:
      return run_blocked<true, true>(phi, phi_bar, team);
    case Split::whole: {
      check_finite(phi, team);
      const double to_normalised = forward(phi, team);
      return finish_whole(to_normalised, phi_bar, team);
    }
    default:
      return run_blocked<true>(phi, phi_bar, team);
  }
}

template <class T>
void FusedHologram<T>::plan_threaded_columns(int team) {
  if (column_team_ == team) return;
  const std::size_t rows = rows_, cols = cols_;
  threaded_inverse_ = plan_strided_dft1<T>({rows, cols, cols, 1, cols, 1}, true, field_.data(),
                                           field_.data(), team);
  threaded_forward_ = plan_strided_dft1<T>({rows, cols, cols, 1, cols, 1}, false, field_.data(),
                                           field_.data(), team);
  column_team_ = team;
}

template <class T>
std::size_t FusedHologram<T>::scratch_size() const {
  // A chunk of columns (transposed, padded rows), or a band of rows.
  return std::max(scratch_lead<T>(rows_) * chunk_, band_ * cols_);
}

template <class T>
template <bool kPasses, bool kThreadedColumns>
double FusedHologram<T>::run_blocked(const T* phi, T* phi_bar, int team) {
  plan_blocked();
  if constexpr (kThreadedColumns) plan_threaded_columns(team);
  const std::size_t rows = rows_, cols = cols_, chunk = chunk_, band = band_;
  const std::size_t scratch = scratch_size();
  std::complex<T>* phasor = phasor_.data();
  std::complex<T>* field = field_.data();
  const double n = static_cast<double>(rows * cols);
  // s / N^2 and 4 s / N^3, as forward() and the unblocked pass 3 form them.
  const double to_normalised = target_sum_ / (n * n);
  const double to_cotangent = 4.0 * to_normalised / n;

  // Pass 1 with the backward transform's row stage, a band of rows at a time: the band's
  // phasor, then its 1-D transforms into the field's rows while the phasor is in cache. The
  // phasor goes to phasor_, or (Phasor::recomputed) to a thread's scratch, and then only a
  // row redone with libm to phasor_ too. Each row's kind is kept for pass C and for the
  // finiteness check below.
  const bool recompute = kPasses && phasor_for() == Phasor::recomputed;
  unsigned char* kinds = row_kinds_.data();
  for_each_share_stealing(rows / band, team, [&](std::size_t b) {
    const std::size_t first = b * band;
    std::complex<T>* source = phasor + first * cols;
    if constexpr (kPasses) {
      if (recompute) source = chunk_scratch<T>(scratch);
      for (std::size_t row = first; row < first + band; ++row) {
        std::complex<T>* own = source + (row - first) * cols;
        kinds[row] = phasor_row(phi, row, own);
        if (recompute && kinds[row] != kFast) std::copy_n(own, cols, phasor + row * cols);
      }
    }
    row_inverse_.execute(source, field + first * cols);
  });
  if constexpr (kPasses) {
    // phi's NaN and infinity, found by pass 1 (a row's excess over the limit is NaN or infinite
    // there): raised before pass C writes phi_bar, the only output.
    for (std::size_t row = 0; row < rows; ++row) {
      if (kinds[row] == kNonfinite) {
        throw std::invalid_argument(kNotFinite);
      }
    }
  }

  // The column stages with pass 3 between them, a chunk of adjacent columns at a time through
  // a thread's scratch, transposed (each column one padded row there, so the 1-D plans run on
  // unit strides without FFTW's own buffer copies): the chunk's backward column transforms
  // complete G there, the residual pass turns it into G's cotangent in place (against the
  // target's transposed copy; the chunk's columns summed in order), the forward column
  // transforms start the adjoint, and the chunk goes back. One read and one write of the field for both
  // transforms' column stages and the pass between them.
  double squares = 0.0;
  if constexpr (kThreadedColumns) {
    threaded_inverse_.execute(field, field);
    if constexpr (kPasses) squares = residual_rows(to_normalised, to_cotangent, team);
    threaded_forward_.execute(field, field);
  } else {
  double* chunk_sums = chunk_sums_.data();
  const T* target_chunks = target_chunks_.data();
  const std::size_t chunks = cols / chunk;
  const std::size_t lead = scratch_lead<T>(rows);
  for_each_share_stealing(chunks, team, [&](std::size_t c) {
    std::complex<T>* work = chunk_scratch<T>(scratch);
    const std::size_t x0 = c * chunk;
    gather_transposed(field + x0, cols, work, lead, rows, chunk);
    column_inverse_.execute(work, work);
    if constexpr (kPasses) {
      double sum = 0.0;  // the chunk's columns in order
      for (std::size_t x = 0; x < chunk; ++x) {
        sum += residual_row_wide(reinterpret_cast<T*>(work + x * lead),
                                 target_chunks + (x0 + x) * rows,
                                 static_cast<std::int64_t>(rows), to_normalised, to_cotangent);
      }
      chunk_sums[c] = sum;
    }
    column_forward_.execute(work, work);
    scatter_transposed(work, lead, rows, chunk, field + x0, cols);
  });
  for (std::size_t c = 0; c < chunks; ++c) squares += chunk_sums[c];
  }

  // The forward transform's row stage with pass 5, a band at a time: the band's 1-D transforms
  // into a thread's scratch (the field is not written back), then their projection onto the
  // phase.
  const std::size_t row_shift = row_shift_, col_shift = col_shift_;
  const T* col_ramp = col_ramp_.data();
  for_each_share_stealing(rows / band, team, [&](std::size_t b) {
    const std::size_t first = b * band;
    std::complex<T>* bar = chunk_scratch<T>(scratch);
    row_forward_.execute(field + first * cols, bar);
    if constexpr (!kPasses) return;
    for (std::size_t row = first; row < first + band; ++row) {
      const T* g = reinterpret_cast<const T*>(bar + (row - first) * cols);
      const std::size_t shifted = (row + row_shift) % rows;
      T* o = phi_bar + shifted * cols;
      if (recompute && kinds[row] == kFast) {
        const T* source = phi + shifted * cols;
        const T ramp = row_ramp_[row];
        for_shifted_row(cols, col_shift, [&](std::size_t begin, std::size_t end,
                                             std::ptrdiff_t offset) {
          project_recomputed_wide(source, g, o, col_ramp, ramp, static_cast<std::int64_t>(begin),
                                  static_cast<std::int64_t>(end),
                                  static_cast<std::int64_t>(offset));
        });
        continue;
      }
      const T* a = reinterpret_cast<const T*>(phasor + row * cols);
      for_shifted_row(cols, col_shift, [&](std::size_t begin, std::size_t end,
                                           std::ptrdiff_t offset) {
        project_piece_wide(a, g, o, static_cast<std::int64_t>(begin),
                           static_cast<std::int64_t>(end), static_cast<std::int64_t>(offset));
      });
    }
  });
  return squares / n;
}


template <class T>
bool FusedHologram<T>::transforms_only(int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  if (!primed_) {  // numbers, not whatever the allocation held (a NaN, a subnormal)
    std::fill_n(phasor_.data(), count, std::complex<T>(1, 0));
    std::fill_n(field_.data(), count, std::complex<T>(1, 0));
    primed_ = true;
  }
  if (chunk_ == 0) {
    dft2_unnormalized<T>(phasor_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/true, team);
    dft2_unnormalized<T>(field_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/false, team);
    return false;
  }
  const Split split = split_for();
  if (split == Split::hybrid) {
    run_blocked<false, true>(nullptr, nullptr, team);
    return true;
  }
  if (split != Split::whole) {
    run_blocked<false>(nullptr, nullptr, team);
    return true;
  }
  dft2_unnormalized<T>(phasor_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/true, team);
  dft2_unnormalized<T>(field_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/false, team);
  return false;
}

template <class T>
template <class Out>
void FusedHologram<T>::project(const std::complex<T>* cotangent, Out* out, int team) const {
  const auto rows = static_cast<std::int64_t>(rows_);
  const std::size_t cols = cols_, row_shift = row_shift_, col_shift = col_shift_;
  const T* phasor = reinterpret_cast<const T*>(phasor_.data());
  const T* bar = reinterpret_cast<const T*>(cotangent);
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = static_cast<std::size_t>(r);
    const T* a = phasor + 2 * row * cols;
    const T* b = bar + 2 * row * cols;
    Out* o = out + ((row + row_shift) % rows_) * cols;
    for_shifted_row(cols, col_shift, [&](std::size_t first, std::size_t last,
                                         std::ptrdiff_t offset) {
      project_piece_wide(a, b, o, static_cast<std::int64_t>(first),
                         static_cast<std::int64_t>(last), static_cast<std::int64_t>(offset));
    });
  }
}

template <class T>
std::complex<T>* FusedHologram<T>::extra(std::size_t planes) {
  const std::size_t size = planes * rows_ * cols_;
  if (extra_.size() < size) extra_ = Buffer<std::complex<T>>(size);
  return extra_.data();
}

template <class T>
void FusedHologram<T>::tangent(const double* v, int team) {
  const auto rows = static_cast<std::int64_t>(rows_);
  const std::size_t cols = cols_, row_shift = row_shift_, col_shift = col_shift_;
  const T* phasor = reinterpret_cast<const T*>(phasor_.data());
  std::complex<T>* planes = extra(1);
  T* out = reinterpret_cast<T*>(planes);
  // phasor_dot[j] = i phasor[j] v[j + h] (expi's tangent), read through the ifftshift.
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = static_cast<std::size_t>(r);
    const double* source = v + ((row + row_shift) % rows_) * cols;
    const T* a = phasor + 2 * row * cols;
    T* b = out + 2 * row * cols;
    for_shifted_row(cols, col_shift, [&](std::size_t first, std::size_t last,
                                         std::ptrdiff_t offset) {
      const auto begin = static_cast<std::int64_t>(first);
      const auto end = static_cast<std::int64_t>(last);
      const auto shift = static_cast<std::int64_t>(offset);
#pragma omp simd
      for (std::int64_t j = begin; j < end; ++j) {
        const double along = source[j + shift];
        b[2 * j] = static_cast<T>(-static_cast<double>(a[2 * j + 1]) * along);
        b[2 * j + 1] = static_cast<T>(static_cast<double>(a[2 * j]) * along);
      }
    });
  }
  // G_dot = IDFT_u(phasor_dot): the transform is linear, its tangent is itself.
  dft2_unnormalized<T>(planes, planes, 1, rows_, cols_, /*inverse=*/true, team);
}

template <class T>
void FusedHologram<T>::residuals(const T* phi, double* r, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const double to_normalised = forward(phi, team);
  const double root = std::sqrt(static_cast<double>(count));
  const auto total = static_cast<std::int64_t>(count);
  const T* field = reinterpret_cast<const T*>(field_.data());
  const T* target = target_.data();
  // r = (I_r - T) / sqrt(N), I_r formed in double exactly as value_and_grad forms it.
#pragma omp parallel for simd num_threads(team) schedule(static)
  for (std::int64_t i = 0; i < total; ++i) {
    const double re = field[2 * i], im = field[2 * i + 1];
    r[i] = (to_normalised * (re * re + im * im) - static_cast<double>(target[i])) / root;
  }
}

template <class T>
void FusedHologram<T>::jvp(const T* phi, const double* v, double* out, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const double to_normalised = forward(phi, team);
  tangent(v, team);
  // r_dot = c Re(conj(G) G_dot), c = 2 s / (N^2 sqrt N) (abs2's and mean_normalize's
  // tangents; the latter's second term is zero, see the header).
  const double c = 2.0 * to_normalised / std::sqrt(static_cast<double>(count));
  const auto total = static_cast<std::int64_t>(count);
  const T* field = reinterpret_cast<const T*>(field_.data());
  const T* field_dot = reinterpret_cast<const T*>(extra_.data());
#pragma omp parallel for simd num_threads(team) schedule(static)
  for (std::int64_t i = 0; i < total; ++i) {
    out[i] = c * (static_cast<double>(field[2 * i]) * field_dot[2 * i] +
                  static_cast<double>(field[2 * i + 1]) * field_dot[2 * i + 1]);
  }
}

template <class T>
void FusedHologram<T>::vjp(const T* phi, const double* u, double* out, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const double to_normalised = forward(phi, team);
  // G_bar = c u G (the residuals' cotangent u / sqrt(N) through mean_normalize_vjp and
  // abs2_vjp, c as in jvp), in place; then the reverse pass of value_and_grad.
  const double c = 2.0 * to_normalised / std::sqrt(static_cast<double>(count));
  const auto total = static_cast<std::int64_t>(count);
  T* field = reinterpret_cast<T*>(field_.data());
#pragma omp parallel for simd num_threads(team) schedule(static)
  for (std::int64_t i = 0; i < total; ++i) {
    const double weight = c * u[i];
    field[2 * i] = static_cast<T>(weight * field[2 * i]);
    field[2 * i + 1] = static_cast<T>(weight * field[2 * i + 1]);
  }
  dft2_unnormalized<T>(field_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/false, team);
  project(field_.data(), out, team);
}

template <class T>
void FusedHologram<T>::gauss_newton_product(const T* phi, const double* v, double* out,
                                            int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const double to_normalised = forward(phi, team);  // FFT 1: the primal transform
  tangent(v, team);                                 // FFT 2: the tangent transform
  // One pass: w = J v = c Re(conj(G) G_dot) (as jvp), then G_bar = c w G in place (as vjp).
  const double c = 2.0 * to_normalised / std::sqrt(static_cast<double>(count));
  const auto total = static_cast<std::int64_t>(count);
  T* field = reinterpret_cast<T*>(field_.data());
  const T* field_dot = reinterpret_cast<const T*>(extra_.data());
#pragma omp parallel for simd num_threads(team) schedule(static)
  for (std::int64_t i = 0; i < total; ++i) {
    const double re = field[2 * i], im = field[2 * i + 1];
    const double weight = c * c * (re * field_dot[2 * i] + im * field_dot[2 * i + 1]);
    field[2 * i] = static_cast<T>(weight * re);
    field[2 * i + 1] = static_cast<T>(weight * im);
  }
  // FFT 3: the adjoint transform, then expi's reverse rule.
  dft2_unnormalized<T>(field_.data(), field_.data(), 1, rows_, cols_, /*inverse=*/false, team);
  project(field_.data(), out, team);
}

template <class T>
void FusedHologram<T>::jacobian(const T* phi, double* jac, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const int wide_team = threads_for(count * count, threads);
  const double to_normalised = forward(phi, team);  // the one FFT
  const double c = 2.0 * to_normalised / std::sqrt(static_cast<double>(count));
  const std::size_t rows = rows_, cols = cols_, row_shift = row_shift_, col_shift = col_shift_;
  const T* field = reinterpret_cast<const T*>(field_.data());
  const T* phasor = reinterpret_cast<const T*>(phasor_.data());
  const std::complex<double>* row_waves = row_waves_.data();
  const std::complex<double>* col_waves = col_waves_.data();
  // Each thread's w^(j2 k2) for the row k at hand (allocated here: nothing throws inside the
  // parallel region).
  std::vector<std::complex<double>> scratch(static_cast<std::size_t>(wide_team) * cols);
  const auto total = static_cast<std::int64_t>(count);
  // Row k of J: J[k, j + h] = Re(rho[j1] phasor[j] w^(j2 k2)), rho[j1] = c i conj(G[k])
  // w^(j1 k1). Every row is written whole, contiguously, by one thread.
#pragma omp parallel num_threads(wide_team)
  {
    std::complex<double>* waves =
        scratch.data() + static_cast<std::size_t>(omp_get_thread_num()) * cols;
#pragma omp for schedule(static)
    for (std::int64_t kk = 0; kk < total; ++kk) {
      const auto k = static_cast<std::size_t>(kk);
      const std::size_t k1 = k / cols, k2 = k % cols;
      for (std::size_t j2 = 0, q = 0; j2 < cols; ++j2, q = (q + k2) % cols) {
        waves[j2] = col_waves[q];
      }
      const double gr = field[2 * k], gi = field[2 * k + 1];
      const std::complex<double> base(c * gi, c * gr);  // c i conj(G[k])
      double* out_row = jac + k * count;
      for (std::size_t j1 = 0, q = 0; j1 < rows; ++j1, q = (q + k1) % rows) {
        const std::complex<double> rho = base * row_waves[q];
        const double rr = rho.real(), ri = rho.imag();
        const T* a = phasor + 2 * j1 * cols;
        const double* w = reinterpret_cast<const double*>(waves);
        double* o = out_row + ((j1 + row_shift) % rows) * cols;
        for_shifted_row(cols, col_shift, [&](std::size_t first, std::size_t last,
                                             std::ptrdiff_t offset) {
          const auto begin = static_cast<std::int64_t>(first);
          const auto end = static_cast<std::int64_t>(last);
          const auto shift = static_cast<std::int64_t>(offset);
#pragma omp simd
          for (std::int64_t j = begin; j < end; ++j) {
            const double ar = a[2 * j], ai = a[2 * j + 1];
            const double zr = ar * w[2 * j] - ai * w[2 * j + 1];
            const double zi = ar * w[2 * j + 1] + ai * w[2 * j];
            o[j + shift] = rr * zr - ri * zi;
          }
        });
      }
    }
  }
}

template <class T>
void FusedHologram<T>::gauss_newton(const T* phi, double* jtj, double* jtr, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = rows_ * cols_;
  const int team = threads_for(count, threads);
  const int wide_team = threads_for(count * count, threads);
  const double to_normalised = forward(phi, team);  // FFT 1
  const double c = 2.0 * to_normalised / std::sqrt(static_cast<double>(count));
  const double root = std::sqrt(static_cast<double>(count));
  // Three planes, transformed forward in one batch (FFTs 2-4): |G|^2 and G^2 give
  // conj(P) and conj(Q) of the header, c r G gives conj(c R) (so J^T r is projected like a
  // reverse pass).
  std::complex<T>* planes = extra(3);
  {
    const auto total = static_cast<std::int64_t>(count);
    const T* field = reinterpret_cast<const T*>(field_.data());
    const T* target = target_.data();
    T* power = reinterpret_cast<T*>(planes);
    T* square = reinterpret_cast<T*>(planes + count);
    T* weighted = reinterpret_cast<T*>(planes + 2 * count);
#pragma omp parallel for simd num_threads(team) schedule(static)
    for (std::int64_t i = 0; i < total; ++i) {
      const double re = field[2 * i], im = field[2 * i + 1];
      const double intensity = re * re + im * im;
      const double weight =
          c * (to_normalised * intensity - static_cast<double>(target[i])) / root;
      power[2 * i] = static_cast<T>(intensity);
      power[2 * i + 1] = 0;
      square[2 * i] = static_cast<T>(re * re - im * im);
      square[2 * i + 1] = static_cast<T>(2.0 * re * im);
      weighted[2 * i] = static_cast<T>(weight * re);
      weighted[2 * i + 1] = static_cast<T>(weight * im);
    }
  }
  dft2_unnormalized<T>(planes, planes, 3, rows_, cols_, /*inverse=*/false, team);
  project(planes + 2 * count, jtr, team);

  // (J^T J)[i + h, j + h] = (c^2 / 2) Re(conj(phasor[i]) phasor[j] conj(P)[i - j]
  //                                      - conj(phasor[i]) conj(phasor[j]) conj(Q)[i + j]),
  // the header's formula conjugated inside Re. Row i + h is one thread's.
  const std::size_t rows = rows_, cols = cols_, row_shift = row_shift_, col_shift = col_shift_;
  const T* phasor = reinterpret_cast<const T*>(phasor_.data());
  const T* power = reinterpret_cast<const T*>(planes);
  const T* square = reinterpret_cast<const T*>(planes + count);
  const double half = 0.5 * c * c;
  // Each thread's (i2 - j2) mod cols and (i2 + j2) mod cols for the row at hand.
  std::vector<std::size_t> scratch(static_cast<std::size_t>(wide_team) * 2 * cols);
  const auto total = static_cast<std::int64_t>(count);
#pragma omp parallel num_threads(wide_team)
  {
    std::size_t* minus =
        scratch.data() + static_cast<std::size_t>(omp_get_thread_num()) * 2 * cols;
    std::size_t* plus = minus + cols;
#pragma omp for schedule(static)
    for (std::int64_t ii = 0; ii < total; ++ii) {
      const auto i = static_cast<std::size_t>(ii);
      const std::size_t i1 = i / cols, i2 = i % cols;
      for (std::size_t j2 = 0; j2 < cols; ++j2) {
        minus[j2] = (i2 + cols - j2) % cols;
        plus[j2] = (i2 + j2) % cols;
      }
      // conj(phasor[i]), scaled by c^2 / 2.
      const double pr = half * phasor[2 * i], pi = -half * phasor[2 * i + 1];
      double* out_row = jtj + (((i1 + row_shift) % rows) * cols + (i2 + col_shift) % cols) * count;
      for (std::size_t j1 = 0; j1 < rows; ++j1) {
        const T* a = phasor + 2 * j1 * cols;
        const T* p = power + 2 * ((i1 + rows - j1) % rows) * cols;
        const T* q = square + 2 * ((i1 + j1) % rows) * cols;
        double* o = out_row + ((j1 + row_shift) % rows) * cols;
        for_shifted_row(cols, col_shift, [&](std::size_t first, std::size_t last,
                                             std::ptrdiff_t offset) {
          const auto begin = static_cast<std::int64_t>(first);
          const auto end = static_cast<std::int64_t>(last);
          const auto shift = static_cast<std::int64_t>(offset);
#pragma omp simd
          for (std::int64_t j = begin; j < end; ++j) {
            const double ar = a[2 * j], ai = a[2 * j + 1];
            const std::size_t m = minus[j], e = plus[j];
            const double sr = p[2 * m], si = p[2 * m + 1];
            const double tr = q[2 * e], ti = q[2 * e + 1];
            // w = conj(phasor[i]) phasor[j], x = conj(phasor[i]) conj(phasor[j]).
            const double wr = pr * ar - pi * ai, wi = pr * ai + pi * ar;
            const double xr = pr * ar + pi * ai, xi = pi * ar - pr * ai;
            o[j + shift] = (wr * sr - wi * si) - (xr * tr - xi * ti);
          }
        });
      }
    }
  }
  symmetrise(jtj, count, wide_team);
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
