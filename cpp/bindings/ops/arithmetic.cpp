// Bindings of the arithmetic ops (see python/phasegrad/ops/arithmetic.py). Python reduces NumPy
// broadcasting to the kernels' layout, a `full` operand of batch * inner elements and a `small`
// one of inner elements repeated over the leading axes (ops/arithmetic.hpp); these functions
// check that layout and the exact dtypes again, and never convert.
#include <complex>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/core/element.hpp"
#include "phasegrad/ops/arithmetic.hpp"

namespace phasegrad::bind {

namespace {

using std::size_t;

void require_nonempty(const py::array& a, const char* name) {
  if (a.size() == 0) throw std::invalid_argument(std::string(name) + " must not be empty");
}

struct Repeat {
  size_t batch, inner;
};

// full has batch * inner elements, small has inner.
Repeat repeat_of(const py::array& full, const py::array& small) {
  require_nonempty(full, "full");
  require_nonempty(small, "small");
  const auto n = static_cast<size_t>(full.size()), inner = static_cast<size_t>(small.size());
  if (n % inner != 0) {
    throw std::invalid_argument("the size of small (" + std::to_string(inner) +
                                ") must divide the size of full (" + std::to_string(n) + ")");
  }
  return {n / inner, inner};
}

// inner given as a number: it must be positive and divide the size of `a`.
Repeat repeat_of(const py::array& a, const char* name, py::ssize_t inner) {
  require_nonempty(a, name);
  const auto n = static_cast<size_t>(a.size());
  if (inner < 1 || n % static_cast<size_t>(inner) != 0) {
    throw std::invalid_argument("inner must be a positive divisor of the size of " +
                                std::string(name) + " (" + std::to_string(n) + "); got " +
                                std::to_string(inner));
  }
  return {n / static_cast<size_t>(inner), static_cast<size_t>(inner)};
}

void require_size(const py::array& a, const char* name, const py::array& like, const char* other) {
  if (a.size() != like.size()) {
    throw std::invalid_argument(std::string(name) + " must have as many elements as " + other +
                                " (" + std::to_string(like.size()) + "); got " +
                                std::to_string(a.size()));
  }
}

// The dtype of an operand of the precision T, complex or real as `complex` says (add_vjp is
// told the operands' kinds, not given them).
template <class T>
py::dtype dtype_of_kind(bool complex) {
  return complex ? py::dtype::of<std::complex<T>>() : py::dtype::of<T>();
}

// z = full + small or full * small.
py::array binary(bool multiply, const py::array& full_in, const py::array& small_in,
                 int threads) {
  return dispatch(Floats{}, full_in, "full", [&](auto full_tag) {
    using F = typename decltype(full_tag)::type;
    return dispatch(OfPrecision<real_t<F>>{}, small_in, "small", [&](auto small_tag) -> py::array {
      using S = typename decltype(small_tag)::type;
      auto full = strict<F>(full_in, "full");
      auto small = strict<S>(small_in, "small");
      const Repeat r = repeat_of(full, small);
      Array<promoted_t<F, S>> z(shape_of(full));
      const F* f = full.data();
      const S* s = small.data();
      promoted_t<F, S>* out = z.mutable_data();
      {
        py::gil_scoped_release release;
        if (multiply) {
          ops::mul<F, S>(f, s, out, r.batch, r.inner, threads);
        } else {
          ops::add<F, S>(f, s, out, r.batch, r.inner, threads);
        }
      }
      return std::move(z);
    });
  });
}

// (z, z_dot) of add or mul: the op and its tangent step in one pass; full_dot has full's
// dtype and size, small_dot small's.
ArrayPair binary_jvp(bool multiply, const py::array& full_in, const py::array& small_in,
                     const py::array& full_dot_in, const py::array& small_dot_in, int threads) {
  return dispatch(Floats{}, full_in, "full", [&](auto full_tag) {
    using F = typename decltype(full_tag)::type;
    return dispatch(OfPrecision<real_t<F>>{}, small_in, "small", [&](auto small_tag) -> ArrayPair {
      using S = typename decltype(small_tag)::type;
      auto full = strict<F>(full_in, "full");
      auto small = strict<S>(small_in, "small");
      auto full_dot = strict<F>(full_dot_in, "full_dot");
      auto small_dot = strict<S>(small_dot_in, "small_dot");
      const Repeat r = repeat_of(full, small);
      require_size(full_dot, "full_dot", full, "full");
      require_size(small_dot, "small_dot", small, "small");
      Array<promoted_t<F, S>> z(shape_of(full)), z_dot(shape_of(full));
      const F* f = full.data();
      const S* s = small.data();
      const F* fd = full_dot.data();
      const S* sd = small_dot.data();
      promoted_t<F, S>* out = z.mutable_data();
      promoted_t<F, S>* out_dot = z_dot.mutable_data();
      {
        py::gil_scoped_release release;
        if (multiply) {
          ops::mul_jvp<F, S>(f, s, fd, sd, out, out_dot, r.batch, r.inner, threads);
        } else {
          ops::add_jvp<F, S>(f, s, fd, sd, out, out_dot, r.batch, r.inner, threads);
        }
      }
      return py::make_tuple(z, z_dot);
    });
  });
}

ArrayPair add_vjp(const py::array& z_bar_in, bool full_complex, bool small_complex,
                  py::ssize_t inner, int threads) {
  return dispatch(Floats{}, z_bar_in, "z_bar", [&](auto g_tag) {
    using G = typename decltype(g_tag)::type;
    using T = real_t<G>;
    return dispatch(OfPrecision<T>{}, dtype_of_kind<T>(full_complex), "full", [&](auto full_tag) {
      using F = typename decltype(full_tag)::type;
      return dispatch(OfPrecision<T>{}, dtype_of_kind<T>(small_complex), "small",
                      [&](auto small_tag) -> ArrayPair {
        using S = typename decltype(small_tag)::type;
        auto z_bar = strict<G>(z_bar_in, "z_bar");
        const Repeat r = repeat_of(z_bar, "z_bar", inner);
        const auto small_shape = std::vector<py::ssize_t>{inner};
        Array<F> full_bar(shape_of(z_bar));
        const G* g = z_bar.data();
        F* fb = full_bar.mutable_data();
        if (r.batch == 1) {
          Array<S> small_bar(small_shape);
          S* sb = small_bar.mutable_data();
          {
            py::gil_scoped_release release;
            ops::add_vjp_same<F, S, G>(g, fb, sb, r.inner, threads);
          }
          return py::make_tuple(full_bar, small_bar);
        }
        Array<accumulator_t<S>> small_sum(small_shape);
        accumulator_t<S>* sb = small_sum.mutable_data();
        {
          py::gil_scoped_release release;
          ops::add_vjp_repeated<F, S, G>(g, fb, sb, r.batch, r.inner, threads);
        }
        return py::make_tuple(full_bar, small_sum);
      });
    });
  });
}

ArrayPair mul_vjp(const py::array& z_bar_in, const py::array& full_in,
                  const py::array& small_in, int threads) {
  return dispatch(Floats{}, z_bar_in, "z_bar", [&](auto g_tag) {
    using G = typename decltype(g_tag)::type;
    using T = real_t<G>;
    return dispatch(OfPrecision<T>{}, full_in, "full", [&](auto full_tag) {
      using F = typename decltype(full_tag)::type;
      return dispatch(OfPrecision<T>{}, small_in, "small", [&](auto small_tag) -> ArrayPair {
        using S = typename decltype(small_tag)::type;
        auto z_bar = strict<G>(z_bar_in, "z_bar");
        auto full = strict<F>(full_in, "full");
        auto small = strict<S>(small_in, "small");
        const Repeat r = repeat_of(full, small);
        require_size(z_bar, "z_bar", full, "full");
        Array<F> full_bar(shape_of(full));
        const G* g = z_bar.data();
        const F* f = full.data();
        const S* s = small.data();
        F* fb = full_bar.mutable_data();
        if (r.batch == 1) {
          Array<S> small_bar(shape_of(small));
          S* sb = small_bar.mutable_data();
          {
            py::gil_scoped_release release;
            ops::mul_vjp_same<F, S, G>(g, f, s, fb, sb, r.inner, threads);
          }
          return py::make_tuple(full_bar, small_bar);
        }
        Array<accumulator_t<S>> small_sum(shape_of(small));
        accumulator_t<S>* sb = small_sum.mutable_data();
        {
          py::gil_scoped_release release;
          ops::mul_vjp_repeated<F, S, G>(g, f, s, fb, sb, r.batch, r.inner, threads);
        }
        return py::make_tuple(full_bar, small_sum);
      });
    });
  });
}

py::array broadcast(const py::array& x_in, py::ssize_t batch, int threads) {
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> py::array {
    using E = typename decltype(tag)::type;
    auto x = strict<E>(x_in, "x");
    require_nonempty(x, "x");
    if (batch < 1) throw std::invalid_argument("batch must be positive; got " +
                                               std::to_string(batch));
    std::vector<py::ssize_t> shape{batch};
    for (py::ssize_t d = 0; d < x.ndim(); ++d) shape.push_back(x.shape(d));
    Array<E> y(shape);
    const E* src = x.data();
    E* dst = y.mutable_data();
    const auto inner = static_cast<size_t>(x.size());
    {
      py::gil_scoped_release release;
      ops::broadcast<E>(src, dst, static_cast<size_t>(batch), inner, threads);
    }
    return std::move(y);
  });
}

py::array sum_leading(const py::array& y_bar_in, py::ssize_t inner, int threads) {
  return dispatch(Floats{}, y_bar_in, "y_bar", [&](auto tag) -> py::array {
    using E = typename decltype(tag)::type;
    auto y_bar = strict<E>(y_bar_in, "y_bar");
    const Repeat r = repeat_of(y_bar, "y_bar", inner);
    Array<accumulator_t<E>> x_sum(std::vector<py::ssize_t>{inner});
    const E* src = y_bar.data();
    accumulator_t<E>* dst = x_sum.mutable_data();
    {
      py::gil_scoped_release release;
      ops::sum_leading<E>(src, dst, r.batch, r.inner, threads);
    }
    return std::move(x_sum);
  });
}

py::array power(const py::array& x_in, double c, int threads) {
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> py::array {
    using E = typename decltype(tag)::type;
    auto x = strict<E>(x_in, "x");
    require_nonempty(x, "x");
    Array<E> y(shape_of(x));
    const E* src = x.data();
    E* dst = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::power<E>(src, c, dst, static_cast<size_t>(x.size()), threads);
    }
    return std::move(y);
  });
}

py::array power_array(const py::array& x_in, const py::array& c_in, int threads) {
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> py::array {
    using E = typename decltype(tag)::type;
    using T = real_t<E>;
    auto x = strict<E>(x_in, "x");
    auto c = strict<T>(c_in, "c");
    const Repeat r = repeat_of(x, c);
    Array<E> y(shape_of(x));
    const E* src = x.data();
    const T* exponent = c.data();
    E* dst = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::power_array<E>(src, exponent, dst, r.batch, r.inner, threads);
    }
    return std::move(y);
  });
}

// power's reverse rule; c_array is None for the number c_scalar.
py::array power_vjp(const py::array& y_bar_in, const py::array& x_in, double c_scalar,
                    const std::optional<py::array>& c_array, int threads) {
  return dispatch(Floats{}, x_in, "x", [&](auto x_tag) {
    using E = typename decltype(x_tag)::type;
    using T = real_t<E>;
    return dispatch(OfPrecision<T>{}, y_bar_in, "y_bar", [&](auto g_tag) -> py::array {
      using G = typename decltype(g_tag)::type;
      auto x = strict<E>(x_in, "x");
      auto y_bar = strict<G>(y_bar_in, "y_bar");
      require_nonempty(x, "x");
      require_size(y_bar, "y_bar", x, "x");
      Array<E> x_bar(shape_of(x));
      const G* g = y_bar.data();
      const E* src = x.data();
      E* dst = x_bar.mutable_data();
      if (!c_array) {
        py::gil_scoped_release release;
        ops::power_vjp<E, G>(g, src, c_scalar, dst, static_cast<size_t>(x.size()), threads);
      } else {
        auto c = strict<T>(*c_array, "c");
        const Repeat r = repeat_of(x, c);
        const T* exponent = c.data();
        py::gil_scoped_release release;
        ops::power_vjp_array<E, G>(g, src, exponent, dst, r.batch, r.inner, threads);
      }
      return std::move(x_bar);
    });
  });
}

// power's tangent step: (x**c, c x**(c - 1) x_dot); c_array is None for the number c_scalar.
ArrayPair power_jvp(const py::array& x_in, const py::array& x_dot_in, double c_scalar,
                    const std::optional<py::array>& c_array, int threads) {
  return dispatch(Floats{}, x_in, "x", [&](auto tag) -> ArrayPair {
    using E = typename decltype(tag)::type;
    using T = real_t<E>;
    auto x = strict<E>(x_in, "x");
    auto x_dot = strict<E>(x_dot_in, "x_dot");
    require_nonempty(x, "x");
    require_size(x_dot, "x_dot", x, "x");
    Array<E> y(shape_of(x)), y_dot(shape_of(x));
    const E* src = x.data();
    const E* src_dot = x_dot.data();
    E* dst = y.mutable_data();
    E* dst_dot = y_dot.mutable_data();
    if (!c_array) {
      py::gil_scoped_release release;
      ops::power_jvp<E>(src, src_dot, c_scalar, dst, dst_dot, static_cast<size_t>(x.size()),
                        threads);
    } else {
      auto c = strict<T>(*c_array, "c");
      const Repeat r = repeat_of(x, c);
      const T* exponent = c.data();
      py::gil_scoped_release release;
      ops::power_jvp_array<E>(src, src_dot, exponent, dst, dst_dot, r.batch, r.inner, threads);
    }
    return py::make_tuple(y, y_dot);
  });
}

}  // namespace

void bind_arithmetic(py::module_& m) {
  m.def(
      "add", [](const py::array& full, const py::array& small, int threads) {
        return binary(false, full, small, threads);
      },
      py::arg("full"), py::arg("small"), py::arg("threads"),
      "full + small, small repeated over leading axes (its size divides full's); shape of full.");
  m.def(
      "mul", [](const py::array& full, const py::array& small, int threads) {
        return binary(true, full, small, threads);
      },
      py::arg("full"), py::arg("small"), py::arg("threads"),
      "full * small, small repeated over leading axes (its size divides full's); shape of full.");
  m.def(
      "add_jvp",
      [](const py::array& full, const py::array& small, const py::array& full_dot,
         const py::array& small_dot, int threads) {
        return binary_jvp(false, full, small, full_dot, small_dot, threads);
      },
      py::arg("full"), py::arg("small"), py::arg("full_dot"), py::arg("small_dot"),
      py::arg("threads"),
      "(z, z_dot) = (full + small, full_dot + small_dot) in one pass, small and small_dot\n"
      "repeated over leading axes; shape of full.");
  m.def(
      "mul_jvp",
      [](const py::array& full, const py::array& small, const py::array& full_dot,
         const py::array& small_dot, int threads) {
        return binary_jvp(true, full, small, full_dot, small_dot, threads);
      },
      py::arg("full"), py::arg("small"), py::arg("full_dot"), py::arg("small_dot"),
      py::arg("threads"),
      "(z, z_dot) = (full small, full_dot small + full small_dot) in one pass, small and\n"
      "small_dot repeated over leading axes; shape of full.");
  m.def("add_vjp", &add_vjp, py::arg("z_bar"), py::arg("full_complex"),
        py::arg("small_complex"), py::arg("inner"), py::arg("threads"),
        "(full_bar, small_bar) of add: full_bar = z_bar (real part for a real full),\n"
        "small_bar its sum over the leading axes, shape (inner,): in the small operand's dtype\n"
        "when inner is the size of z_bar, else in double precision (float64/complex128).");
  m.def("mul_vjp", &mul_vjp, py::arg("z_bar"), py::arg("full"), py::arg("small"),
        py::arg("threads"),
        "(full_bar, small_bar) of mul: conj(small) z_bar, and conj(full) z_bar summed over\n"
        "the leading axes: in small's dtype when both have one size, else in double precision.");
  m.def("broadcast", &broadcast, py::arg("x"), py::arg("batch"), py::arg("threads"),
        "x repeated batch times along a new leading axis: shape (batch, *x.shape).");
  m.def("sum_leading", &sum_leading, py::arg("y_bar"), py::arg("inner"),
        py::arg("threads"),
        "y_bar viewed as (batch, inner), summed over batch in double precision: shape (inner,).");
  m.def("power", &power, py::arg("x"), py::arg("c"), py::arg("threads"),
        "x**c for a number c (principal branch for a complex x).");
  m.def("power_array", &power_array, py::arg("x"), py::arg("c"), py::arg("threads"),
        "x**c for a real array c of x's precision repeated over leading axes.");
  m.def("power_vjp", &power_vjp, py::arg("y_bar"), py::arg("x"), py::arg("c"),
        py::arg("c_array"), py::arg("threads"),
        "c conj(x)**(c - 1) y_bar (Re y_bar for a real x); c_array (or None for the number c).");
  m.def("power_jvp", &power_jvp, py::arg("x"), py::arg("x_dot"), py::arg("c"),
        py::arg("c_array"), py::arg("threads"),
        "(x**c, c x**(c - 1) x_dot) in one pass; c_array (or None for the number c).");
}

}  // namespace phasegrad::bind
