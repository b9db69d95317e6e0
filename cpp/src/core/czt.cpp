// The chirp-z (Bluestein) scaled 2-D DFT of the broadband bands (see core/czt.hpp).
#include "phasegrad/core/czt.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/cache_lines.hpp"
#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/sincos.hpp"  // PHASEGRAD_WIDE_SIMD

namespace phasegrad {

namespace {

// a * b written out: std::complex's operator* checks for NaN/inf and does not vectorise.
template <class T>
inline std::complex<T> times(std::complex<T> a, std::complex<T> b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// a * conj(b).
template <class T>
inline std::complex<T> times_conj(std::complex<T> a, std::complex<T> b) {
  return {a.real() * b.real() + a.imag() * b.imag(), a.imag() * b.real() - a.real() * b.imag()};
}

// out[j] = in[j] k[j], in[j] conj(k[j]) or out[j] + in[j] conj(k[j]) (kMode 0, 1, 2), j < m,
// on interleaved (re, im) pairs: compiled for SSE2, AVX2 and AVX-512 (PHASEGRAD_WIDE_SIMD).
template <int kMode, class R>
[[gnu::always_inline]] inline void spectrum_product(R* __restrict out, const R* __restrict in,
                                                    const R* __restrict k, std::size_t m) {
  for (std::size_t j = 0; j < m; ++j) {
    const R a = in[2 * j], b = in[2 * j + 1], c = k[2 * j], d = k[2 * j + 1];
    if constexpr (kMode == 0) {
      out[2 * j] = a * c - b * d;
      out[2 * j + 1] = a * d + b * c;
    } else if constexpr (kMode == 1) {
      out[2 * j] = a * c + b * d;
      out[2 * j + 1] = b * c - a * d;
    } else {
      out[2 * j] += a * c + b * d;
      out[2 * j + 1] += b * c - a * d;
    }
  }
}

PHASEGRAD_WIDE_SIMD void multiply_spectrum(double* out, const double* in, const double* k,
                                           std::size_t m, int mode) {
  if (mode == 0) {
    spectrum_product<0>(out, in, k, m);
  } else if (mode == 1) {
    spectrum_product<1>(out, in, k, m);
  } else {
    spectrum_product<2>(out, in, k, m);
  }
}

PHASEGRAD_WIDE_SIMD void multiply_spectrum(float* out, const float* in, const float* k,
                                           std::size_t m, int mode) {
  if (mode == 0) {
    spectrum_product<0>(out, in, k, m);
  } else if (mode == 1) {
    spectrum_product<1>(out, in, k, m);
  } else {
    spectrum_product<2>(out, in, k, m);
  }
}

// The same on std::complex rows.
template <class T>
void multiply_spectrum(std::complex<T>* out, const std::complex<T>* in,
                       const std::complex<T>* k, std::size_t m, int mode) {
  multiply_spectrum(reinterpret_cast<T*>(out), reinterpret_cast<const T*>(in),
                    reinterpret_cast<const T*>(k), m, mode);
}

// out[k * out_stride + r] = in[r * in_stride + k], r < rows, k < cols: a block of rows written
// transposed (the stages' transposed writes), four columns at a time: contiguous reads, four
// output rows in flight, each element moved whole through restrict pointers (the element-wise
// loops moved a complex float as two floats, each load waiting on the previous store; with
// them the model-form transform took 3-8% longer in float32 at n = 64 and 128, one core,
// interleaved; float64 within the noise).
template <class C>
void transpose_rows(C* __restrict out, std::size_t out_stride, const C* __restrict in,
                    std::size_t in_stride, std::size_t rows, std::size_t cols) {
  std::size_t k = 0;
  for (; k + 4 <= cols; k += 4) {
    C* o0 = out + k * out_stride;
    C* o1 = o0 + out_stride;
    C* o2 = o1 + out_stride;
    C* o3 = o2 + out_stride;
    for (std::size_t r = 0; r < rows; ++r) {
      const C* a = in + r * in_stride + k;
      std::memcpy(static_cast<void*>(o0 + r), a, sizeof(C));
      std::memcpy(static_cast<void*>(o1 + r), a + 1, sizeof(C));
      std::memcpy(static_cast<void*>(o2 + r), a + 2, sizeof(C));
      std::memcpy(static_cast<void*>(o3 + r), a + 3, sizeof(C));
    }
  }
  for (; k < cols; ++k) {
    for (std::size_t r = 0; r < rows; ++r) {
      std::memcpy(static_cast<void*>(out + k * out_stride + r), in + r * in_stride + k,
                  sizeof(C));
    }
  }
}

// out[k] = in[(start + k) mod m], k < count (start < m): a line's N outputs from the periodic
// spectrum of length m, in runs.
template <class C>
void wrap_copy(C* __restrict out, const C* __restrict in, std::size_t m, std::size_t start,
               std::size_t count) {
  while (count > 0) {
    const std::size_t run = std::min(count, m - start);
    std::memcpy(static_cast<void*>(out), in + start, sizeof(C) * run);
    out += run;
    count -= run;
    start = 0;
  }
}

// out[j] = the sum of in[k] over k < count with (start + k) mod m = j, j < m (zero where none):
// the adjoint of wrap_copy. The first min(count, m) values land on distinct residues (copied),
// the rest are added in order.
template <class C>
void wrap_fold(C* __restrict out, const C* __restrict in, std::size_t m, std::size_t start,
               std::size_t count) {
  const std::size_t first = std::min(count, m);
  const std::size_t head = std::min(first, m - start);
  std::memcpy(static_cast<void*>(out + start), in, sizeof(C) * head);
  std::memcpy(static_cast<void*>(out), in + head, sizeof(C) * (first - head));
  if (first < m) {  // the residues no output reached: [start + first, m) and [first - head, start)
    const std::size_t end = start + head;
    std::memset(static_cast<void*>(out + end), 0, sizeof(C) * (m - end));
    std::memset(static_cast<void*>(out + (first - head)), 0,
                sizeof(C) * (start - (first - head)));
    return;
  }
  for (std::size_t k = m, j = start; k < count; ++k) {
    out[j] += in[k];
    if (++j == m) j = 0;
  }
}

// Whether m's only prime factors are 2, 3, 5 and 7.
bool smooth(std::size_t m) {
  if (m == 0) return false;
  for (std::size_t p : {2, 3, 5, 7}) {
    while (m % p == 0) m /= p;
  }
  return m == 1;
}

// A length's FFT cost in the cost model: m log2 m, 1.3x per point when m is not a power of two.
double fft_cost(std::size_t m) {
  const bool power_of_two = (m & (m - 1)) == 0;
  return static_cast<double>(m) * std::log2(static_cast<double>(m)) * (power_of_two ? 1.0 : 1.3);
}

// The smallest length >= minimum whose only prime factors are 2, 3, 5 and 7.
std::size_t smooth_length(std::size_t minimum) {
  for (std::size_t m = minimum < 1 ? 1 : minimum;; ++m) {
    if (smooth(m)) return m;
  }
}

// The chirp-z layout: q output blocks, (1 + q) FFTs of length M per line, and per block a
// kernel product and the outputs' chirp. The cost model: M log2 M per FFT, 1.3x per point for
// a length that is not a power of two (FFTW here: 64 rows of 192 took 16 us, of 128 7.4 us,
// on one core), plus 17 M per block, fitted to these (one core, CPU time, forward + adjoint of
// the engine; the broadband model at n = 32 and 48): n = 32 and 48 run 20-25% faster with
// q = 1 than with q = 2; n = 64 ties (268-282 us either way); n = 256 takes 7.6 ms with q = 2
// and 9.2 ms with q = 1. `blocks` 0: the cheapest q of 1-4; else that q (at most N).
struct ChirpLayout {
  std::size_t blocks = 0, block_size = 0, length = 0;
  double cost = 0;
};

ChirpLayout chirp_layout(std::size_t n, std::size_t grid, std::size_t blocks) {
  ChirpLayout best;
  const std::size_t most = std::min<std::size_t>(blocks > 0 ? blocks : 4, grid);
  for (std::size_t q = blocks > 0 ? most : 1; q <= most; ++q) {
    // Blocks of P = ceil(N / q); with small N fewer blocks may cover it (N = 5, q = 4: P = 2,
    // three blocks).
    const std::size_t size = (grid + q - 1) / q, used = (grid + size - 1) / size;
    const std::size_t m = smooth_length(size + n - 1);
    const double transforms = static_cast<double>(1 + used) * fft_cost(m);
    const double products = 17.0 * static_cast<double>(used * m);  // per block: kernel, emit
    const double cost = transforms + products;
    if (best.blocks == 0 || cost < best.cost) best = {used, size, m, cost};
  }
  return best;
}

// The periodic mode's rule (czt.hpp): s = 1/L within 8 eps, L >= n of factors 2, 3, 5 and 7,
// and one FFT of length L per line, plus its fill and gather (4 L in the cost model's units),
// no dearer than `chirp_z`, the cost of the chirp-z layout of the cheapest q. L, or 0.
std::size_t period_for(std::size_t n, std::size_t grid, double spacing, double chirp_z) {
  if (n < 1 || grid < 1 || !std::isfinite(spacing) || spacing <= 0) return 0;
  const double period = std::round(1 / spacing);
  if (!(period >= static_cast<double>(n) && period <= 64.0 * static_cast<double>(grid + n)) ||
      std::abs(spacing * period - 1) > 8 * std::numeric_limits<double>::epsilon()) {
    return 0;
  }
  const auto length = static_cast<std::size_t>(period);
  return smooth(length) && fft_cost(length) + 4.0 * static_cast<double>(length) <= chirp_z
             ? length
             : 0;
}

}  // namespace

std::size_t scaled_dft2_period(std::size_t n, std::size_t grid, double spacing) {
  return period_for(n, grid, spacing, chirp_layout(n, grid, 0).cost);
}

template <class T>
std::size_t ScaledDft2<T>::fft_length(std::size_t minimum) {
  return smooth_length(minimum);
}

template <class T>
ScaledDft2<T>::ScaledDft2(std::size_t n, std::size_t grid, double spacing, std::size_t blocks)
    : n_(n), grid_(grid) {
  if (n < 1 || grid < 1 || !std::isfinite(spacing) || spacing == 0) {
    throw std::invalid_argument("a scaled DFT needs sizes and a finite non-zero spacing");
  }
  const ChirpLayout layout = chirp_layout(n, grid, blocks);
  blocks_ = layout.blocks;
  block_size_ = layout.block_size;
  length_ = layout.length;
  // Every row starts on a cache line (64 bytes): in any staging buffer (a 64-byte aligned
  // Buffer) each block of rows then has the alignment its plans were made for.
  // A row pitch that is a multiple of 512 bytes gets one more cache line: the transposed
  // reads and writes (a column of a block of rows) then fall in different cache sets.
  auto spread = [](std::size_t count) {
    const std::size_t pitch = whole_lines<Complex>(count);
    return (pitch * sizeof(Complex)) % 512 == 0 ? pitch + kCacheLine / sizeof(Complex) : pitch;
  };
  pitch_ = spread(length_);
  lines_pitch_ = spread(n);
  // Blocks of about 64 KiB per buffer (the four in L2 with the kernel), 1 to 16 rows: at
  // n = 64 and 128 (N = 2n, one core, CPU time, interleaved) 2-10% faster than 16 KiB.
  rows_ = std::clamp<std::size_t>(65536 / (pitch_ * sizeof(Complex)), 1, 16);
  lines_offset_ = 4 * rows_ * pitch_;

  // The periodic mode (blocks 0 only, where `layout` is the cheapest q's: scaled_dft2_period):
  // rows() stays the chirp-z layout's (a function of n and N); the blocks are the input and
  // its spectrum.
  if (const std::size_t length = blocks == 0 ? period_for(n, grid, spacing, layout.cost) : 0) {
    periodic_ = true;
    blocks_ = 1;
    block_size_ = grid;
    length_ = length;
    pitch_ = spread(length);
    lines_offset_ = 2 * rows_ * pitch_;
    const std::size_t centre = (grid / 2) % length;
    wrap_start_ = centre == 0 ? 0 : length - centre;
    return;
  }

  // w(t) = exp(-i pi s t^2), in double; t^2 is exact in double for every grid FFTW can take.
  const long long centre = static_cast<long long>(grid / 2);
  auto chirp = [spacing](long long t) {
    const double angle = -0.5 * kTwoPi * spacing * static_cast<double>(t) * static_cast<double>(t);
    return std::complex<double>(std::cos(angle), std::sin(angle));
  };
  chirp_in_.resize(n);
  for (std::size_t x = 0; x < n; ++x) chirp_in_[x] = Complex(chirp(static_cast<long long>(x)));
  chirp_out_.resize(grid);
  for (std::size_t k = 0; k < grid; ++k) {
    chirp_out_[k] = Complex(chirp(static_cast<long long>(k) - centre));
  }
  // Block b's kernel: kernel[d mod M] = conj(w(b P + d - N//2)) for d = -(n-1) .. P-1
  // (P + n - 1 <= M distinct residues; the others are never read by the outputs kept), its
  // DFT in double, over M.
  const std::size_t m = length_;
  const auto big_m = static_cast<long long>(m), size = static_cast<long long>(block_size_);
  kernels_.resize(blocks_ * m);
  std::vector<std::complex<double>> kernel(m), spectrum(m);
  for (std::size_t b = 0; b < blocks_; ++b) {
    std::fill(kernel.begin(), kernel.end(), std::complex<double>(0));
    const long long offset = static_cast<long long>(b) * size - centre;
    for (long long d = -static_cast<long long>(n) + 1; d < size; ++d) {
      kernel[static_cast<std::size_t>((d + big_m) % big_m)] = std::conj(chirp(offset + d));
    }
    dft2_unnormalized<double>(kernel.data(), spectrum.data(), 1, 1, m, false, 1);
    for (std::size_t j = 0; j < m; ++j) {
      kernels_[b * m + j] = Complex(spectrum[j] / static_cast<double>(m));
    }
  }
}

template <class T>
void ScaledDft2<T>::plan(const Complex* staging) {
  plans_.clear();
  const std::size_t m = length_, pitch = pitch_;
  const Work buffers = work(const_cast<Complex*>(staging));  // planning touches no buffer
  // A block's plans, and those of the last, shorter blocks of n and of N rows: the forward
  // from the input block to the spectrum, the inverse from the product to the result.
  for (std::size_t count : {rows_, n_ % rows_, grid_ % rows_}) {
    if (count == 0) continue;
    bool known = false;
    for (const auto& p : plans_) known = known || p.count == count;
    if (known) continue;
    // Periodic: both directions from the block to the spectrum.
    plans_.push_back({count,
                      plan_strided_dft1<T>({m, count, 1, pitch, 1, pitch}, false, buffers.block,
                                           buffers.spectrum, 1),
                      plan_strided_dft1<T>({m, count, 1, pitch, 1, pitch}, true,
                                           periodic_ ? buffers.block : buffers.product,
                                           periodic_ ? buffers.spectrum : buffers.result, 1)});
  }
}

template <class T>
const typename ScaledDft2<T>::RowPlans& ScaledDft2<T>::row_plans(std::size_t count) const {
  for (const auto& p : plans_) {
    if (p.count == count) return p;
  }
  throw std::logic_error("ScaledDft2 used before plan");
}

template <class T>
typename ScaledDft2<T>::Work ScaledDft2<T>::work(Complex* staging) const {
  const std::size_t room = rows_ * pitch_;
  return {staging, staging + room, staging + 2 * room, staging + 3 * room,
          staging + lines_offset_};
}

// Zeros from `from` to M in every row of the input block: the inverse FFTs write elsewhere
// (the result block), so the padding stays zero for the rest of the call.
template <class T>
void ScaledDft2<T>::clear_padding(const Work& work, std::size_t from) const {
  for (std::size_t r = 0; r < rows_; ++r) {
    std::memset(static_cast<void*>(work.block + r * pitch_ + from), 0,
                sizeof(Complex) * (length_ - from));
  }
}

template <class T>
template <class Fill, class Emit>
void ScaledDft2<T>::convolve(const Work& work, std::size_t count, const Fill& fill,
                             const Emit& emit) const {
  const RowPlans& plans = row_plans(count);
  const std::size_t m = length_, pitch = pitch_;
  fill(work.block);  // n values per row; the padding is zero (clear_padding)
  plans.forward.execute(work.block, work.spectrum);  // the (different-array) plans'
  for (std::size_t b = 0; b < blocks_; ++b) {
    const Complex* kernel = kernels_.data() + b * m;
    for (std::size_t r = 0; r < count; ++r) {
      multiply_spectrum(work.product + r * pitch, work.spectrum + r * pitch, kernel, m, 0);
    }
    plans.inverse.execute(work.product, work.result);
    emit(b, work.result);
  }
}

template <class T>
template <class Fill, class Emit>
void ScaledDft2<T>::correlate(const Work& work, std::size_t count, const Fill& fill,
                              const Emit& emit) const {
  const RowPlans& plans = row_plans(count);
  const std::size_t m = length_, pitch = pitch_, size = block_size_;
  for (std::size_t b = 0; b < blocks_; ++b) {
    const std::size_t filled = std::min(size, grid_ - b * size);
    if (filled < size) {  // the last block is shorter: zero the rest of its P
      for (std::size_t r = 0; r < count; ++r) {
        std::memset(static_cast<void*>(work.block + r * pitch + filled), 0,
                    sizeof(Complex) * (size - filled));
      }
    }
    fill(b, work.block);
    plans.forward.execute(work.block, work.spectrum);
    const Complex* kernel = kernels_.data() + b * m;
    for (std::size_t r = 0; r < count; ++r) {
      multiply_spectrum(work.product + r * pitch, work.spectrum + r * pitch, kernel, m,
                        b == 0 ? 1 : 2);
    }
  }
  plans.inverse.execute(work.product, work.result);
  emit(work.result);
}

// The chirps, placed where each costs least (w separable: the 1-D transforms' constant factors
// move between the stages): the rows' input chirp w(x) and the columns' input chirp w(y) in
// the first stage's input (2 n^2 products), the first stage's output chirp w(k - N//2) on its
// outputs (n N), the second stage's w(l - N//2) on the N^2 outputs (the last two only with
// `output_chirp`); the adjoint the mirror image. The pupil's columns go first (read
// transposed: n^2) and the N lines of E g second, so that G comes out row by row, contiguous:
// the only transposed writes are the n N of the first stage (the rows first wrote G
// transposed, N^2, and the adjoint read G_bar transposed).
template <class T>
void ScaledDft2<T>::forward(const Complex* pupil, Complex* field, Complex* staging,
                            bool output_chirp) const {
  Complex* lines = work(staging).lines;
  forward_columns(pupil, lines, staging, output_chirp);
  for (std::size_t k0 = 0; k0 < grid_; k0 += rows_) {
    forward_rows(k0, lines, field + k0 * grid_, staging, output_chirp);
  }
}

template <class T>
void ScaledDft2<T>::adjoint(Complex* field, Complex* staging, bool output_chirp) const {
  const Work buffers = work(staging);
  if (!periodic_) clear_padding(buffers, block_size_);
  for (std::size_t k0 = 0; k0 < grid_; k0 += rows_) {
    adjoint_rows(k0, field + k0 * grid_, buffers.lines, staging, output_chirp);
  }
  adjoint_columns(buffers.lines, field, staging, output_chirp);
}

template <class T>
void ScaledDft2<T>::clear_between(const Work& work, std::size_t from) const {
  const std::size_t to = std::max(n_, block_size_);
  if (from >= to) return;
  for (std::size_t r = 0; r < rows_; ++r) {
    std::memset(static_cast<void*>(work.block + r * pitch_ + from), 0,
                sizeof(Complex) * (to - from));
  }
}

// The pupil's columns, a block at a time (forward_column_block).
template <class T>
void ScaledDft2<T>::forward_columns(const Complex* pupil, Complex* lines, Complex* staging,
                                    bool output_chirp) const {
  const Work buffers = work(staging);
  if (periodic_) {
    for (std::size_t c = 0; c < column_blocks(); ++c) {
      periodic_forward_block(buffers, c, pupil, lines);
    }
    return;
  }
  clear_padding(buffers, n_);
  for (std::size_t c = 0; c < column_blocks(); ++c) {
    forward_block(buffers, c, pupil, lines, output_chirp);
  }
}

template <class T>
void ScaledDft2<T>::forward_column_block(std::size_t c, const Complex* pupil, Complex* lines,
                                         Complex* staging, bool output_chirp) const {
  const Work buffers = work(staging);
  if (periodic_) {
    periodic_forward_block(buffers, c, pupil, lines);
    return;
  }
  clear_between(buffers, n_);
  forward_block(buffers, c, pupil, lines, output_chirp);
}

// Columns c rows() .. of the pupil: g w(x) w(y), convolved with the chirp; the output chirp
// w(k - N//2), written transposed into the lines (N, n): line k holds row k of E g.
template <class T>
void ScaledDft2<T>::forward_block(const Work& buffers, std::size_t c, const Complex* pupil,
                                  Complex* lines, bool output_chirp) const {
  const std::size_t n = n_, grid = grid_, pitch = pitch_, lp = lines_pitch_, size = block_size_;
  const Complex* w = chirp_in_.data();
  const Complex* w_out = chirp_out_.data();
  const std::size_t x0 = c * rows_;
  const std::size_t count = std::min(rows_, n - x0);
  auto fill = [&](Complex* block) {
    for (std::size_t y = 0; y < n; ++y) {
      const Complex* g = pupil + y * n + x0;
      const Complex wy = w[y];
      for (std::size_t r = 0; r < count; ++r) {
        block[r * pitch + y] = times(g[r], times(w[x0 + r], wy));
      }
    }
  };
  auto emit = [&](std::size_t b, const Complex* block) {
    const std::size_t k_end = std::min(grid, (b + 1) * size);
    if (!output_chirp) {
      transpose_rows(lines + b * size * lp + x0, lp, block, pitch, count, k_end - b * size);
      return;
    }
    for (std::size_t k = b * size; k < k_end; ++k) {
      Complex* line = lines + k * lp + x0;
      const Complex* a = block + (k - b * size);
      const Complex wk = w_out[k];
      for (std::size_t r = 0; r < count; ++r) line[r] = times(a[r * pitch], wk);
    }
  };
  convolve(buffers, count, fill, emit);
}

// Lines k0 .. k0 + count, convolved; G[k, l] = w(l - N//2) times line k's output l, written
// row by row.
template <class T>
void ScaledDft2<T>::forward_rows(std::size_t k0, const Complex* lines, Complex* rows,
                                 Complex* staging, bool output_chirp) const {
  const std::size_t n = n_, grid = grid_, pitch = pitch_, lp = lines_pitch_, size = block_size_;
  const Work buffers = work(staging);
  if (periodic_) {
    periodic_forward_rows(buffers, k0, lines, rows);
    return;
  }
  clear_between(buffers, n);
  const Complex* w_out = chirp_out_.data();
  const std::size_t count = std::min(rows_, grid - k0);
  auto fill = [&](Complex* block) {
    for (std::size_t r = 0; r < count; ++r) {
      std::memcpy(static_cast<void*>(block + r * pitch), lines + (k0 + r) * lp,
                  sizeof(Complex) * n);
    }
  };
  auto emit = [&](std::size_t b, const Complex* block) {
    const std::size_t l0 = b * size, filled = std::min(grid, l0 + size) - l0;
    const Complex* wl = w_out + l0;
    for (std::size_t r = 0; r < count; ++r) {
      Complex* out = rows + r * grid + l0;
      const Complex* a = block + r * pitch;
      if (output_chirp) {
        for (std::size_t l = 0; l < filled; ++l) out[l] = times(a[l], wl[l]);
      } else {
        std::memcpy(static_cast<void*>(out), a, sizeof(Complex) * filled);
      }
    }
  };
  convolve(buffers, count, fill, emit);
}

// Rows k0 .. k0 + count of G_bar: G_bar[k, l] conj(w(l - N//2)), correlated with the chirp;
// the n outputs into rows k0 .. of the lines (N, n), as they come: row k of G_bar conj(E),
// where the forward's line k was (adjoint_block reads the lines' columns).
template <class T>
void ScaledDft2<T>::adjoint_rows(std::size_t k0, const Complex* rows, Complex* lines,
                                 Complex* staging, bool output_chirp) const {
  const std::size_t n = n_, grid = grid_, pitch = pitch_, lp = lines_pitch_, size = block_size_;
  const Work buffers = work(staging);
  if (periodic_) {
    periodic_adjoint_rows(buffers, k0, rows, lines);
    return;
  }
  clear_between(buffers, size);
  const Complex* w_out = chirp_out_.data();
  const std::size_t count = std::min(rows_, grid - k0);
  auto fill = [&](std::size_t b, Complex* block) {
    const std::size_t l0 = b * size, filled = std::min(grid, l0 + size) - l0;
    const Complex* wl = w_out + l0;
    for (std::size_t r = 0; r < count; ++r) {
      const Complex* in = rows + r * grid + l0;
      Complex* a = block + r * pitch;
      if (output_chirp) {
        for (std::size_t l = 0; l < filled; ++l) a[l] = times_conj(in[l], wl[l]);
      } else {
        std::memcpy(static_cast<void*>(a), in, sizeof(Complex) * filled);
      }
    }
  };
  auto emit = [&](const Complex* block) {
    for (std::size_t r = 0; r < count; ++r) {
      std::memcpy(static_cast<void*>(lines + (k0 + r) * lp), block + r * pitch,
                  sizeof(Complex) * n);
    }
  };
  correlate(buffers, count, fill, emit);
}

// The n lines, a block at a time (adjoint_block).
template <class T>
void ScaledDft2<T>::adjoint_columns(const Complex* lines, Complex* field, Complex* staging,
                                    bool output_chirp) const {
  const Work buffers = work(staging);
  if (periodic_) {
    for (std::size_t c = 0; c < column_blocks(); ++c) {
      periodic_adjoint_block(buffers, c, lines, field);
    }
    return;
  }
  clear_between(buffers, block_size_);
  for (std::size_t c = 0; c < column_blocks(); ++c) {
    adjoint_block(buffers, c, lines, field, output_chirp);
  }
}

template <class T>
void ScaledDft2<T>::adjoint_column_block(std::size_t c, const Complex* lines, Complex* field,
                                         Complex* staging, bool output_chirp) const {
  const Work buffers = work(staging);
  if (periodic_) {
    periodic_adjoint_block(buffers, c, lines, field);
    return;
  }
  clear_between(buffers, block_size_);
  adjoint_block(buffers, c, lines, field, output_chirp);
}

// Columns c rows() .. of the lines (N, n), each read transposed into a row of the block:
// conj(w(k - N//2)) column x's input k, correlated; g_bar[y, x] = column x's output y times
// conj(w(x) w(y)), into the field's top-left (n, n).
template <class T>
void ScaledDft2<T>::adjoint_block(const Work& buffers, std::size_t c, const Complex* lines,
                                  Complex* field, bool output_chirp) const {
  const std::size_t n = n_, grid = grid_, pitch = pitch_, lp = lines_pitch_, size = block_size_;
  const Complex* w = chirp_in_.data();
  const Complex* w_out = chirp_out_.data();
  const std::size_t x0 = c * rows_;
  const std::size_t count = std::min(rows_, n - x0);
  auto fill = [&](std::size_t b, Complex* block) {
    const std::size_t filled = std::min(size, grid - b * size);
    const Complex* wk = w_out + b * size;
    const Complex* in = lines + b * size * lp + x0;
    if (!output_chirp) {
      transpose_rows(block, pitch, in, lp, filled, count);
      return;
    }
    for (std::size_t k = 0; k < filled; ++k) {
      const Complex* a = in + k * lp;
      const Complex wkk = wk[k];
      for (std::size_t r = 0; r < count; ++r) block[r * pitch + k] = times_conj(a[r], wkk);
    }
  };
  auto emit = [&](const Complex* block) {
    for (std::size_t y = 0; y < n; ++y) {
      Complex* out = field + y * grid + x0;
      const Complex wy = w[y];
      for (std::size_t r = 0; r < count; ++r) {
        out[r] = times_conj(block[r * pitch + y], times(w[x0 + r], wy));
      }
    }
  };
  correlate(buffers, count, fill, emit);
}

// -- the periodic mode (czt.hpp): one FFT of length L per line, the outputs taken mod L ------

// Columns c rows() .. of the pupil, read transposed into the block's rows and zero-padded to
// L; their FFTs' outputs (k - N//2) mod L written transposed into the lines (N, n), in runs of
// consecutive residues: line k holds row k of E g.
template <class T>
void ScaledDft2<T>::periodic_forward_block(const Work& buffers, std::size_t c,
                                           const Complex* pupil, Complex* lines) const {
  const std::size_t n = n_, m = length_, pitch = pitch_, lp = lines_pitch_;
  const std::size_t x0 = c * rows_;
  const std::size_t count = std::min(rows_, n - x0);
  transpose_rows(buffers.block, pitch, pupil + x0, n, n, count);
  for (std::size_t r = 0; r < count; ++r) {
    std::memset(static_cast<void*>(buffers.block + r * pitch + n), 0, sizeof(Complex) * (m - n));
  }
  row_plans(count).forward.execute(buffers.block, buffers.spectrum);
  for (std::size_t k = 0, j = wrap_start_; k < grid_;) {
    const std::size_t run = std::min(grid_ - k, m - j);
    transpose_rows(lines + k * lp + x0, lp, buffers.spectrum + j, pitch, count, run);
    k += run;
    j = 0;
  }
}

// Lines k0 .. k0 + count zero-padded to L; row k of G = the FFT's outputs (l - N//2) mod L.
template <class T>
void ScaledDft2<T>::periodic_forward_rows(const Work& buffers, std::size_t k0,
                                          const Complex* lines, Complex* rows) const {
  const std::size_t n = n_, grid = grid_, m = length_, pitch = pitch_, lp = lines_pitch_;
  const std::size_t count = std::min(rows_, grid - k0);
  for (std::size_t r = 0; r < count; ++r) {
    Complex* a = buffers.block + r * pitch;
    std::memcpy(static_cast<void*>(a), lines + (k0 + r) * lp, sizeof(Complex) * n);
    std::memset(static_cast<void*>(a + n), 0, sizeof(Complex) * (m - n));
  }
  row_plans(count).forward.execute(buffers.block, buffers.spectrum);
  for (std::size_t r = 0; r < count; ++r) {
    wrap_copy(rows + r * grid, buffers.spectrum + r * pitch, m, wrap_start_, grid);
  }
}

// Rows k0 .. k0 + count of G_bar folded onto L (l to (l - N//2) mod L, summed), inverse FFTs,
// the first n outputs into lines k0 .. (row k of G_bar conj(E)).
template <class T>
void ScaledDft2<T>::periodic_adjoint_rows(const Work& buffers, std::size_t k0,
                                          const Complex* rows, Complex* lines) const {
  const std::size_t n = n_, grid = grid_, m = length_, pitch = pitch_, lp = lines_pitch_;
  const std::size_t count = std::min(rows_, grid - k0);
  for (std::size_t r = 0; r < count; ++r) {
    wrap_fold(buffers.block + r * pitch, rows + r * grid, m, wrap_start_, grid);
  }
  row_plans(count).inverse.execute(buffers.block, buffers.spectrum);
  for (std::size_t r = 0; r < count; ++r) {
    std::memcpy(static_cast<void*>(lines + (k0 + r) * lp), buffers.spectrum + r * pitch,
                sizeof(Complex) * n);
  }
}

// Columns c rows() .. of the lines (N, n), read transposed and folded onto L (the first L
// lines copied in runs, the residues none reached zeroed, the lines beyond added), inverse
// FFTs, the first n outputs written transposed into the field's top-left (n, n).
template <class T>
void ScaledDft2<T>::periodic_adjoint_block(const Work& buffers, std::size_t c,
                                           const Complex* lines, Complex* field) const {
  const std::size_t n = n_, grid = grid_, m = length_, pitch = pitch_, lp = lines_pitch_;
  const std::size_t x0 = c * rows_;
  const std::size_t count = std::min(rows_, n - x0);
  Complex* block = buffers.block;
  const std::size_t first = std::min(grid, m);
  for (std::size_t k = 0, j = wrap_start_; k < first;) {
    const std::size_t run = std::min(first - k, m - j);
    transpose_rows(block + j, pitch, lines + k * lp + x0, lp, run, count);
    k += run;
    j = 0;
  }
  if (first < m) {  // residues [(start + N) mod L, start), unreached: zero
    const std::size_t from = (wrap_start_ + first) % m;
    for (std::size_t r = 0; r < count; ++r) {
      Complex* a = block + r * pitch;
      if (from < wrap_start_) {
        std::memset(static_cast<void*>(a + from), 0, sizeof(Complex) * (wrap_start_ - from));
      } else {
        std::memset(static_cast<void*>(a + from), 0, sizeof(Complex) * (m - from));
        std::memset(static_cast<void*>(a), 0, sizeof(Complex) * wrap_start_);
      }
    }
  }
  for (std::size_t k = first, j = wrap_start_; k < grid; ++k) {
    const Complex* in = lines + k * lp + x0;
    for (std::size_t r = 0; r < count; ++r) block[r * pitch + j] += in[r];
    if (++j == m) j = 0;
  }
  row_plans(count).inverse.execute(block, buffers.spectrum);
  transpose_rows(field + x0, grid, buffers.spectrum, pitch, count, n);
}

template class ScaledDft2<float>;
template class ScaledDft2<double>;

}  // namespace phasegrad
