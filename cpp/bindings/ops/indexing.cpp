// Bindings of the indexing ops (see python/phasegrad/ops/indexing.py): take / put by flat
// index, zero-pad / crop, fftshift / ifftshift. Each checks what it relies on (dtype,
// contiguity, shapes, index range), allocates the result, releases the GIL and runs a kernel.
#include <cstdint>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/ops/indexing.hpp"

namespace phasegrad::bind {

namespace {

// A stack of vectors: leading axes flattened into `batch` rows of `length` (the last axis).
struct Rows {
  std::size_t batch, length;
};

Rows rows_of(const py::array& a, const char* name) {
  if (a.ndim() < 1) throw std::invalid_argument(std::string(name) + " must have at least 1 axis");
  if (a.size() == 0) throw std::invalid_argument(std::string(name) + " must not be empty");
  const auto length = static_cast<std::size_t>(a.shape(a.ndim() - 1));
  return {static_cast<std::size_t>(a.size()) / length, length};
}

Array<std::int64_t> flat_index(const py::array& index) {
  auto flat = strict<std::int64_t>(index, "index");
  if (flat.ndim() != 1) throw std::invalid_argument("index must be one-dimensional");
  return flat;
}

bool is_mask(const py::array& index) { return has_dtype<bool>(index); }

// A boolean mask of the plane (rows, cols), as the bytes the kernels read.
Array<bool> plane_mask(const py::array& index, std::size_t rows, std::size_t cols) {
  auto mask = strict<bool>(index, "index");
  if (mask.ndim() != 2 || static_cast<std::size_t>(mask.shape(0)) != rows ||
      static_cast<std::size_t>(mask.shape(1)) != cols) {
    throw std::invalid_argument("index, a boolean mask, must have the plane shape");
  }
  return mask;
}

// The mask's layout: a pass over the plane, run like every kernel with the GIL released.
ops::MaskLayout layout_of(const Array<bool>& mask, std::size_t plane, int threads) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(mask.data());
  py::gil_scoped_release release;
  return ops::mask_layout(bytes, plane, threads);
}

// An array of `shape` and element type E, all zeros, from numpy.zeros (calloc: pages that are
// never written cost nothing).
template <class E>
Array<E> zeros(const std::vector<py::ssize_t>& shape) {
  py::tuple dims(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) dims[i] = py::int_(shape[i]);
  py::object made = py::module_::import("numpy").attr("zeros")(dims, py::dtype::of<E>());
  return strict<E>(made, "numpy.zeros");
}

// The shape of a with its last `drop` axes replaced by `tail`.
std::vector<py::ssize_t> replace_tail(const py::array& a, int drop,
                                      std::initializer_list<py::ssize_t> tail) {
  std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim() - drop);
  shape.insert(shape.end(), tail);
  return shape;
}

template <class E>
py::array take(const py::array& x_in, const py::array& index_in, int threads) {
  auto x = strict<E>(x_in, "x");
  const Planes p = planes_of(x, "x");
  const E* src = x.data();
  if (is_mask(index_in)) {
    auto mask = plane_mask(index_in, p.rows, p.cols);
    const ops::MaskLayout layout = layout_of(mask, p.plane(), threads);
    Array<E> y(replace_tail(x, 2, {static_cast<py::ssize_t>(layout.count())}));
    E* dst = y.mutable_data();
    {
      py::gil_scoped_release release;
      ops::take<E>(src, layout, dst, p.batch, threads);
    }
    return std::move(y);
  }
  auto index = flat_index(index_in);
  const auto count = static_cast<std::size_t>(index.size());
  Array<E> y(replace_tail(x, 2, {static_cast<py::ssize_t>(count)}));
  const std::int64_t* picks = index.data();
  E* dst = y.mutable_data();
  {
    py::gil_scoped_release release;
    ops::take<E>(src, picks, count, dst, p.batch, p.plane(), threads);
  }
  return std::move(y);
}

// put (scatter_sum false) and take's reverse rule (true): a (..., k) stack into (..., rows, cols).
template <class E>
py::array scatter(const py::array& values_in, const char* name, const py::array& index_in,
                  py::ssize_t rows, py::ssize_t cols, bool scatter_sum, int threads) {
  auto values = strict<E>(values_in, name);
  const Rows r = rows_of(values, name);
  const std::size_t out_rows = positive(rows, "rows"), out_cols = positive(cols, "cols");
  const E* src = values.data();
  if (is_mask(index_in)) {  // its pixels never repeat: put and take's reverse rule agree
    auto mask = plane_mask(index_in, out_rows, out_cols);
    const ops::MaskLayout layout = layout_of(mask, out_rows * out_cols, threads);
    if (layout.count() != r.length) {
      throw std::invalid_argument("the mask selects " + std::to_string(layout.count()) +
                                  " pixels; the values have " + std::to_string(r.length));
    }
    Array<E> out(replace_tail(values, 1, {rows, cols}));
    E* dst = out.mutable_data();
    {
      py::gil_scoped_release release;
      ops::put<E>(src, layout, dst, r.batch, threads);
    }
    return std::move(out);
  }
  auto index = flat_index(index_in);
  const auto count = static_cast<std::size_t>(index.size());
  if (r.length != count) {
    throw std::invalid_argument(std::string(name) + " must have one entry per index on its "
                                "last axis");
  }
  Array<E> out(replace_tail(values, 1, {rows, cols}));  // NumPy refuses a plane too large
  const std::size_t plane = out_rows * out_cols;
  const std::int64_t* picks = index.data();
  E* dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    if (scatter_sum) {
      ops::take_vjp<E>(src, picks, count, dst, r.batch, plane, threads);
    } else {
      ops::put<E>(src, picks, count, dst, r.batch, plane, threads);
    }
  }
  return std::move(out);
}

template <class E>
py::array resize_top_left(const py::array& x_in, py::ssize_t rows, py::ssize_t cols,
                          int threads) {
  auto x = strict<E>(x_in, "x");
  const Planes p = planes_of(x, "x");
  const std::size_t out_rows = positive(rows, "rows"), out_cols = positive(cols, "cols");
  // Zeros where y extends beyond x (the kernel copies the common block only).
  const bool grows = out_rows > p.rows || out_cols > p.cols;
  std::vector<py::ssize_t> shape = replace_tail(x, 2, {rows, cols});
  Array<E> y = grows ? zeros<E>(shape) : Array<E>(shape);
  const E* src = x.data();
  E* dst = y.mutable_data();
  {
    py::gil_scoped_release release;
    ops::copy_top_left<E>(src, p.rows, p.cols, dst, out_rows, out_cols, p.batch, threads);
  }
  return std::move(y);
}

template <class E>
py::array shift(const py::array& x_in, bool inverse, int threads) {
  auto x = strict<E>(x_in, "x");
  const Planes p = planes_of(x, "x");
  Array<E> y(shape_of(x));
  const E* src = x.data();
  E* dst = y.mutable_data();
  {
    py::gil_scoped_release release;
    ops::fftshift<E>(src, dst, p.batch, p.rows, p.cols, inverse, threads);
  }
  return std::move(y);
}

}  // namespace

void bind_indexing(py::module_& m) {
  m.def(
      "take",
      [](const py::array& x, const py::array& index, int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto tag) {
          return take<typename decltype(tag)::type>(x, index, threads);
        });
      },
      py::arg("x"), py::arg("index"), py::arg("threads"),
      "y[..., j] = x[..., index[j]] (index: int64 flat indices into the plane, or a bool\n"
      "mask of the plane).");
  m.def(
      "take_vjp",
      [](const py::array& y_bar, const py::array& index, py::ssize_t rows, py::ssize_t cols,
         int threads) -> py::array {
        return dispatch(Floats{}, y_bar, "y_bar", [&](auto tag) {
          return scatter<typename decltype(tag)::type>(y_bar, "y_bar", index, rows, cols, true,
                                                       threads);
        });
      },
      py::arg("y_bar"), py::arg("index"), py::arg("rows"), py::arg("cols"), py::arg("threads"),
      "x_bar[..., index[j]] += y_bar[..., j] into zero (..., rows, cols) planes (index:\n"
      "int64 flat indices or a bool mask).");
  m.def(
      "put",
      [](const py::array& x, const py::array& index, py::ssize_t rows, py::ssize_t cols,
         int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto tag) {
          return scatter<typename decltype(tag)::type>(x, "x", index, rows, cols, false,
                                                       threads);
        });
      },
      py::arg("x"), py::arg("index"), py::arg("rows"), py::arg("cols"), py::arg("threads"),
      "y[..., index[j]] = x[..., j] into zero (..., rows, cols) planes (distinct int64\n"
      "flat indices or a bool mask).");
  m.def(
      "copy_top_left",
      [](const py::array& x, py::ssize_t rows, py::ssize_t cols, int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto tag) {
          return resize_top_left<typename decltype(tag)::type>(x, rows, cols, threads);
        });
      },
      py::arg("x"), py::arg("rows"), py::arg("cols"), py::arg("threads"),
      "The top-left (rows, cols) of each plane, zero-padded where x is smaller (pad, crop).");
  m.def(
      "fftshift",
      [](const py::array& x, bool inverse, int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto tag) {
          return shift<typename decltype(tag)::type>(x, inverse, threads);
        });
      },
      py::arg("x"), py::arg("inverse"), py::arg("threads"),
      "numpy.fft.fftshift (or ifftshift when inverse) over the last two axes.");
}

}  // namespace phasegrad::bind
