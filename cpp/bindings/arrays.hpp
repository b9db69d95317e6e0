// What every binding file shares besides the dtype dispatcher: strict conversion of arrays,
// plane extents, shape checks. Python checks arguments first and names them in its errors;
// these checks keep the boundary strict for anyone calling _core directly, and never convert:
// a wrong dtype or a non-contiguous array is refused, not copied.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/typing.h>

#include <complex>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "dispatch.hpp"
#include "phasegrad/core/real_view.hpp"

namespace phasegrad::bind {

namespace py = pybind11;

template <class T>
using Array = py::array_t<T, py::array::c_style>;

// Two arrays returned together (a reverse rule's two gradients), typed for the signature.
using ArrayPair = py::typing::Tuple<py::array, py::array>;

// The array itself (no copy) when its dtype is exactly T and it is C-contiguous and aligned.
template <class T>
Array<T> strict(const py::array& a, const char* name) {
  if (!has_dtype<T>(a)) throw dtype_error<T>(a, name);
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

inline std::vector<py::ssize_t> shape_of(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

// A writeable output argument: exact dtype, exact shape, C-contiguous, writeable.
template <class T>
Array<T> strict_out(const py::array& a, const char* name, const std::vector<py::ssize_t>& shape) {
  Array<T> out = strict<T>(a, name);
  if (!out.writeable()) throw std::invalid_argument(std::string(name) + " must be writeable");
  if (shape_of(out) != shape) {
    throw std::invalid_argument(std::string(name) + " has the wrong shape");
  }
  return out;
}

// Re(a) in place, for an array of the precision T: stride 1 for dtype T, stride 2 (the real
// parts) for std::complex<T>. The cotangent of a real output is read this way.
template <class T>
RealView<T> real_part_of(const py::array& a, const char* name) {
  return dispatch(OfPrecision<T>{}, a, name, [&](auto tag) {
    using E = typename decltype(tag)::type;
    if constexpr (std::is_same_v<E, T>) {
      return RealView<T>::of(strict<T>(a, name).data());
    } else {
      return RealView<T>::real_of(strict<E>(a, name).data());
    }
  });
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

inline std::size_t element_count(const py::array& a) { return static_cast<std::size_t>(a.size()); }

inline void expect_same_shape(const py::array& a, const char* a_name, const py::array& b,
                              const char* b_name) {
  if (shape_of(a) != shape_of(b)) {
    throw std::invalid_argument(std::string(a_name) + " must have the shape of " + b_name);
  }
}

// A positive extent or factor given from Python.
inline std::size_t positive(py::ssize_t value, const char* name) {
  if (value < 1) throw std::invalid_argument(std::string(name) + " must be positive");
  return static_cast<std::size_t>(value);
}

}  // namespace phasegrad::bind
