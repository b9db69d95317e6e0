// Bindings of the complex_parts ops (see python/phasegrad/ops/complex_parts.py): validate,
// allocate the output, release the GIL, run one kernel pass.
#include "elementwise.hpp"
#include "phasegrad/ops/complex_parts.hpp"

namespace phasegrad::bind {

namespace {

template <class T>
using Complex = std::complex<T>;

py::array abs2(const py::array& x, int threads) {
  return dispatch_float(x, "x", [&](auto tag, auto complex_x) -> py::array {
    using T = typename decltype(tag)::type;
    const std::size_t n = element_count(x);
    Array<T> y(shape_of(x));
    T* out = y.mutable_data();
    if constexpr (decltype(complex_x)::value) {
      const Complex<T>* in = strict<Complex<T>>(x, "x").data();
      py::gil_scoped_release release;
      ops::abs2<T>(in, out, n, threads);
    } else {
      const T* in = strict<T>(x, "x").data();
      py::gil_scoped_release release;
      ops::abs2<T>(in, out, n, threads);
    }
    return std::move(y);
  });
}

py::array abs2_vjp(const py::array& y_bar, const py::array& x, int threads) {
  expect_same_shape(y_bar, "y_bar", x, "x");
  return dispatch_float(x, "x", [&](auto tag, auto complex_x) -> py::array {
    using T = typename decltype(tag)::type;
    using X = std::conditional_t<decltype(complex_x)::value, Complex<T>, T>;
    const RealView<T> g = real_part_of<T>(y_bar, "y_bar");
    const X* in = strict<X>(x, "x").data();
    const std::size_t n = element_count(x);
    Array<X> x_bar(shape_of(x));
    X* out = x_bar.mutable_data();
    {
      py::gil_scoped_release release;
      ops::abs2_vjp<T>(g, in, out, n, threads);
    }
    return std::move(x_bar);
  });
}

// Re(a) (complex a) or a copy of a (real a); with `imaginary`, Im(a) of a complex a.
py::array part(const py::array& a, bool imaginary, int threads) {
  return dispatch_float(a, "x", [&](auto tag, auto complex_a) -> py::array {
    using T = typename decltype(tag)::type;
    RealView<T> source{nullptr, 1};
    if constexpr (decltype(complex_a)::value) {
      const Complex<T>* in = strict<Complex<T>>(a, "x").data();
      source = imaginary ? RealView<T>::imag_of(in) : RealView<T>::real_of(in);
    } else {
      if (imaginary) {
        throw py::type_error("x must have dtype complex64 or complex128 for its imaginary part; "
                             "got " + dtype_name(a));
      }
      source = RealView<T>::of(strict<T>(a, "x").data());
    }
    const std::size_t n = element_count(a);
    Array<T> y(shape_of(a));
    T* out = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::copy_part<T>(source, out, n, threads);
    }
    return std::move(y);
  });
}

py::array embed(const py::array& a, bool imaginary, int threads) {
  return dispatch_float(a, "x", [&](auto tag, auto /*complex_a*/) -> py::array {
    using T = typename decltype(tag)::type;
    const RealView<T> source = real_part_of<T>(a, "x");
    const std::size_t n = element_count(a);
    Array<Complex<T>> y(shape_of(a));
    Complex<T>* out = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::embed<T>(source, imaginary, out, n, threads);
    }
    return std::move(y);
  });
}

py::array exp(const py::array& x, int threads) {
  return dispatch_float(x, "x", [&](auto tag, auto complex_x) -> py::array {
    using T = typename decltype(tag)::type;
    using X = std::conditional_t<decltype(complex_x)::value, Complex<T>, T>;
    const X* in = strict<X>(x, "x").data();
    const std::size_t n = element_count(x);
    Array<X> y(shape_of(x));
    X* out = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::exp<T>(in, out, n, threads);
    }
    return std::move(y);
  });
}

py::array exp_vjp(const py::array& y_bar, const py::array& y, int threads) {
  expect_same_shape(y_bar, "y_bar", y, "y");
  return dispatch_float(y, "y", [&](auto tag, auto complex_y) -> py::array {
    using T = typename decltype(tag)::type;
    const std::size_t n = element_count(y);
    if constexpr (decltype(complex_y)::value) {
      expect_precision<T>(y_bar, "y_bar");
      const Complex<T>* in = strict<Complex<T>>(y, "y").data();
      Array<Complex<T>> x_bar(shape_of(y));
      Complex<T>* out = x_bar.mutable_data();
      if (has_dtype<Complex<T>>(y_bar)) {
        const Complex<T>* g = strict<Complex<T>>(y_bar, "y_bar").data();
        py::gil_scoped_release release;
        ops::exp_vjp<T>(g, in, out, n, threads);
      } else {
        const T* g = strict<T>(y_bar, "y_bar").data();
        py::gil_scoped_release release;
        ops::exp_vjp<T>(g, in, out, n, threads);
      }
      return std::move(x_bar);
    } else {
      const RealView<T> g = real_part_of<T>(y_bar, "y_bar");
      const T* in = strict<T>(y, "y").data();
      Array<T> x_bar(shape_of(y));
      T* out = x_bar.mutable_data();
      {
        py::gil_scoped_release release;
        ops::exp_vjp<T>(g, in, out, n, threads);
      }
      return std::move(x_bar);
    }
  });
}

py::array expi(const py::array& x, int threads) {
  return dispatch_real(x, "x", [&](auto tag) -> py::array {
    using T = typename decltype(tag)::type;
    const T* in = strict<T>(x, "x").data();
    const std::size_t n = element_count(x);
    Array<Complex<T>> y(shape_of(x));
    Complex<T>* out = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::expi<T>(in, out, n, threads);
    }
    return std::move(y);
  });
}

py::array expi_vjp(const py::array& y_bar, const py::array& y, int threads) {
  expect_same_shape(y_bar, "y_bar", y, "y");
  return dispatch_complex(y, "y", [&](auto tag) -> py::array {
    using T = typename decltype(tag)::type;
    expect_precision<T>(y_bar, "y_bar");
    const Complex<T>* in = strict<Complex<T>>(y, "y").data();
    const std::size_t n = element_count(y);
    Array<T> x_bar(shape_of(y));
    T* out = x_bar.mutable_data();
    if (has_dtype<Complex<T>>(y_bar)) {
      const Complex<T>* g = strict<Complex<T>>(y_bar, "y_bar").data();
      py::gil_scoped_release release;
      ops::expi_vjp<T>(g, in, out, n, threads);
    } else {
      const T* g = strict<T>(y_bar, "y_bar").data();
      py::gil_scoped_release release;
      ops::expi_vjp<T>(g, in, out, n, threads);
    }
    return std::move(x_bar);
  });
}

}  // namespace

void bind_complex_parts(py::module_& m) {
  m.def("abs2", &abs2, py::arg("x"), py::arg("threads"), "|x|^2 (Eq. 53), real.");
  m.def("abs2_vjp", &abs2_vjp, py::arg("y_bar"), py::arg("x"), py::arg("threads"),
        "2 x Re(y_bar) (Eq. 53), typed like x.");
  m.def(
      "real_part",
      [](const py::array& x, int threads) { return part(x, false, threads); },
      py::arg("x"), py::arg("threads"), "Re(x) as a new real array (a copy for a real x).");
  m.def(
      "imag_part",
      [](const py::array& x, int threads) { return part(x, true, threads); },
      py::arg("x"), py::arg("threads"), "Im(x) of a complex x, as a new real array.");
  m.def("embed", &embed, py::arg("x"), py::arg("imaginary"), py::arg("threads"),
        "Complex array with Re(x) as its real part (or, when imaginary, its imaginary part), "
        "the other part zero.");
  m.def("exp", &exp, py::arg("x"), py::arg("threads"), "e^x (Eq. 56).");
  m.def("exp_vjp", &exp_vjp, py::arg("y_bar"), py::arg("y"), py::arg("threads"),
        "y_bar conj(y) for a complex y, Re(y_bar) y for a real y (Eq. 56).");
  m.def("expi", &expi, py::arg("x"), py::arg("threads"), "e^{ix} of a real x (Eq. 57).");
  m.def("expi_vjp", &expi_vjp, py::arg("y_bar"), py::arg("y"), py::arg("threads"),
        "Im(y_bar conj(y)) (Eq. 57), real.");
}

}  // namespace phasegrad::bind
