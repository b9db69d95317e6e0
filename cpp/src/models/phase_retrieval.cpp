// The fused phase-retrieval model; see models/phase_retrieval.hpp for the passes.
#include "phasegrad/models/phase_retrieval.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "phasegrad/core/cache_lines.hpp"
#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/parallel.hpp"
#include "phasegrad/core/sincos.hpp"

namespace phasegrad::models {

namespace {

// exp(2 pi i m / N) for an integer m in [0, N), exact at the quarter turns.
std::complex<double> turn(std::size_t m, std::size_t period) {
  if (m == 0) return {1.0, 0.0};
  if (2 * m == period) return {-1.0, 0.0};
  if (4 * m == period) return {0.0, 1.0};
  if (4 * m == 3 * period) return {0.0, -1.0};
  const double angle = kTwoPi * static_cast<double>(m) / static_cast<double>(period);
  return {std::cos(angle), std::sin(angle)};
}

// sine[j], cosine[j] = sin, cos of phase[j] for |phase[j]| <= sincos_limit<T>() (the callers
// redo the others with libm), inlined into pass A's cloned chunk (phasor_chunk): with wider
// SIMD, measured on the AVX-512 development VM, one thread, n = 256, the fused model took 4.6 ms
// instead of 4.8-4.9 in float64 and 2.8-3.0 instead of 3.0-3.2 in float32.
template <class T>
[[gnu::always_inline]] inline void sincos_chunk(const T* phase, T* sine, T* cosine,
                                                std::size_t count) {
#pragma omp simd
  for (std::size_t j = 0; j < count; ++j) {
    const SinCosOf<T> e = sincos_moderate(phase[j], T(0));
    sine[j] = e.sin;
    cosine[j] = e.cos;
  }
}

// W[begin:end] = sum_k a_k Z_k[begin:end], four modes per sweep (W is loaded and stored once
// per four modes), cloned for wider SIMD (PHASEGRAD_WIDE_SIMD).
template <class T>
[[gnu::always_inline]] inline void synthesis_span_of(const T* params, const T* basis,
                                                     std::size_t pixels, std::size_t modes,
                                                     std::size_t begin, std::size_t end,
                                                     T* wavefront) {
  std::size_t k = 0;
  for (; k + 4 <= modes; k += 4) {
    const T c0 = params[k], c1 = params[k + 1], c2 = params[k + 2], c3 = params[k + 3];
    const T* z0 = basis + k * pixels;
    const T* z1 = z0 + pixels;
    const T* z2 = z1 + pixels;
    const T* z3 = z2 + pixels;
    if (k == 0) {
#pragma omp simd
      for (std::size_t i = begin; i < end; ++i) {
        wavefront[i] = c0 * z0[i] + c1 * z1[i] + c2 * z2[i] + c3 * z3[i];
      }
    } else {
#pragma omp simd
      for (std::size_t i = begin; i < end; ++i) {
        wavefront[i] += c0 * z0[i] + c1 * z1[i] + c2 * z2[i] + c3 * z3[i];
      }
    }
  }
  for (; k < modes; ++k) {
    const T c = params[k];
    const T* z = basis + k * pixels;
    if (k == 0) {
#pragma omp simd
      for (std::size_t i = begin; i < end; ++i) wavefront[i] = c * z[i];
    } else {
#pragma omp simd
      for (std::size_t i = begin; i < end; ++i) wavefront[i] += c * z[i];
    }
  }
}
PHASEGRAD_WIDE_SIMD void synthesis_span(const float* params, const float* basis,
                                        std::size_t pixels, std::size_t modes,
                                        std::size_t begin, std::size_t end, float* wavefront) {
  synthesis_span_of(params, basis, pixels, modes, begin, end, wavefront);
}
PHASEGRAD_WIDE_SIMD void synthesis_span(const double* params, const double* basis,
                                        std::size_t pixels, std::size_t modes,
                                        std::size_t begin, std::size_t end, double* wavefront) {
  synthesis_span_of(params, basis, pixels, modes, begin, end, wavefront);
}

// Pass C on one run [x0, x1) of a pupil row: W_bar (+)= scale Im(g_bar conj(g)) (assigned
// when `assign`), cloned for wider SIMD (PHASEGRAD_WIDE_SIMD).
template <class T>
[[gnu::always_inline]] inline void gradient_run_of(const std::complex<T>* g_bar_row,
                                                   const std::complex<T>* g_row, T scale,
                                                   bool assign, std::size_t x0, std::size_t x1,
                                                   T* w_bar) {
  const T* g_bar = reinterpret_cast<const T*>(g_bar_row);  // (re, im) pairs
  const T* g = reinterpret_cast<const T*>(g_row);
  if (assign) {
#pragma omp simd
    for (std::size_t x = x0; x < x1; ++x) {
      w_bar[x] = scale * (g_bar[2 * x + 1] * g[2 * x] - g_bar[2 * x] * g[2 * x + 1]);
    }
  } else {
#pragma omp simd
    for (std::size_t x = x0; x < x1; ++x) {
      w_bar[x] += scale * (g_bar[2 * x + 1] * g[2 * x] - g_bar[2 * x] * g[2 * x + 1]);
    }
  }
}
PHASEGRAD_WIDE_SIMD void gradient_run(const std::complex<float>* g_bar, const std::complex<float>* g,
                                      float scale, bool assign, std::size_t x0, std::size_t x1,
                                      float* w_bar) {
  gradient_run_of(g_bar, g, scale, assign, x0, x1, w_bar);
}
PHASEGRAD_WIDE_SIMD void gradient_run(const std::complex<double>* g_bar,
                                      const std::complex<double>* g, double scale, bool assign,
                                      std::size_t x0, std::size_t x1, double* w_bar) {
  gradient_run_of(g_bar, g, scale, assign, x0, x1, w_bar);
}

// partial[k] += sum Z_k[begin:end] W_bar[begin:end] (Eq. 58) for every mode k, four modes per
// sweep (W_bar is loaded once for four products; four independent sums hide the latency of the
// additions), cloned for wider SIMD. float32 multiplies and adds in float32 over pieces of 1024
// pixels (twice the lanes of converting every product to double), each piece's sums then added
// in double; float64 sums the span at once.
template <class T>
[[gnu::always_inline]] inline void projection_span_of(const T* basis, std::size_t pixels,
                                                      std::size_t modes, std::size_t begin,
                                                      std::size_t end, const T* wavefront_bar,
                                                      double* partial) {
  const std::size_t piece = sizeof(T) < sizeof(double) ? 1024 : end - begin;
  const std::size_t groups = modes / 4;
  // The modes past the last group of four first, then the groups from the last to the first:
  // the basis read in the reverse of the synthesis's order (see projection_block_order).
  for (std::size_t k = modes; k-- > 4 * groups;) {
    const T* mode = basis + k * pixels;
    double dot = 0;
    for (std::size_t p0 = begin; p0 < end; p0 += piece) {
      const std::size_t p1 = std::min(end, p0 + piece);
      T e = 0;
#pragma omp simd reduction(+ : e)
      for (std::size_t i = p0; i < p1; ++i) e += mode[i] * wavefront_bar[i];
      dot += static_cast<double>(e);
    }
    partial[k] += dot;
  }
  for (std::size_t g = groups; g-- > 0;) {
    const std::size_t k = 4 * g;
    const T* z0 = basis + k * pixels;
    const T* z1 = z0 + pixels;
    const T* z2 = z1 + pixels;
    const T* z3 = z2 + pixels;
    double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    for (std::size_t p0 = begin; p0 < end; p0 += piece) {
      const std::size_t p1 = std::min(end, p0 + piece);
      T e0 = 0, e1 = 0, e2 = 0, e3 = 0;
#pragma omp simd reduction(+ : e0, e1, e2, e3)
      for (std::size_t i = p0; i < p1; ++i) {
        const T w = wavefront_bar[i];
        e0 += z0[i] * w;
        e1 += z1[i] * w;
        e2 += z2[i] * w;
        e3 += z3[i] * w;
      }
      d0 += static_cast<double>(e0);
      d1 += static_cast<double>(e1);
      d2 += static_cast<double>(e2);
      d3 += static_cast<double>(e3);
    }
    partial[k] += d0;
    partial[k + 1] += d1;
    partial[k + 2] += d2;
    partial[k + 3] += d3;
  }
}
PHASEGRAD_WIDE_SIMD void projection_span(const float* basis, std::size_t pixels,
                                         std::size_t modes, std::size_t begin, std::size_t end,
                                         const float* wavefront_bar, double* partial) {
  projection_span_of(basis, pixels, modes, begin, end, wavefront_bar, partial);
}
PHASEGRAD_WIDE_SIMD void projection_span(const double* basis, std::size_t pixels,
                                         std::size_t modes, std::size_t begin, std::size_t end,
                                         const double* wavefront_bar, double* partial) {
  projection_span_of(basis, pixels, modes, begin, end, wavefront_bar, partial);
}

// Pass A on `count` <= kPhasorChunk pixels of a run: g = A exp(i theta), theta = scale (W + Phi),
// times the fftshift ramp when `ramped` (the FFT path), into the pupil; the phasors
// exp(i theta) (times the ramp when `ramped`) when `phasor` is given. sin and cos in the model's precision
// (float lanes are twice as many), by the vectorised kernel up to its limit and by libm beyond.
// The complex products written out (the arithmetic of std::complex's, without its NaN
// recovery call, which keeps the loop from vectorising). Cloned for wider SIMD.
constexpr std::size_t kPhasorChunk = 256;
template <class T>
[[gnu::always_inline]] inline void phasor_chunk_of(const T* wavefront, const T* diversity,
                                                   const T* amplitude, T scale,
                                                   std::size_t count,
                                                   const std::complex<T>* ramp_values,
                                                   std::complex<T> row_ramp, bool ramped,
                                                   std::complex<T>* pupil,
                                                   std::complex<T>* phasor) {
  alignas(64) T phase[kPhasorChunk], sine[kPhasorChunk], cosine[kPhasorChunk];
  if (diversity) {
#pragma omp simd
    for (std::size_t j = 0; j < count; ++j) phase[j] = (wavefront[j] + diversity[j]) * scale;
  } else {
#pragma omp simd
    for (std::size_t j = 0; j < count; ++j) phase[j] = wavefront[j] * scale;
  }
  sincos_chunk(phase, sine, cosine, count);
  // Phases beyond the kernel's limit (or NaN) are rare: one vectorised test of the chunk first,
  // the scalar loop with its libm calls only when one is there.
  bool all_within = true;
#pragma omp simd reduction(&& : all_within)
  for (std::size_t j = 0; j < count; ++j) {
    all_within = all_within && std::abs(phase[j]) <= sincos_limit<T>();
  }
  if (!all_within) {
    for (std::size_t j = 0; j < count; ++j) {
      if (!(std::abs(phase[j]) <= sincos_limit<T>())) {
        const double angle = static_cast<double>(phase[j]);
        sine[j] = static_cast<T>(std::sin(angle));
        cosine[j] = static_cast<T>(std::cos(angle));
      }
    }
  }
  const T* ramp = reinterpret_cast<const T*>(ramp_values);  // (re, im) pairs
  T* out_pupil = reinterpret_cast<T*>(pupil);
  const T rr = row_ramp.real(), ri = row_ramp.imag();
  if (ramped) {
#pragma omp simd
    for (std::size_t j = 0; j < count; ++j) {
      const T gr = amplitude[j] * cosine[j], gi = amplitude[j] * sine[j];
      const T tr = rr * ramp[2 * j] - ri * ramp[2 * j + 1];
      const T ti = rr * ramp[2 * j + 1] + ri * ramp[2 * j];
      out_pupil[2 * j] = gr * tr - gi * ti;
      out_pupil[2 * j + 1] = gr * ti + gi * tr;
    }
  } else {
#pragma omp simd
    for (std::size_t j = 0; j < count; ++j) {
      out_pupil[2 * j] = amplitude[j] * cosine[j];
      out_pupil[2 * j + 1] = amplitude[j] * sine[j];
    }
  }
  if (phasor) {
    T* out = reinterpret_cast<T*>(phasor);
    for (std::size_t j = 0; j < count; ++j) {
      if (ramped) {
        const T tr = rr * ramp[2 * j] - ri * ramp[2 * j + 1];
        const T ti = rr * ramp[2 * j + 1] + ri * ramp[2 * j];
        out[2 * j] = cosine[j] * tr - sine[j] * ti;
        out[2 * j + 1] = cosine[j] * ti + sine[j] * tr;
      } else {
        out[2 * j] = cosine[j];
        out[2 * j + 1] = sine[j];
      }
    }
  }
}
PHASEGRAD_WIDE_SIMD void phasor_chunk(const float* wavefront, const float* diversity,
                                      const float* amplitude, float scale, std::size_t count,
                                      const std::complex<float>* ramp,
                                      std::complex<float> row_ramp, bool ramped,
                                      std::complex<float>* pupil,
                                      std::complex<float>* phasor) {
  phasor_chunk_of(wavefront, diversity, amplitude, scale, count, ramp, row_ramp, ramped, pupil,
                  phasor);
}
PHASEGRAD_WIDE_SIMD void phasor_chunk(const double* wavefront, const double* diversity,
                                      const double* amplitude, double scale, std::size_t count,
                                      const std::complex<double>* ramp,
                                      std::complex<double> row_ramp, bool ramped,
                                      std::complex<double>* pupil,
                                      std::complex<double>* phasor) {
  phasor_chunk_of(wavefront, diversity, amplitude, scale, count, ramp, row_ramp, ramped, pupil,
                  phasor);
}

}  // namespace

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
  if (cfg_.amplitude == nullptr || (cfg_.modes > 0 && !cfg_.basis)) {
    throw std::invalid_argument("amplitude (and basis with modes) are required");
  }
  amplitude_ = cfg_.amplitude;
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

  // Other wavelengths: a chirp-z scaled DFT per band (core/czt.hpp), all through one staging
  // buffer (the tangents' copies are made like it).
  std::size_t staging = 0;
  for (std::size_t l = 0; l < cfg_.wavelengths.size(); ++l) {
    auto band = std::make_unique<Band>();
    const double wavelength = cfg_.wavelengths[l];
    band->weight = cfg_.spectral_weights[l];
    band->phase_scale = static_cast<T>(kTwoPi / wavelength);
    band->fft = wavelength == cfg_.wavelength;
    band->pupil = Buffer<Complex>::zeros(n * n);
    band->field = Buffer<Complex>::zeros(grid * grid);
    if (!band->fft) {
      // E[k, x] = exp(-2 pi i s (k - N//2) x), s = lam_0 / (lam N): the frequency axis scaled.
      const double spacing = cfg_.wavelength / (wavelength * static_cast<double>(grid));
      band->scaled = std::make_unique<ScaledDft2<T>>(n, grid, spacing);
      staging = std::max(staging, band->scaled->staging_size());
    }
    bands_.push_back(std::move(band));
  }
  staging_ = Buffer<Complex>::zeros(staging);
  for (auto& band : bands_) {
    if (band->scaled) band->scaled->plan(staging_.data());
  }
  wavefront_ = Buffer<T>::zeros(n * n);
  wavefront_bar_ = Buffer<T>::zeros(n * n);
}

template <class T>
FusedPhaseRetrieval<T>::~FusedPhaseRetrieval() = default;

// Threads a call uses: grids below 256 x 256 run on one thread, where a second one gains
// nothing. Measured on 2 cores: n = 128 at pad 2 took 1.03 ms on one thread and 0.68 ms on two
// (also with 1 ms of other work between calls, the workers asleep at each call's start; they
// spin briefly between its regions, as phasegrad sets OpenMP up), n = 64 0.18 ms either way. With
// workers that sleep at once, each region's wake-up made n = 128 slower on two threads (0.8 ms
// on one, 1.1-1.9 ms on two).
template <class T>
int FusedPhaseRetrieval<T>::team_size(int threads) const {
  constexpr std::size_t kThreadedGrid = std::size_t{256} * 256;
  if (threads < 1 || cfg_.grid * cfg_.grid < kThreadedGrid) return 1;
  return threads;
}

// Rows per block of the basis passes: at most 32768 pixels (256 KiB of float64, in L2) and at
// least four blocks, fixed by the pupil's size alone (never by the team), so that the
// projection's per-block sums, added in block order, are the same on any number of threads;
// blocks are handed out dynamically. (Measured at n = 256 on one core: blocks of 4096 pixels
// made the call 5-10% slower than 32768.)
template <class T>
std::size_t FusedPhaseRetrieval<T>::rows_per_block() const {
  const std::size_t n = cfg_.n;
  return std::max<std::size_t>(1, std::min<std::size_t>(32768 / n, (n + 3) / 4));
}

template <class T>
std::size_t FusedPhaseRetrieval<T>::basis_blocks() const {
  const std::size_t block_rows = rows_per_block();
  return (cfg_.n + block_rows - 1) / block_rows;
}

template <class T>
std::size_t FusedPhaseRetrieval<T>::workspace_bytes() const {
  std::size_t total = staging_.bytes() + band_rows_.bytes() + band_team_.bytes() +
                      wavefront_.bytes() + wavefront_bar_.bytes();
  for (const auto& band : bands_) {
    total += band->pupil.bytes() + band->field.bytes() + band->phasor.bytes();
    if (band->scaled) total += band->scaled->table_bytes();
  }
  // The least-squares view's, once made.
  total += slope_.bytes() + binned_intensity_.bytes() + plane_residuals_.bytes();
  for (const auto& work : tangents_) {
    total += work->wavefront.bytes() + work->staging.bytes();
    for (const auto& buffer : work->pupil) total += buffer.bytes();
    for (const auto& buffer : work->field) total += buffer.bytes();
  }
  return total;
}

// The team of a public call: team_size, then the call kind's measured fallback; the plans are
// made (or given the team). `planned`: whether plans were made now (the call's time is then
// not compared).
template <class T>
int FusedPhaseRetrieval<T>::start_call(Call call, int threads, bool& planned) {
  threads = choices_[call].next(team_size(threads));
  planned = plan_for(threads);
  return threads;
}

// Plans for a team of `threads`; true when plans were made (the first time), false when the
// existing ones only changed team.
template <class T>
bool FusedPhaseRetrieval<T>::plan_for(int threads) {
  if (planned_threads_ == threads) return false;
  bool made = false;
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  for (auto& band : bands_) {
    if (!band->fft) continue;
    Complex* field = band->field.data();
    // On the (N, N) field (FFTW's strided transforms measured 2-5x faster in place than out
    // of place between differently strided buffers), each stage through a small contiguous
    // scratch. Forward: the n columns that hold the pupil (only their n pupil rows read;
    // core/gathered_columns.hpp), then every row (only its first n columns read, the rest
    // zeroed in the scratch, the transforms out of place there; core/pruned_rows.hpp).
    // Adjoint: every row (in place on the field, or in the rows' scratch in value_and_grad's
    // fused rows), then only the n columns the crop keeps (only their n crop rows written).
    // Fixed chunks of single-threaded plans shared dynamically by the team (the planning
    // happens once; another team reuses the plans).
    if (band->columns.chunks() == 0) {
      made = true;
      const std::size_t column_chunk = transform_column_chunk<T>();
      const std::size_t row_chunk = fused_row_chunk<T>(grid);
      band->columns = GatheredColumns<T>(grid, n, grid, n, grid, column_chunk, false, threads);
      band->rows = PrunedRows<T>(grid, grid, n, row_chunk, false, threads);
      band->rows_adjoint = ChunkedPlan<T>({grid, grid, 1, grid, 1, grid}, row_chunk, true, field,
                                          field, threads);
      band->columns_adjoint = GatheredColumns<T>(grid, n, grid, grid, n, column_chunk, true,
                                                 threads);
      // The fused rows' adjoint plans (rows_chunk), made on this thread's scratch of the
      // forward rows (every thread's is aligned alike).
      const std::size_t whole = band->rows.count(0);
      const std::size_t last = band->rows.count(band->rows.chunks() - 1);
      const auto [input, output] = band->rows.scratch();
      auto plan = [&, input = input, output = output](std::size_t rows) {
        return plan_strided_dft1<T>({grid, rows, 1, grid, 1, grid}, true, output, input, 1);
      };
      band->rows_scratch.adjoint = plan(whole);
      band->rows_scratch.adjoint_last = last == whole ? band->rows_scratch.adjoint : plan(last);
    }
    band->columns = band->columns.with_team(threads);
    band->rows = band->rows.with_team(threads);
    band->rows_adjoint = band->rows_adjoint.with_team(threads);
    band->columns_adjoint = band->columns_adjoint.with_team(threads);
  }
  planned_threads_ = threads;
  return made;
}

// W = sum_k a_k Z_k (or W = a for a wavefront map). Rows are taken in blocks that stay in
// cache while the modes are added four at a time; within a block the sweep covers one
// contiguous span, from its first to its last pixel of non-zero amplitude: long streams read
// the basis faster than row-by-row runs, even with the gaps between runs (W there is unused).
template <class T>
void FusedPhaseRetrieval<T>::synthesize(const T* params, T* wavefront, int threads) {
  const std::size_t n = cfg_.n, pixels = n * n, modes = cfg_.modes;
  const int team = threads_for(modes == 0 ? pixels : pixels * modes, threads);
  for_each_chunk(basis_blocks(), team,
                 [&](std::size_t block) { synthesis_block(params, wavefront, block); });
}

// The synthesis on one block of rows (rows_per_block()), over its span of non-zero amplitude.
template <class T>
void FusedPhaseRetrieval<T>::synthesis_block(const T* params, T* wavefront,
                                             std::size_t block) const {
  const std::size_t n = cfg_.n, pixels = n * n, modes = cfg_.modes;
  const std::size_t block_rows = rows_per_block();
  const std::size_t y0 = block * block_rows;
  const std::size_t y1 = std::min(n, y0 + block_rows);
  const std::size_t r0 = row_runs_[y0], r1 = row_runs_[y1];
  if (r0 == r1) return;
  const std::size_t begin = runs_[r0].y * n + runs_[r0].x0;
  const std::size_t end = runs_[r1 - 1].y * n + runs_[r1 - 1].x1;
  if (modes == 0) {
    for (std::size_t i = begin; i < end; ++i) wavefront[i] = params[i];
    return;
  }
  synthesis_span(params, cfg_.basis, pixels, modes, begin, end, wavefront);
}

// The synthesis on one block of rows, then pass A of plane 0 on the block's pupil rows for
// every band while its W is in cache: value_and_grad's first step, one pass instead of two
// (and on a team one barrier fewer). The same arithmetic as synthesize and pupil_fields.
template <class T>
void FusedPhaseRetrieval<T>::synthesis_pupil_block(const T* params, std::size_t block) {
  synthesis_block(params, wavefront_.data(), block);
  const std::size_t block_rows = rows_per_block();
  const std::size_t y0 = block * block_rows, y1 = std::min(cfg_.n, y0 + block_rows);
  for (auto& band : bands_) {
    for (std::size_t y = y0; y < y1; ++y) pupil_row(*band, 0, y);
  }
}

// Pass A: g = A exp(i 2 pi / lam (W + Phi_p)) for every wavelength, on the FFT path times
// ramp[x] ramp[y] (which moves the zero frequency of the transform to pixel (N//2, N//2), the
// fftshift), into each band's pupil buffer (n, n), on the support only (the other pixels stay
// zero). The forward transform reads it from there (the column stage gathers its columns from
// the pupil straight into its scratch: the padded field is never written by this pass).
template <class T>
void FusedPhaseRetrieval<T>::pupil_fields(std::size_t plane, int threads) {
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  held_plane_ = static_cast<long long>(plane);
  const long long rows = static_cast<long long>(n);
  const int team = threads_for(grid * grid * bands_.size(), threads);
  // The pupil's rows in small chunks handed out as threads free up: a thread that shares its
  // core with another process takes fewer chunks instead of holding the others up. Every band's
  // row in turn, while the row of W (and of the diversity and amplitude) is in cache.
#pragma omp parallel for num_threads(team) schedule(dynamic, 4) if (team > 1)
  for (long long yy = 0; yy < rows; ++yy) {
    for (auto& band : bands_) pupil_row(*band, plane, static_cast<std::size_t>(yy));
  }
}

// Pass A on pupil row y of one band.
template <class T>
void FusedPhaseRetrieval<T>::pupil_row(Band& band, std::size_t plane, std::size_t y) const {
  const std::size_t n = cfg_.n;
  const T* wavefront = wavefront_.data();
  const T* amplitude = amplitude_;
  const T* diversity = cfg_.diversity ? cfg_.diversity + plane * n * n : nullptr;
  Complex* pupil = band.pupil.data();
  Complex* phasor = keep_phasor_ ? band.phasor.data() : nullptr;
  const Complex* ramp = ramp_.data();
  const Complex row_ramp = ramp[y];
  for (std::size_t r = row_runs_[y]; r < row_runs_[y + 1]; ++r) {
    for (std::size_t x0 = runs_[r].x0; x0 < runs_[r].x1; x0 += kPhasorChunk) {
      const std::size_t count = std::min(kPhasorChunk, runs_[r].x1 - x0);
      const std::size_t i0 = y * n + x0;
      phasor_chunk(wavefront + i0, diversity ? diversity + i0 : nullptr, amplitude + i0,
                   band.phase_scale, count, ramp + x0, row_ramp, band.fft, pupil + i0,
                   phasor ? phasor + i0 : nullptr);
    }
  }
}

// The forward transform of a padded pupil field (in place), or the scaled DFT (chirp-z) of
// `pupil` into `field` through `staging`: the primal's on the band's own buffers, a tangent's on
// its own.
template <class T>
void FusedPhaseRetrieval<T>::transform_forward(Band& band, const Complex* pupil, Complex* field,
                                               Complex* staging, bool single_threaded) {
  if (band.fft) {
    // The columns read from the pupil buffer (n, n), which pass A fills (its pixels off the
    // support stay zero), or from the field's top-left (n, n) when there is none (a tangent's).
    (single_threaded ? band.columns_single : band.columns)
        .execute(pupil ? pupil : field, pupil ? cfg_.n : cfg_.grid, field);
    (single_threaded ? band.rows_single : band.rows).execute(field);
    return;
  }
  // G = E g E^T up to the output chirps conj(w(k - N//2) w(l - N//2)), of modulus 1 per pixel:
  // every pass reads |G|^2 or Re(conj(G) G_dot), writes G_bar = c G, and the adjoint below
  // takes them back out (core/czt.hpp), so they cancel exactly and are never computed.
  band.scaled->forward(pupil, field, staging, false);
}

template <class T>
void FusedPhaseRetrieval<T>::transform_adjoint(Band& band) {
  Complex* field = band.field.data();
  if (band.fft) {
    band.rows_adjoint.execute(field, field);
    band.columns_adjoint.execute(field);
    return;
  }
  // g_bar = E^H G_bar conj(E), into the field's top-left (n, n) with row stride N (G_bar
  // without the output chirps, as transform_forward's G).
  band.scaled->adjoint(field, staging_.data(), false);
}

// Sums a pass accumulates: E, then dE/da, dE/db, dE/dc of a quadratic detector.
struct DetectorSums {
  double energy = 0, a = 0, b = 0, c = 0;
};

// Pass B on one detector row of a single band without binning, the common case: one read and
// one write of G per pixel, branches decided at compile time. The row goes in chunks through
// three loops the compiler vectorises: |G|^2 out of the interleaved complex values, the
// detector model with its sums, and the scaling of G.
// I = s |G|^2 of `count` interleaved (re, im) values, never fused into FMAs: the same rounding
// as the intensities of the least-squares view (phase_retrieval_tangent.cpp) and of psf, so
// that a model's simulate and residuals agree bit for bit (zero residuals at the truth). Cloned
// for wider SIMD with contraction off (each product and sum rounded as on the baseline target;
// the baseline-only version it replaces took ~2 % of a call at n = 128 float32, perf), and
// never inlined into the clones below, which may contract.
#define PHASEGRAD_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
PHASEGRAD_WIDE_SIMD PHASEGRAD_NO_CONTRACT [[gnu::noinline]] void intensity_chunk(
    const float* g, float spectral, float* intensity, std::size_t count) {
#pragma omp simd
  for (std::size_t j = 0; j < count; ++j) {
    intensity[j] = spectral * (g[2 * j] * g[2 * j] + g[2 * j + 1] * g[2 * j + 1]);
  }
}
PHASEGRAD_WIDE_SIMD PHASEGRAD_NO_CONTRACT [[gnu::noinline]] void intensity_chunk(
    const double* g, double spectral, double* intensity, std::size_t count) {
#pragma omp simd
  for (std::size_t j = 0; j < count; ++j) {
    intensity[j] = spectral * (g[2 * j] * g[2 * j] + g[2 * j + 1] * g[2 * j + 1]);
  }
}
// The quadratic detector's model M = (a I + b) I + c of `count` intensities, never fused into
// multiply-adds either: the rounding of the least-squares view's residuals, so that a quadratic
// model's simulate and residuals agree bit for bit too (the clones below would contract it).
PHASEGRAD_WIDE_SIMD PHASEGRAD_NO_CONTRACT [[gnu::noinline]] void quadratic_chunk(
    const float* intensity, float qa, float qb, float qc, float* model, std::size_t count) {
#pragma omp simd
  for (std::size_t j = 0; j < count; ++j) model[j] = (qa * intensity[j] + qb) * intensity[j] + qc;
}
PHASEGRAD_WIDE_SIMD PHASEGRAD_NO_CONTRACT [[gnu::noinline]] void quadratic_chunk(
    const double* intensity, double qa, double qb, double qc, double* model, std::size_t count) {
#pragma omp simd
  for (std::size_t j = 0; j < count; ++j) model[j] = (qa * intensity[j] + qb) * intensity[j] + qc;
}
#undef PHASEGRAD_NO_CONTRACT

// Pass B's detector step on one chunk of `count` intensities, for one band's rows and several
// bands' (j0: the chunk's first pixel in the row). Forward: the model into model[j0, j0 +
// count). Reverse: the model M (the quadratic detector's by quadratic_chunk, into `modelled`),
// the weighted squared residuals and the detector's sums in the model's precision (float32:
// twice the lanes of converting every term to double), each chunk's sums added to `row` in
// double; out[j] = scale I_bar. Returns `reverse`: whether the caller scales G next.
template <bool kQuadratic, bool kWeighted, class T>
[[gnu::always_inline]] inline bool detector_chunk(const T* intensity, T* modelled,
                                                  const T* data, const T* weights, T* model,
                                                  bool reverse, std::size_t j0,
                                                  std::size_t count, T qa, T qb, T qc, T scale,
                                                  T* out, DetectorSums& row) {
  if (!reverse) {
    if (kQuadratic) {
      quadratic_chunk(intensity, qa, qb, qc, model + j0, count);
    } else {
      std::copy(intensity, intensity + count, model + j0);
    }
    return false;
  }
  if (kQuadratic) quadratic_chunk(intensity, qa, qb, qc, modelled, count);
  const T* d = data + j0;
  const T* w = kWeighted ? weights + j0 : nullptr;
  T chunk_energy = 0, chunk_a = 0, chunk_b = 0, chunk_c = 0;
#pragma omp simd reduction(+ : chunk_energy, chunk_a, chunk_b, chunk_c)
  for (std::size_t j = 0; j < count; ++j) {
    const T value_in = intensity[j];
    const T value = kQuadratic ? modelled[j] : value_in;
    const T residual = value - d[j];
    const T weighted = kWeighted ? w[j] * residual : residual;
    chunk_energy += weighted * residual;
    const T value_bar = 2 * weighted;
    T intensity_bar = value_bar;
    if (kQuadratic) {
      intensity_bar = value_bar * (2 * qa * value_in + qb);
      chunk_a += value_bar * value_in * value_in;
      chunk_b += value_bar * value_in;
      chunk_c += value_bar;
    }
    out[j] = scale * intensity_bar;
  }
  row.energy += static_cast<double>(chunk_energy);
  row.a += static_cast<double>(chunk_a);
  row.b += static_cast<double>(chunk_b);
  row.c += static_cast<double>(chunk_c);
  return true;
}

// Sums added to others, term by term (a row's after its chunks; the rows' in row order).
inline void add_row(DetectorSums& sums, const DetectorSums& row) {
  sums.energy += row.energy;
  sums.a += row.a;
  sums.b += row.b;
  sums.c += row.c;
}

template <bool kQuadratic, bool kWeighted, class T>
[[gnu::always_inline]] inline void detector_row(std::complex<T>* field, const T* data,
                                                const T* weights, T* model, bool reverse,
                                                std::size_t size, T spectral, T qa, T qb, T qc,
                                                DetectorSums& sums) {
  constexpr std::size_t kChunk = 256;
  alignas(64) T intensity[kChunk];
  alignas(64) T modelled[kChunk];  // the quadratic detector's M (quadratic_chunk)
  alignas(64) T factor[kChunk];
  T* parts = reinterpret_cast<T*>(field);  // (re, im) pairs: the layout std::complex guarantees
  DetectorSums row;
  const T twice_spectral = 2 * spectral;
  for (std::size_t j0 = 0; j0 < size; j0 += kChunk) {
    const std::size_t count = std::min(kChunk, size - j0);
    intensity_chunk(parts + 2 * j0, spectral, intensity, count);
    if (!detector_chunk<kQuadratic, kWeighted>(intensity, modelled, data, weights, model,
                                               reverse, j0, count, qa, qb, qc, twice_spectral,
                                               factor, row)) {
      continue;
    }
    T* out = parts + 2 * j0;
    for (std::size_t j = 0; j < count; ++j) {
      out[2 * j] *= factor[j];
      out[2 * j + 1] *= factor[j];
    }
  }
  add_row(sums, row);
}

// detector_row with its branches chosen: one unbinned row of a single band. Cloned for wider
// SIMD (PHASEGRAD_WIDE_SIMD; the build targets baseline x86-64): more lanes, and the AVX2 and
// AVX-512 clones may fuse multiply-adds, so the last bits may differ between CPUs, never
// between thread counts (one clone runs on every thread of a machine).
template <class T>
[[gnu::always_inline]] inline void detector_row_chosen(std::complex<T>* field, const T* data,
                                                       const T* w, T* out, bool reverse,
                                                       std::size_t size, T spectral,
                                                       bool quadratic, T qa, T qb, T qc,
                                                       DetectorSums& sums) {
  if (quadratic) {
    if (w) {
      detector_row<true, true>(field, data, w, out, reverse, size, spectral, qa, qb, qc, sums);
    } else {
      detector_row<true, false>(field, data, w, out, reverse, size, spectral, qa, qb, qc, sums);
    }
  } else if (w) {
    detector_row<false, true>(field, data, w, out, reverse, size, spectral, qa, qb, qc, sums);
  } else {
    detector_row<false, false>(field, data, w, out, reverse, size, spectral, qa, qb, qc, sums);
  }
}
PHASEGRAD_WIDE_SIMD void simple_detector_row(std::complex<float>* field, const float* data,
                                             const float* w, float* out, bool reverse,
                                             std::size_t size, float spectral, bool quadratic,
                                             float qa, float qb, float qc, DetectorSums& sums) {
  detector_row_chosen(field, data, w, out, reverse, size, spectral, quadratic, qa, qb, qc, sums);
}
PHASEGRAD_WIDE_SIMD void simple_detector_row(std::complex<double>* field, const double* data,
                                             const double* w, double* out, bool reverse,
                                             std::size_t size, double spectral, bool quadratic,
                                             double qa, double qb, double qc,
                                             DetectorSums& sums) {
  detector_row_chosen(field, data, w, out, reverse, size, spectral, quadratic, qa, qb, qc, sums);
}

// Pass B on one detector row of several bands without binning: the bands' intensities summed
// per chunk of pixels, the detector model with its sums, and each band's G scaled, in loops the
// compiler vectorises (the generic per-pixel loop below ran 40% of a five-band call at n = 128).
// I = sum_lam s_lam |G_lam|^2 of `count` pixels, in band order, compiled for the baseline target
// only (never fused into multiply-adds): the rounding of the generic loop, bit for bit.
template <class T>
[[gnu::noinline]] void band_intensity_chunk(std::complex<T>* const* fields, const T* spectral,
                                            std::size_t bands, std::size_t first, T* intensity,
                                            std::size_t count) {
  const T* g = reinterpret_cast<const T*>(fields[0] + first);
  for (std::size_t j = 0; j < count; ++j) {
    intensity[j] = spectral[0] * (g[2 * j] * g[2 * j] + g[2 * j + 1] * g[2 * j + 1]);
  }
  for (std::size_t l = 1; l < bands; ++l) {
    g = reinterpret_cast<const T*>(fields[l] + first);
    const T s = spectral[l];
    for (std::size_t j = 0; j < count; ++j) {
      intensity[j] += s * (g[2 * j] * g[2 * j] + g[2 * j + 1] * g[2 * j + 1]);
    }
  }
}

// The row: `fields[l] + first` is the row's first pixel in band l; `twice` = 2 s_lam.
template <bool kQuadratic, bool kWeighted, class T>
[[gnu::always_inline]] inline void bands_row(std::complex<T>* const* fields, std::size_t bands,
                                             std::size_t first, const T* spectral,
                                             const T* twice, const T* data, const T* weights,
                                             T* model, bool reverse, std::size_t size, T qa, T qb,
                                             T qc, DetectorSums& sums) {
  constexpr std::size_t kChunk = 256;
  alignas(64) T intensity[kChunk];
  alignas(64) T modelled[kChunk];  // the quadratic detector's M (quadratic_chunk)
  alignas(64) T bar[kChunk];
  DetectorSums row;
  for (std::size_t j0 = 0; j0 < size; j0 += kChunk) {
    const std::size_t count = std::min(kChunk, size - j0);
    band_intensity_chunk(fields, spectral, bands, first + j0, intensity, count);
    if (!detector_chunk<kQuadratic, kWeighted>(intensity, modelled, data, weights, model,
                                               reverse, j0, count, qa, qb, qc, T(1), bar, row)) {
      continue;
    }
    // G_bar = 2 s_lam I_bar G, band by band.
    for (std::size_t l = 0; l < bands; ++l) {
      T* out = reinterpret_cast<T*>(fields[l] + first + j0);
      const T t = twice[l];
      for (std::size_t j = 0; j < count; ++j) {
        const T factor = t * bar[j];
        out[2 * j] *= factor;
        out[2 * j + 1] *= factor;
      }
    }
  }
  add_row(sums, row);
}

// bands_row with its branches chosen, cloned for wider SIMD (as simple_detector_row).
template <class T>
[[gnu::always_inline]] inline void bands_row_chosen(std::complex<T>* const* fields,
                                                    std::size_t bands, std::size_t first,
                                                    const T* spectral, const T* twice,
                                                    const T* data, const T* w, T* out,
                                                    bool reverse, std::size_t size,
                                                    bool quadratic, T qa, T qb, T qc,
                                                    DetectorSums& sums) {
  if (quadratic) {
    if (w) {
      bands_row<true, true>(fields, bands, first, spectral, twice, data, w, out, reverse, size,
                            qa, qb, qc, sums);
    } else {
      bands_row<true, false>(fields, bands, first, spectral, twice, data, w, out, reverse, size,
                             qa, qb, qc, sums);
    }
  } else if (w) {
    bands_row<false, true>(fields, bands, first, spectral, twice, data, w, out, reverse, size,
                           qa, qb, qc, sums);
  } else {
    bands_row<false, false>(fields, bands, first, spectral, twice, data, w, out, reverse, size,
                            qa, qb, qc, sums);
  }
}
PHASEGRAD_WIDE_SIMD void bands_detector_row(std::complex<float>* const* fields,
                                            std::size_t bands, std::size_t first,
                                            const float* spectral, const float* twice,
                                            const float* data, const float* w, float* out,
                                            bool reverse, std::size_t size, bool quadratic,
                                            float qa, float qb, float qc, DetectorSums& sums) {
  bands_row_chosen(fields, bands, first, spectral, twice, data, w, out, reverse, size, quadratic,
                   qa, qb, qc, sums);
}
PHASEGRAD_WIDE_SIMD void bands_detector_row(std::complex<double>* const* fields,
                                            std::size_t bands, std::size_t first,
                                            const double* spectral, const double* twice,
                                            const double* data, const double* w, double* out,
                                            bool reverse, std::size_t size, bool quadratic,
                                            double qa, double qb, double qc,
                                            DetectorSums& sums) {
  bands_row_chosen(fields, bands, first, spectral, twice, data, w, out, reverse, size, quadratic,
                   qa, qb, qc, sums);
}

// The sums of rows added in row order: the same whatever thread computed which row.
DetectorSums add_in_order(const std::vector<DetectorSums>& per_row, bool quadratic,
                          double* detector_bar) {
  DetectorSums total;
  for (const auto& sums : per_row) add_row(total, sums);
  if (quadratic && detector_bar != nullptr) {
    detector_bar[0] += total.a;
    detector_bar[1] += total.b;
    detector_bar[2] += total.c;
  }
  return total;
}

// Pass B: I = sum_lam s |G|^2, binned; the detector model M; with `reverse`, E, the detector
// gradients and G_bar = 2 s I_bar G in place (Eq. 53, 88, 93, 98-101), else M into `model`.
// Each row has its own sums, added in row order afterwards, so a result does not depend on the
// thread count or on which thread took which rows (rows are handed out dynamically).
template <class T>
double FusedPhaseRetrieval<T>::detector_pass(std::size_t plane, const Detector& detector,
                                             T* model, bool reverse, double* detector_bar,
                                             int threads) {
  const std::size_t grid = cfg_.grid, bin = cfg_.bin, size = binned_;
  const std::size_t offset = plane * size * size;
  const T* data = cfg_.data + offset;
  const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
  T* plane_model = model ? model + offset : nullptr;
  const std::size_t band_count = bands_.size();
  std::vector<Complex*> fields(band_count);
  std::vector<T> weight(band_count), twice_weight(band_count);
  for (std::size_t l = 0; l < band_count; ++l) {
    fields[l] = bands_[l]->field.data();
    weight[l] = static_cast<T>(bands_[l]->weight);
    twice_weight[l] = static_cast<T>(2 * bands_[l]->weight);
  }
  const bool quadratic = detector.quadratic;
  const T qa = static_cast<T>(detector.a), qb = static_cast<T>(detector.b),
          qc = static_cast<T>(detector.c);
  const bool simple = bin == 1 && band_count == 1;
  const long long rows = static_cast<long long>(size);
  const int team = threads_for(grid * grid * band_count, threads);
  std::vector<DetectorSums> per_row(size);
#pragma omp parallel num_threads(team) if (team > 1)
  {
#pragma omp for schedule(dynamic, 8)
    for (long long ii = 0; ii < rows; ++ii) {
      const auto i = static_cast<std::size_t>(ii);
      DetectorSums& sums = per_row[i];
      const std::size_t d0 = i * size;
      if (simple) {
        T* out = plane_model ? plane_model + d0 : nullptr;  // simulate's output row
        simple_detector_row(fields[0] + i * grid, data + d0, weights ? weights + d0 : nullptr,
                            out, reverse, size, weight[0], quadratic, qa, qb, qc, sums);
        continue;
      }
      if (bin == 1) {  // several bands
        T* out = plane_model ? plane_model + d0 : nullptr;
        bands_detector_row(fields.data(), band_count, i * grid, weight.data(),
                           twice_weight.data(), data + d0, weights ? weights + d0 : nullptr, out,
                           reverse, size, quadratic, qa, qb, qc, sums);
        continue;
      }
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
        const std::size_t d = d0 + j;
        const T value = quadratic ? (qa * intensity + qb) * intensity + qc : intensity;
        if (!reverse) {
          plane_model[d] = value;
          continue;
        }
        const T residual = value - data[d];
        const T weighted = weights ? weights[d] * residual : residual;
        sums.energy += static_cast<double>(weighted) * static_cast<double>(residual);
        const T value_bar = 2 * weighted;
        T intensity_bar = value_bar;
        if (quadratic) {
          intensity_bar = value_bar * (2 * qa * intensity + qb);
          const double vb = static_cast<double>(value_bar), iv = static_cast<double>(intensity);
          sums.a += vb * iv * iv;
          sums.b += vb * iv;
          sums.c += vb;
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
  }
  return add_in_order(per_row, reverse && quadratic, detector_bar).energy;
}

// Whether value_and_grad runs the forward rows, pass B and the adjoint rows together, chunk by
// chunk of rows while they are in cache: one band on the FFT path, no binning.
template <class T>
bool FusedPhaseRetrieval<T>::fused_rows() const {
  return bands_.size() == 1 && bands_[0]->fft && cfg_.bin == 1;
}

// One chunk of the fused rows on the calling thread, while its rows are in cache: the forward
// row transforms of chunk c into the thread's scratch (core/pruned_rows.hpp's transform_chunk:
// the first `read` columns copied in and zeroed after), pass B (reverse; each row's sums into
// per_row[row]) there, the adjoint row transforms into the scratch's first half, and the first
// `read` columns copied back into the field: all the adjoint column stage reads. In place on
// the field (before), zeroing the rows' tails read each line for ownership and the adjoint
// rows left every line dirty, so the pass moved the whole field through memory twice where
// half of it does (N = 2n); and FFTW's in-place plans for these rows copied through buffers
// of their own. The forward rows are those of every other path (simulate, residuals, the
// engine), the same plans: the same G, so that value_and_grad is exactly 0 at the data
// simulate made. Measured on one core (pinned CPU time, the variants alternated in one
// process, 13 rounds, load 5-6), against in place on the field: 0.93 / 0.95 at n = 128
// (float32 / float64) and 0.85 / 0.90 at n = 256 (in place in a scratch: 1.02 / 1.02 and
// 0.91 / 0.93).
template <class T>
void rows_chunk(const PrunedRows<T>& forward, const ScratchRowPlans<T>& plans, std::size_t c,
                std::complex<T>* field, std::size_t read, std::size_t grid, std::size_t size,
                const T* data, const T* weights, T spectral, const Detector& detector,
                DetectorSums* per_row) {
  using Complex = std::complex<T>;
  const T qa = static_cast<T>(detector.a), qb = static_cast<T>(detector.b),
          qc = static_cast<T>(detector.c);
  const std::size_t first = forward.first(c), rows = forward.count(c);
  Complex* spectrum = forward.transform_chunk(c, field);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t d0 = (first + r) * size;
    simple_detector_row(spectrum + r * grid, data + d0, weights ? weights + d0 : nullptr,
                        static_cast<T*>(nullptr), true, size, spectral, detector.quadratic, qa,
                        qb, qc, per_row[first + r]);
  }
  Complex* back = forward.scratch().first;
  (rows == forward.count(0) ? plans.adjoint : plans.adjoint_last).execute(spectrum, back);
  for (std::size_t r = 0; r < rows; ++r) {
    std::memcpy(static_cast<void*>(field + (first + r) * grid), back + r * grid,
                sizeof(Complex) * read);
  }
}

// The forward row transforms, pass B (reverse) and the adjoint row transforms in one parallel
// region, chunk by chunk (rows_chunk). Chunks are handed out as threads free up; sums per row,
// added in row order (as detector_pass: the same result).
template <class T>
double FusedPhaseRetrieval<T>::rows_pass(std::size_t plane, const Detector& detector,
                                         double* detector_bar, int threads) {
  Band& band = *bands_[0];
  const std::size_t grid = cfg_.grid, size = binned_, offset = plane * size * size;
  const T* data = cfg_.data + offset;
  const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
  const T spectral = static_cast<T>(band.weight);
  Complex* field = band.field.data();
  std::vector<DetectorSums> per_row(size);
  for_each_chunk(band.rows.chunks(), threads, [&](std::size_t c) {
    rows_chunk(band.rows, band.rows_scratch, c, field, cfg_.n, grid, size, data, weights,
               spectral, detector, per_row.data());
  });
  return add_in_order(per_row, detector.quadratic, detector_bar).energy;
}

// Whether value_and_grad runs the bands' rows together (bands_pass on one thread,
// bands_team_pass on a team): several bands without binning, the chirp-z bands all of one
// layout, or all periodic (snapped wavelengths; any lengths: core/czt.hpp) with one rows().
template <class T>
bool FusedPhaseRetrieval<T>::fused_bands() const {
  if (cfg_.bin != 1 || bands_.size() < 2) return false;
  const ScaledDft2<T>* layout = nullptr;
  for (const auto& band : bands_) {
    const ScaledDft2<T>* scaled = band->scaled.get();
    if (scaled == nullptr) continue;
    if (layout == nullptr) layout = scaled;
    if (scaled->rows() != layout->rows() || scaled->periodic() != layout->periodic()) {
      return false;
    }
    if (!scaled->periodic() && (scaled->length() != layout->length() ||
                                scaled->blocks() != layout->blocks())) {
      return false;
    }
  }
  return true;
}

// The forward transforms, pass B (reverse) and the adjoint transforms of every band, a block
// of detector rows at a time while the block's rows are in cache: the transforms' first
// stages (the FFT bands' columns, the chirp-z bands' forward_columns), then per block of rows
// (a chirp-z block, or an FFT row chunk without chirp-z bands) each band's forward rows,
// pass B on the block (bands_detector_row), each band's adjoint rows; then the last stages.
// A chirp-z band's G never leaves its block of rows (band_rows_); the FFT bands' rows run in
// their own chunks, each once all of its rows are ready. The same chunks, blocks and rows as
// transform_forward, detector_pass and transform_adjoint: the same results, bit for bit.
// Before, each band's G went through memory three times (a five-band call at n = 128 keeps
// five N x N fields, more than the second-level cache).
template <class T>
double FusedPhaseRetrieval<T>::bands_pass(std::size_t plane, const Detector& detector,
                                          double* detector_bar) {
  const std::size_t n = cfg_.n, grid = cfg_.grid, size = binned_, offset = plane * size * size;
  const T* data = cfg_.data + offset;
  const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
  const std::size_t band_count = bands_.size();
  const ScaledDft2<T>* layout = nullptr;
  Band* reference = nullptr;  // an FFT band: its chunks are every FFT band's
  std::size_t scaled_count = 0;
  for (auto& band : bands_) {
    if (band->scaled) {
      if (layout == nullptr) layout = band->scaled.get();
      ++scaled_count;
    } else if (reference == nullptr) {
      reference = band.get();
    }
  }
  // Per chirp-z band: the lines (the forward's, and the adjoint's where a block's forward
  // rows read them: core/czt.hpp) and a block of rows of G, each starting on a cache line.
  const std::size_t line_values = layout ? whole_lines<Complex>(layout->lines_size()) : 0;
  const std::size_t block = layout ? layout->rows() : 0;
  const std::size_t per_band = line_values + whole_lines<Complex>(block * grid);
  if (band_rows_.size() != scaled_count * per_band) {
    band_rows_ = Buffer<Complex>::zeros(scaled_count * per_band);
  }
  std::vector<Complex*> lines(band_count), rows(band_count);
  std::vector<Complex*> row_fields(band_count);
  std::vector<T> weight(band_count), twice_weight(band_count);
  std::size_t slot = 0;
  for (std::size_t l = 0; l < band_count; ++l) {
    weight[l] = static_cast<T>(bands_[l]->weight);
    twice_weight[l] = static_cast<T>(2 * bands_[l]->weight);
    if (!bands_[l]->scaled) continue;
    Complex* base = band_rows_.data() + slot++ * per_band;
    lines[l] = base;
    rows[l] = base + line_values;
  }
  Complex* staging = staging_.data();
  for (std::size_t l = 0; l < band_count; ++l) {
    Band& band = *bands_[l];
    if (band.scaled) {
      band.scaled->forward_columns(band.pupil.data(), lines[l], staging, false);
    } else {
      band.columns.execute(band.pupil.data(), n, band.field.data());
    }
  }
  const bool quadratic = detector.quadratic;
  const T qa = static_cast<T>(detector.a), qb = static_cast<T>(detector.b),
          qc = static_cast<T>(detector.c);
  const std::size_t chunks = reference ? reference->rows.chunks() : 0;
  std::size_t next_forward = 0, next_adjoint = 0;
  std::vector<DetectorSums> per_row(size);
  for (std::size_t k0 = 0; k0 < grid;) {
    const std::size_t k1 =
        layout ? std::min(grid, k0 + block)
               : reference->rows.first(next_forward) + reference->rows.count(next_forward);
    // The FFT bands' forward row chunks that reach into [k0, k1).
    for (; next_forward < chunks && reference->rows.first(next_forward) < k1; ++next_forward) {
      for (auto& band : bands_) {
        if (!band->scaled) band->rows.execute_chunk(next_forward, band->field.data());
      }
    }
    for (std::size_t l = 0; l < band_count; ++l) {
      if (rows[l]) bands_[l]->scaled->forward_rows(k0, lines[l], rows[l], staging, false);
    }
    for (std::size_t i = k0; i < k1; ++i) {
      for (std::size_t l = 0; l < band_count; ++l) {
        row_fields[l] = rows[l] ? rows[l] + (i - k0) * grid : bands_[l]->field.data() + i * grid;
      }
      const std::size_t d0 = i * size;
      bands_detector_row(row_fields.data(), band_count, 0, weight.data(), twice_weight.data(),
                         data + d0, weights ? weights + d0 : nullptr, static_cast<T*>(nullptr),
                         true, size, quadratic, qa, qb, qc, per_row[i]);
    }
    for (std::size_t l = 0; l < band_count; ++l) {
      if (rows[l]) bands_[l]->scaled->adjoint_rows(k0, rows[l], lines[l], staging, false);
    }
    // The FFT bands' adjoint row chunks whose rows are all done.
    for (; next_adjoint < next_forward &&
           reference->rows.first(next_adjoint) + reference->rows.count(next_adjoint) <= k1;
         ++next_adjoint) {
      for (auto& band : bands_) {
        if (!band->scaled) {
          band->rows_adjoint.execute_chunk(next_adjoint, band->field.data(), band->field.data());
        }
      }
    }
    k0 = k1;
  }
  for (std::size_t l = 0; l < band_count; ++l) {
    Band& band = *bands_[l];
    if (band.scaled) {
      band.scaled->adjoint_columns(lines[l], band.field.data(), staging, false);
    } else {
      band.columns_adjoint.execute(band.field.data());
    }
  }
  return add_in_order(per_row, quadratic, detector_bar).energy;
}

// bands_pass on a team of `team` threads (grids N >= 256): the same stages, each split into
// items that for_each_chunk hands out as threads free up, a barrier after each:
//  1. the first stages: every chirp-z band's blocks of pupil columns, every FFT band's column
//     chunks;
//  2. the rows, in units [k0, k1) that end where both a chirp-z block of rows and an FFT row
//     chunk end: the FFT bands' forward row chunks of the unit, then per chirp-z block every
//     chirp-z band's forward rows (into the thread's own block of rows), pass B on the block
//     and every chirp-z band's adjoint rows (into the rows of the shared lines that the
//     block's forward rows read: blocks write disjoint rows), then the FFT bands' adjoint row
//     chunks. Where such units are too few to share (fewer than four per thread; e.g. blocks
//     of 15 rows and chunks of 4), the FFT bands' forward and adjoint row chunks run as items
//     of their own before and after, and the units are the chirp-z blocks;
//  3. the last stages: the blocks of lines and the column chunks.
// Every item computes what bands_pass computes for it (the same blocks, chunks and per-row
// sums, added in row order), each thread with its own work buffer: the same results as on one
// thread, bit for bit, on any team.
template <class T>
double FusedPhaseRetrieval<T>::bands_team_pass(std::size_t plane, const Detector& detector,
                                               double* detector_bar, int team) {
  const std::size_t n = cfg_.n, grid = cfg_.grid, size = binned_, offset = plane * size * size;
  const T* data = cfg_.data + offset;
  const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
  const std::size_t band_count = bands_.size();
  std::vector<std::size_t> scaled, ffts;  // band indices
  for (std::size_t l = 0; l < band_count; ++l) {
    (bands_[l]->scaled ? scaled : ffts).push_back(l);
  }
  const ScaledDft2<T>* layout = scaled.empty() ? nullptr : bands_[scaled[0]]->scaled.get();
  const Band* reference = ffts.empty() ? nullptr : bands_[ffts[0]].get();
  // Shared: per chirp-z band its lines (both directions', core/czt.hpp); per thread: a work
  // buffer and per chirp-z band a block of rows of G; each starting on a cache line.
  const std::size_t line_values = layout ? whole_lines<Complex>(layout->lines_size()) : 0;
  const std::size_t block = layout ? layout->rows() : grid;
  const std::size_t rows_size = layout ? whole_lines<Complex>(block * grid) : 0;
  std::size_t work = 0;  // the largest work buffer (periodic bands' lengths differ)
  for (auto l : scaled) {
    work = std::max(work, whole_lines<Complex>(bands_[l]->scaled->work_size()));
  }
  const std::size_t shared = scaled.size() * line_values;
  const std::size_t per_thread = layout ? work + scaled.size() * rows_size : 0;
  const auto members = static_cast<std::size_t>(team);
  // Zeroed when made and written only where the stages write (core/czt.hpp): the work
  // buffers' padding stays zero.
  if (band_team_.size() != shared + members * per_thread) {
    band_team_ = Buffer<Complex>::zeros(shared + members * per_thread);
  }
  Complex* base = band_team_.data();
  std::vector<Complex*> lines(band_count);
  for (std::size_t s = 0; s < scaled.size(); ++s) lines[scaled[s]] = base + s * line_values;
  // The calling thread's work buffer, followed by its blocks of rows.
  auto thread_work = [&]() {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    return base + shared + std::min(t, members - 1) * per_thread;
  };
  std::vector<T> weight(band_count), twice_weight(band_count);
  for (std::size_t l = 0; l < band_count; ++l) {
    weight[l] = static_cast<T>(bands_[l]->weight);
    twice_weight[l] = static_cast<T>(2 * bands_[l]->weight);
  }

  // 1. The first stages.
  const std::size_t column_blocks = layout ? layout->column_blocks() : 0;
  const std::size_t column_chunks = reference ? reference->columns.chunks() : 0;
  const std::size_t scaled_items = scaled.size() * column_blocks;
  for_each_chunk(scaled_items + ffts.size() * column_chunks, team, [&](std::size_t item) {
    if (item < scaled_items) {
      Band& band = *bands_[scaled[item / column_blocks]];
      band.scaled->forward_column_block(item % column_blocks, band.pupil.data(),
                                        lines[scaled[item / column_blocks]],
                                        thread_work(), false);
      return;
    }
    item -= scaled_items;
    Band& band = *bands_[ffts[item / column_chunks]];
    band.columns.execute_chunk(item % column_chunks, band.pupil.data(), n, band.field.data());
  });

  // 2. The rows. Unit boundaries: the ends shared by the chirp-z blocks and the FFT chunks.
  const std::size_t chunks = reference ? reference->rows.chunks() : 0;
  auto chunk_end = [&](std::size_t c) {
    return reference->rows.first(c) + reference->rows.count(c);
  };
  std::vector<std::size_t> ends;
  bool fuse_chunks = reference != nullptr;
  if (reference == nullptr) {
    for (std::size_t k = block; k < grid + block; k += block) ends.push_back(std::min(k, grid));
  } else {
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::size_t end = chunk_end(c);
      if (layout == nullptr || end == grid || end % block == 0) ends.push_back(end);
    }
    if (layout != nullptr && ends.size() < 4 * members) {
      fuse_chunks = false;
      ends.clear();
      for (std::size_t k = block; k < grid + block; k += block) ends.push_back(std::min(k, grid));
    }
  }
  auto run_chunk = [&](std::size_t item, bool adjoint_rows) {
    Band& band = *bands_[ffts[item / chunks]];
    const std::size_t c = item % chunks;
    if (adjoint_rows) {
      band.rows_adjoint.execute_chunk(c, band.field.data(), band.field.data());
    } else {
      band.rows.execute_chunk(c, band.field.data());
    }
  };
  if (reference != nullptr && !fuse_chunks) {
    for_each_chunk(ffts.size() * chunks, team, [&](std::size_t item) { run_chunk(item, false); });
  }
  const bool quadratic = detector.quadratic;
  const T qa = static_cast<T>(detector.a), qb = static_cast<T>(detector.b),
          qc = static_cast<T>(detector.c);
  std::vector<DetectorSums> per_row(size);
  for_each_chunk(ends.size(), team, [&](std::size_t unit) {
    const std::size_t k0 = unit == 0 ? 0 : ends[unit - 1], k1 = ends[unit];
    // The FFT chunks of the unit (they start in it: its ends are chunk ends).
    std::size_t c0 = 0, c1 = 0;
    if (fuse_chunks) {
      c0 = k0 / reference->rows.count(0);
      c1 = c0;
      while (c1 < chunks && reference->rows.first(c1) < k1) ++c1;
      for (auto l : ffts) {
        for (std::size_t c = c0; c < c1; ++c) {
          bands_[l]->rows.execute_chunk(c, bands_[l]->field.data());
        }
      }
    }
    Complex* staging = layout ? thread_work() : nullptr;
    std::vector<Complex*> rows(band_count, nullptr), row_fields(band_count);
    for (std::size_t s = 0; s < scaled.size(); ++s) {
      rows[scaled[s]] = staging + work + s * rows_size;
    }
    for (std::size_t b0 = k0; b0 < k1; b0 += block) {
      const std::size_t b1 = std::min(k1, b0 + block);
      for (auto l : scaled) {
        bands_[l]->scaled->forward_rows(b0, lines[l], rows[l], staging, false);
      }
      for (std::size_t i = b0; i < b1; ++i) {
        for (std::size_t l = 0; l < band_count; ++l) {
          row_fields[l] =
              rows[l] ? rows[l] + (i - b0) * grid : bands_[l]->field.data() + i * grid;
        }
        const std::size_t d0 = i * size;
        bands_detector_row(row_fields.data(), band_count, 0, weight.data(), twice_weight.data(),
                           data + d0, weights ? weights + d0 : nullptr, static_cast<T*>(nullptr),
                           true, size, quadratic, qa, qb, qc, per_row[i]);
      }
      for (auto l : scaled) {
        bands_[l]->scaled->adjoint_rows(b0, rows[l], lines[l], staging, false);
      }
    }
    if (fuse_chunks) {
      for (auto l : ffts) {
        for (std::size_t c = c0; c < c1; ++c) {
          bands_[l]->rows_adjoint.execute_chunk(c, bands_[l]->field.data(),
                                                bands_[l]->field.data());
        }
      }
    }
  });
  if (reference != nullptr && !fuse_chunks) {
    for_each_chunk(ffts.size() * chunks, team, [&](std::size_t item) { run_chunk(item, true); });
  }

  // 3. The last stages.
  const std::size_t adjoint_chunks = reference ? reference->columns_adjoint.chunks() : 0;
  for_each_chunk(scaled_items + ffts.size() * adjoint_chunks, team, [&](std::size_t item) {
    if (item < scaled_items) {
      Band& band = *bands_[scaled[item / column_blocks]];
      band.scaled->adjoint_column_block(item % column_blocks,
                                        lines[scaled[item / column_blocks]],
                                        band.field.data(), thread_work(), false);
      return;
    }
    item -= scaled_items;
    Band& band = *bands_[ffts[item / adjoint_chunks]];
    band.columns_adjoint.execute_chunk(item % adjoint_chunks, band.field.data());
  });
  return add_in_order(per_row, quadratic, detector_bar).energy;
}

// The block pass C takes `item`-th: the blocks in reverse, last to first. The synthesis reads
// the basis from its first block to its last, pass C (which projects onto it on the last plane)
// from the last back to the first, and the next call's synthesis from the first again: the
// blocks a pass reads first are those the previous pass read last, which are still in the
// last-level cache when the whole basis is not (float64 n = 256: 19 MiB of basis among 27 MiB
// a call touches, against a 32 MiB L3 that the other core shares). Measured on one core
// (pinned CPU time, alternating processes, load 1.8-2.5), the blocks reversed / in order:
// float64 n = 128 0.99, n = 256 0.96 and 0.97, n = 512 0.96; then also the modes within a
// block (projection_span) reversed / not: n = 256 0.97, n = 512 0.98. The order changes no
// result: each mode's sum over a block runs as before, each block's projection is kept apart
// and the blocks' are added in block order (the same bits as the passes in order).
inline std::size_t projection_block_order(std::size_t item, std::size_t blocks) {
  return blocks - 1 - item;
}

// Pass C: W_bar (+)= sum_lam 2 pi / lam Im(g_bar conj(g)) (Eq. 51, 57, 61); on the last plane
// a_bar_k = sum W_bar Z_k (Eq. 58) for a block of rows while its W_bar is in cache (the basis
// is read once), or a_bar = W_bar for a wavefront map.
template <class T>
void FusedPhaseRetrieval<T>::gradient_pass(bool first_plane, bool last_plane, T* params_bar,
                                           int threads) {
  const std::size_t n = cfg_.n, pixels = n * n, modes = cfg_.modes;
  const bool project = last_plane && modes > 0;
  const int team = threads_for(project ? pixels * modes : pixels * bands_.size() * 4, threads);
  const std::size_t blocks = basis_blocks();
  // Per-block partial projections (blocks fixed by n), added in block order afterwards: the
  // same on any team, whichever thread took which block.
  std::vector<double> partials(project ? modes * blocks : 0, 0.0);
  for_each_chunk(blocks, team, [&](std::size_t item) {
    const std::size_t block = projection_block_order(item, blocks);
    gradient_block(block, first_plane, last_plane, params_bar,
                   project ? partials.data() + modes * block : nullptr);
  });
  if (project) add_projections(partials.data(), params_bar);
}

// Pass C on one block of rows (rows_per_block()); `partial` (modes values, added to), or null
// off the last plane.
template <class T>
void FusedPhaseRetrieval<T>::gradient_block(std::size_t block, bool first_plane,
                                            bool last_plane, T* params_bar,
                                            double* partial) {
  const std::size_t n = cfg_.n, grid = cfg_.grid, pixels = n * n, modes = cfg_.modes;
  T* wavefront_bar = wavefront_bar_.data();
  const std::size_t band_count = bands_.size();
  const std::size_t block_rows = rows_per_block();
  const std::size_t y0 = block * block_rows;
  const std::size_t y1 = std::min(n, y0 + block_rows);
  const std::size_t r0 = row_runs_[y0], r1 = row_runs_[y1];
  for (std::size_t r = r0; r < r1; ++r) {
    const std::size_t y = runs_[r].y, x0 = runs_[r].x0, x1 = runs_[r].x1;
    T* w_bar = wavefront_bar + y * n;
    for (std::size_t l = 0; l < band_count; ++l) {
      const Band& band = *bands_[l];
      gradient_run(band.field.data() + y * grid, band.pupil.data() + y * n, band.phase_scale,
                   first_plane && l == 0, x0, x1, w_bar);
    }
    if (last_plane && modes == 0) {
      for (std::size_t x = x0; x < x1; ++x) params_bar[y * n + x] = w_bar[x];
    }
  }
  if (partial == nullptr || r0 == r1) return;
  // Over the block's span, as in synthesize (W_bar is zero off the support: only support
  // pixels are ever written).
  const std::size_t begin = runs_[r0].y * n + runs_[r0].x0;
  const std::size_t end = runs_[r1 - 1].y * n + runs_[r1 - 1].x1;
  projection_span(cfg_.basis, pixels, modes, begin, end, wavefront_bar, partial);
}

// a_bar_k = the blocks' partial projections added in block order.
template <class T>
void FusedPhaseRetrieval<T>::add_projections(const double* partials, T* params_bar) const {
  const std::size_t modes = cfg_.modes, blocks = basis_blocks();
  for (std::size_t k = 0; k < modes; ++k) {
    double total = 0;
    for (std::size_t b = 0; b < blocks; ++b) total += partials[b * modes + k];
    params_bar[k] = static_cast<T>(total);
  }
}

// value_and_grad's passes on a team of more than one thread with the fused rows, in ONE
// parallel region: each pass is a worksharing loop of dynamic chunks (a thread that shares its
// core with another process takes fewer), its end a barrier, instead of a region per pass
// (each region wakes the team again). The chunks, their order within each sum and the sums'
// order are those of the passes above: the same results as on one thread.
template <class T>
double FusedPhaseRetrieval<T>::one_region_passes(const T* params, const Detector& detector,
                                                 T* params_bar, double* detector_bar,
                                                 int team) {
  Band& band = *bands_[0];
  const std::size_t n = cfg_.n, grid = cfg_.grid, size = binned_, modes = cfg_.modes;
  const std::size_t planes = cfg_.planes, blocks = basis_blocks();
  const T spectral = static_cast<T>(band.weight);
  Complex* field = band.field.data();
  const Complex* pupil = band.pupil.data();
  std::vector<DetectorSums> per_row(planes * size);
  std::vector<double> partials(modes * blocks, 0.0);
  const auto block_count = static_cast<long long>(blocks);
  const auto pupil_rows = static_cast<long long>(n);
  const auto column_chunks = static_cast<long long>(band.columns.chunks());
  const auto row_chunks = static_cast<long long>(band.rows.chunks());
  const auto adjoint_chunks = static_cast<long long>(band.columns_adjoint.chunks());
#pragma omp parallel num_threads(team)
  {
#pragma omp for schedule(dynamic, 1)
    for (long long b = 0; b < block_count; ++b) {
      synthesis_pupil_block(params, static_cast<std::size_t>(b));
    }
    for (std::size_t p = 0; p < planes; ++p) {
      const std::size_t offset = p * size * size;
      const T* data = cfg_.data + offset;
      const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
      const bool first_plane = p == 0, last_plane = p + 1 == planes;
      if (p > 0) {
#pragma omp for schedule(dynamic, 4)
        for (long long y = 0; y < pupil_rows; ++y) {
          pupil_row(band, p, static_cast<std::size_t>(y));
        }
      }
#pragma omp for schedule(dynamic, 1)
      for (long long c = 0; c < column_chunks; ++c) {
        band.columns.execute_chunk(static_cast<std::size_t>(c), pupil, n, field);
      }
#pragma omp for schedule(dynamic, 1)
      for (long long c = 0; c < row_chunks; ++c) {
        rows_chunk(band.rows, band.rows_scratch, static_cast<std::size_t>(c), field, n, grid,
                   size, data, weights, spectral, detector, per_row.data() + p * size);
      }
#pragma omp for schedule(dynamic, 1)
      for (long long c = 0; c < adjoint_chunks; ++c) {
        band.columns_adjoint.execute_chunk(static_cast<std::size_t>(c), field);
      }
#pragma omp for schedule(dynamic, 1)
      for (long long b = 0; b < block_count; ++b) {
        const std::size_t block = projection_block_order(static_cast<std::size_t>(b), blocks);
        gradient_block(block, first_plane, last_plane, params_bar,
                       last_plane && modes > 0 ? partials.data() + modes * block : nullptr);
      }
    }
  }
  held_plane_ = static_cast<long long>(planes) - 1;
  if (modes > 0) add_projections(partials.data(), params_bar);
  double energy = 0;
  for (std::size_t p = 0; p < planes; ++p) {
    const std::vector<DetectorSums> plane_rows(per_row.begin() + p * size,
                                               per_row.begin() + (p + 1) * size);
    energy += add_in_order(plane_rows, detector.quadratic, detector_bar).energy;
  }
  return energy;
}

template <class T>
double FusedPhaseRetrieval<T>::value_and_grad(const T* params, const Detector& detector,
                                              T* params_bar, double* detector_bar,
                                              int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool planned = false;
  threads = start_call(kValueAndGrad, threads, planned);
  const Stopwatch watch;
  reset_engine();
  if (cfg_.modes == 0) std::memset(params_bar, 0, sizeof(T) * cfg_.n * cfg_.n);
  if (detector_bar != nullptr) detector_bar[0] = detector_bar[1] = detector_bar[2] = 0;
  if (threads > 1 && fused_rows()) {
    const double energy = one_region_passes(params, detector, params_bar, detector_bar, threads);
    choices_[kValueAndGrad].record(watch.seconds(), !planned);
    return energy;
  }
  // The synthesis and plane 0's pass A block by block (W read while in cache).
  const int first_team = threads_for(cfg_.n * cfg_.n * std::max<std::size_t>(cfg_.modes, 1),
                                     threads);
  for_each_chunk(basis_blocks(), first_team,
                 [&](std::size_t block) { synthesis_pupil_block(params, block); });
  held_plane_ = 0;
  double energy = 0;
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    if (p > 0) pupil_fields(p, threads);
    if (fused_rows()) {
      // The columns, then rows + pass B + adjoint rows chunk by chunk, then the columns.
      Band& band = *bands_[0];
      band.columns.execute(band.pupil.data(), cfg_.n, band.field.data());
      energy += rows_pass(p, detector, detector_bar, threads);
      band.columns_adjoint.execute(band.field.data());
    } else if (fused_bands()) {
      energy += threads > 1 ? bands_team_pass(p, detector, detector_bar, threads)
                            : bands_pass(p, detector, detector_bar);
    } else {
      for (auto& band : bands_) {
        transform_forward(*band, band->pupil.data(), band->field.data(), staging_.data(),
                          false);
      }
      energy += detector_pass(p, detector, nullptr, true, detector_bar, threads);
      for (auto& band : bands_) transform_adjoint(*band);
    }
    gradient_pass(p == 0, p + 1 == cfg_.planes, params_bar, threads);
  }
  choices_[kValueAndGrad].record(watch.seconds(), !planned);
  return energy;
}

template <class T>
void FusedPhaseRetrieval<T>::simulate(const T* params, const Detector& detector, T* model,
                                      int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool planned = false;
  threads = start_call(kSimulate, threads, planned);
  const Stopwatch watch;
  reset_engine();
  synthesize(params, wavefront_.data(), threads);
  for (std::size_t p = 0; p < cfg_.planes; ++p) {
    pupil_fields(p, threads);
    for (auto& band : bands_) {
      transform_forward(*band, band->pupil.data(), band->field.data(), staging_.data(), false);
    }
    detector_pass(p, detector, model, false, nullptr, threads);
  }
  choices_[kSimulate].record(watch.seconds(), !planned);
}


// -- the PSF engine (the caller serialises; see the header) ----------------------------------

// The public calls above use the constructor's amplitude and no kept phasors.
template <class T>
void FusedPhaseRetrieval<T>::reset_engine() {
  amplitude_ = cfg_.amplitude;
  keep_phasor_ = false;
  amplitude_dot_ = nullptr;
  held_plane_ = -1;
}

template <class T>
void FusedPhaseRetrieval<T>::begin(const T* params, const T* amplitude_or_null, int threads) {
  threads = team_size(threads);
  plan_for(threads);
  amplitude_ = amplitude_or_null ? amplitude_or_null : cfg_.amplitude;
  keep_phasor_ = amplitude_or_null != nullptr;
  amplitude_dot_ = nullptr;
  held_plane_ = -1;
  if (keep_phasor_) {
    for (auto& band : bands_) {
      if (band->phasor.size() == 0) band->phasor = Buffer<Complex>::zeros(cfg_.n * cfg_.n);
    }
  }
  synthesize(params, wavefront_.data(), threads);
}

// Pass A and the forward transforms of `plane`, unless the band buffers hold its fields.
template <class T>
void FusedPhaseRetrieval<T>::ensure_plane(std::size_t plane, int threads) {
  if (held_plane_ == static_cast<long long>(plane)) return;
  pupil_fields(plane, threads);
  for (auto& band : bands_) {
    transform_forward(*band, band->pupil.data(), band->field.data(), staging_.data(), false);
  }
}

template <class T>
void FusedPhaseRetrieval<T>::psf(std::size_t plane, T* intensity, int threads) {
  threads = team_size(threads);
  plan_for(threads);
  ensure_plane(plane, threads);
  const std::size_t grid = cfg_.grid, band_count = bands_.size();
  const long long rows = static_cast<long long>(grid);
  const int team = threads_for(grid * grid * band_count, threads);
#pragma omp parallel for num_threads(team) schedule(dynamic, 8) if (team > 1)
  for (long long yy = 0; yy < rows; ++yy) {
    const auto y = static_cast<std::size_t>(yy);
    T* out = intensity + y * grid;
    for (std::size_t l = 0; l < band_count; ++l) {
      const T* g = reinterpret_cast<const T*>(bands_[l]->field.data() + y * grid);
      const T weight = static_cast<T>(bands_[l]->weight);
      if (l == 0) {
#pragma omp simd
        for (std::size_t x = 0; x < grid; ++x) {
          out[x] = weight * (g[2 * x] * g[2 * x] + g[2 * x + 1] * g[2 * x + 1]);
        }
      } else {
#pragma omp simd
        for (std::size_t x = 0; x < grid; ++x) {
          out[x] += weight * (g[2 * x] * g[2 * x] + g[2 * x + 1] * g[2 * x + 1]);
        }
      }
    }
  }
}

// A_bar (+)= sum_lam Re(g_bar conj(phasor)) on the support (g_bar in each band's field, top-left
// (n, n) with row stride N, as the adjoint transforms leave it).
template <class T>
void FusedPhaseRetrieval<T>::amplitude_pass(bool first_plane, T* amplitude_bar, int threads) {
  const std::size_t n = cfg_.n, grid = cfg_.grid;
  if (first_plane) std::memset(amplitude_bar, 0, sizeof(T) * n * n);
  const long long rows = static_cast<long long>(n);
  const int team = threads_for(n * n * bands_.size() * 4, threads);
#pragma omp parallel for num_threads(team) schedule(dynamic, 8) if (team > 1)
  for (long long yy = 0; yy < rows; ++yy) {
    const auto y = static_cast<std::size_t>(yy);
    for (std::size_t r = row_runs_[y]; r < row_runs_[y + 1]; ++r) {
      for (std::size_t x = runs_[r].x0; x < runs_[r].x1; ++x) {
        T sum = 0;
        for (const auto& band : bands_) {
          const Complex g_bar = band->field.data()[y * grid + x];
          const Complex e = band->phasor.data()[y * n + x];
          sum += g_bar.real() * e.real() + g_bar.imag() * e.imag();
        }
        amplitude_bar[y * n + x] += sum;
      }
    }
  }
}

template <class T>
void FusedPhaseRetrieval<T>::psf_reverse(std::size_t plane, const T* intensity_bar,
                                         bool first_plane, bool last_plane, T* params_bar,
                                         T* amplitude_bar_or_null, int threads) {
  threads = team_size(threads);
  plan_for(threads);
  if (amplitude_bar_or_null != nullptr && !keep_phasor_) {
    throw std::logic_error("psf_reverse: an amplitude gradient needs begin's amplitude");
  }
  ensure_plane(plane, threads);
  const std::size_t grid = cfg_.grid, band_count = bands_.size();
  if (first_plane && cfg_.modes == 0) std::memset(params_bar, 0, sizeof(T) * cfg_.n * cfg_.n);
  const long long rows = static_cast<long long>(grid);
  const int team = threads_for(grid * grid * band_count, threads);
  for (auto& band : bands_) {
    T* g = reinterpret_cast<T*>(band->field.data());
    const T twice = static_cast<T>(2 * band->weight);
#pragma omp parallel for num_threads(team) schedule(dynamic, 8) if (team > 1)
    for (long long yy = 0; yy < rows; ++yy) {
      const auto y = static_cast<std::size_t>(yy);
      T* row = g + 2 * y * grid;
      const T* bar = intensity_bar + y * grid;
#pragma omp simd
      for (std::size_t x = 0; x < grid; ++x) {
        const T factor = twice * bar[x];
        row[2 * x] *= factor;
        row[2 * x + 1] *= factor;
      }
    }
    transform_adjoint(*band);
  }
  held_plane_ = -1;
  gradient_pass(first_plane, last_plane, params_bar, threads);
  if (amplitude_bar_or_null != nullptr) {
    amplitude_pass(first_plane, amplitude_bar_or_null, threads);
  }
}

// The model's instantiations follow (the tangent half of the engine is in
// phase_retrieval_tangent.cpp).
// The least-squares view's members are instantiated in phase_retrieval_tangent.cpp.
template class FusedPhaseRetrieval<float>;
template class FusedPhaseRetrieval<double>;

}  // namespace phasegrad::models
