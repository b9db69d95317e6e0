// Circular convolution through cached FFTW plans, its reverse and its forward rule. See
// ops/fourier.hpp.
//
// Each real plane is transformed alone, as a complex plane with a zero imaginary part, and each
// real output is the real part of its own inverse transform. Packing two real planes into one
// complex transform (z = a + i b, A = (Z + conj Z[-k]) / 2) would halve the transforms, but
// rounding error and non-finite values then leak between the two planes: float32 planes of flux
// 1 and 1e6 came out 5.9e-2 wrong, and one inf made every plane of the batch NaN.
#include "phasegrad/ops/fourier.hpp"

#include <algorithm>
#include <complex>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/core/element.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

namespace {

// The spectra of a stack of planes as the product pass reads them: the DFTs of complex planes,
// one per plane, or, for real planes, entries of the sequence of real planes' DFTs; plane p of
// the stack is then entry first + p of that sequence.
template <class T>
struct Spectra {
  const std::complex<T>* data = nullptr;
  std::size_t first = 0;
  bool packed = false;
};

// Reads one plane's spectrum.
template <class T>
struct PlaneReader {
  const std::complex<T>* z;

  PlaneReader(const Spectra<T>& s, std::size_t p, std::size_t plane)
      : z(s.data + (s.packed ? s.first + p : p) * plane) {}

  void at(std::size_t i, double& re, double& im_part) const {
    re = z[i].real();
    im_part = z[i].imag();
  }
};

// One output plane: scale * sum over its terms t of a[a_plane[t]] * b[b_plane[t]] (or times
// conj(b[...])), accumulated in double.
template <class T>
struct Job {
  const Spectra<T>* a;
  const Spectra<T>* b;
  const std::int64_t* a_plane;
  const std::int64_t* b_plane;
  std::int64_t begin, end;
  bool conjugate_b;
};

// One plane written by the product pass: job `first`, or, to be inverse-transformed as a pair
// of real outputs, job `first` + i * job `second`.
template <class T>
struct Slot {
  std::size_t first;
  std::ptrdiff_t second;  // -1: none
  std::complex<T>* out;
};

// Columns of one row handled at once per task: their double accumulators live on the stack.
constexpr std::size_t kProductChunk = 512;

template <class T>
void accumulate(const Job<T>& job, std::size_t r, std::size_t c0, std::size_t width,
                std::size_t rows, std::size_t cols, double* re, double* im) {
  std::fill_n(re, width, 0.0);
  std::fill_n(im, width, 0.0);
  const std::size_t plane = rows * cols;
  const double b_imag_sign = job.conjugate_b ? -1.0 : 1.0;
  for (std::int64_t t = job.begin; t < job.end; ++t) {
    const PlaneReader<T> a(*job.a, static_cast<std::size_t>(job.a_plane[t]), plane);
    const PlaneReader<T> b(*job.b, static_cast<std::size_t>(job.b_plane[t]), plane);
    for (std::size_t j = 0; j < width; ++j) {
      const std::size_t c = c0 + j;
      const std::size_t i = r * cols + c;
      double ar, ai, br, bi;
      a.at(i, ar, ai);
      b.at(i, br, bi);
      bi *= b_imag_sign;
      re[j] += ar * br - ai * bi;
      im[j] += ar * bi + ai * br;
    }
  }
}

// The product pass: every slot's plane, row chunk by row chunk, in one parallel region.
template <class T>
void fill_slots(const std::vector<Job<T>>& jobs, const std::vector<Slot<T>>& slots,
                std::size_t rows, std::size_t cols, double scale, int threads) {
  const std::size_t chunks = (cols + kProductChunk - 1) / kProductChunk;
  const std::size_t per_slot = rows * chunks;
  const auto tasks = static_cast<std::int64_t>(slots.size() * per_slot);
#pragma omp parallel for num_threads(threads_for(slots.size() * rows * cols, threads)) \
    schedule(static)
  for (std::int64_t task = 0; task < tasks; ++task) {
    const Slot<T>& slot = slots[static_cast<std::size_t>(task) / per_slot];
    const std::size_t within = static_cast<std::size_t>(task) % per_slot;
    const std::size_t r = within / chunks, c0 = (within % chunks) * kProductChunk;
    const std::size_t width = std::min(kProductChunk, cols - c0);
    double re[kProductChunk], im[kProductChunk], re2[kProductChunk], im2[kProductChunk];
    accumulate(jobs[slot.first], r, c0, width, rows, cols, re, im);
    std::complex<T>* out = slot.out + r * cols + c0;
    if (slot.second < 0) {
      for (std::size_t j = 0; j < width; ++j) {
        out[j] = std::complex<T>(static_cast<T>(scale * re[j]), static_cast<T>(scale * im[j]));
      }
    } else {  // Y_a + i Y_b
      accumulate(jobs[static_cast<std::size_t>(slot.second)], r, c0, width, rows, cols, re2,
                 im2);
      for (std::size_t j = 0; j < width; ++j) {
        out[j] = std::complex<T>(static_cast<T>(scale * (re[j] - im2[j])),
                                 static_cast<T>(scale * (im[j] + re2[j])));
      }
    }
  }
}

// A sequence of real planes (several stacks one after the other), one complex plane each.
template <class T>
class RealSequence {
 public:
  // Appends `count` planes starting at `planes`; returns the position of the first.
  std::size_t append(const T* planes, std::size_t count, std::size_t plane) {
    const std::size_t first = sources_.size();
    for (std::size_t p = 0; p < count; ++p) sources_.push_back(planes + p * plane);
    return first;
  }
  std::size_t size() const { return sources_.size(); }
  std::size_t packed_planes() const { return sources_.size(); }

  // packed[k] = plane k + 0i; then its DFT_u.
  void transform(std::complex<T>* packed, std::size_t rows, std::size_t cols,
                 int threads) const {
    const std::size_t plane = rows * cols, n = packed_planes();
    if (n == 0) return;
    const auto total = static_cast<std::int64_t>(n * plane);
    const T* const* sources = sources_.data();
#pragma omp parallel for num_threads(threads_for(n * plane, threads)) schedule(static)
    for (std::int64_t e = 0; e < total; ++e) {
      const std::size_t k = static_cast<std::size_t>(e) / plane;
      const std::size_t i = static_cast<std::size_t>(e) % plane;
      packed[e] = std::complex<T>(sources[k][i], T(0));
    }
    dft2_unnormalized<T>(packed, packed, n, rows, cols, false, threads);
  }

 private:
  std::vector<const T*> sources_;
};

// Real output planes, each inverse-transformed in a complex plane of its own, of which the real
// part is kept (Re IDFT(S): exact for a Hermitian spectrum, and the rule's real part for the
// gradient of a real input when y_bar or the other input is complex). Never paired: see the
// top of this file.
template <class T>
class RealOutputs {
 public:
  void add(T* planes, std::size_t count, std::size_t plane, std::size_t first_job,
           bool hermitian) {
    static_cast<void>(hermitian);  // pairing Hermitian outputs would leak between planes
    for (std::size_t g = 0; g < count; ++g) {
      entries_.push_back({planes + g * plane, nullptr, first_job + g, -1});
    }
  }
  std::size_t packed_planes() const { return entries_.size(); }

  // The product pass writes packed plane k: job first (+ i job second).
  void add_slots(std::complex<T>* packed, std::size_t plane, std::vector<Slot<T>>& slots) const {
    for (std::size_t k = 0; k < entries_.size(); ++k) {
      slots.push_back({entries_[k].first, entries_[k].second, packed + k * plane});
    }
  }

  // IDFT_u of the packed spectra in place, then the real parts (and imaginary parts of pairs)
  // into their planes.
  void inverse(std::complex<T>* packed, std::size_t rows, std::size_t cols, int threads) const {
    const std::size_t plane = rows * cols, n = entries_.size();
    if (n == 0) return;
    dft2_unnormalized<T>(packed, packed, n, rows, cols, true, threads);
    const auto total = static_cast<std::int64_t>(n * plane);
    const Entry* entries = entries_.data();
#pragma omp parallel for num_threads(threads_for(n * plane, threads)) schedule(static)
    for (std::int64_t e = 0; e < total; ++e) {
      const Entry& entry = entries[static_cast<std::size_t>(e) / plane];
      const std::size_t i = static_cast<std::size_t>(e) % plane;
      entry.re_target[i] = packed[e].real();
      if (entry.im_target != nullptr) entry.im_target[i] = packed[e].imag();
    }
  }

 private:
  struct Entry {
    T* re_target;
    T* im_target;
    std::size_t first;
    std::ptrdiff_t second;
  };
  std::vector<Entry> entries_;
};

// Terms of sums of products, grouped by the plane they add into: group g sums the terms
// start[g] <= t < start[g + 1], each the product of plane a_plane[t] and plane b_plane[t].
struct Terms {
  std::vector<std::int64_t> start, a_plane, b_plane;
};

// The reverse rule for one input: group the output planes o by key[o] (the input plane they
// read), in increasing o; each term multiplies y_bar's plane o with plane other[o].
Terms grouped_by(const std::int64_t* key, std::size_t groups, const std::int64_t* other,
                 std::size_t out_planes) {
  Terms terms;
  terms.start.assign(groups + 1, 0);
  for (std::size_t o = 0; o < out_planes; ++o) ++terms.start[static_cast<std::size_t>(key[o]) + 1];
  for (std::size_t g = 0; g < groups; ++g) terms.start[g + 1] += terms.start[g];
  std::vector<std::int64_t> next(terms.start.begin(), terms.start.end() - 1);
  terms.a_plane.resize(out_planes);
  terms.b_plane.resize(out_planes);
  for (std::size_t o = 0; o < out_planes; ++o) {
    const auto t = static_cast<std::size_t>(next[static_cast<std::size_t>(key[o])]++);
    terms.a_plane[t] = static_cast<std::int64_t>(o);
    terms.b_plane[t] = other[o];
  }
  return terms;
}

void check_layout(const ConvolveLayout& layout) {
  auto within = [&](const std::int64_t* map, std::size_t planes) {
    return std::all_of(map, map + layout.out_planes, [planes](std::int64_t v) {
      return v >= 0 && static_cast<std::size_t>(v) < planes;
    });
  };
  if (!within(layout.x_plane, layout.x_planes) || !within(layout.h_plane, layout.h_planes)) {
    throw std::invalid_argument("plane maps must index the planes of x and h");
  }
}

bool is_identity(const std::int64_t* map, std::size_t n) {
  for (std::size_t o = 0; o < n; ++o) {
    if (map[o] != static_cast<std::int64_t>(o)) return false;
  }
  return true;
}

// The spectra of an input stack: a complex one transformed into `room` (or into `into`, when
// given), a real one queued in `reals` for the packed transform.
template <class T>
Spectra<T> spectra_of(const std::complex<T>* planes, std::size_t count, std::size_t rows,
                      std::size_t cols, std::complex<T>* into, RealSequence<T>&, int threads) {
  dft2_unnormalized<T>(planes, into, count, rows, cols, false, threads);
  return {into, 0, false};
}

template <class T>
Spectra<T> spectra_of(const T* planes, std::size_t count, std::size_t rows, std::size_t cols,
                      std::complex<T>*, RealSequence<T>& reals, int) {
  return {nullptr, reals.append(planes, count, rows * cols), true};
}

// Where the product pass writes an output stack: its own planes when complex (transformed in
// place afterwards), packed real outputs when real.
template <class T>
void add_output(std::complex<T>* planes, std::size_t count, std::size_t plane,
                std::size_t first_job, bool, std::vector<Slot<T>>& slots, RealOutputs<T>&) {
  for (std::size_t g = 0; g < count; ++g) slots.push_back({first_job + g, -1, planes + g * plane});
}

template <class T>
void add_output(T* planes, std::size_t count, std::size_t plane, std::size_t first_job,
                bool hermitian, std::vector<Slot<T>>&, RealOutputs<T>& reals) {
  reals.add(planes, count, plane, first_job, hermitian);
}

}  // namespace

template <class X, class H, class Y>
void convolve(const X* x, const H* h, Y* y, const ConvolveLayout& layout, int threads) {
  using T = real_t<X>;
  static_assert(std::is_same_v<T, real_t<H>> && std::is_same_v<T, real_t<Y>>);
  static_assert(is_complex_v<Y> == (is_complex_v<X> || is_complex_v<H>));
  check_layout(layout);
  const std::size_t rows = layout.rows, cols = layout.cols, plane = rows * cols;

  // A complex x with one plane per output plane is transformed into y itself: the product pass
  // then overwrites each spectrum element with the output's, element by element.
  bool x_into_y = false;
  if constexpr (is_complex_v<X>) {
    x_into_y = layout.x_planes == layout.out_planes &&
               is_identity(layout.x_plane, layout.out_planes);
  }
  Buffer<std::complex<T>> x_room(is_complex_v<X> && !x_into_y ? layout.x_planes * plane : 0);
  Buffer<std::complex<T>> h_room(is_complex_v<H> ? layout.h_planes * plane : 0);
  std::complex<T>* x_target = x_room.data();
  if constexpr (is_complex_v<Y>) {
    if (x_into_y) x_target = y;
  }
  RealSequence<T> reals;
  Spectra<T> xs = spectra_of<T>(x, layout.x_planes, rows, cols, x_target, reals, threads);
  Spectra<T> hs = spectra_of<T>(h, layout.h_planes, rows, cols, h_room.data(), reals, threads);
  Buffer<std::complex<T>> packed(reals.packed_planes() * plane);
  reals.transform(packed.data(), rows, cols, threads);
  if (xs.packed) xs.data = packed.data();
  if (hs.packed) hs.data = packed.data();

  std::vector<Job<T>> jobs;
  for (std::size_t o = 0; o < layout.out_planes; ++o) {
    const auto t = static_cast<std::int64_t>(o);
    jobs.push_back({&xs, &hs, layout.x_plane, layout.h_plane, t, t + 1, false});
  }
  std::vector<Slot<T>> slots;
  RealOutputs<T> real_outputs;
  add_output(y, layout.out_planes, plane, 0, true, slots, real_outputs);  // real y: x, h real
  Buffer<std::complex<T>> packed_out(real_outputs.packed_planes() * plane);
  real_outputs.add_slots(packed_out.data(), plane, slots);
  fill_slots(jobs, slots, rows, cols, 1.0 / static_cast<double>(plane), threads);

  if constexpr (is_complex_v<Y>) {
    dft2_unnormalized<T>(y, y, layout.out_planes, rows, cols, true, threads);
  } else {
    real_outputs.inverse(packed_out.data(), rows, cols, threads);
  }
}

template <class G, class X, class H>
void convolve_vjp(const G* y_bar, const X* x, const H* h, X* x_bar, H* h_bar,
                  const ConvolveLayout& layout, int threads) {
  using T = real_t<G>;
  static_assert(std::is_same_v<T, real_t<X>> && std::is_same_v<T, real_t<H>>);
  check_layout(layout);
  const std::size_t rows = layout.rows, cols = layout.cols, plane = rows * cols;

  Buffer<std::complex<T>> y_room(is_complex_v<G> ? layout.out_planes * plane : 0);
  Buffer<std::complex<T>> x_room(is_complex_v<X> ? layout.x_planes * plane : 0);
  Buffer<std::complex<T>> h_room(is_complex_v<H> ? layout.h_planes * plane : 0);
  RealSequence<T> reals;
  Spectra<T> ys = spectra_of<T>(y_bar, layout.out_planes, rows, cols, y_room.data(), reals,
                                threads);
  Spectra<T> xs = spectra_of<T>(x, layout.x_planes, rows, cols, x_room.data(), reals, threads);
  Spectra<T> hs = spectra_of<T>(h, layout.h_planes, rows, cols, h_room.data(), reals, threads);
  Buffer<std::complex<T>> packed(reals.packed_planes() * plane);
  reals.transform(packed.data(), rows, cols, threads);
  for (Spectra<T>* s : {&ys, &xs, &hs}) {
    if (s->packed) s->data = packed.data();
  }

  // x_bar[t] sums, over the output planes o reading x plane t, y_bar[o] conj(h[h_plane[o]]);
  // h_bar likewise with x.
  const Terms x_terms =
      grouped_by(layout.x_plane, layout.x_planes, layout.h_plane, layout.out_planes);
  const Terms h_terms =
      grouped_by(layout.h_plane, layout.h_planes, layout.x_plane, layout.out_planes);
  std::vector<Job<T>> jobs;
  for (std::size_t g = 0; g < layout.x_planes; ++g) {
    jobs.push_back({&ys, &hs, x_terms.a_plane.data(), x_terms.b_plane.data(), x_terms.start[g],
                    x_terms.start[g + 1], true});
  }
  for (std::size_t g = 0; g < layout.h_planes; ++g) {
    jobs.push_back({&ys, &xs, h_terms.a_plane.data(), h_terms.b_plane.data(), h_terms.start[g],
                    h_terms.start[g + 1], true});
  }
  std::vector<Slot<T>> slots;
  RealOutputs<T> real_outputs;
  // x_bar's spectra are Hermitian when y_bar and h are real, h_bar's when y_bar and x are.
  add_output(x_bar, layout.x_planes, plane, 0, !is_complex_v<G> && !is_complex_v<H>, slots,
             real_outputs);
  add_output(h_bar, layout.h_planes, plane, layout.x_planes,
             !is_complex_v<G> && !is_complex_v<X>, slots, real_outputs);
  Buffer<std::complex<T>> packed_out(real_outputs.packed_planes() * plane);
  real_outputs.add_slots(packed_out.data(), plane, slots);
  fill_slots(jobs, slots, rows, cols, 1.0 / static_cast<double>(plane), threads);

  if constexpr (is_complex_v<X>) {
    dft2_unnormalized<T>(x_bar, x_bar, layout.x_planes, rows, cols, true, threads);
  }
  if constexpr (is_complex_v<H>) {
    dft2_unnormalized<T>(h_bar, h_bar, layout.h_planes, rows, cols, true, threads);
  }
  real_outputs.inverse(packed_out.data(), rows, cols, threads);
}

namespace {

// The unnormalised DFT of `count` planes into `spectra`: a complex stack straight from its
// memory, a real one promoted to complex there first (a zero imaginary part) and transformed in
// place. Each plane is its own transform.
template <class T>
void spectra_into(const std::complex<T>* planes, std::size_t count, std::size_t rows,
                  std::size_t cols, std::complex<T>* spectra, int threads) {
  dft2_unnormalized<T>(planes, spectra, count, rows, cols, false, threads);
}

template <class T>
void spectra_into(const T* planes, std::size_t count, std::size_t rows, std::size_t cols,
                  std::complex<T>* spectra, int threads) {
  const std::size_t n = count * rows * cols;
  const auto total = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t e = 0; e < total; ++e) spectra[e] = std::complex<T>(planes[e], T(0));
  dft2_unnormalized<T>(spectra, spectra, count, rows, cols, false, threads);
}

// a * b in double, written out: std::complex's operator* checks for infinities and NaNs in a
// library call that the product pass cannot afford.
inline void multiply_add(double ar, double ai, double br, double bi, double& re, double& im) {
  re += ar * br - ai * bi;
  im += ar * bi + ai * br;
}

}  // namespace

template <class X, class H, class Y>
void convolve_jvp(const X* x, const H* h, const X* x_dot, const H* h_dot, Y* y, Y* y_dot,
                  const ConvolveLayout& layout, int threads) {
  using T = real_t<X>;
  static_assert(std::is_same_v<T, real_t<H>> && std::is_same_v<T, real_t<Y>>);
  static_assert(is_complex_v<Y> == (is_complex_v<X> || is_complex_v<H>));
  check_layout(layout);
  const std::size_t rows = layout.rows, cols = layout.cols, plane = rows * cols;
  const std::size_t xn = layout.x_planes * plane, hn = layout.h_planes * plane;

  // The spectra, one after the other: X, X', H, H'.
  Buffer<std::complex<T>> spectra(2 * (xn + hn));
  std::complex<T>* const xs = spectra.data();
  std::complex<T>* const xds = xs + xn;
  std::complex<T>* const hs = xds + xn;
  std::complex<T>* const hds = hs + hn;
  spectra_into<T>(x, layout.x_planes, rows, cols, xs, threads);
  spectra_into<T>(x_dot, layout.x_planes, rows, cols, xds, threads);
  spectra_into<T>(h, layout.h_planes, rows, cols, hs, threads);
  spectra_into<T>(h_dot, layout.h_planes, rows, cols, hds, threads);

  // The output spectra: written into y and y_dot when complex (then transformed in place),
  // into one scratch stack [Y, Y'] when real (one batched inverse transform, planes apart).
  const std::size_t out = layout.out_planes * plane;
  Buffer<std::complex<T>> scratch(is_complex_v<Y> ? 0 : 2 * out);
  std::complex<T>* y_spectrum = scratch.data();
  std::complex<T>* y_dot_spectrum = scratch.data() + (is_complex_v<Y> ? 0 : out);
  if constexpr (is_complex_v<Y>) {
    y_spectrum = y;
    y_dot_spectrum = y_dot;
  }

  const double norm = 1.0 / static_cast<double>(plane);
  const auto out_planes = static_cast<std::int64_t>(layout.out_planes);
  const auto plane_size = static_cast<std::int64_t>(plane);
  const std::int64_t* x_plane = layout.x_plane;
  const std::int64_t* h_plane = layout.h_plane;
#pragma omp parallel for collapse(2) num_threads(threads_for(out, threads)) schedule(static)
  for (std::int64_t o = 0; o < out_planes; ++o) {
    for (std::int64_t i = 0; i < plane_size; ++i) {
      const std::int64_t xi = x_plane[o] * plane_size + i, hi = h_plane[o] * plane_size + i;
      const double ar = xs[xi].real(), ai = xs[xi].imag();
      const double dr = xds[xi].real(), di = xds[xi].imag();
      const double br = hs[hi].real(), bi = hs[hi].imag();
      const double er = hds[hi].real(), ei = hds[hi].imag();
      double yr = 0, yi = 0, tr = 0, ti = 0;
      multiply_add(ar, ai, br, bi, yr, yi);  // X H
      multiply_add(dr, di, br, bi, tr, ti);  // X' H
      multiply_add(ar, ai, er, ei, tr, ti);  // + X H'
      const std::int64_t e = o * plane_size + i;
      y_spectrum[e] = std::complex<T>(static_cast<T>(norm * yr), static_cast<T>(norm * yi));
      y_dot_spectrum[e] = std::complex<T>(static_cast<T>(norm * tr), static_cast<T>(norm * ti));
    }
  }

  if constexpr (is_complex_v<Y>) {
    dft2_unnormalized<T>(y, y, layout.out_planes, rows, cols, true, threads);
    dft2_unnormalized<T>(y_dot, y_dot, layout.out_planes, rows, cols, true, threads);
  } else {
    // Both spectra are Hermitian (every factor the DFT of a real plane): keep the real parts.
    dft2_unnormalized<T>(scratch.data(), scratch.data(), 2 * layout.out_planes, rows, cols,
                         true, threads);
    const std::complex<T>* spectra_out = scratch.data();
    const auto total = static_cast<std::int64_t>(out);
#pragma omp parallel for num_threads(threads_for(out, threads)) schedule(static)
    for (std::int64_t e = 0; e < total; ++e) {
      y[e] = spectra_out[e].real();
      y_dot[e] = spectra_out[out + static_cast<std::size_t>(e)].real();
    }
  }
}

#define PHASEGRAD_CONVOLVE_FORWARD(X, H, Y) \
  template void convolve<X, H, Y>(const X*, const H*, Y*, const ConvolveLayout&, int);
#define PHASEGRAD_CONVOLVE_REVERSE(G, X, H)                                 \
  template void convolve_vjp<G, X, H>(const G*, const X*, const H*, X*, H*, \
                                      const ConvolveLayout&, int);
#define PHASEGRAD_CONVOLVE_TANGENT(X, H, Y)                                                \
  template void convolve_jvp<X, H, Y>(const X*, const H*, const X*, const H*, Y*, Y*, \
                                      const ConvolveLayout&, int);
#define PHASEGRAD_CONVOLVE_INSTANCES(T, C) \
  PHASEGRAD_CONVOLVE_FORWARD(T, T, T)      \
  PHASEGRAD_CONVOLVE_FORWARD(T, C, C)      \
  PHASEGRAD_CONVOLVE_FORWARD(C, T, C)      \
  PHASEGRAD_CONVOLVE_FORWARD(C, C, C)      \
  PHASEGRAD_CONVOLVE_TANGENT(T, T, T)      \
  PHASEGRAD_CONVOLVE_TANGENT(T, C, C)      \
  PHASEGRAD_CONVOLVE_TANGENT(C, T, C)      \
  PHASEGRAD_CONVOLVE_TANGENT(C, C, C)      \
  PHASEGRAD_CONVOLVE_REVERSE(T, T, T)      \
  PHASEGRAD_CONVOLVE_REVERSE(T, T, C)      \
  PHASEGRAD_CONVOLVE_REVERSE(T, C, T)      \
  PHASEGRAD_CONVOLVE_REVERSE(T, C, C)      \
  PHASEGRAD_CONVOLVE_REVERSE(C, T, T)      \
  PHASEGRAD_CONVOLVE_REVERSE(C, T, C)      \
  PHASEGRAD_CONVOLVE_REVERSE(C, C, T)      \
  PHASEGRAD_CONVOLVE_REVERSE(C, C, C)

PHASEGRAD_CONVOLVE_INSTANCES(float, std::complex<float>)
PHASEGRAD_CONVOLVE_INSTANCES(double, std::complex<double>)

#undef PHASEGRAD_CONVOLVE_INSTANCES
#undef PHASEGRAD_CONVOLVE_TANGENT
#undef PHASEGRAD_CONVOLVE_REVERSE
#undef PHASEGRAD_CONVOLVE_FORWARD

}  // namespace phasegrad::ops
