// The accumulator of a sum of elements of type E: double for float and double, and
// std::complex<double> for the complex types (sums accumulate in double precision).
#pragma once

#include <complex>

namespace phasegrad {

template <class E>
struct DoubleSum {
  using type = double;
};

template <class T>
struct DoubleSum<std::complex<T>> {
  using type = std::complex<double>;
};

template <class E>
using double_sum_t = typename DoubleSum<E>::type;

}  // namespace phasegrad
