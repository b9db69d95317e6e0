// Bindings of the complex_parts ops (see python/phasegrad/ops/complex_parts.py): validate,
// allocate the output, release the GIL, run one kernel pass.
#include <complex>
#include <cstddef>
#include <type_traits>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/core/element.hpp"
#include "phasegrad/core/real_view.hpp"
#include "phasegrad/ops/complex_parts.hpp"

namespace phasegrad::bind {

namespace {

template <class T>
using Complex = std::complex<T>;

py::array abs2(const py::array& x_in, int threads) {
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> py::array {
    using X = typename decltype(tag)::type;
    using T = real_t<X>;
    const X* in = strict<X>(x_in, "x").data();
    const std::size_t n = element_count(x_in);
    Array<T> y(shape_of(x_in));
    T* out = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::abs2<T>(in, out, n, threads);
    }
    return std::move(y);
  });
}

py::array abs2_vjp(const py::array& y_bar, const py::array& x_in, int threads) {
  expect_same_shape(y_bar, "y_bar", x_in, "x");
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> py::array {
    using X = typename decltype(tag)::type;
    using T = real_t<X>;
    const RealView<T> g = real_part_of<T>(y_bar, "y_bar");
    const X* in = strict<X>(x_in, "x").data();
    const std::size_t n = element_count(x_in);
    Array<X> x_bar(shape_of(x_in));
    X* out = x_bar.mutable_data();
    {
      py::gil_scoped_release release;
      ops::abs2_vjp<T>(g, in, out, n, threads);
    }
    return std::move(x_bar);
  });
}

// (|x|^2, 2 Re(conj(x) x_dot)), both real; x_dot has x's dtype and shape.
ArrayPair abs2_jvp(const py::array& x_in, const py::array& x_dot_in, int threads) {
  expect_same_shape(x_dot_in, "x_dot", x_in, "x");
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> ArrayPair {
    using X = typename decltype(tag)::type;
    using T = real_t<X>;
    const X* in = strict<X>(x_in, "x").data();
    const X* in_dot = strict<X>(x_dot_in, "x_dot").data();
    const std::size_t n = element_count(x_in);
    Array<T> y(shape_of(x_in)), y_dot(shape_of(x_in));
    T* out = y.mutable_data();
    T* out_dot = y_dot.mutable_data();
    {
      py::gil_scoped_release release;
      ops::abs2_jvp<T>(in, in_dot, out, out_dot, n, threads);
    }
    return py::make_tuple(y, y_dot);
  });
}

// Re(a) (complex a) or a copy of a (real a); with `imaginary`, Im(a) of a complex a.
py::array part(const py::array& a, bool imaginary, int threads) {
  return dispatch(Floats{}, a, "x", [&](auto tag) -> py::array {
    using X = typename decltype(tag)::type;
    using T = real_t<X>;
    RealView<T> source{nullptr, 1};
    if constexpr (is_complex_v<X>) {
      const X* in = strict<X>(a, "x").data();
      source = imaginary ? RealView<T>::imag_of(in) : RealView<T>::real_of(in);
    } else {
      if (imaginary) {
        throw py::type_error("x must have dtype complex64 or complex128 for its imaginary part; "
                             "got " + dtype_name(a.dtype()));
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
  return dispatch(Floats{}, a, "x", [&](auto tag) -> py::array {
    using T = real_t<typename decltype(tag)::type>;
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

py::array exp(const py::array& x_in, int threads) {
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> py::array {
    using X = typename decltype(tag)::type;
    using T = real_t<X>;
    const X* in = strict<X>(x_in, "x").data();
    const std::size_t n = element_count(x_in);
    Array<X> y(shape_of(x_in));
    X* out = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::exp<T>(in, out, n, threads);
    }
    return std::move(y);
  });
}

ArrayPair exp_jvp(const py::array& x_in, const py::array& x_dot_in, int threads) {
  expect_same_shape(x_dot_in, "x_dot", x_in, "x");
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> ArrayPair {
    using X = typename decltype(tag)::type;
    using T = real_t<X>;
    const X* in = strict<X>(x_in, "x").data();
    const X* in_dot = strict<X>(x_dot_in, "x_dot").data();
    const std::size_t n = element_count(x_in);
    Array<X> y(shape_of(x_in)), y_dot(shape_of(x_in));
    X* out = y.mutable_data();
    X* out_dot = y_dot.mutable_data();
    {
      py::gil_scoped_release release;
      ops::exp_jvp<T>(in, in_dot, out, out_dot, n, threads);
    }
    return py::make_tuple(y, y_dot);
  });
}

py::array exp_vjp(const py::array& y_bar, const py::array& y_in, int threads) {
  expect_same_shape(y_bar, "y_bar", y_in, "y");
  return dispatch(Floats{}, y_in, "y", [&](auto tag) -> py::array {
    using Y = typename decltype(tag)::type;
    using T = real_t<Y>;
    const Y* in = strict<Y>(y_in, "y").data();
    const std::size_t n = element_count(y_in);
    Array<Y> x_bar(shape_of(y_in));
    Y* out = x_bar.mutable_data();
    if constexpr (is_complex_v<Y>) {
      // y_bar conj(y), for a complex or a real y_bar.
      dispatch(OfPrecision<T>{}, y_bar, "y_bar", [&](auto g_tag) {
        using G = typename decltype(g_tag)::type;
        const G* g = strict<G>(y_bar, "y_bar").data();
        py::gil_scoped_release release;
        ops::exp_vjp<T>(g, in, out, n, threads);
      });
    } else {
      const RealView<T> g = real_part_of<T>(y_bar, "y_bar");
      py::gil_scoped_release release;
      ops::exp_vjp<T>(g, in, out, n, threads);
    }
    return std::move(x_bar);
  });
}

py::array expi(const py::array& x_in, int threads) {
  return dispatch(Reals{}, x_in, "x", [&](auto tag) -> py::array {
    using T = typename decltype(tag)::type;
    const T* in = strict<T>(x_in, "x").data();
    const std::size_t n = element_count(x_in);
    Array<Complex<T>> y(shape_of(x_in));
    Complex<T>* out = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::expi<T>(in, out, n, threads);
    }
    return std::move(y);
  });
}

ArrayPair expi_jvp(const py::array& x_in, const py::array& x_dot_in, int threads) {
  expect_same_shape(x_dot_in, "x_dot", x_in, "x");
  return dispatch(Reals{}, x_in, "x", [&](auto tag) -> ArrayPair {
    using T = typename decltype(tag)::type;
    const T* in = strict<T>(x_in, "x").data();
    const T* in_dot = strict<T>(x_dot_in, "x_dot").data();
    const std::size_t n = element_count(x_in);
    Array<Complex<T>> y(shape_of(x_in)), y_dot(shape_of(x_in));
    Complex<T>* out = y.mutable_data();
    Complex<T>* out_dot = y_dot.mutable_data();
    {
      py::gil_scoped_release release;
      ops::expi_jvp<T>(in, in_dot, out, out_dot, n, threads);
    }
    return py::make_tuple(y, y_dot);
  });
}

py::array expi_vjp(const py::array& y_bar, const py::array& y_in, int threads) {
  expect_same_shape(y_bar, "y_bar", y_in, "y");
  return dispatch(Complexes{}, y_in, "y", [&](auto tag) -> py::array {
    using T = real_t<typename decltype(tag)::type>;
    return dispatch(OfPrecision<T>{}, y_bar, "y_bar", [&](auto g_tag) -> py::array {
      using G = typename decltype(g_tag)::type;
      const Complex<T>* in = strict<Complex<T>>(y_in, "y").data();
      const G* g = strict<G>(y_bar, "y_bar").data();
      const std::size_t n = element_count(y_in);
      Array<T> x_bar(shape_of(y_in));
      T* out = x_bar.mutable_data();
      {
        py::gil_scoped_release release;
        ops::expi_vjp<T>(g, in, out, n, threads);
      }
      return std::move(x_bar);
    });
  });
}

}  // namespace

void bind_complex_parts(py::module_& m) {
  m.def("abs2", &abs2, py::arg("x"), py::arg("threads"), "|x|^2 (Eq. 53), real.");
  m.def("abs2_vjp", &abs2_vjp, py::arg("y_bar"), py::arg("x"), py::arg("threads"),
        "2 x Re(y_bar) (Eq. 53), typed like x.");
  m.def("abs2_jvp", &abs2_jvp, py::arg("x"), py::arg("x_dot"), py::arg("threads"),
        "(|x|^2, 2 Re(conj(x) x_dot)) in one pass (Eq. 53), both real.");
  m.def(
      "real_part",
      [](const py::array& x, int threads) { return part(x, false, threads); },
      py::arg("x"), py::arg("threads"), "Re(x) as a new real array (a copy for a real x).");
  m.def(
      "imag_part",
      [](const py::array& x, int threads) { return part(x, true, threads); },
      py::arg("x"), py::arg("threads"), "Im(x) of a complex x, as a new real array.");
  m.def("embed", &embed, py::arg("x"), py::arg("imaginary"), py::arg("threads"),
        "Complex array with Re(x) as its real part (or, when imaginary, its imaginary\n"
        "part), the other part zero.");
  m.def("exp", &exp, py::arg("x"), py::arg("threads"), "e^x (Eq. 56).");
  m.def("exp_jvp", &exp_jvp, py::arg("x"), py::arg("x_dot"), py::arg("threads"),
        "(e^x, e^x x_dot) in one pass (Eq. 56).");
  m.def("exp_vjp", &exp_vjp, py::arg("y_bar"), py::arg("y"), py::arg("threads"),
        "y_bar conj(y) for a complex y, Re(y_bar) y for a real y (Eq. 56).");
  m.def("expi", &expi, py::arg("x"), py::arg("threads"), "e^{ix} of a real x (Eq. 57).");
  m.def("expi_jvp", &expi_jvp, py::arg("x"), py::arg("x_dot"), py::arg("threads"),
        "(e^{ix}, i e^{ix} x_dot) of a real x and x_dot in one pass (Eq. 57).");
  m.def("expi_vjp", &expi_vjp, py::arg("y_bar"), py::arg("y"), py::arg("threads"),
        "Im(y_bar conj(y)) (Eq. 57), real.");
}

}  // namespace phasegrad::bind
