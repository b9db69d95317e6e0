// The fused object-eliminated phase-diversity metric; see models/phase_diversity.hpp.
#include "phasegrad/models/phase_diversity.hpp"

#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <vector>


namespace phasegrad::models {

namespace {

// A cyclic shift of one row: out[x] = in[(x + shift) % N] (shift < N), as two contiguous
// copies. ifftshift is the shift N//2, fftshift the shift (N+1)//2.
template <class In, class Out, class Store>
inline void shifted_row(const In* in, Out* out, std::size_t grid, std::size_t shift,
                        Store store) {
  const std::size_t head = grid - shift;
  for (std::size_t x = 0; x < head; ++x) store(out[x], in[x + shift]);
  for (std::size_t x = head; x < grid; ++x) store(out[x], in[x - head]);
}

}  // namespace

// Pass F's scratch: per image the OTF's real and imaginary parts along one row (then the OTF
// cotangent's), the row's Q, U, O and e(f), all in double.
template <class T>
struct FusedPhaseDiversity<T>::Row {
  explicit Row(std::size_t images, std::size_t grid)
      : otf_re(images * grid), otf_im(images * grid), q(grid), u_re(grid), u_im(grid),
        energy(grid) {}
  std::vector<double> otf_re, otf_im, q, u_re, u_im, energy;
};

template <class T>
FusedPhaseDiversity<T>::FusedPhaseDiversity(const PhaseRetrievalConfig<T>& config,
                                            double regularization)
    : cfg_(config) {
  if (config.bin != 1 || config.planes < 2 || config.data == nullptr ||
      config.diversity == nullptr) {
    throw std::invalid_argument("phase diversity needs K >= 2 images, their diversity phases "
                                "and no binning");
  }
  // One engine per image: its plane is the image's diversity phase; it never reads data.
  const std::size_t n = config.n;
  for (std::size_t k = 0; k < config.planes; ++k) {
    PhaseRetrievalConfig<T> single = config;
    single.planes = 1;
    single.diversity = config.diversity + k * n * n;
    single.data = nullptr;
    single.weights = nullptr;
    engines_.push_back(std::make_unique<FusedPhaseRetrieval<T>>(single));
  }
  if (!(regularization > 0)) throw std::invalid_argument("regularization must be positive");
  images_ = config.planes;
  grid_ = config.grid;
  pairs_ = (images_ + 1) / 2;
  gamma_ = regularization;
  const std::size_t grid = grid_, pixels = grid * grid;
  data_spectra_ = Buffer<Complex>::zeros(images_ * pixels);
  image_ = Buffer<T>::zeros(pixels);
  gradient_ = Buffer<T>::zeros(config.modes > 0 ? config.modes : n * n);
  otfs_ = Buffer<Complex>::zeros(pairs_ * pixels);
  otfs_bar_ = Buffer<Complex>::zeros(pairs_ * pixels);
  // D_k = DFT2(ifftshift(d_k)), once.
  for (std::size_t k = 0; k < images_; ++k) {
    const T* image = config.data + k * pixels;
    Complex* spectrum = data_spectra_.data() + k * pixels;
    for (std::size_t y = 0; y < grid; ++y) {
      shifted_row(image + ((y + grid / 2) % grid) * grid, spectrum + y * grid, grid, grid / 2,
                  [](Complex& out, T in) { out = Complex(in, T(0)); });
    }
  }
  dft2_unnormalized<T>(data_spectra_.data(), data_spectra_.data(), images_, grid, grid, false,
                       1);
}

template <class T>
FusedPhaseDiversity<T>::~FusedPhaseDiversity() = default;

template <class T>
std::size_t FusedPhaseDiversity<T>::workspace_bytes() const {
  std::size_t total = data_spectra_.bytes() + image_.bytes() + gradient_.bytes() +
                      otfs_.bytes() + otfs_bar_.bytes();
  for (const auto& engine : engines_) total += engine->workspace_bytes();
  total += rows_.size() * sizeof(double) * (2 * images_ + 4) * grid_;  // pass F's scratch
  return total;
}

// The team of a call: the engines' rule (grids below 256 x 256 run on one thread), then the
// kind's measured fallback; the plans are made (or given the team).
template <class T>
int FusedPhaseDiversity<T>::start_call(Call call, int threads) {
  threads = choices_[call].next(engines_.front()->engine_threads(threads));
  plan_for(threads);
  return threads;
}

// A call's time to its kind's fallback, unless it was the kind's first (which planned).
template <class T>
void FusedPhaseDiversity<T>::finish_call(Call call, const Stopwatch& watch) {
  choices_[call].record(watch.seconds(), warm_[call]);
  warm_[call] = true;
}

// Plans for `threads` (made once, then given the team), and a scratch Row per thread (kept
// between calls).
template <class T>
void FusedPhaseDiversity<T>::plan_for(int threads) {
  if (zeros_.size() < grid_) zeros_.assign(grid_, 0.0);
  while (rows_.size() < static_cast<std::size_t>(threads)) {
    rows_.push_back(std::make_unique<Row>(images_, grid_));
  }
  if (planned_threads_ == threads) return;
  const std::size_t grid = grid_;
  Complex* buffer = otfs_.data();
  // In place on an (N, N) buffer (the same plans serve every pair's buffer, all aligned
  // alike), as fixed chunks of single-threaded plans (models/chunked_real_dft2.hpp's sizes).
  if (rows_plan_.chunks() == 0) {
    const StridedBatch rows{grid, grid, 1, grid, 1, grid}, columns{grid, grid, grid, 1, grid, 1};
    const std::size_t row_chunk = transform_row_chunk<T>(grid);
    const std::size_t column_chunk = transform_column_chunk<T>();
    rows_plan_ = ChunkedPlan<T>(rows, row_chunk, false, buffer, buffer, threads);
    columns_ = ChunkedPlan<T>(columns, column_chunk, false, buffer, buffer, threads);
    rows_inverse_ = ChunkedPlan<T>(rows, row_chunk, true, buffer, buffer, threads);
    columns_inverse_ = ChunkedPlan<T>(columns, column_chunk, true, buffer, buffer, threads);
  }
  rows_plan_ = rows_plan_.with_team(threads);
  columns_ = columns_.with_team(threads);
  rows_inverse_ = rows_inverse_.with_team(threads);
  columns_inverse_ = columns_inverse_.with_team(threads);
  planned_threads_ = threads;
}

// The PSFs of every image through the engine, packed in pairs through the ifftshift, and the
// pairs' forward transforms: otfs_[p] = S_2p + i S_2p+1.
template <class T>
void FusedPhaseDiversity<T>::otf_pairs(const T* params, int threads) {
  const std::size_t grid = grid_, pixels = grid * grid, half = grid / 2;
  for (std::size_t k = 0; k < images_; ++k) {
    const T* image = image_.data();
    engines_[k]->begin(params, nullptr, threads);
    engines_[k]->psf(0, image_.data(), threads);
    Complex* pair = otfs_.data() + (k / 2) * pixels;
    for (std::size_t y = 0; y < grid; ++y) {
      const T* row = image + ((y + half) % grid) * grid;
      if (k % 2 == 1) {
        shifted_row(row, pair + y * grid, grid, half,
                    [](Complex& out, T in) { out = Complex(out.real(), in); });
      } else {
        shifted_row(row, pair + y * grid, grid, half,
                    [](Complex& out, T in) { out = Complex(in, T(0)); });
      }
    }
  }
  for (std::size_t p = 0; p < pairs_; ++p) {
    Complex* pair = otfs_.data() + p * pixels;
    rows_plan_.execute(pair, pair);
    columns_.execute(pair, pair);
  }
}

// Row y of pass F's forward half, columns [0, columns): the OTFs S_k from the pairs (Z_p(f)
// and Z_p(-f)), Q = gamma + sum_k |S_k|^2 and U = sum_k D_k conj(S_k), in double.
template <class T>
void FusedPhaseDiversity<T>::wiener_row(std::size_t y, std::size_t columns, Row& row) const {
  const std::size_t grid = grid_, pixels = grid * grid, images = images_;
  const std::size_t y_mirror = (grid - y) % grid;
  for (std::size_t p = 0; p < pairs_; ++p) {
    const T* z = reinterpret_cast<const T*>(otfs_.data() + p * pixels + y * grid);
    const T* w = reinterpret_cast<const T*>(otfs_.data() + p * pixels + y_mirror * grid);
    double* a_re = row.otf_re.data() + 2 * p * grid;
    double* a_im = row.otf_im.data() + 2 * p * grid;
    // S_a = (z + conj(w)) / 2, S_b = -i (z - conj(w)) / 2 with w = Z_p(-f): x's mirror is
    // N - x, and 0 for x = 0 (taken alone, so that the loop over the others vectorises).
    a_re[0] = 0.5 * (z[0] + w[0]);
    a_im[0] = 0.5 * (z[1] - w[1]);
    if (2 * p + 1 < images) {
      double* b_re = a_re + grid;
      double* b_im = a_im + grid;
      b_re[0] = 0.5 * (z[1] + w[1]);
      b_im[0] = 0.5 * (w[0] - z[0]);
#pragma omp simd
      for (std::size_t x = 1; x < columns; ++x) {
        const double zr = z[2 * x], zi = z[2 * x + 1];
        const double wr = w[2 * (grid - x)], wi = w[2 * (grid - x) + 1];
        a_re[x] = 0.5 * (zr + wr);
        a_im[x] = 0.5 * (zi - wi);
        b_re[x] = 0.5 * (zi + wi);
        b_im[x] = 0.5 * (wr - zr);
      }
    } else {
#pragma omp simd
      for (std::size_t x = 1; x < columns; ++x) {
        a_re[x] = 0.5 * (z[2 * x] + w[2 * (grid - x)]);
        a_im[x] = 0.5 * (z[2 * x + 1] - w[2 * (grid - x) + 1]);
      }
    }
  }
  double* q = row.q.data();
  double* u_re = row.u_re.data();
  double* u_im = row.u_im.data();
  std::fill(q, q + columns, gamma_);
  std::fill(u_re, u_re + columns, 0.0);
  std::fill(u_im, u_im + columns, 0.0);
  for (std::size_t k = 0; k < images; ++k) {
    const T* d = reinterpret_cast<const T*>(data_spectra_.data() + k * pixels + y * grid);
    const double* s_re = row.otf_re.data() + k * grid;
    const double* s_im = row.otf_im.data() + k * grid;
#pragma omp simd
    for (std::size_t x = 0; x < columns; ++x) {
      const double dr = d[2 * x], di = d[2 * x + 1], sr = s_re[x], si = s_im[x];
      q[x] += sr * sr + si * si;
      u_re[x] += dr * sr + di * si;
      u_im[x] += di * sr - dr * si;
    }
  }
}

template <class T>
double FusedPhaseDiversity<T>::value_and_grad(const T* params, T* params_bar, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  threads = start_call(kValueAndGrad, threads);
  const double energy = passes(params, params_bar, threads);
  finish_call(kValueAndGrad, watch);
  return energy;
}

// value_and_grad's passes on a team of `threads` (planned for it).
template <class T>
double FusedPhaseDiversity<T>::passes(const T* params, T* params_bar, int threads) {
  otf_pairs(params, threads);

  const std::size_t grid = grid_, pixels = grid * grid, images = images_, pairs = pairs_;
  const double gamma = gamma_;
  const double scale = 1.0 / static_cast<double>(pixels);
  const double bar_scale = -2.0 * scale;
  // Every quantity of pass F is Hermitian (e(-f) = e(f), S_k_bar(-f) = conj(S_k_bar(f))):
  // the columns [0, N/2] are computed, each other column's e counted twice and its Y written
  // from its mirror's. Row y writes its own columns [0, N/2] and row -y's (N/2, N): no two
  // rows write the same element.
  const std::size_t columns = grid / 2 + 1;
  std::vector<double> row_energy(grid, 0.0);
  const long long rows = static_cast<long long>(grid);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    Row& row = *rows_[static_cast<std::size_t>(omp_get_thread_num())];
#pragma omp for schedule(dynamic, 8)
    for (long long yy = 0; yy < rows; ++yy) {
      const auto y = static_cast<std::size_t>(yy);
      const std::size_t y_mirror = (grid - y) % grid;
      wiener_row(y, columns, row);
      // O = U / Q; e = gamma |O|^2 + sum_k |D_k - O S_k|^2; S_k_bar = -(2/N^2) conj(O) R_k,
      // written over S_k in the scratch rows. O is kept in u.
      double* q = row.q.data();
      double* o_re = row.u_re.data();
      double* o_im = row.u_im.data();
      double* e = row.energy.data();
#pragma omp simd
      for (std::size_t x = 0; x < columns; ++x) {
        o_re[x] /= q[x];
        o_im[x] /= q[x];
        e[x] = gamma * (o_re[x] * o_re[x] + o_im[x] * o_im[x]);
      }
      for (std::size_t k = 0; k < images; ++k) {
        const T* d = reinterpret_cast<const T*>(data_spectra_.data() + k * pixels + y * grid);
        double* s_re = row.otf_re.data() + k * grid;
        double* s_im = row.otf_im.data() + k * grid;
#pragma omp simd
        for (std::size_t x = 0; x < columns; ++x) {
          const double sr = s_re[x], si = s_im[x], orr = o_re[x], oi = o_im[x];
          const double rr = d[2 * x] - (orr * sr - oi * si);
          const double ri = d[2 * x + 1] - (orr * si + oi * sr);
          e[x] += rr * rr + ri * ri;
          s_re[x] = bar_scale * (orr * rr + oi * ri);
          s_im[x] = bar_scale * (orr * ri - oi * rr);
        }
      }
      // Y_p(f) = S_2p_bar + i S_2p+1_bar, and Y_p(-f) = conj(S_2p_bar) + i conj(S_2p+1_bar)
      // for the columns x in (0, N/2) whose mirror N - x is not computed.
      const std::size_t inner_end = (grid + 1) / 2;  // columns [1, inner_end) have mirrors
      for (std::size_t p = 0; p < pairs; ++p) {
        T* out = reinterpret_cast<T*>(otfs_bar_.data() + p * pixels + y * grid);
        T* mirror = reinterpret_cast<T*>(otfs_bar_.data() + p * pixels + y_mirror * grid);
        const double* a_re = row.otf_re.data() + 2 * p * grid;
        const double* a_im = row.otf_im.data() + 2 * p * grid;
        const bool second = 2 * p + 1 < images;
        const double* b_re = second ? a_re + grid : zeros_.data();
        const double* b_im = second ? a_im + grid : zeros_.data();
#pragma omp simd
        for (std::size_t x = 0; x < columns; ++x) {
          out[2 * x] = static_cast<T>(a_re[x] - b_im[x]);
          out[2 * x + 1] = static_cast<T>(a_im[x] + b_re[x]);
        }
        for (std::size_t x = 1; x < inner_end; ++x) {
          mirror[2 * (grid - x)] = static_cast<T>(a_re[x] + b_im[x]);
          mirror[2 * (grid - x) + 1] = static_cast<T>(b_re[x] - a_im[x]);
        }
      }
      double sum = e[0];
      for (std::size_t x = 1; x < inner_end; ++x) sum += 2 * e[x];
      if (inner_end < columns) sum += e[inner_end];  // the Nyquist column of an even N
      row_energy[y] = sum;
    }
  }
  double total = 0;
  for (const double e : row_energy) total += e;

  Complex* otfs_bar = otfs_bar_.data();
  for (std::size_t p = 0; p < pairs; ++p) {
    Complex* pair = otfs_bar + p * pixels;
    rows_inverse_.execute(pair, pair);
    columns_inverse_.execute(pair, pair);
  }
  // I_k_bar = fftshift(the real (even k) or imaginary (odd k) part of the pair's inverse
  // transform), through image k's engine; a_bar = the sum of the engines' gradients.
  const std::size_t shift = (grid + 1) / 2, count = gradient_.size();
  for (std::size_t kk = 0; kk < images; ++kk) {
    const Complex* pair = otfs_bar + (kk / 2) * pixels;
    T* image = image_.data();
    for (std::size_t y = 0; y < grid; ++y) {
      const Complex* row = pair + ((y + shift) % grid) * grid;
      if (kk % 2 == 1) {
        shifted_row(row, image + y * grid, grid, shift,
                    [](T& out, const Complex& in) { out = in.imag(); });
      } else {
        shifted_row(row, image + y * grid, grid, shift,
                    [](T& out, const Complex& in) { out = in.real(); });
      }
    }
    T* gradient = kk == 0 ? params_bar : gradient_.data();
    engines_[kk]->psf_reverse(0, image, true, true, gradient, nullptr, threads);
    if (kk > 0) {
      for (std::size_t j = 0; j < count; ++j) params_bar[j] += gradient[j];
    }
  }
  return total * scale;
}

template <class T>
void FusedPhaseDiversity<T>::estimate_object(const T* params, T* object, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  threads = start_call(kEstimateObject, threads);
  otf_pairs(params, threads);

  const std::size_t grid = grid_, pixels = grid * grid;
  Complex* spectrum = otfs_bar_.data();
  // O(-f) = conj(O(f)): the columns [0, N/2] and their mirrors, as in value_and_grad.
  const std::size_t columns = grid / 2 + 1, inner_end = (grid + 1) / 2;
  Row& row = *rows_[0];
  for (std::size_t y = 0; y < grid; ++y) {
    wiener_row(y, columns, row);
    Complex* out = spectrum + y * grid;
    Complex* mirror = spectrum + ((grid - y) % grid) * grid;
    for (std::size_t x = 0; x < columns; ++x) {
      out[x] = Complex(static_cast<T>(row.u_re[x] / row.q[x]),
                       static_cast<T>(row.u_im[x] / row.q[x]));
    }
    for (std::size_t x = 1; x < inner_end; ++x) mirror[grid - x] = std::conj(out[x]);
  }
  rows_inverse_.execute(spectrum, spectrum);
  columns_inverse_.execute(spectrum, spectrum);
  const T scale = static_cast<T>(1.0 / static_cast<double>(pixels));
  const std::size_t shift = (grid + 1) / 2;
  for (std::size_t y = 0; y < grid; ++y) {
    shifted_row(spectrum + ((y + shift) % grid) * grid, object + y * grid, grid, shift,
                [scale](T& out, const Complex& in) { out = in.real() * scale; });
  }
  finish_call(kEstimateObject, watch);
}

template class FusedPhaseDiversity<float>;
template class FusedPhaseDiversity<double>;

}  // namespace phasegrad::models
