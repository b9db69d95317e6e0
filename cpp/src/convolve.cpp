// Circular convolution through cached FFTW plans. See kernels/convolve.hpp.
#include "phasegrad/kernels/convolve.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "phasegrad/fft.hpp"
#include "phasegrad/parallel.hpp"

namespace phasegrad {

namespace {

template <class E>
struct Precision {
  using type = E;
};
template <class T>
struct Precision<std::complex<T>> {
  using type = T;
};
template <class E>
using precision_t = typename Precision<E>::type;

template <class E>
constexpr bool is_complex_v = !std::is_same_v<E, precision_t<E>>;

// Uninitialised, 64-byte aligned room for n complex numbers (a spectrum stack): every element
// is written before it is read, so zero-filling it would be a wasted pass over memory.
template <class T>
class Spectra {
 public:
  explicit Spectra(std::size_t n) {
    if (n == 0) return;
    const std::size_t bytes = (n * sizeof(std::complex<T>) + 63) / 64 * 64;
    data_ = static_cast<std::complex<T>*>(std::aligned_alloc(64, bytes));
    if (data_ == nullptr) throw std::bad_alloc();
  }
  ~Spectra() { std::free(data_); }
  Spectra(const Spectra&) = delete;
  Spectra& operator=(const Spectra&) = delete;
  std::complex<T>* get() const { return data_; }

 private:
  std::complex<T>* data_ = nullptr;
};

// DFT_u of `planes` planes: FFTW straight from complex input, or after promoting real input.
template <class T>
void spectrum_of(const std::complex<T>* in, std::complex<T>* out, std::size_t planes,
                 std::size_t rows, std::size_t cols, int threads) {
  dft2_unnormalized<T>(in, out, planes, rows, cols, false, threads);
}

template <class T>
void spectrum_of(const T* in, std::complex<T>* out, std::size_t planes, std::size_t rows,
                 std::size_t cols, int threads) {
  const std::size_t n = planes * rows * cols;
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) out[i] = std::complex<T>(in[i], T(0));
  dft2_unnormalized<T>(out, out, planes, rows, cols, false, threads);
}

// Terms of a sum of pointwise products, grouped by the plane they add into: group g sums the
// terms start[g] <= t < start[g + 1], each the product of plane a_plane[t] of one spectrum
// stack with plane b_plane[t] of another.
struct Terms {
  std::vector<std::int64_t> start, a_plane, b_plane;
};

// One term per output plane: the forward convolution.
Terms one_term_per_plane(const ConvolveLayout& layout) {
  Terms terms;
  terms.start.resize(layout.out_planes + 1);
  for (std::size_t o = 0; o <= layout.out_planes; ++o) {
    terms.start[o] = static_cast<std::int64_t>(o);
  }
  terms.a_plane.assign(layout.x_plane, layout.x_plane + layout.out_planes);
  terms.b_plane.assign(layout.h_plane, layout.h_plane + layout.out_planes);
  return terms;
}

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

// Spectral elements summed at once per task: their double accumulators live on the stack.
constexpr std::size_t kProductChunk = 1024;

// out[g] = scale * sum_t a[a_plane[t]] * b[b_plane[t]] (or * conj(b[...])) over the terms of
// group g, elementwise over `plane` elements, accumulated in double: one pass over the inputs.
// out may be `a` itself when each group's only term reads a's plane g.
template <class T>
void grouped_products(const std::complex<T>* a, const std::complex<T>* b, const Terms& terms,
                      std::size_t plane, bool conjugate_b, double scale,
                      std::complex<T>* out, int threads) {
  const std::size_t groups = terms.start.size() - 1;
  const std::size_t chunks = (plane + kProductChunk - 1) / kProductChunk;
  const auto tasks = static_cast<std::int64_t>(groups * chunks);
  const double b_imag_sign = conjugate_b ? -1.0 : 1.0;
  const std::int64_t* start = terms.start.data();
  const std::int64_t* a_plane = terms.a_plane.data();
  const std::int64_t* b_plane = terms.b_plane.data();
#pragma omp parallel for num_threads(threads_for(groups * plane, threads)) schedule(static)
  for (std::int64_t task = 0; task < tasks; ++task) {
    const auto g = static_cast<std::size_t>(task) / chunks;
    const std::size_t lo = (static_cast<std::size_t>(task) % chunks) * kProductChunk;
    const std::size_t width = std::min(kProductChunk, plane - lo);
    double re[kProductChunk], im[kProductChunk];
    std::fill_n(re, width, 0.0);
    std::fill_n(im, width, 0.0);
    for (std::int64_t t = start[g]; t < start[g + 1]; ++t) {
      const std::complex<T>* av = a + static_cast<std::size_t>(a_plane[t]) * plane + lo;
      const std::complex<T>* bv = b + static_cast<std::size_t>(b_plane[t]) * plane + lo;
      for (std::size_t i = 0; i < width; ++i) {
        const double ar = av[i].real(), ai = av[i].imag();
        const double br = bv[i].real(), bi = b_imag_sign * bv[i].imag();
        re[i] += ar * br - ai * bi;
        im[i] += ar * bi + ai * br;
      }
    }
    std::complex<T>* ov = out + g * plane + lo;
    for (std::size_t i = 0; i < width; ++i) {
      ov[i] = std::complex<T>(static_cast<T>(scale * re[i]), static_cast<T>(scale * im[i]));
    }
  }
}

// IDFT_u of the spectra in place, then into `out`: nothing more when out is the spectra
// themselves (complex), the real part when out is real.
template <class T, class Out>
void inverse_into(std::complex<T>* spectra, Out* out, std::size_t planes, std::size_t rows,
                  std::size_t cols, int threads) {
  dft2_unnormalized<T>(spectra, spectra, planes, rows, cols, true, threads);
  if constexpr (!is_complex_v<Out>) {
    const std::size_t n = planes * rows * cols;
    const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(threads_for(n, threads)) schedule(static)
    for (std::int64_t i = 0; i < count; ++i) out[i] = spectra[i].real();
  }
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

}  // namespace

template <class X, class H, class Y>
void convolve_planes(const X* x, const H* h, Y* y, const ConvolveLayout& layout, int threads) {
  using T = precision_t<X>;
  static_assert(std::is_same_v<T, precision_t<H>> && std::is_same_v<T, precision_t<Y>>);
  static_assert(is_complex_v<Y> == (is_complex_v<X> || is_complex_v<H>));
  check_layout(layout);
  const std::size_t plane = layout.rows * layout.cols;
  // When x has one plane per output plane, its spectra are multiplied in place: in the
  // output itself for a complex y, so no scratch is needed for them at all.
  const bool in_place = layout.x_planes == layout.out_planes &&
                        is_identity(layout.x_plane, layout.out_planes);
  constexpr bool complex_out = is_complex_v<Y>;
  Spectra<T> x_scratch(complex_out && in_place ? 0 : layout.x_planes * plane);
  std::complex<T>* x_spectra = x_scratch.get();
  if constexpr (complex_out) {
    if (in_place) x_spectra = y;
  }
  Spectra<T> h_spectra(layout.h_planes * plane);
  Spectra<T> product_scratch(in_place || complex_out ? 0 : layout.out_planes * plane);
  std::complex<T>* product = in_place ? x_spectra : product_scratch.get();
  if constexpr (complex_out) {
    product = y;
  }
  spectrum_of(x, x_spectra, layout.x_planes, layout.rows, layout.cols, threads);
  spectrum_of(h, h_spectra.get(), layout.h_planes, layout.rows, layout.cols, threads);
  grouped_products(x_spectra, h_spectra.get(), one_term_per_plane(layout), plane, false,
                   1.0 / static_cast<double>(plane), product, threads);
  inverse_into(product, y, layout.out_planes, layout.rows, layout.cols, threads);
}

template <class G, class X, class H>
void convolve_planes_vjp(const G* y_bar, const X* x, const H* h, X* x_bar, H* h_bar,
                         const ConvolveLayout& layout, int threads) {
  using T = precision_t<G>;
  static_assert(std::is_same_v<T, precision_t<X>> && std::is_same_v<T, precision_t<H>>);
  check_layout(layout);
  const std::size_t plane = layout.rows * layout.cols;
  const double scale = 1.0 / static_cast<double>(plane);
  Spectra<T> y_spectra(layout.out_planes * plane);
  Spectra<T> x_spectra(layout.x_planes * plane);
  Spectra<T> h_spectra(layout.h_planes * plane);
  spectrum_of(y_bar, y_spectra.get(), layout.out_planes, layout.rows, layout.cols, threads);
  spectrum_of(x, x_spectra.get(), layout.x_planes, layout.rows, layout.cols, threads);
  spectrum_of(h, h_spectra.get(), layout.h_planes, layout.rows, layout.cols, threads);

  // h_bar first, into h_bar itself when complex: it is the last reader of x's spectra, which
  // then hold x_bar's (x_bar's products never read them).
  Spectra<T> h_bar_scratch(is_complex_v<H> ? 0 : layout.h_planes * plane);
  std::complex<T>* h_bar_spectra = h_bar_scratch.get();
  if constexpr (is_complex_v<H>) h_bar_spectra = h_bar;
  grouped_products(y_spectra.get(), x_spectra.get(),
                   grouped_by(layout.h_plane, layout.h_planes, layout.x_plane, layout.out_planes),
                   plane, true, scale, h_bar_spectra, threads);
  inverse_into(h_bar_spectra, h_bar, layout.h_planes, layout.rows, layout.cols, threads);

  std::complex<T>* x_bar_spectra = x_spectra.get();
  if constexpr (is_complex_v<X>) x_bar_spectra = x_bar;
  grouped_products(y_spectra.get(), h_spectra.get(),
                   grouped_by(layout.x_plane, layout.x_planes, layout.h_plane, layout.out_planes),
                   plane, true, scale, x_bar_spectra, threads);
  inverse_into(x_bar_spectra, x_bar, layout.x_planes, layout.rows, layout.cols, threads);
}

#define PHASEGRAD_CONVOLVE_FORWARD(X, H, Y) \
  template void convolve_planes<X, H, Y>(const X*, const H*, Y*, const ConvolveLayout&, int);
#define PHASEGRAD_CONVOLVE_REVERSE(G, X, H)                                               \
  template void convolve_planes_vjp<G, X, H>(const G*, const X*, const H*, X*, H*,      \
                                             const ConvolveLayout&, int);
#define PHASEGRAD_CONVOLVE_INSTANCES(T, C)  \
  PHASEGRAD_CONVOLVE_FORWARD(T, T, T)      \
  PHASEGRAD_CONVOLVE_FORWARD(T, C, C)      \
  PHASEGRAD_CONVOLVE_FORWARD(C, T, C)      \
  PHASEGRAD_CONVOLVE_FORWARD(C, C, C)      \
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
#undef PHASEGRAD_CONVOLVE_REVERSE
#undef PHASEGRAD_CONVOLVE_FORWARD

}  // namespace phasegrad
