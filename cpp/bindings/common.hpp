// What every binding file shares: strict conversion of already-validated arrays, plane extents,
// dispatch on dtype. Python (phasegrad/_validate.py) checks arguments first and names them in
// its errors; these checks keep the boundary strict for anyone calling _core directly, and
// never convert: a wrong dtype or a non-contiguous array is refused, not copied.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace phasegrad::bind {

namespace py = pybind11;

template <class T>
struct Tag {
  using type = T;
};

template <class T>
using Array = py::array_t<T, py::array::c_style>;

template <class T>
bool has_dtype(const py::array& a) {
  return a.dtype().is(py::dtype::of<T>());
}

inline std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// The array itself (no copy) when its dtype is exactly T and it is C-contiguous.
template <class T>
Array<T> strict(const py::array& a, const char* name) {
  if (!has_dtype<T>(a)) {
    throw py::type_error(std::string(name) + " must have dtype " +
                         py::str(py::dtype::of<T>()).cast<std::string>() + "; got " +
                         dtype_name(a));
  }
  if (!(a.flags() & py::array::c_style)) {
    throw std::invalid_argument(std::string(name) + " must be C-contiguous");
  }
  // A C-contiguous array can still start at an address that is no multiple of its item's
  // alignment (numpy.frombuffer with an offset, a field of a packed record): reading it
  // through T* is undefined behaviour, and vectorised loops may fault on it.
  if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
    throw std::invalid_argument(std::string(name) + " must be aligned (its data pointer a "
                                "multiple of its item's alignment)");
  }
  return py::reinterpret_borrow<Array<T>>(a);
}

// A writeable output argument: exact dtype, exact shape, C-contiguous, writeable.
template <class T>
Array<T> strict_out(const py::array& a, const char* name, const std::vector<py::ssize_t>& shape) {
  Array<T> out = strict<T>(a, name);
  if (!out.writeable()) throw std::invalid_argument(std::string(name) + " must be writeable");
  if (std::vector<py::ssize_t>(out.shape(), out.shape() + out.ndim()) != shape) {
    throw std::invalid_argument(std::string(name) + " has the wrong shape");
  }
  return out;
}

// Leading axes flattened into a batch of rows x cols planes.
struct Planes {
  std::size_t batch, rows, cols;
  std::size_t plane() const { return rows * cols; }
  std::size_t size() const { return batch * rows * cols; }
};

inline Planes planes_of(const py::array& a, const char* name) {
  if (a.ndim() < 2) throw std::invalid_argument(std::string(name) + " must have at least 2 axes");
  if (a.size() == 0) throw std::invalid_argument(std::string(name) + " must not be empty");
  const auto rows = static_cast<std::size_t>(a.shape(a.ndim() - 2));
  const auto cols = static_cast<std::size_t>(a.shape(a.ndim() - 1));
  return {static_cast<std::size_t>(a.size()) / (rows * cols), rows, cols};
}

inline std::vector<py::ssize_t> shape_of(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

// Calls f(Tag<double>{}) or f(Tag<float>{}) for complex128 / complex64 arrays.
template <class F>
auto dispatch_complex(const py::array& a, const char* name, F&& f) {
  if (has_dtype<std::complex<double>>(a)) return f(Tag<double>{});
  if (has_dtype<std::complex<float>>(a)) return f(Tag<float>{});
  throw py::type_error(std::string(name) + " must have dtype complex64 or complex128; got " +
                       dtype_name(a));
}

// Calls f(Tag<double>{}) or f(Tag<float>{}) for float64 / float32 arrays.
template <class F>
auto dispatch_real(const py::array& a, const char* name, F&& f) {
  if (has_dtype<double>(a)) return f(Tag<double>{});
  if (has_dtype<float>(a)) return f(Tag<float>{});
  throw py::type_error(std::string(name) + " must have dtype float32 or float64; got " +
                       dtype_name(a));
}

// The op groups, one binding file each (cpp/bindings/<group>.cpp).
void bind_fft(py::module_& m);
void bind_fourier(py::module_& m);
void bind_arithmetic(py::module_& m);
void bind_complex_parts(py::module_& m);
void bind_expansion(py::module_& m);
void bind_indexing(py::module_& m);
void bind_sampling(py::module_& m);
void bind_metrics(py::module_& m);
void bind_phase_retrieval(py::module_& m);
void bind_hologram(py::module_& m);

}  // namespace phasegrad::bind
