// Bindings of the sampling ops (see python/phasegrad/ops/sampling.py): pixel binning and
// tiling, each the other's reverse rule.
#include <limits>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/ops/sampling.hpp"

namespace phasegrad::bind {

namespace {

std::vector<py::ssize_t> with_plane(const py::array& a, std::size_t rows, std::size_t cols) {
  std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim() - 2);
  shape.push_back(static_cast<py::ssize_t>(rows));
  shape.push_back(static_cast<py::ssize_t>(cols));
  return shape;
}

template <class E>
py::array bin(const py::array& x_in, py::ssize_t p_in, py::ssize_t q_in, int threads) {
  auto x = strict<E>(x_in, "x");
  const Planes s = planes_of(x, "x");
  const std::size_t p = positive(p_in, "p"), q = positive(q_in, "q");
  if (s.rows % p != 0 || s.cols % q != 0) {
    throw std::invalid_argument("the factor (p, q) must divide the plane of x exactly");
  }
  Array<E> y(with_plane(x, s.rows / p, s.cols / q));
  const E* src = x.data();
  E* dst = y.mutable_data();
  {
    py::gil_scoped_release release;
    ops::bin<E>(src, dst, s.batch, s.rows, s.cols, p, q, threads);
  }
  return std::move(y);
}

template <class E>
py::array tile(const py::array& x_in, py::ssize_t p_in, py::ssize_t q_in, int threads) {
  auto x = strict<E>(x_in, "x");
  const Planes s = planes_of(x, "x");
  const std::size_t p = positive(p_in, "p"), q = positive(q_in, "q");
  constexpr auto largest = static_cast<std::size_t>(std::numeric_limits<py::ssize_t>::max());
  if (p > largest / s.rows || q > largest / s.cols) {
    throw std::invalid_argument("the factor (p, q) makes the tiled plane too large");
  }
  Array<E> y(with_plane(x, s.rows * p, s.cols * q));  // NumPy refuses an array too large
  const E* src = x.data();
  E* dst = y.mutable_data();
  {
    py::gil_scoped_release release;
    ops::tile<E>(src, dst, s.batch, s.rows, s.cols, p, q, threads);
  }
  return std::move(y);
}

}  // namespace

void bind_sampling(py::module_& m) {
  m.def(
      "bin",
      [](const py::array& x, py::ssize_t p, py::ssize_t q, int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto tag) {
          return bin<typename decltype(tag)::type>(x, p, q, threads);
        });
      },
      py::arg("x"), py::arg("p"), py::arg("q"), py::arg("threads"),
      "Sum of each p x q block of the plane (in double precision).");
  m.def(
      "tile",
      [](const py::array& x, py::ssize_t p, py::ssize_t q, int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto tag) {
          return tile<typename decltype(tag)::type>(x, p, q, threads);
        });
      },
      py::arg("x"), py::arg("p"), py::arg("q"), py::arg("threads"),
      "Each pixel repeated over a p x q block.");
}

}  // namespace phasegrad::bind
