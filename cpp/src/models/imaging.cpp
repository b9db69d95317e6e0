// The imaging stage of the fused phase-retrieval model; see models/imaging.hpp for the steps
// and docs/imaging-model.md for the model.
#include "phasegrad/models/imaging.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/sincos.hpp"  // PHASEGRAD_WIDE_SIMD

namespace phasegrad::models {

namespace {

constexpr double kPi = kTwoPi / 2;

// numpy.fft.fftfreq(N)[i]: cycles per pixel of index i.
double frequency_of(std::size_t i, std::size_t grid) {
  const auto k = static_cast<double>(i), n = static_cast<double>(grid);
  return 2 * i < grid + 1 ? k / n : (k - n) / n;
}

// log(x) for a normal positive finite x, branch-free so that it vectorises: x = 2^k m with m in
// [sqrt(2)/2, sqrt(2)) by bit operations, log(m) = f - (f^2/2 - s (f^2/2 + R(s^2))) with f =
// m - 1, s = f / (2 + f) and R fdlibm's polynomial of log (within an ulp or two of libm).
// Other x give garbage; the callers redo them with std::log.
[[gnu::always_inline]] inline double log_normal(double x) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  const std::uint64_t mantissa = bits & 0x000FFFFFFFFFFFFFull;
  // m >= sqrt(2), compared as signed (AVX2 has no unsigned 64-bit compare; both < 2^52).
  const std::uint64_t high =
      static_cast<std::int64_t>(mantissa) >= std::int64_t{0x6A09E667F3BCD} ? 1 : 0;
  // k as a double without an int64 conversion: (2^52 + biased exponent) - (2^52 + 1023).
  const std::uint64_t exponent_bits = ((bits >> 52) + high) | 0x4330000000000000ull;
  double k = 0;
  std::memcpy(&k, &exponent_bits, sizeof k);
  k -= 4503599627371519.0;  // 2^52 + 1023
  // The exponent of m: 0x3FF, or 0x3FE when high (arithmetic: a select on 64-bit integers kept
  // the AVX2 clone from vectorising).
  const std::uint64_t m_bits = mantissa | (0x3FF0000000000000ull - (high << 52));
  double m = 0;
  std::memcpy(&m, &m_bits, sizeof m);
  const double f = m - 1.0, s = f / (2.0 + f), z = s * s, w = z * z;
  const double t1 = w * (3.999999999940941908e-01 +
                         w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  const double t2 = z * (6.666666666666735130e-01 +
                         w * (2.857142874366239149e-01 +
                              w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  const double hfsq = 0.5 * f * f, r = t1 + t2;
  return k * 6.93147180369123816490e-01 -
         ((hfsq - (s * (hfsq + r) + k * 1.90821492927058770002e-10)) - f);
}

// The shifted-Poisson pieces of one pixel (docs/imaging-model.md): z = M + s, z_D = max(D + s,
// 0); the term of E, w [z - z_D - z_D log(z / z_D)] (z where z_D = 0; +inf where z <= 0 <
// z_D), dE/dM = w (1 - z_D / z), the deviance residual sign(z - z_D) sqrt(term) and dr/dM.
struct PoissonPixel {
  double term, bar, residual, slope;
};

// u - log(1 + u) near u = 0 by its series, sum over m = 2..14 of (-u)^m / m (Horner's rule;
// within rounding of the sum for |u| < 0.05).
[[gnu::always_inline]] inline double deviance_series(double u) {
  double series = 1.0 / 14;
  series = 1.0 / 13 - u * series;
  series = 1.0 / 12 - u * series;
  series = 1.0 / 11 - u * series;
  series = 1.0 / 10 - u * series;
  series = 1.0 / 9 - u * series;
  series = 1.0 / 8 - u * series;
  series = 1.0 / 7 - u * series;
  series = 1.0 / 6 - u * series;
  series = 1.0 / 5 - u * series;
  series = 1.0 / 4 - u * series;
  series = 1.0 / 3 - u * series;
  series = 1.0 / 2 - u * series;
  return u * u * series;
}

// One pixel by libm, every case: what the vectorised chunks leave to scalar code.
PoissonPixel poisson_pixel(double model, double data, double w, double shift) {
  const double z = model + shift, zd = std::max(data + shift, 0.0);
  PoissonPixel out{};
  if (zd == 0) {  // no count: the term is z for a mean z >= 0, 0 for a negative one
    out.term = z > 0 ? w * z : 0.0;
    out.bar = z > 0 ? w : 0.0;
    out.residual = std::sqrt(w * std::max(z, 0.0));
    out.slope = out.residual > 0 ? w / (2 * out.residual) : 0.0;
  } else if (z <= 0) {
    out.term = std::numeric_limits<double>::infinity();
    out.bar = std::numeric_limits<double>::quiet_NaN();
    out.residual = -std::numeric_limits<double>::infinity();
    out.slope = std::numeric_limits<double>::quiet_NaN();
  } else {
    const double u = (z - zd) / zd;
    const double g = std::abs(u) < 0.05 ? deviance_series(u) : u - std::log1p(u);
    out.term = w * zd * g;
    out.bar = w * (1 - zd / z);
    const double magnitude = std::sqrt(out.term);
    out.residual = u < 0 ? -magnitude : magnitude;
    out.slope = out.residual != 0 ? w * u / ((1 + u) * 2 * out.residual)
                                  : std::sqrt(w / (2 * zd));
  }
  return out;
}

constexpr std::size_t kPoissonChunk = 256;

// The pieces of up to kPoissonChunk pixels, branch-free for z, z_D > 0 with z / z_D in
// log_normal's range (u - log(1 + u) = u - log(z / z_D) there, by the series near 0), from
// the data's per-pixel constants (z_D, 1 / z_D, 0 where z_D = 0, and w); the caller redoes
// the other pixels (unusual_pixel) with poisson_pixel. (The residuals' square roots are taken
// after, by the caller: libm's sqrt may set errno, which keeps a loop from vectorising.)
PHASEGRAD_WIDE_SIMD void poisson_chunk(const double* model, const double* zd,
                                       const double* inverse_zd, const double* weight,
                                       double shift, double* term, double* bar, double* ratios,
                                       std::size_t count) {
#pragma omp simd
  for (std::size_t j = 0; j < count; ++j) {
    const double ratio = (model[j] + shift) * inverse_zd[j], u = ratio - 1.0;
    const double g = std::abs(u) < 0.05 ? deviance_series(u) : u - log_normal(ratio);
    const double w = weight[j];
    term[j] = w * zd[j] * g;
    bar[j] = w * u / ratio;  // w (1 - z_D / z)
    ratios[j] = ratio;
  }
}

// Whether poisson_chunk's pixel needs poisson_pixel: z <= 0, or a ratio outside log_normal's
// range (which z_D = 0, with its inverse 0, gives too). The test, outside the vectorised loop,
// would keep it from vectorising.
inline bool unusual_pixel(double model, double shift, double ratio) {
  return !(model + shift > 0 && ratio >= 2.2250738585072014e-308 &&
           ratio <= 1.7976931348623157e308);
}

}  // namespace

template <class T>
FusedImaging<T>::FusedImaging(const ImagingConfig<T>& config) : cfg_(config) {
  const PhaseRetrievalConfig<T>& optics = cfg_.optics;
  grid_ = optics.grid;
  if (grid_ == 0 || optics.bin == 0 || grid_ % optics.bin != 0) {
    throw std::invalid_argument("inconsistent imaging sizes");
  }
  binned_ = grid_ / optics.bin;
  if (cfg_.window == 0 || cfg_.offset + cfg_.window > binned_ || cfg_.data == nullptr) {
    throw std::invalid_argument("the window must lie on the binned grid, with data");
  }
  if (cfg_.object == ObjectKind::array && (cfg_.object_size == 0 || cfg_.object_size > grid_)) {
    throw std::invalid_argument("the object must be (S, S) with S <= N");
  }
  if (cfg_.object != ObjectKind::none) cfg_.transfer = true;
  engine_ = std::make_unique<FusedPhaseRetrieval<T>>(optics);
  half_ = grid_ / 2 + 1;
  const std::size_t pixels = grid_ * grid_, spectrum = grid_ * half_;
  intensity_ = Buffer<T>::zeros(pixels);
  image_bar_ = Buffer<T>::zeros(pixels);
  if (cfg_.transfer) {
    image_ = Buffer<T>::zeros(pixels);
    spectrum_ = Buffer<Complex>::zeros(spectrum);
    work_ = Buffer<Complex>::zeros(spectrum);
    transfer_ = Buffer<Complex>::zeros(spectrum);
  }
  if (cfg_.object == ObjectKind::array) {
    object_spectrum_ = Buffer<Complex>::zeros(spectrum);
    object_bar_ = Buffer<std::complex<double>>::zeros(spectrum);
    object_pixels_ = Buffer<T>::zeros(pixels);
  }
  const std::size_t window = cfg_.window * cfg_.window;
  if (cfg_.poisson) {
    poisson_constants_ = Buffer<double>::zeros(3 * cfg_.optics.planes * window);
    poisson_pieces();
  }
  binned_image_ = Buffer<double>::zeros(window);
  level_ = Buffer<double>::zeros(window);
  model_ = Buffer<double>::zeros(window);
  model_bar_ = Buffer<double>::zeros(window);
  slope_ = Buffer<double>::zeros(window);
  terms_ = cfg_.object == ObjectKind::points ? cfg_.sources : 1;
  table_y_.assign(terms_ * grid_, 0.0);
  table_x_.assign(terms_ * grid_, 0.0);
  term_weight_.assign(terms_, 1.0);
  table_x_re_.assign(terms_ * grid_, 0.0);
  table_x_im_.assign(terms_ * grid_, 0.0);
  frequency_.resize(grid_);
  for (std::size_t i = 0; i < grid_; ++i) frequency_[i] = frequency_of(i, grid_);
  column_weight_.resize(half_);
  column_weight_f_.resize(half_);
  column_weight_f2_.resize(half_);
  for (std::size_t kx = 0; kx < half_; ++kx) {
    const double c = kx == 0 || 2 * kx == grid_ ? 1.0 : 2.0, f = frequency_[kx];
    column_weight_[kx] = c;
    column_weight_f_[kx] = c * f;
    column_weight_f2_[kx] = c * f * f;
  }
  row_re_.assign(half_, 0.0);
  row_im_.assign(half_, 0.0);
  row_object_re_.assign(half_, 0.0);
  row_object_im_.assign(half_, 0.0);
}

// Per plane, the data's constants of the Poisson pieces: z_D = max(D + s, 0), 1 / z_D (0 where
// z_D = 0) and w, (3, M, M) in double.
template <class T>
void FusedImaging<T>::poisson_pieces() {
  const std::size_t planes = cfg_.optics.planes, window = cfg_.window * cfg_.window;
  const double shift = cfg_.read_noise * cfg_.read_noise;
  for (std::size_t p = 0; p < planes; ++p) {
    double* zd = poisson_constants_.data() + 3 * p * window;
    double* inverse = zd + window;
    double* w = inverse + window;
    for (std::size_t d = 0; d < window; ++d) {
      const std::size_t i = p * window + d;
      zd[d] = std::max(static_cast<double>(cfg_.data[i]) + shift, 0.0);
      inverse[d] = zd[d] > 0 ? 1.0 / zd[d] : 0.0;
      w[d] = cfg_.weights ? static_cast<double>(cfg_.weights[i]) : 1.0;
    }
  }
}

template <class T>
void FusedImaging<T>::set_data(const T* data, const T* weights, double read_noise) {
  if (data == nullptr) throw std::invalid_argument("set_data needs data");
  std::lock_guard<std::mutex> lock(mutex_);
  if (data == cfg_.data && weights == cfg_.weights && read_noise == cfg_.read_noise) return;
  cfg_.data = data;
  cfg_.weights = weights;
  cfg_.read_noise = read_noise;
  if (cfg_.poisson) poisson_pieces();
}

template <class T>
std::size_t FusedImaging<T>::workspace_bytes() const {
  return engine_->workspace_bytes() + intensity_.bytes() + image_.bytes() + image_bar_.bytes() +
         intensity_dot_.bytes() + spectrum_.bytes() + work_.bytes() + transfer_.bytes() +
         object_spectrum_.bytes() + object_dot_spectrum_.bytes() + object_bar_.bytes() +
         object_pixels_.bytes() + poisson_constants_.bytes() + binned_image_.bytes() +
         level_.bytes() + model_.bytes() + model_bar_.bytes() + slope_.bytes() +
         real_dft_.workspace_bytes();
}

// The object's pixels embedded in the N x N grid with pixel (S//2, S//2) at index (0, 0) (the
// ifftshift of the embedding at the centre), then its half spectrum into `spectrum`.
template <class T>
void FusedImaging<T>::object_transform(const T* object, Complex* spectrum) {
  const std::size_t size = cfg_.object_size, centre = size / 2;
  T* pixels = object_pixels_.data();
  std::memset(static_cast<void*>(pixels), 0, sizeof(T) * grid_ * grid_);
  for (std::size_t a = 0; a < size; ++a) {
    const std::size_t row = (a + grid_ - centre) % grid_;
    for (std::size_t b = 0; b < size; ++b) {
      pixels[row * grid_ + (b + grid_ - centre) % grid_] = object[a * size + b];
    }
  }
  real_dft_.forward(pixels, spectrum, threads_);
}

// The stage's real transforms (a transfer function's r2c / c2r), planned at their first use.
template <class T>
void FusedImaging<T>::plan_transfer() {
  if (cfg_.transfer && !real_dft_.valid()) {
    real_dft_ = ChunkedRealDft2<T>(grid_, spectrum_.data());
  }
}

// A public call's start: its team (the engine's rule, then the kind's measured fallback;
// core/team_choice.hpp), the stage's real transforms (planned once: chunks fixed by the grid,
// so that a result does not depend on the team), the engine's begin on that team and the
// object's spectrum.
template <class T>
void FusedImaging<T>::start_call(Call call, const ImagingBlocks<T>& blocks, int threads) {
  threads_ = choices_[call].next(engine_->engine_threads(threads));
  plan_transfer();
  engine_->begin(blocks.wavefront, blocks.amplitude, threads_);
  primal_plane_ = -1;
  if (cfg_.object == ObjectKind::array) {
    // The object's spectrum, again only when its pixels changed (a known object never does).
    const std::size_t pixels = cfg_.object_size * cfg_.object_size;
    if (object_copy_.empty() ||
        !std::equal(blocks.object, blocks.object + pixels, object_copy_.begin())) {
      object_transform(blocks.object, object_spectrum_.data());
      object_copy_.assign(blocks.object, blocks.object + pixels);
      transfer_key_.clear();  // the transfer holds the old spectrum
    }
  }
}

// A public call's end: its time to the kind's fallback, unless it was the kind's first (which
// planned and allocated).
template <class T>
void FusedImaging<T>::finish(Call call, const Stopwatch& watch) {
  choices_[call].record(watch.seconds(), warm_[call]);
  warm_[call] = true;
}

// The one-dimensional tables of plane p's transfer: per term j, U_j[i] = exp(-2 pi i f_i (y_j +
// s_y)) J_1(f_i) and V_j[i] likewise in x, over every index i of the grid (the mirror -k of a
// Nyquist-line frequency is looked up here too), and the term's weight (a source's flux).
template <class T>
void FusedImaging<T>::transfer_tables(std::size_t plane, const ImagingBlocks<T>& blocks) {
  const double sy = blocks.shift ? blocks.shift[2 * plane] : 0.0;
  const double sx = blocks.shift ? blocks.shift[2 * plane + 1] : 0.0;
  const double sigma = blocks.jitter;
  for (std::size_t j = 0; j < terms_; ++j) {
    double y = sy, x = sx;
    if (cfg_.object == ObjectKind::points) {
      y += blocks.positions[2 * j];
      x += blocks.positions[2 * j + 1];
      term_weight_[j] = blocks.fluxes[j];
    }
    for (std::size_t i = 0; i < grid_; ++i) {
      const double f = frequency_[i];
      const double blur = std::exp(-2 * kPi * kPi * sigma * sigma * f * f);
      table_y_[j * grid_ + i] = blur * std::polar(1.0, -kTwoPi * f * y);
      table_x_[j * grid_ + i] = blur * std::polar(1.0, -kTwoPi * f * x);
      table_x_re_[j * grid_ + i] = table_x_[j * grid_ + i].real();
      table_x_im_[j * grid_ + i] = table_x_[j * grid_ + i].imag();
    }
  }
}

// T at grid index (iy, ix) without the object spectrum: sum_j F_j U_j[iy] V_j[ix].
template <class T>
std::complex<double> FusedImaging<T>::raw_transfer(std::size_t iy, std::size_t ix) const {
  std::complex<double> sum = 0;
  for (std::size_t j = 0; j < terms_; ++j) {
    sum += term_weight_[j] * table_y_[j * grid_ + iy] * table_x_[j * grid_ + ix];
  }
  return sum;
}

template <class T>
bool FusedImaging<T>::nyquist(std::size_t ky, std::size_t kx) const {
  return grid_ % 2 == 0 && (2 * ky == grid_ || 2 * kx == grid_);
}

// The last column of the main region: the half spectrum's columns [0, kend) hold no Nyquist
// frequency (k_x = N/2 of an even N is left to the per-frequency code, as is the row
// k_y = N/2).
template <class T>
std::size_t FusedImaging<T>::main_columns() const {
  return grid_ % 2 == 0 ? grid_ / 2 : half_;
}

// T_h at one frequency of the half spectrum, without the object's spectrum: T, or its
// Hermitian part (T(k) + conj T(-k)) / 2 on the Nyquist row and column of an even N.
template <class T>
std::complex<double> FusedImaging<T>::hermitian_transfer(std::size_t ky, std::size_t kx) const {
  std::complex<double> value = raw_transfer(ky, kx);
  if (nyquist(ky, kx)) {
    value = 0.5 * (value + std::conj(raw_transfer((grid_ - ky) % grid_, (grid_ - kx) % grid_)));
  }
  return value;
}

// T_h over the half spectrum into transfer_ (times the object's spectrum): row by row, T =
// sum_j (F_j U_j[k_y]) V_j[k_x] in loops the compiler vectorises; the Nyquist lines one
// frequency at a time.
template <class T>
void FusedImaging<T>::fill_transfer() {
  Complex* out = transfer_.data();
  const Complex* object = cfg_.object == ObjectKind::array ? object_spectrum_.data() : nullptr;
  const std::size_t kend = main_columns();
  double* row_re = row_re_.data();
  double* row_im = row_im_.data();
  for (std::size_t ky = 0; ky < grid_; ++ky) {
    Complex* out_row = out + ky * half_;
    const Complex* object_row = object ? object + ky * half_ : nullptr;
    const bool nyquist_row = grid_ % 2 == 0 && 2 * ky == grid_;
    const std::size_t end = nyquist_row ? 0 : kend;
    std::fill(row_re, row_re + end, 0.0);
    std::fill(row_im, row_im + end, 0.0);
    for (std::size_t j = 0; j < terms_; ++j) {
      const std::complex<double> a = term_weight_[j] * table_y_[j * grid_ + ky];
      const double ar = a.real(), ai = a.imag();
      const double* vr = table_x_re_.data() + j * grid_;
      const double* vi = table_x_im_.data() + j * grid_;
#pragma omp simd
      for (std::size_t kx = 0; kx < end; ++kx) {
        row_re[kx] += ar * vr[kx] - ai * vi[kx];
        row_im[kx] += ar * vi[kx] + ai * vr[kx];
      }
    }
    for (std::size_t kx = 0; kx < end; ++kx) {
      double tr = row_re[kx], ti = row_im[kx];
      if (object_row) {
        const double orr = static_cast<double>(object_row[kx].real());
        const double oi = static_cast<double>(object_row[kx].imag());
        const double pr = tr * orr - ti * oi;
        ti = tr * oi + ti * orr;
        tr = pr;
      }
      out_row[kx] = Complex(static_cast<T>(tr), static_cast<T>(ti));
    }
    for (std::size_t kx = end; kx < half_; ++kx) {
      Complex t(hermitian_transfer(ky, kx));
      if (object_row) t *= object_row[kx];
      out_row[kx] = t;
    }
  }
}

namespace {

// out[k] = a[k] b[k] (or a[k] conj(b[k])) over `count` complex values, vectorised (out may be
// a).
template <class T>
void multiply_spectra(const std::complex<T>* a_in, const std::complex<T>* b_in,
                      std::complex<T>* out_in, std::size_t count, bool conjugate) {
  const T* a = reinterpret_cast<const T*>(a_in);
  const T* b = reinterpret_cast<const T*>(b_in);
  T* out = reinterpret_cast<T*>(out_in);
  const T sign = conjugate ? T(-1) : T(1);
#pragma omp simd
  for (std::size_t k = 0; k < count; ++k) {
    const T ar = a[2 * k], ai = a[2 * k + 1], br = b[2 * k], bi = sign * b[2 * k + 1];
    out[2 * k] = ar * br - ai * bi;
    out[2 * k + 1] = ar * bi + ai * br;
  }
}

}  // namespace

template <class T>
void FusedImaging<T>::forward_plane(std::size_t plane, const ImagingBlocks<T>& blocks) {
  engine_->psf(plane, intensity_.data(), threads_);
  if (cfg_.transfer) {
    // The transfer of this plane, unless the last one made had the same values (no shift, or
    // the same shift for every plane; a fixed scene).
    key_.clear();
    key_.push_back(blocks.shift ? blocks.shift[2 * plane] : 0.0);
    key_.push_back(blocks.shift ? blocks.shift[2 * plane + 1] : 0.0);
    key_.push_back(blocks.jitter);
    if (cfg_.object == ObjectKind::points) {
      key_.insert(key_.end(), blocks.positions, blocks.positions + 2 * cfg_.sources);
      key_.insert(key_.end(), blocks.fluxes, blocks.fluxes + cfg_.sources);
    }
    if (key_ != transfer_key_) {
      transfer_tables(plane, blocks);
      fill_transfer();
      transfer_key_ = key_;
    }
    real_dft_.forward(intensity_.data(), spectrum_.data(), threads_);
    const std::size_t count = grid_ * half_;
    const Complex* spectrum = spectrum_.data();
    const Complex* transfer = transfer_.data();
    Complex* work = work_.data();
    multiply_spectra(spectrum, transfer, work, count, false);
    real_dft_.inverse(work, image_.data(), threads_);
  }
  window_forward(plane, blocks, cfg_.transfer ? image_.data() : intensity_.data(),
                 binned_image_.data(), true);
  primal_plane_ = static_cast<long long>(plane);
}

// The window's binned image of `image` (times 1/N^2 after a transfer) into `binned`; with
// `primal`, also L = phi B + beta into level_ and M into model_ (`binned` is then
// binned_image_).
template <class T>
void FusedImaging<T>::window_forward(std::size_t plane, const ImagingBlocks<T>& blocks,
                                     const T* image, double* binned, bool primal) {
  const std::size_t bin = cfg_.optics.bin, size = cfg_.window, offset = cfg_.offset;
  const double scale = cfg_.transfer ? 1.0 / (static_cast<double>(grid_) * grid_) : 1.0;
  for (std::size_t i = 0; i < size; ++i) {
    double* out = binned + i * size;
    if (bin == 1) {
      const T* row = image + (offset + i) * grid_ + offset;
#pragma omp simd
      for (std::size_t j = 0; j < size; ++j) out[j] = scale * static_cast<double>(row[j]);
      continue;
    }
    for (std::size_t j = 0; j < size; ++j) {
      double sum = 0;
      for (std::size_t dy = 0; dy < bin; ++dy) {
        const T* row = image + ((offset + i) * bin + dy) * grid_ + (offset + j) * bin;
        for (std::size_t dx = 0; dx < bin; ++dx) sum += static_cast<double>(row[dx]);
      }
      out[j] = scale * sum;
    }
  }
  if (!primal) return;
  const double flux = blocks.flux ? blocks.flux[plane] : 1.0;
  const double background = blocks.background ? blocks.background[plane] : 0.0;
  const std::size_t count = size * size;
  double* levels = level_.data();
  double* models = model_.data();
  if (!cfg_.quadratic) {
#pragma omp simd
    for (std::size_t d = 0; d < count; ++d) levels[d] = models[d] = flux * binned[d] + background;
    return;
  }
  const double qa = blocks.detector[0], qb = blocks.detector[1], qc = blocks.detector[2];
#pragma omp simd
  for (std::size_t d = 0; d < count; ++d) {
    const double level = flux * binned[d] + background;
    levels[d] = level;
    models[d] = (qa * level + qb) * level + qc;
  }
}

// The metric of plane p's window: E and, with `gradient`, M_bar = dE/dM into model_bar_.
template <class T>
double FusedImaging<T>::metric_plane(std::size_t plane, bool gradient) {
  const std::size_t count = cfg_.window * cfg_.window, offset = plane * count;
  const T* data = cfg_.data + offset;
  const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
  const double shift = cfg_.read_noise * cfg_.read_noise;
  double energy = 0;
  const double* models = model_.data();
  double* bars = model_bar_.data();
  if (!cfg_.poisson) {  // sse: one vectorised loop
#pragma omp simd reduction(+ : energy)
    for (std::size_t d = 0; d < count; ++d) {
      const double w = weights ? static_cast<double>(weights[d]) : 1.0;
      const double residual = models[d] - static_cast<double>(data[d]);
      energy += w * residual * residual;
      if (gradient) bars[d] = 2 * w * residual;
    }
    return energy;
  }
  // Poisson: in chunks, the pieces of every pixel vectorised, the unusual ones again by libm.
  const double* zd = poisson_constants_.data() + 3 * offset;
  const double* inverse_zd = zd + count;
  const double* w = inverse_zd + count;
  alignas(64) double term[kPoissonChunk], bar[kPoissonChunk], ratios[kPoissonChunk];
  for (std::size_t d0 = 0; d0 < count; d0 += kPoissonChunk) {
    const std::size_t chunk = std::min(kPoissonChunk, count - d0);
    poisson_chunk(models + d0, zd + d0, inverse_zd + d0, w + d0, shift, term, bar, ratios,
                  chunk);
    for (std::size_t j = 0; j < chunk; ++j) {
      if (unusual_pixel(models[d0 + j], shift, ratios[j])) {
        const PoissonPixel pixel = poisson_pixel(
            models[d0 + j], static_cast<double>(data[d0 + j]), w[d0 + j], shift);
        term[j] = pixel.term;
        bar[j] = pixel.bar;
      }
      energy += term[j];
      if (gradient) bars[d0 + j] = bar[j];
    }
  }
  return energy;
}

// The residuals of plane p's window into r (with `slope`, also dr/dM into slope_).
template <class T>
void FusedImaging<T>::residual_plane(std::size_t plane, double* r, bool slope) {
  const std::size_t count = cfg_.window * cfg_.window, offset = plane * count;
  const T* data = cfg_.data + offset;
  const T* weights = cfg_.weights ? cfg_.weights + offset : nullptr;
  const double shift = cfg_.read_noise * cfg_.read_noise;
  const double* models = model_.data();
  double* slopes = slope_.data();
  if (!cfg_.poisson) {
    for (std::size_t d = 0; d < count; ++d) {
      const double root = weights ? std::sqrt(static_cast<double>(weights[d])) : 1.0;
      if (r) r[d] = root * (models[d] - static_cast<double>(data[d]));
      if (slope) slopes[d] = root;
    }
    return;
  }
  const double* zd = poisson_constants_.data() + 3 * offset;
  const double* inverse_zd = zd + count;
  const double* w = inverse_zd + count;
  alignas(64) double term[kPoissonChunk], bar[kPoissonChunk], ratios[kPoissonChunk];
  for (std::size_t d0 = 0; d0 < count; d0 += kPoissonChunk) {
    const std::size_t chunk = std::min(kPoissonChunk, count - d0);
    poisson_chunk(models + d0, zd + d0, inverse_zd + d0, w + d0, shift, term, bar, ratios,
                  chunk);
    for (std::size_t j = 0; j < chunk; ++j) {
      const std::size_t d = d0 + j;
      double residual = 0, derivative = 0;
      if (unusual_pixel(models[d], shift, ratios[j])) {
        const PoissonPixel pixel =
            poisson_pixel(models[d], static_cast<double>(data[d]), w[d], shift);
        residual = pixel.residual;
        derivative = pixel.slope;
      } else {
        // r = sign(u) sqrt(term), dr/dM = w u / ((1 + u) 2 r) (sqrt(w / (2 z_D)) at u = 0).
        const double u = ratios[j] - 1.0, magnitude = std::sqrt(term[j]);
        residual = u < 0 ? -magnitude : magnitude;
        derivative = residual != 0 ? w[d] * u / (ratios[j] * 2 * residual)
                                   : std::sqrt(w[d] / (2 * zd[d]));
      }
      if (r) r[d0 + j] = residual;
      if (slope) slopes[d0 + j] = derivative;
    }
  }
}

template <class T>
void FusedImaging<T>::zero_grads(const ImagingGrads<T>& grads) const {
  const std::size_t planes = cfg_.optics.planes, sources = cfg_.sources;
  if (grads.detector) std::fill(grads.detector, grads.detector + 3, 0.0);
  if (grads.positions) std::fill(grads.positions, grads.positions + 2 * sources, 0.0);
  if (grads.fluxes) std::fill(grads.fluxes, grads.fluxes + sources, 0.0);
  if (grads.flux) std::fill(grads.flux, grads.flux + planes, 0.0);
  if (grads.background) std::fill(grads.background, grads.background + planes, 0.0);
  if (grads.shift) std::fill(grads.shift, grads.shift + 2 * planes, 0.0);
  if (grads.jitter) *grads.jitter = 0.0;
}

// One frequency's share of the transfer parameters' gradients, weight Re(R dT/dtheta), at grid
// index (iy, ix) (the frequency or its mirror) with R and the object spectrum's value there:
// the sources' fluxes and positions directly, the shift's and jitter's into `sums`.
template <class T>
void FusedImaging<T>::accumulate(std::size_t iy, std::size_t ix, std::complex<double> r,
                                 std::complex<double> object, double weight,
                                 const ImagingGrads<T>& grads, TransferSums& sums) const {
  const double fy = frequency_[iy], fx = frequency_[ix];
  const std::complex<double> scaled = weight * r * object;
  std::complex<double> total = 0;
  for (std::size_t j = 0; j < terms_; ++j) {
    const std::complex<double> w0 = scaled * table_y_[j * grid_ + iy] * table_x_[j * grid_ + ix];
    const double flux = term_weight_[j];
    total += flux * w0;
    if (grads.fluxes) grads.fluxes[j] += w0.real();
    if (grads.positions) {
      grads.positions[2 * j] += kTwoPi * fy * flux * w0.imag();
      grads.positions[2 * j + 1] += kTwoPi * fx * flux * w0.imag();
    }
  }
  sums.shift_y += kTwoPi * fy * total.imag();
  sums.shift_x += kTwoPi * fx * total.imag();
  sums.jitter += -(fy * fy + fx * fx) * total.real();
}

// The transfer parameters' gradients of one plane from R = I^ conj(Y^) (spectrum_ and work_):
// sum over the half spectrum of c_k Re(R dT_h) (c_k = 1 on the k_x = 0 column, 2 elsewhere).
// Away from the Nyquist lines T_h = T = O sum_j F_j U_j[k_y] V_j[k_x], so per row the sums
// over k_x of c R O V_j, c f_x R O V_j and c f_x^2 R O V_j (vectorised) give every parameter's
// share after one multiplication by U_j[k_y]; the Nyquist lines go one frequency at a time
// (accumulate, with the mirror frequency). A free object's spectrum gradient R (J S)_h is
// added to object_bar_.
template <class T>
void FusedImaging<T>::transfer_gradients(std::size_t plane, const ImagingGrads<T>& grads,
                                         bool sums_needed, const Complex* object,
                                         TransferSums& sums) {
  (void)plane;
  const Complex* spectrum = spectrum_.data();
  const Complex* work = work_.data();
  const std::size_t kend = main_columns();
  double* r_re = row_re_.data();
  double* r_im = row_im_.data();
  double* o_re = row_object_re_.data();
  double* o_im = row_object_im_.data();
  std::complex<double>* object_bar = grads.object ? object_bar_.data() : nullptr;
  for (std::size_t ky = 0; ky < grid_; ++ky) {
    const bool nyquist_row = grid_ % 2 == 0 && 2 * ky == grid_;
    const std::size_t end = nyquist_row ? 0 : kend;
    const std::size_t row = ky * half_;
    // R = I^ conj(Y^) over the row's main columns, and R O where there is an object.
    for (std::size_t kx = 0; kx < end; ++kx) {
      const double ir = static_cast<double>(spectrum[row + kx].real());
      const double ii = static_cast<double>(spectrum[row + kx].imag());
      const double yr = static_cast<double>(work[row + kx].real());
      const double yi = static_cast<double>(work[row + kx].imag());
      r_re[kx] = ir * yr + ii * yi;
      r_im[kx] = ii * yr - ir * yi;
    }
    if (object_bar) {  // R (J S)_h = R U[k_y] V[k_x] (one term)
      const std::complex<double> u = table_y_[ky];
      for (std::size_t kx = 0; kx < end; ++kx) {
        const std::complex<double> js = u * std::complex<double>(table_x_re_[kx], table_x_im_[kx]);
        object_bar[row + kx] += std::complex<double>(r_re[kx] * js.real() - r_im[kx] * js.imag(),
                                                     r_re[kx] * js.imag() + r_im[kx] * js.real());
      }
    }
    if (sums_needed && end > 0) {
      const double* rr = r_re;
      const double* ri = r_im;
      if (object) {
        for (std::size_t kx = 0; kx < end; ++kx) {
          const double orr = static_cast<double>(object[row + kx].real());
          const double oi = static_cast<double>(object[row + kx].imag());
          o_re[kx] = r_re[kx] * orr - r_im[kx] * oi;
          o_im[kx] = r_re[kx] * oi + r_im[kx] * orr;
        }
        rr = o_re;
        ri = o_im;
      }
      const double fy = frequency_[ky];
      const double* c = column_weight_.data();
      const double* cf = column_weight_f_.data();
      const double* cf2 = column_weight_f2_.data();
      for (std::size_t j = 0; j < terms_; ++j) {
        const double* vr = table_x_re_.data() + j * grid_;
        const double* vi = table_x_im_.data() + j * grid_;
        double a_re = 0, a_im = 0, b_re = 0, b_im = 0, e_re = 0, e_im = 0;
#pragma omp simd reduction(+ : a_re, a_im, b_re, b_im, e_re, e_im)
        for (std::size_t kx = 0; kx < end; ++kx) {
          const double pr = rr[kx] * vr[kx] - ri[kx] * vi[kx];
          const double pi = rr[kx] * vi[kx] + ri[kx] * vr[kx];
          a_re += c[kx] * pr;
          a_im += c[kx] * pi;
          b_re += cf[kx] * pr;
          b_im += cf[kx] * pi;
          e_re += cf2[kx] * pr;
          e_im += cf2[kx] * pi;
        }
        const std::complex<double> u = table_y_[j * grid_ + ky];
        const std::complex<double> wa = u * std::complex<double>(a_re, a_im);
        const std::complex<double> wb = u * std::complex<double>(b_re, b_im);
        const double we = u.real() * e_re - u.imag() * e_im;
        const double flux = term_weight_[j];
        if (grads.fluxes) grads.fluxes[j] += wa.real();
        if (grads.positions) {
          grads.positions[2 * j] += kTwoPi * fy * flux * wa.imag();
          grads.positions[2 * j + 1] += kTwoPi * flux * wb.imag();
        }
        sums.shift_y += kTwoPi * fy * flux * wa.imag();
        sums.shift_x += kTwoPi * flux * wb.imag();
        sums.jitter += -flux * (fy * fy * wa.real() + we);
      }
    }
    // The Nyquist lines: the row k_y = N/2 and the column k_x = N/2 of an even N.
    for (std::size_t kx = end; kx < half_; ++kx) {
      const std::size_t k = row + kx;
      const std::complex<double> r(std::complex<double>(spectrum[k]) *
                                   std::conj(std::complex<double>(work[k])));
      const std::size_t my = (grid_ - ky) % grid_, mx = (grid_ - kx) % grid_;
      if (sums_needed) {
        const double weight = kx == 0 || 2 * kx == grid_ ? 1.0 : 2.0;
        const std::complex<double> o = object ? std::complex<double>(object[k]) : 1.0;
        accumulate(ky, kx, r, o, weight / 2, grads, sums);
        accumulate(my, mx, std::conj(r), std::conj(o), weight / 2, grads, sums);
      }
      if (object_bar) object_bar[k] += r * hermitian_transfer(ky, kx);
    }
  }
}

template <class T>
void FusedImaging<T>::reverse_plane(std::size_t plane, const ImagingBlocks<T>& blocks,
                                    const ImagingGrads<T>& grads, bool first, bool last) {
  const std::size_t size = cfg_.window, count = size * size, bin = cfg_.optics.bin;
  const std::size_t offset = cfg_.offset;
  const double flux = blocks.flux ? blocks.flux[plane] : 1.0;
  // M_bar -> L_bar (the detector's), phi_bar, beta_bar; B_bar = phi L_bar.
  double flux_bar = 0, background_bar = 0, da = 0, db = 0, dc = 0;
  double* bars = model_bar_.data();
  const double* levels = level_.data();
  const double* binned = binned_image_.data();
  if (cfg_.quadratic) {
    const double qa = blocks.detector[0], qb = blocks.detector[1];
#pragma omp simd reduction(+ : da, db, dc)
    for (std::size_t d = 0; d < count; ++d) {
      const double model_bar = bars[d], level = levels[d];
      da += model_bar * level * level;
      db += model_bar * level;
      dc += model_bar;
      bars[d] = model_bar * (2 * qa * level + qb);  // L_bar
    }
  }
#pragma omp simd reduction(+ : flux_bar, background_bar)
  for (std::size_t d = 0; d < count; ++d) {
    const double level_bar = bars[d];
    flux_bar += level_bar * binned[d];
    background_bar += level_bar;
    bars[d] = flux * level_bar;  // now B_bar
  }
  if (grads.detector) {
    grads.detector[0] += da;
    grads.detector[1] += db;
    grads.detector[2] += dc;
  }
  if (grads.flux) grads.flux[plane] += flux_bar;
  if (grads.background) grads.background[plane] += background_bar;
  // image_bar: B_bar spread over its bin x bin pixels (times 1/N^2 after a transfer), zero
  // off the window.
  const double scale = cfg_.transfer ? 1.0 / (static_cast<double>(grid_) * grid_) : 1.0;
  T* image_bar = image_bar_.data();
  if (offset != 0 || size * bin != grid_) {  // the window leaves some of the grid dark
    std::memset(static_cast<void*>(image_bar), 0, sizeof(T) * grid_ * grid_);
  }
  for (std::size_t i = 0; i < size; ++i) {
    const double* bar_row = bars + i * size;
    if (bin == 1) {
      T* row = image_bar + (offset + i) * grid_ + offset;
#pragma omp simd
      for (std::size_t j = 0; j < size; ++j) row[j] = static_cast<T>(scale * bar_row[j]);
      continue;
    }
    for (std::size_t j = 0; j < size; ++j) {
      const T value = static_cast<T>(scale * bar_row[j]);
      for (std::size_t dy = 0; dy < bin; ++dy) {
        T* row = image_bar + ((offset + i) * bin + dy) * grid_ + (offset + j) * bin;
        for (std::size_t dx = 0; dx < bin; ++dx) row[dx] = value;
      }
    }
  }
  T* intensity_bar = image_bar;
  if (cfg_.transfer) {
    // Y^ = r2c(image_bar) (with the 1/N^2 of the transfer already in), R = I^ conj(Y^): the
    // transfer parameters' gradients; then I_bar = c2r(Y^ conj T_h).
    real_dft_.forward(image_bar, work_.data(), threads_);
    const bool sums_needed = grads.positions || grads.fluxes || grads.shift || grads.jitter;
    const Complex* object =
        cfg_.object == ObjectKind::array ? object_spectrum_.data() : nullptr;
    TransferSums sums;
    if (sums_needed || grads.object) transfer_gradients(plane, grads, sums_needed, object, sums);
    multiply_spectra(work_.data(), transfer_.data(), work_.data(), grid_ * half_, true);
    if (grads.shift) {
      grads.shift[2 * plane] += sums.shift_y;
      grads.shift[2 * plane + 1] += sums.shift_x;
    }
    if (grads.jitter) *grads.jitter += 4 * kPi * kPi * blocks.jitter * sums.jitter;
    intensity_bar = intensity_.data();
    real_dft_.inverse(work_.data(), intensity_bar, threads_);
  }
  engine_->psf_reverse(plane, intensity_bar, first, last, grads.wavefront, grads.amplitude,
                       threads_);
  primal_plane_ = -1;
}

// A free object's gradient: o_bar(u) = sum over the full spectrum of V e^{-2 pi i k u / N} =
// c2r(conj V)[u] with V = sum_p R_p (J S_p)_h, at the object's pixels.
template <class T>
void FusedImaging<T>::finish_object(const ImagingGrads<T>& grads) {
  if (!grads.object) return;
  const std::size_t count = grid_ * half_, size = cfg_.object_size, centre = size / 2;
  Complex* work = work_.data();
  for (std::size_t k = 0; k < count; ++k) work[k] = Complex(std::conj(object_bar_.data()[k]));
  T* pixels = image_bar_.data();
  real_dft_.inverse(work, pixels, threads_);
  for (std::size_t a = 0; a < size; ++a) {
    const std::size_t row = (a + grid_ - centre) % grid_;
    for (std::size_t b = 0; b < size; ++b) {
      grads.object[a * size + b] = pixels[row * grid_ + (b + grid_ - centre) % grid_];
    }
  }
  std::fill(object_bar_.data(), object_bar_.data() + count, std::complex<double>(0, 0));
}

template <class T>
double FusedImaging<T>::value_and_grad(const ImagingBlocks<T>& blocks,
                                       const ImagingGrads<T>& grads, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  start_call(kValueAndGrad, blocks, threads);
  zero_grads(grads);
  double energy = 0;
  const std::size_t planes = cfg_.optics.planes;
  for (std::size_t p = 0; p < planes; ++p) {
    forward_plane(p, blocks);
    energy += metric_plane(p, true);
    reverse_plane(p, blocks, grads, p == 0, p + 1 == planes);
  }
  finish_object(grads);
  finish(kValueAndGrad, watch);
  return energy;
}

template <class T>
void FusedImaging<T>::simulate(const ImagingBlocks<T>& blocks, T* model, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  start_call(kSimulate, blocks, threads);
  const std::size_t count = cfg_.window * cfg_.window;
  for (std::size_t p = 0; p < cfg_.optics.planes; ++p) {
    forward_plane(p, blocks);
    for (std::size_t d = 0; d < count; ++d) model[p * count + d] = static_cast<T>(model_.data()[d]);
  }
  finish(kSimulate, watch);
}

template <class T>
void FusedImaging<T>::residuals(const ImagingBlocks<T>& blocks, double* r, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  start_call(kResiduals, blocks, threads);
  const std::size_t count = cfg_.window * cfg_.window;
  for (std::size_t p = 0; p < cfg_.optics.planes; ++p) {
    forward_plane(p, blocks);
    residual_plane(p, r + p * count, false);
  }
  finish(kResiduals, watch);
}

template <class T>
void FusedImaging<T>::vjp(const ImagingBlocks<T>& blocks, const double* u,
                          const ImagingGrads<T>& grads, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  start_call(kVjp, blocks, threads);
  zero_grads(grads);
  const std::size_t planes = cfg_.optics.planes, count = cfg_.window * cfg_.window;
  for (std::size_t p = 0; p < planes; ++p) {
    forward_plane(p, blocks);
    residual_plane(p, nullptr, true);
    for (std::size_t d = 0; d < count; ++d) model_bar_.data()[d] = slope_.data()[d] * u[p * count + d];
    reverse_plane(p, blocks, grads, p == 0, p + 1 == planes);
  }
  finish_object(grads);
  finish(kVjp, watch);
}

// -- tangents ------------------------------------------------------------------------------

// The engine's tangent for `dots` (zero wavefront where none is given).
template <class T>
void FusedImaging<T>::begin_dots(const ImagingBlocks<T>& dots) {
  const PhaseRetrievalConfig<T>& optics = cfg_.optics;
  const std::size_t params = optics.modes > 0 ? optics.modes : optics.n * optics.n;
  if (zero_params_.size() != params) zero_params_ = Buffer<T>::zeros(params);
  if (dots.wavefront || dots.amplitude) {
    engine_->begin_tangent(dots.wavefront ? dots.wavefront : zero_params_.data(),
                           dots.amplitude, threads_);
  }
  if (cfg_.object == ObjectKind::array && dots.object) {
    if (object_dot_spectrum_.size() == 0) {
      object_dot_spectrum_ = Buffer<Complex>::zeros(grid_ * half_);
    }
    object_transform(dots.object, object_dot_spectrum_.data());
  }
}

// T_dot at grid index (iy, ix) for the tangent `dots`, with the object spectrum's value and
// its tangent's there.
template <class T>
std::complex<double> FusedImaging<T>::transfer_dot(std::size_t iy, std::size_t ix,
                                                   std::complex<double> object,
                                                   std::complex<double> object_dot,
                                                   std::size_t plane,
                                                   const ImagingBlocks<T>& blocks,
                                                   const ImagingBlocks<T>& dots) const {
  const double fy = frequency_[iy], fx = frequency_[ix];
  const double sy_dot = dots.shift ? dots.shift[2 * plane] : 0.0;
  const double sx_dot = dots.shift ? dots.shift[2 * plane + 1] : 0.0;
  const double blur_dot = -4 * kPi * kPi * blocks.jitter * dots.jitter * (fy * fy + fx * fx);
  std::complex<double> raw = 0, moved = 0;
  for (std::size_t j = 0; j < terms_; ++j) {
    const std::complex<double> uv = table_y_[j * grid_ + iy] * table_x_[j * grid_ + ix];
    const double flux = term_weight_[j];
    raw += flux * uv;
    double yd = sy_dot, xd = sx_dot;
    if (cfg_.object == ObjectKind::points) {
      if (dots.fluxes) moved += dots.fluxes[j] * uv;
      if (dots.positions) {
        yd += dots.positions[2 * j];
        xd += dots.positions[2 * j + 1];
      }
    }
    moved += flux * uv * std::complex<double>(blur_dot, -kTwoPi * (fy * yd + fx * xd));
  }
  return moved * object + raw * object_dot;
}

template <class T>
void FusedImaging<T>::tangent_plane(std::size_t plane, const ImagingBlocks<T>& blocks,
                                    const ImagingBlocks<T>& dots, double* r_dot) {
  const bool primal = primal_plane_ != static_cast<long long>(plane);
  const bool psf_dot = dots.wavefront || dots.amplitude;
  const bool transfer_moves = cfg_.transfer && (dots.positions || dots.fluxes || dots.object ||
                                                dots.shift || dots.jitter != 0);
  if (primal) {
    forward_plane(plane, blocks);
    residual_plane(plane, nullptr, true);
  }
  const std::size_t size = cfg_.window, count = size * size;
  double* binned_dot = model_bar_.data();  // B_dot (scratch)
  if (psf_dot || transfer_moves) {
    if (intensity_dot_.size() == 0) intensity_dot_ = Buffer<T>::zeros(grid_ * grid_);
    T* image_dot = intensity_dot_.data();
    if (psf_dot) engine_->psf_tangent(plane, nullptr, image_dot, threads_);
    if (cfg_.transfer) {
      // Z_dot = I_dot^ T_h + I^ T_h_dot, T_h_dot the Hermitian part of T_dot.
      Complex* work = work_.data();
      if (psf_dot) {
        real_dft_.forward(image_dot, work, threads_);
      } else {
        std::fill(work, work + grid_ * half_, Complex(0));
      }
      const Complex* spectrum = spectrum_.data();
      const Complex* transfer = transfer_.data();
      const Complex* object =
          cfg_.object == ObjectKind::array ? object_spectrum_.data() : nullptr;
      const Complex* object_dot =
          object && dots.object ? object_dot_spectrum_.data() : nullptr;
      for (std::size_t ky = 0; ky < grid_; ++ky) {
        const std::size_t my = (grid_ - ky) % grid_;
        for (std::size_t kx = 0; kx < half_; ++kx) {
          const std::size_t k = ky * half_ + kx;
          Complex value = psf_dot ? work[k] * transfer[k] : Complex(0);
          if (transfer_moves) {
            const std::complex<double> o = object ? std::complex<double>(object[k]) : 1.0;
            const std::complex<double> od =
                object_dot ? std::complex<double>(object_dot[k]) : 0.0;
            std::complex<double> t_dot = transfer_dot(ky, kx, o, od, plane, blocks, dots);
            if (nyquist(ky, kx)) {
              t_dot = 0.5 * (t_dot + std::conj(transfer_dot(my, (grid_ - kx) % grid_,
                                                            std::conj(o), std::conj(od),
                                                            plane, blocks, dots)));
            }
            value += spectrum[k] * Complex(t_dot);
          }
          work[k] = value;
        }
      }
      real_dft_.inverse(work, image_dot, threads_);
    }
    window_forward(plane, blocks, image_dot, binned_dot, false);
  } else {
    std::fill(binned_dot, binned_dot + count, 0.0);
  }
  const double flux = blocks.flux ? blocks.flux[plane] : 1.0;
  const double flux_dot = dots.flux ? dots.flux[plane] : 0.0;
  const double background_dot = dots.background ? dots.background[plane] : 0.0;
  for (std::size_t d = 0; d < count; ++d) {
    const double level = level_.data()[d];
    const double level_dot = flux * binned_dot[d] + flux_dot * binned_image_.data()[d] + background_dot;
    double model_dot = level_dot;
    if (cfg_.quadratic) {
      model_dot = (2 * blocks.detector[0] * level + blocks.detector[1]) * level_dot;
      if (dots.detector) {
        model_dot += (dots.detector[0] * level + dots.detector[1]) * level + dots.detector[2];
      }
    }
    r_dot[d] = slope_.data()[d] * model_dot;
  }
}

template <class T>
void FusedImaging<T>::jvp(const ImagingBlocks<T>& blocks, const ImagingBlocks<T>& dots,
                          double* r_dot, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  start_call(kJvp, blocks, threads);
  begin_dots(dots);
  const std::size_t count = cfg_.window * cfg_.window;
  for (std::size_t p = 0; p < cfg_.optics.planes; ++p) {
    tangent_plane(p, blocks, dots, r_dot + p * count);
  }
  finish(kJvp, watch);
}

template <class T>
void FusedImaging<T>::gauss_newton_product(const ImagingBlocks<T>& blocks,
                                           const ImagingBlocks<T>& dots,
                                           const ImagingGrads<T>& grads, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  start_call(kGaussNewton, blocks, threads);
  begin_dots(dots);
  zero_grads(grads);
  const std::size_t planes = cfg_.optics.planes, count = cfg_.window * cfg_.window;
  std::vector<double> r_dot(count);
  for (std::size_t p = 0; p < planes; ++p) {
    tangent_plane(p, blocks, dots, r_dot.data());
    for (std::size_t d = 0; d < count; ++d) model_bar_.data()[d] = slope_.data()[d] * r_dot[d];
    reverse_plane(p, blocks, grads, p == 0, p + 1 == planes);
  }
  finish_object(grads);
  finish(kGaussNewton, watch);
}

template <class T>
std::size_t FusedImaging<T>::block_size(ImagingBlock block) const {
  const PhaseRetrievalConfig<T>& optics = cfg_.optics;
  switch (block) {
    case ImagingBlock::wavefront: return optics.modes > 0 ? optics.modes : optics.n * optics.n;
    case ImagingBlock::detector: return 3;
    case ImagingBlock::positions: return 2 * cfg_.sources;
    case ImagingBlock::fluxes: return cfg_.sources;
    case ImagingBlock::object: return cfg_.object_size * cfg_.object_size;
    case ImagingBlock::flux:
    case ImagingBlock::background: return optics.planes;
    case ImagingBlock::shift: return 2 * optics.planes;
    case ImagingBlock::jitter: return 1;
    case ImagingBlock::amplitude: return optics.n * optics.n;
  }
  return 0;
}

// Columns one after another: each plane's primal once, then a tangent per unit direction.
template <class T>
void FusedImaging<T>::jacobian(const ImagingBlocks<T>& blocks,
                               const std::vector<ImagingBlock>& free, std::size_t plane_begin,
                               std::size_t plane_end, double* jacobian_t, int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Stopwatch watch;
  start_call(kJacobian, blocks, threads);
  const std::size_t count = cfg_.window * cfg_.window;
  const std::size_t rows = (plane_end - plane_begin) * count;
  const std::size_t n = cfg_.optics.n;
  // One unit direction at a time, in buffers of each block's size.
  std::vector<T> unit_t(std::max({block_size(ImagingBlock::wavefront), n * n,
                                  block_size(ImagingBlock::object)}),
                        T(0));
  std::vector<double> unit_d(std::max<std::size_t>(3, 2 * std::max(cfg_.sources,
                                                                    cfg_.optics.planes)),
                             0.0);
  for (std::size_t p = plane_begin; p < plane_end; ++p) {
    std::size_t column = 0;
    for (const ImagingBlock block : free) {
      const std::size_t size = block_size(block);
      const bool model_precision = block == ImagingBlock::wavefront ||
                                   block == ImagingBlock::object ||
                                   block == ImagingBlock::amplitude;
      for (std::size_t e = 0; e < size; ++e, ++column) {
        double* out = jacobian_t + column * rows + (p - plane_begin) * count;
        const bool dark = (block == ImagingBlock::amplitude ||
                           (block == ImagingBlock::wavefront && cfg_.optics.modes == 0)) &&
                          cfg_.optics.amplitude[e] == T(0);
        if (dark) {  // off the support: no effect
          std::fill(out, out + count, 0.0);
          continue;
        }
        ImagingBlocks<T> dots;
        dots.jitter = 0;
        if (model_precision) {
          std::fill(unit_t.begin(), unit_t.end(), T(0));
          unit_t[e] = T(1);
        } else {
          std::fill(unit_d.begin(), unit_d.end(), 0.0);
          unit_d[e] = 1.0;
        }
        switch (block) {
          case ImagingBlock::wavefront: dots.wavefront = unit_t.data(); break;
          case ImagingBlock::detector: dots.detector = unit_d.data(); break;
          case ImagingBlock::positions: dots.positions = unit_d.data(); break;
          case ImagingBlock::fluxes: dots.fluxes = unit_d.data(); break;
          case ImagingBlock::object: dots.object = unit_t.data(); break;
          case ImagingBlock::flux: dots.flux = unit_d.data(); break;
          case ImagingBlock::background: dots.background = unit_d.data(); break;
          case ImagingBlock::shift: dots.shift = unit_d.data(); break;
          case ImagingBlock::jitter: dots.jitter = 1.0; break;
          case ImagingBlock::amplitude: dots.amplitude = unit_t.data(); break;
        }
        begin_dots(dots);
        tangent_plane(p, blocks, dots, out);
      }
    }
  }
  finish(kJacobian, watch);
}

template class FusedImaging<float>;
template class FusedImaging<double>;

}  // namespace phasegrad::models
