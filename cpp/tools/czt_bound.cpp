// What an exact broadband band transform (G = E g E^T and its adjoint, see core/czt.hpp) costs
// with each method, against the reference wavelength's pruned FFT pair: the bound table of
// docs/fused-models.md (Broadband bands). Not part of the module; built against the core
// library of a dev build (scripts/dev-build.sh):
//
//   g++ -O3 -std=c++17 -fopenmp -Icpp/include cpp/tools/czt_bound.cpp
//       build/dev/libphasegrad_core.a -lfftw3_omp -lfftw3f_omp -lfftw3 -lfftw3f -o /tmp/czt_bound
//   taskset -c 0 /tmp/czt_bound [rounds]
//
// Per (n, N = 2n, s = 1 / (0.8 N)), float64 and float32, forward + adjoint, thread CPU time,
// medians of interleaved rounds:
//   mono      the engine's pruned FFT pair (n columns + N rows of length N, and back)
//   czt q=k   core/czt's ScaledDft2 with k output blocks (q=0: its cost model's choice);
//             "model form": without the output chirps, as the fused models run it; "4 bands
//             together": four such transforms in bands_pass's order (first stages, then per
//             block of rows each band's forward and adjoint rows, last stages), per band
//   fft q=k   only the FFTs that Bluestein with k blocks must run, batched: (1 + k)(n + N)
//             of length M per direction, M = the shortest 2^a 3^b 5^c 7^d >= ceil(N/k) + n - 1
//   mft       the matrix DFT restricted to the pupil's support (a disc) in the forward, our own
//             product: (support pixels) N + 2 n N^2 + n^2 N complex multiply-adds in all
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/chunked_fft.hpp"
#include "phasegrad/core/czt.hpp"
#include "phasegrad/core/fft.hpp"

using namespace phasegrad;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The matrix DFT on split (re, im) rows, restricted to the support: stage 1 T[y, k] =
// sum_x g[y, x] E[k, x] over the row's run, stage 2 G[k, l] = sum_y E[k, y] T[y, l]; the
// adjoint the same with conj(E), the products in the other order. Inner loops run along
// contiguous rows of length N (vectorised by the compiler), four rows of the output at once.
template <class T>
struct Mft {
  std::size_t n, grid;
  std::vector<T> er, ei;            // E (N, n) split
  std::vector<T> etr, eti;          // E^T (n, N)
  std::vector<std::size_t> x0, x1;  // the support's run per row
  std::vector<T> tr, ti, gr, gi, pr, pi;

  Mft(std::size_t n_, std::size_t grid_, double s) : n(n_), grid(grid_) {
    er.resize(grid * n), ei.resize(grid * n), etr.resize(n * grid), eti.resize(n * grid);
    for (std::size_t k = 0; k < grid; ++k) {
      for (std::size_t x = 0; x < n; ++x) {
        const double a = -2 * M_PI * s * (static_cast<double>(k) - static_cast<double>(grid / 2)) *
                         static_cast<double>(x);
        er[k * n + x] = etr[x * grid + k] = static_cast<T>(std::cos(a));
        ei[k * n + x] = eti[x * grid + k] = static_cast<T>(std::sin(a));
      }
    }
    x0.resize(n), x1.resize(n);
    const double c = (static_cast<double>(n) - 1) / 2, r = static_cast<double>(n) / 2;
    for (std::size_t y = 0; y < n; ++y) {
      const double dy = static_cast<double>(y) - c;
      const double half = dy * dy < r * r ? std::sqrt(r * r - dy * dy) : 0;
      x0[y] = static_cast<std::size_t>(std::max(0.0, std::ceil(c - half)));
      x1[y] = std::min<std::size_t>(n, static_cast<std::size_t>(std::floor(c + half)) + 1);
    }
    tr.assign(n * grid, 0), ti.assign(n * grid, 0), gr.assign(grid * grid, 0);
    gi.assign(grid * grid, 0), pr.assign(n * n, 1), pi.assign(n * n, 0.5);
  }
  double support() const {
    double total = 0;
    for (std::size_t y = 0; y < n; ++y) total += static_cast<double>(x1[y] - x0[y]);
    return total;
  }
  // out (rows, N) = a (rows, inner) * b (inner, N), split complex, b conjugated when `conj`;
  // inner index range per output row [lo(r), hi(r)).
  template <class Lo, class Hi>
  static void product(std::size_t rows, std::size_t inner, std::size_t cols, const T* ar,
                      const T* ai, const T* br, const T* bi, T* outr, T* outi, bool conj,
                      const Lo& lo, const Hi& hi) {
    const T sign = conj ? T(-1) : T(1);
    for (std::size_t r = 0; r < rows; ++r) {
      T* __restrict o_r = outr + r * cols;
      T* __restrict o_i = outi + r * cols;
      std::fill(o_r, o_r + cols, T(0));
      std::fill(o_i, o_i + cols, T(0));
      std::size_t i = lo(r);
      const std::size_t end = hi(r);
      for (; i + 4 <= end; i += 4) {
        const T a0r = ar[r * inner + i], a0i = ai[r * inner + i];
        const T a1r = ar[r * inner + i + 1], a1i = ai[r * inner + i + 1];
        const T a2r = ar[r * inner + i + 2], a2i = ai[r * inner + i + 2];
        const T a3r = ar[r * inner + i + 3], a3i = ai[r * inner + i + 3];
        const T* b0r = br + i * cols; const T* b0i = bi + i * cols;
        const T* b1r = b0r + cols; const T* b1i = b0i + cols;
        const T* b2r = b1r + cols; const T* b2i = b1i + cols;
        const T* b3r = b2r + cols; const T* b3i = b2i + cols;
        for (std::size_t c = 0; c < cols; ++c) {
          o_r[c] += a0r * b0r[c] - sign * a0i * b0i[c] + a1r * b1r[c] - sign * a1i * b1i[c] +
                    a2r * b2r[c] - sign * a2i * b2i[c] + a3r * b3r[c] - sign * a3i * b3i[c];
          o_i[c] += sign * a0r * b0i[c] + a0i * b0r[c] + sign * a1r * b1i[c] + a1i * b1r[c] +
                    sign * a2r * b2i[c] + a2i * b2r[c] + sign * a3r * b3i[c] + a3i * b3r[c];
        }
      }
      for (; i < end; ++i) {
        const T a0r = ar[r * inner + i], a0i = ai[r * inner + i];
        const T* b0r = br + i * cols; const T* b0i = bi + i * cols;
        for (std::size_t c = 0; c < cols; ++c) {
          o_r[c] += a0r * b0r[c] - sign * a0i * b0i[c];
          o_i[c] += sign * a0r * b0i[c] + a0i * b0r[c];
        }
      }
    }
  }
  void forward() {
    // T (n, N) = g E^T over each row's run; G (N, N) = E T.
    product(n, n, grid, pr.data(), pi.data(), etr.data(), eti.data(), tr.data(), ti.data(), false,
            [&](std::size_t y) { return x0[y]; }, [&](std::size_t y) { return x1[y]; });
    product(grid, n, grid, er.data(), ei.data(), tr.data(), ti.data(), gr.data(), gi.data(), false,
            [](std::size_t) { return std::size_t{0}; }, [&](std::size_t) { return n; });
  }
  void adjoint() {
    // U (n, N) = E^H G_bar, g_bar (n, n) = U conj(E) (timing only: the conjugations are sign
    // flips of the same products).
    product(n, grid, grid, etr.data(), eti.data(), gr.data(), gi.data(), tr.data(), ti.data(),
            false, [](std::size_t) { return std::size_t{0}; }, [&](std::size_t) { return grid; });
    product(n, grid, n, tr.data(), ti.data(), er.data(), ei.data(), pr.data(), pi.data(), true,
            [](std::size_t) { return std::size_t{0}; }, [&](std::size_t) { return grid; });
  }
};

template <class T>
void run(std::size_t n, int rounds, const char* precision) {
  using C = std::complex<T>;
  const std::size_t grid = 2 * n;
  const double s = 1.0 / (0.8 * static_cast<double>(grid));
  std::vector<std::string> names;
  std::vector<std::function<void()>> calls;
  std::vector<double> flops;
  std::vector<double> per_call;  // transforms a call runs (1 but for the bands together)

  // mono: the engine's pruned pair, in place on the (N, N) field.
  auto field = Buffer<C>::zeros(grid * grid);
  for (std::size_t i = 0; i < grid * grid; ++i) field.data()[i] = C(T(1e-3) * T(i % 7), T(0.5));
  const std::size_t col_chunk = 128 / sizeof(C);
  const std::size_t row_chunk = std::max<std::size_t>(1, 65536 / (grid * sizeof(C)));
  C* f = field.data();
  auto columns = std::make_shared<ChunkedPlan<T>>(StridedBatch{grid, n, grid, 1, grid, 1},
                                                  col_chunk, false, f, f, 1);
  auto rows = std::make_shared<ChunkedPlan<T>>(StridedBatch{grid, grid, 1, grid, 1, grid},
                                               row_chunk, false, f, f, 1);
  auto rows_adj = std::make_shared<ChunkedPlan<T>>(StridedBatch{grid, grid, 1, grid, 1, grid},
                                                   row_chunk, true, f, f, 1);
  auto cols_adj = std::make_shared<ChunkedPlan<T>>(StridedBatch{grid, n, grid, 1, grid, 1},
                                                   col_chunk, true, f, f, 1);
  const double lg = std::log2(static_cast<double>(grid));
  names.push_back("mono");
  flops.push_back(2 * 5.0 * static_cast<double>(grid) * lg * static_cast<double>(n + grid));
  calls.push_back([=] {
    columns->execute(f, f), rows->execute(f, f), rows_adj->execute(f, f), cols_adj->execute(f, f);
  });

  // czt: core/czt as the engine runs it.
  auto pupil = Buffer<C>::zeros(n * n);
  for (std::size_t i = 0; i < n * n; ++i) pupil.data()[i] = C(T(1), T(1e-3) * T(i % 5));
  std::vector<std::shared_ptr<ScaledDft2<T>>> czts;
  std::vector<std::shared_ptr<Buffer<C>>> stagings;
  for (std::size_t q : {0, 1, 2, 3}) {
    auto czt = std::make_shared<ScaledDft2<T>>(n, grid, s, q);
    auto staging = std::make_shared<Buffer<C>>(Buffer<C>::zeros(czt->staging_size()));
    czt->plan(staging->data());
    czts.push_back(czt), stagings.push_back(staging);
    names.push_back("czt q=" + std::to_string(q) + " (q " + std::to_string(czt->blocks()) +
                    ", M " + std::to_string(czt->length()) + ")");
    const double m = static_cast<double>(czt->length());
    flops.push_back(2 * (1.0 + static_cast<double>(czt->blocks())) *
                    static_cast<double>(n + grid) * 5 * m * std::log2(m));
    const C* p = pupil.data();
    C* st = staging->data();
    calls.push_back([=] {
      czt->forward(p, f, st);
      czt->adjoint(f, st);
    });
    if (q == 0) {  // as the fused models run it: without the output chirps
      names.push_back("czt q=0, model form");
      flops.push_back(flops.back());
      calls.push_back([=] {
        czt->forward(p, f, st, false);
        czt->adjoint(f, st, false);
      });
      // As bands_pass runs four bands (s = 1 / (lam N), lam = 0.8, 0.9, 1.1, 1.2), per band:
      // every band's first stage, then per block of rows every band's forward rows and
      // adjoint rows (one buffer of lines per band, a block of rows each), every band's last
      // stage; the pass B between them left out.
      names.push_back("czt q=0, 4 bands together");
      flops.push_back(flops.back());
      std::vector<std::shared_ptr<ScaledDft2<T>>> bands;
      std::vector<std::shared_ptr<Buffer<C>>> lines, blocks;
      for (double lam : {0.8, 0.9, 1.1, 1.2}) {
        bands.push_back(std::make_shared<ScaledDft2<T>>(n, grid, 1 / (lam * grid)));
        bands.back()->plan(st);
        lines.push_back(std::make_shared<Buffer<C>>(Buffer<C>::zeros(bands.back()->lines_size())));
        blocks.push_back(std::make_shared<Buffer<C>>(Buffer<C>::zeros(czt->rows() * grid)));
      }
      calls.push_back([=] {
        for (std::size_t b = 0; b < bands.size(); ++b) {
          bands[b]->forward_columns(p, lines[b]->data(), st, false);
        }
        for (std::size_t k0 = 0; k0 < grid; k0 += czt->rows()) {
          for (std::size_t b = 0; b < bands.size(); ++b) {
            bands[b]->forward_rows(k0, lines[b]->data(), blocks[b]->data(), st, false);
          }
          for (std::size_t b = 0; b < bands.size(); ++b) {
            bands[b]->adjoint_rows(k0, blocks[b]->data(), lines[b]->data(), st, false);
          }
        }
        for (std::size_t b = 0; b < bands.size(); ++b) {
          bands[b]->adjoint_columns(lines[b]->data(), f, st, false);
        }
      });
      per_call.resize(calls.size(), 1.0);
      per_call.back() = static_cast<double>(bands.size());
    }
  }

  // fft q=k: the FFTs alone, out of place, 8 rows of length M at a time on one pair of
  // buffers that stays in cache (as core/czt runs them): the floor of any Bluestein with k
  // blocks.
  std::vector<std::shared_ptr<Buffer<C>>> fft_buffers;
  for (std::size_t q : {1, 2, 3}) {
    const std::size_t m = ScaledDft2<T>::fft_length((grid + q - 1) / q + n - 1);
    const std::size_t count = (1 + q) * (n + grid), block = 8;
    auto in = std::make_shared<Buffer<C>>(Buffer<C>::zeros(block * m));
    auto out = std::make_shared<Buffer<C>>(Buffer<C>::zeros(block * m));
    fft_buffers.push_back(in), fft_buffers.push_back(out);
    const StridedBatch layout{m, block, 1, m, 1, m};
    auto fw = std::make_shared<StridedPlan<T>>(
        plan_strided_dft1<T>(layout, false, in->data(), out->data(), 1));
    auto bw = std::make_shared<StridedPlan<T>>(
        plan_strided_dft1<T>(layout, true, out->data(), in->data(), 1));
    names.push_back("fft q=" + std::to_string(q) + " (M " + std::to_string(m) + ")");
    flops.push_back(2 * static_cast<double>(count) * 5 * static_cast<double>(m) *
                    std::log2(static_cast<double>(m)));
    C* a = in->data();
    C* b = out->data();
    // Per direction (1 + q)(n + N) transforms: here each block's forward and inverse.
    calls.push_back([=] {
      for (std::size_t j = 0; j < count; j += block) {
        fw->execute(a, b);
        bw->execute(b, a);
      }
    });
  }

  auto mft = std::make_shared<Mft<T>>(n, grid, s);
  names.push_back("mft (support)");
  flops.push_back(8 * (mft->support() * static_cast<double>(grid) +
                      static_cast<double>(2 * n * grid * grid + n * n * grid)));
  calls.push_back([=] {
    mft->forward();
    mft->adjoint();
  });

  per_call.resize(calls.size(), 1.0);
  std::vector<std::vector<double>> samples(calls.size());
  for (auto& call : calls) call();
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t c = 0; c < calls.size(); ++c) {
      int reps = 1;
      double elapsed = 0;
      for (;;) {
        const double start = cpu_seconds();
        for (int i = 0; i < reps; ++i) calls[c]();
        elapsed = cpu_seconds() - start;
        if (elapsed > 0.02) break;
        reps *= 2;
      }
      samples[c].push_back(elapsed / reps / per_call[c]);
    }
  }
  const double mono = median(samples[0]);
  std::printf("\nn = %zu, N = %zu, s = 1/(0.8 N), %s, forward + adjoint (thread CPU time)\n", n,
              grid, precision);
  std::printf("%-26s %10s %10s %8s %10s\n", "method", "Mflop", "us", "/mono", "Gflop/s");
  for (std::size_t c = 0; c < calls.size(); ++c) {
    const double t = median(samples[c]);
    std::printf("%-26s %10.2f %10.1f %8.2f %10.2f\n", names[c].c_str(), flops[c] * 1e-6, t * 1e6,
                t / mono, flops[c] * 1e-9 / t);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  for (std::size_t n : {64, 128}) {
    run<double>(n, rounds, "float64");
    run<float>(n, rounds, "float32");
  }
  return 0;
}
