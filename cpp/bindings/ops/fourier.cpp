// Bindings of the Fourier ops (see python/phasegrad/ops/fourier.py).
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/core/element.hpp"
#include "phasegrad/ops/fourier.hpp"

namespace phasegrad::bind {

namespace {

// y = scale * DFT_u(x) (or IDFT_u): FFTW out of place, then one scaling pass when scale != 1;
// into a new array, or into `out_in` when it is not None (x's dtype and shape, contiguous,
// writeable; the caller has checked that it does not overlap x).
template <class T>
py::array scaled_dft2(const py::array& x_in, double scale, bool inverse, int threads,
                      const std::optional<py::array>& out_in) {
  auto x = strict<std::complex<T>>(x_in, "x");
  const Planes p = planes_of(x, "x");
  Array<std::complex<T>> out = out_in ? strict_out<std::complex<T>>(*out_in, "out", shape_of(x))
                                      : Array<std::complex<T>>(shape_of(x));
  const std::complex<T>* src = x.data();
  std::complex<T>* dst = out.mutable_data();
  if (src == dst) throw std::invalid_argument("out must not overlap x");
  {
    py::gil_scoped_release release;
    ops::dft2<T>(src, dst, p.batch, p.rows, p.cols, scale, inverse, threads);
  }
  return std::move(out);
}

template <class T>
py::array mft_matrix_of(py::ssize_t n_out, py::ssize_t n_in, double scale, bool conjugate,
                        bool transpose, int threads) {
  const std::size_t rows = positive(n_out, "n_out"), cols = positive(n_in, "n_in");
  Array<std::complex<T>> out(transpose ? std::vector<py::ssize_t>{n_in, n_out}
                                       : std::vector<py::ssize_t>{n_out, n_in});
  std::complex<T>* dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    ops::mft_matrix<T>(dst, rows, cols, scale, conjugate, transpose, threads);
  }
  return std::move(out);
}

// The broadcast layout: x and h share the plane; the int64 plane maps, of the output's batch
// shape, say which plane of x and of h each output plane reads.
struct Broadcast {
  ops::ConvolveLayout layout;
  std::vector<py::ssize_t> out_shape;
  Array<std::int64_t> x_map, h_map;  // keep the maps alive while the kernel reads them
};

Broadcast broadcast_of(const py::array& x, const py::array& h, const py::array& x_plane,
                       const py::array& h_plane) {
  const Planes px = planes_of(x, "x"), ph = planes_of(h, "h");
  if (px.rows != ph.rows || px.cols != ph.cols) {
    throw std::invalid_argument("x and h must have the same plane shape (last two axes)");
  }
  auto x_map = strict<std::int64_t>(x_plane, "x_plane");
  auto h_map = strict<std::int64_t>(h_plane, "h_plane");
  std::vector<py::ssize_t> out_shape = shape_of(x_map);
  if (out_shape != shape_of(h_map)) {
    throw std::invalid_argument("x_plane and h_plane must have the same shape");
  }
  out_shape.push_back(static_cast<py::ssize_t>(px.rows));
  out_shape.push_back(static_cast<py::ssize_t>(px.cols));
  ops::ConvolveLayout layout{px.rows, px.cols, px.batch, ph.batch,
                        static_cast<std::size_t>(x_map.size()), x_map.data(), h_map.data()};
  return {layout, std::move(out_shape), std::move(x_map), std::move(h_map)};
}

template <class X, class H>
py::array convolve(const py::array& x_in, const py::array& h_in, const py::array& x_plane,
                   const py::array& h_plane, int threads) {
  using T = real_t<X>;
  using Y = std::conditional_t<std::is_same_v<X, T> && std::is_same_v<H, T>, T,
                               std::complex<T>>;
  auto x = strict<X>(x_in, "x");
  auto h = strict<H>(h_in, "h");
  const Broadcast b = broadcast_of(x, h, x_plane, h_plane);
  Array<Y> y(b.out_shape);
  const X* xs = x.data();
  const H* hs = h.data();
  Y* ys = y.mutable_data();
  {
    py::gil_scoped_release release;
    ops::convolve<X, H, Y>(xs, hs, ys, b.layout, threads);
  }
  return std::move(y);
}

template <class G, class X, class H>
ArrayPair convolve_vjp(const py::array& y_bar_in, const py::array& x_in, const py::array& h_in,
                       const py::array& x_plane, const py::array& h_plane, int threads) {
  auto y_bar = strict<G>(y_bar_in, "y_bar");
  auto x = strict<X>(x_in, "x");
  auto h = strict<H>(h_in, "h");
  const Broadcast b = broadcast_of(x, h, x_plane, h_plane);
  if (shape_of(y_bar) != b.out_shape) {
    throw std::invalid_argument("y_bar must have the shape of convolve's output");
  }
  Array<X> x_bar(shape_of(x));
  Array<H> h_bar(shape_of(h));
  const G* gs = y_bar.data();
  const X* xs = x.data();
  const H* hs = h.data();
  X* x_bar_data = x_bar.mutable_data();
  H* h_bar_data = h_bar.mutable_data();
  {
    py::gil_scoped_release release;
    ops::convolve_vjp<G, X, H>(gs, xs, hs, x_bar_data, h_bar_data, b.layout, threads);
  }
  return py::make_tuple(std::move(x_bar), std::move(h_bar));
}

template <class X, class H>
ArrayPair convolve_jvp(const py::array& x_in, const py::array& h_in, const py::array& x_dot_in,
                       const py::array& h_dot_in, const py::array& x_plane,
                       const py::array& h_plane, int threads) {
  using T = real_t<X>;
  using Y = std::conditional_t<std::is_same_v<X, T> && std::is_same_v<H, T>, T,
                               std::complex<T>>;
  auto x = strict<X>(x_in, "x");
  auto h = strict<H>(h_in, "h");
  auto x_dot = strict<X>(x_dot_in, "x_dot");
  auto h_dot = strict<H>(h_dot_in, "h_dot");
  expect_same_shape(x_dot, "x_dot", x, "x");
  expect_same_shape(h_dot, "h_dot", h, "h");
  const Broadcast b = broadcast_of(x, h, x_plane, h_plane);
  Array<Y> y(b.out_shape), y_dot(b.out_shape);
  const X* xs = x.data();
  const H* hs = h.data();
  const X* xds = x_dot.data();
  const H* hds = h_dot.data();
  Y* ys = y.mutable_data();
  Y* yds = y_dot.mutable_data();
  {
    py::gil_scoped_release release;
    ops::convolve_jvp<X, H, Y>(xs, hs, xds, hds, ys, yds, b.layout, threads);
  }
  return py::make_tuple(std::move(y), std::move(y_dot));
}

}  // namespace

void bind_fourier(py::module_& m) {
  m.def(
      "dft2",
      [](const py::array& x, double scale, bool inverse, int threads,
         const std::optional<py::array>& out) -> py::array {
        return dispatch(Complexes{}, x, "x", [&](auto tag) {
          return scaled_dft2<real_t<typename decltype(tag)::type>>(x, scale, inverse, threads, out);
        });
      },
      py::arg("x"), py::arg("scale"), py::arg("inverse"), py::arg("threads"),
      py::arg("out") = py::none(), "scale * (I)DFT_u(x) over the last two axes (into out).");
  m.def(
      "mft_matrix",
      [](py::ssize_t n_out, py::ssize_t n_in, double scale, const py::dtype& dtype,
         bool conjugate, bool transpose, int threads) -> py::array {
        return dispatch(Complexes{}, dtype, "dtype", [&](auto tag) {
          using T = real_t<typename decltype(tag)::type>;
          return mft_matrix_of<T>(n_out, n_in, scale, conjugate, transpose, threads);
        });
      },
      py::arg("n_out"), py::arg("n_in"), py::arg("scale"), py::arg("dtype"),
      py::arg("conjugate"), py::arg("transpose"), py::arg("threads"),
      "exp(-2 pi i scale (k - n_out//2) p), (n_out, n_in); conjugated and/or transposed.");
  m.def(
      "convolve",
      [](const py::array& x, const py::array& h, const py::array& x_plane,
         const py::array& h_plane, int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto x_tag) {
          using X = typename decltype(x_tag)::type;
          return dispatch(OfPrecision<real_t<X>>{}, h, "h", [&](auto h_tag) {
            return convolve<X, typename decltype(h_tag)::type>(x, h, x_plane, h_plane, threads);
          });
        });
      },
      py::arg("x"), py::arg("h"), py::arg("x_plane"), py::arg("h_plane"), py::arg("threads"),
      "Circular convolution over the last two axes; output plane o convolves x plane\n"
      "x_plane[o] with h plane h_plane[o] (int64 maps of the output's batch shape).");
  m.def(
      "convolve_vjp",
      [](const py::array& y_bar, const py::array& x, const py::array& h,
         const py::array& x_plane, const py::array& h_plane, int threads) -> ArrayPair {
        return dispatch(Floats{}, x, "x", [&](auto x_tag) {
          using X = typename decltype(x_tag)::type;
          return dispatch(OfPrecision<real_t<X>>{}, h, "h", [&](auto h_tag) {
            using H = typename decltype(h_tag)::type;
            return dispatch(OfPrecision<real_t<X>>{}, y_bar, "y_bar", [&](auto g_tag) {
              return convolve_vjp<typename decltype(g_tag)::type, X, H>(y_bar, x, h, x_plane,
                                                                        h_plane, threads);
            });
          });
        });
      },
      py::arg("y_bar"), py::arg("x"), py::arg("h"), py::arg("x_plane"), py::arg("h_plane"),
      py::arg("threads"), "(x_bar, h_bar) of convolve: correlations with conj(h), conj(x).");
  m.def(
      "convolve_jvp",
      [](const py::array& x, const py::array& h, const py::array& x_dot,
         const py::array& h_dot, const py::array& x_plane, const py::array& h_plane,
         int threads) -> ArrayPair {
        return dispatch(Floats{}, x, "x", [&](auto x_tag) {
          using X = typename decltype(x_tag)::type;
          return dispatch(OfPrecision<real_t<X>>{}, h, "h", [&](auto h_tag) {
            return convolve_jvp<X, typename decltype(h_tag)::type>(x, h, x_dot, h_dot, x_plane,
                                                                   h_plane, threads);
          });
        });
      },
      py::arg("x"), py::arg("h"), py::arg("x_dot"), py::arg("h_dot"), py::arg("x_plane"),
      py::arg("h_plane"), py::arg("threads"),
      "(y, y_dot) of convolve: y_dot = convolve(x_dot, h) + convolve(x, h_dot), fused\n"
      "(x_dot of x's dtype and shape, h_dot of h's).");
}

}  // namespace phasegrad::bind
