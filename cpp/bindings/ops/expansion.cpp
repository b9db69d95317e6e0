// Bindings of the expansion ops (see python/phasegrad/ops/expansion.py).
#include <complex>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/ops/expansion.hpp"

namespace phasegrad::bind {

namespace {

using std::size_t;

// B: a non-empty (K, n, m) stack of real modes of dtype T.
template <class T>
Array<T> modes_of(const py::array& B_in) {
  auto B = strict<T>(B_in, "B");
  if (B.ndim() != 3) throw std::invalid_argument("B must have shape (K, n, m)");
  if (B.size() == 0) throw std::invalid_argument("B must not be empty");
  return B;
}

template <class T>
py::array basis_binding(const py::array& a_in, const py::array& B_in, int threads) {
  auto a = strict<T>(a_in, "a");
  auto B = modes_of<T>(B_in);
  if (a.ndim() < 1 || a.size() == 0) throw std::invalid_argument("a must not be empty");
  if (a.shape(a.ndim() - 1) != B.shape(0)) {
    throw std::invalid_argument("a must have K = " + std::to_string(B.shape(0)) +
                                " coefficients on its last axis");
  }
  std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim() - 1);
  shape.push_back(B.shape(1));
  shape.push_back(B.shape(2));
  Array<T> y(shape);
  const auto count = static_cast<size_t>(B.shape(0));
  const auto pixels = static_cast<size_t>(B.shape(1) * B.shape(2));
  const auto batch = static_cast<size_t>(a.size()) / count;
  const T* coefficients = a.data();
  const T* modes = B.data();
  T* out = y.mutable_data();
  {
    py::gil_scoped_release release;
    ops::basis<T>(coefficients, modes, out, batch, count, pixels, threads);
  }
  return std::move(y);
}

template <class T, class G>
py::array basis_vjp_binding(const py::array& y_bar_in, const py::array& B_in, int threads) {
  auto y_bar = strict<G>(y_bar_in, "y_bar");
  auto B = modes_of<T>(B_in);
  if (y_bar.ndim() < 2 || y_bar.size() == 0 || y_bar.shape(y_bar.ndim() - 2) != B.shape(1) ||
      y_bar.shape(y_bar.ndim() - 1) != B.shape(2)) {
    throw std::invalid_argument("y_bar must be a non-empty (..., n, m) stack of planes of the "
                                "modes' shape (n, m)");
  }
  std::vector<py::ssize_t> shape(y_bar.shape(), y_bar.shape() + y_bar.ndim() - 2);
  shape.push_back(B.shape(0));
  Array<T> a_bar(shape);
  const auto count = static_cast<size_t>(B.shape(0));
  const auto pixels = static_cast<size_t>(B.shape(1) * B.shape(2));
  const auto batch = static_cast<size_t>(y_bar.size()) / pixels;
  const G* cotangent = y_bar.data();
  const T* modes = B.data();
  T* out = a_bar.mutable_data();
  {
    py::gil_scoped_release release;
    ops::basis_vjp<T, G>(cotangent, modes, out, batch, count, pixels, threads);
  }
  return std::move(a_bar);
}

}  // namespace

void bind_expansion(py::module_& m) {
  m.def(
      "basis",
      [](const py::array& a, const py::array& B, int threads) -> py::array {
        return dispatch(Reals{}, B, "B", [&](auto tag) {
          return basis_binding<typename decltype(tag)::type>(a, B, threads);
        });
      },
      py::arg("a"), py::arg("B"), py::arg("threads"),
      "y[..., :, :] = sum_k a[..., k] B[k] (real a and B of one precision).");
  m.def(
      "basis_vjp",
      [](const py::array& y_bar, const py::array& B, int threads) -> py::array {
        return dispatch(Reals{}, B, "B", [&](auto tag) {
          using T = typename decltype(tag)::type;
          return dispatch(OfPrecision<T>{}, y_bar, "y_bar", [&](auto g_tag) {
            return basis_vjp_binding<T, typename decltype(g_tag)::type>(y_bar, B, threads);
          });
        });
      },
      py::arg("y_bar"), py::arg("B"), py::arg("threads"),
      "a_bar[..., k] = sum over the plane of Re(y_bar) B[k], in double precision.");
}

}  // namespace phasegrad::bind
