// Dispatch on the element type of ops that take real and complex arrays alike (the layout ops:
// indexing, sampling, convolution), in the manner of common.hpp's dispatch_complex/real.
#pragma once

#include <complex>
#include <string>

#include "common.hpp"

namespace phasegrad::bind {

// Calls f(Tag<E>{}) with E the element type of a float32, float64, complex64 or complex128
// array; any other dtype is a TypeError naming the argument.
template <class F>
auto dispatch_element(const py::array& a, const char* name, F&& f) {
  if (has_dtype<double>(a)) return f(Tag<double>{});
  if (has_dtype<float>(a)) return f(Tag<float>{});
  if (has_dtype<std::complex<double>>(a)) return f(Tag<std::complex<double>>{});
  if (has_dtype<std::complex<float>>(a)) return f(Tag<std::complex<float>>{});
  throw py::type_error(std::string(name) +
                       " must have dtype float32, float64, complex64 or complex128; got " +
                       dtype_name(a));
}

// Calls f(Tag<T>{}) or f(Tag<std::complex<T>>{}): an array of the precision T, real or
// complex. Another precision is a TypeError naming the argument (no silent cast).
template <class T, class F>
auto dispatch_same_precision(const py::array& a, const char* name, F&& f) {
  if (has_dtype<T>(a)) return f(Tag<T>{});
  if (has_dtype<std::complex<T>>(a)) return f(Tag<std::complex<T>>{});
  throw py::type_error(std::string(name) + " must have dtype " +
                       py::str(py::dtype::of<T>()).cast<std::string>() + " or " +
                       py::str(py::dtype::of<std::complex<T>>()).cast<std::string>() +
                       " (the precision of the other arguments); got " + dtype_name(a));
}

// A positive extent or factor given from Python.
inline std::size_t positive(py::ssize_t value, const char* name) {
  if (value < 1) throw std::invalid_argument(std::string(name) + " must be positive");
  return static_cast<std::size_t>(value);
}

}  // namespace phasegrad::bind
