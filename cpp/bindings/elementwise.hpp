// What the elementwise binding files (complex_parts.cpp, metrics.cpp) share: dispatch over the
// four floating dtypes, cotangents of real outputs read as Re(y_bar) in place, shape checks.
// Strict like common.hpp: a wrong dtype or a non-contiguous array is refused, never converted.
#pragma once

#include <complex>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "common.hpp"
#include "phasegrad/core/real_view.hpp"

namespace phasegrad::bind {

template <class T>
std::string dtype_name_of() {
  return py::str(py::dtype::of<T>()).cast<std::string>();
}

// Calls f(Tag<T>{}, std::true_type{}) for complex64 / complex128 arrays and
// f(Tag<T>{}, std::false_type{}) for float32 / float64 ones.
template <class F>
auto dispatch_float(const py::array& a, const char* name, F&& f) {
  if (has_dtype<double>(a)) return f(Tag<double>{}, std::false_type{});
  if (has_dtype<float>(a)) return f(Tag<float>{}, std::false_type{});
  if (has_dtype<std::complex<double>>(a)) return f(Tag<double>{}, std::true_type{});
  if (has_dtype<std::complex<float>>(a)) return f(Tag<float>{}, std::true_type{});
  throw py::type_error(std::string(name) +
                       " must have dtype float32, float64, complex64 or complex128; got " +
                       dtype_name(a));
}

// Refuses an array that is neither T nor std::complex<T> (a cotangent of the wrong precision).
template <class T>
void expect_precision(const py::array& a, const char* name) {
  if (!has_dtype<T>(a) && !has_dtype<std::complex<T>>(a)) {
    throw py::type_error(std::string(name) + " must have dtype " + dtype_name_of<T>() + " or " +
                         dtype_name_of<std::complex<T>>() + "; got " + dtype_name(a));
  }
}

// Re(a) of a C-contiguous array of dtype T (stride 1) or std::complex<T> (stride 2), in place.
template <class T>
RealView<T> real_part_of(const py::array& a, const char* name) {
  expect_precision<T>(a, name);
  if (has_dtype<std::complex<T>>(a)) {
    return RealView<T>::real_of(strict<std::complex<T>>(a, name).data());
  }
  return RealView<T>::of(strict<T>(a, name).data());
}

inline void expect_same_shape(const py::array& a, const char* a_name, const py::array& b,
                              const char* b_name) {
  if (shape_of(a) != shape_of(b)) {
    throw std::invalid_argument(std::string(a_name) + " must have the shape of " + b_name);
  }
}

inline std::size_t element_count(const py::array& a) { return static_cast<std::size_t>(a.size()); }

}  // namespace phasegrad::bind
