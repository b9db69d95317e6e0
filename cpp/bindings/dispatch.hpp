// The bindings' one dtype dispatcher (in the spirit of ducc0's DISPATCH): every binding that
// takes more than one dtype names the dtypes it accepts as a list, and
//
//   dispatch(Floats{}, x, "x", [&](auto tag) -> py::array {
//     using E = typename decltype(tag)::type;  // float, double, std::complex<float> or ...
//     ...
//   });
//
// calls the lambda with Tag<E> for the E of the list that is exactly x's dtype, or raises a
// TypeError naming the argument and the dtypes it accepts ("x must have dtype float32,
// float64, complex64 or complex128; got int64"). Nothing is converted: a dtype not on the list
// is refused. Dispatch on a numpy.dtype argument (dispatch(Complexes{}, dtype, "dtype", f))
// reads alike. Several arguments dispatch in nested calls, the later ones usually on
// OfPrecision<real_t<E>> so that every argument has one precision.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <string>
#include <tuple>
#include <type_traits>

namespace phasegrad::bind {

namespace py = pybind11;

// The element type E, passed to the lambda as a value.
template <class E>
struct Tag {
  using type = E;
};

// A list of accepted element types, in the order the error message names them.
template <class... E>
struct DTypes {};

using Reals = DTypes<float, double>;
using Complexes = DTypes<std::complex<float>, std::complex<double>>;
using Floats = DTypes<float, double, std::complex<float>, std::complex<double>>;
// An array of the precision T, real or complex.
template <class T>
using OfPrecision = DTypes<T, std::complex<T>>;

inline py::dtype dtype_of(const py::array& a) { return a.dtype(); }
inline py::dtype dtype_of(const py::dtype& dtype) { return dtype; }

// Whether `arg` (an array, or a numpy.dtype) has exactly the dtype of E, in native byte order.
// NumPy's canonical dtype object is the usual case; an equal dtype that is another object
// (one that came through pickle: Dask's transport, multiprocessing) has the same type number,
// size and a native byte order. (Comparing identity alone refused such arrays with "must have
// dtype float64; got float64".)
template <class E, class Arg>
bool has_dtype(const Arg& arg) {
  const py::dtype dtype = dtype_of(arg), expected = py::dtype::of<E>();
  if (dtype.is(expected)) return true;
  const char order = dtype.byteorder();
  const bool native = order == '=' || order == '|' || order == expected.byteorder();
  return native && dtype.num() == expected.num() && dtype.itemsize() == expected.itemsize() &&
         !dtype.has_fields();
}

inline std::string dtype_name(const py::dtype& dtype) { return py::str(dtype).cast<std::string>(); }

// "float32", "float32 or float64", "float32, float64 or complex64", ...
template <class E, class... Rest>
std::string dtype_names() {
  std::string names = dtype_name(py::dtype::of<E>());
  if constexpr (sizeof...(Rest) == 1) {
    names += " or " + dtype_names<Rest...>();
  } else if constexpr (sizeof...(Rest) > 1) {
    names += ", " + dtype_names<Rest...>();
  }
  return names;
}

// Whether E... is OfPrecision<T>: a list that a dispatch on another argument fixed.
template <class... E>
constexpr bool is_precision_list = false;
template <class T>
constexpr bool is_precision_list<T, std::complex<T>> = true;

// The TypeError of an array argument whose dtype is none of E...
template <class... E>
py::type_error dtype_error(const py::array& a, const char* name) {
  const char* why = is_precision_list<E...> ? " (the precision of the other arguments)" : "";
  return py::type_error(std::string(name) + " must have dtype " + dtype_names<E...>() + why +
                        "; got " + dtype_name(a.dtype()));
}

// The TypeError of a numpy.dtype argument that is none of E...
template <class... E>
py::type_error dtype_error(const py::dtype& dtype, const char* name) {
  return py::type_error(std::string(name) + " must be " + dtype_names<E...>() + "; got " +
                        dtype_name(dtype));
}

// dispatch()'s search: f(Tag<E>{}) for the first of E, Rest... that is `dtype`.
template <class E, class... Rest, class F, class Error>
auto dispatch_first(const py::dtype& dtype, F& f, const Error& error) -> decltype(f(Tag<E>{})) {
  if (has_dtype<E>(dtype)) return f(Tag<E>{});
  if constexpr (sizeof...(Rest) > 0) {
    return dispatch_first<Rest...>(dtype, f, error);
  } else {
    throw error();
  }
}

// f(Tag<E>{}) for the E among E... that is the dtype of `arg` (an array, or a numpy.dtype);
// otherwise the TypeError naming `name` and E... Every branch returns one type.
template <class... E, class Arg, class F>
auto dispatch(DTypes<E...>, const Arg& arg, const char* name, F&& f) {
  static_assert(sizeof...(E) > 0, "a dispatch accepts at least one dtype");
  using First = std::tuple_element_t<0, std::tuple<E...>>;
  using Result = decltype(f(Tag<First>{}));
  static_assert((std::is_same_v<Result, decltype(f(Tag<E>{}))> && ...),
                "every branch of a dispatch returns one type");
  return dispatch_first<E...>(dtype_of(arg), f, [&] { return dtype_error<E...>(arg, name); });
}

}  // namespace phasegrad::bind
