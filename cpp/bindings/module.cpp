// The only pybind11 file: validate, dispatch on dtype, release the GIL, call the core.
// Python (phasegrad/_validate.py) checks arguments first and names them in its errors; the
// checks here keep the boundary strict for anyone calling _core directly.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <cstring>
#include <omp.h>
#include <stdexcept>
#include <string>
#include <vector>

#include "phasegrad/fft.hpp"

namespace py = pybind11;

namespace {

template <class T>
using ComplexArray = py::array_t<std::complex<T>, py::array::c_style>;

template <class T>
py::array dft2_unnormalized(ComplexArray<T> x, bool inverse) {
  if (x.ndim() < 2) throw std::invalid_argument("x must have at least 2 axes");
  const auto rows = static_cast<std::size_t>(x.shape(x.ndim() - 2));
  const auto cols = static_cast<std::size_t>(x.shape(x.ndim() - 1));
  const auto plane = rows * cols;
  if (plane == 0 || x.size() == 0) throw std::invalid_argument("x must not be empty");
  const auto batch = static_cast<std::size_t>(x.size()) / plane;
  ComplexArray<T> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  std::complex<T>* dst = out.mutable_data();
  const std::complex<T>* src = x.data();
  const int threads = omp_get_max_threads();
  {
    py::gil_scoped_release release;
    std::memcpy(dst, src, sizeof(std::complex<T>) * batch * plane);
    phasegrad::dft2_unnormalized_inplace<T>(dst, batch, rows, cols, inverse, threads);
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "phasegrad's C++/OpenMP/FFTW core (private; use phasegrad.fft and phasegrad.ops)";
  // pybind11 itself turns std::invalid_argument into ValueError and std::runtime_error into
  // RuntimeError; no translator of our own is needed.
  m.def("fftw_version", [] { return std::string(phasegrad::fftw_version_string()); },
        "Version string of the linked FFTW library.");
  m.def(
      "dft2_unnormalized",
      [](py::array x, bool inverse) -> py::array {
        if (x.dtype().is(py::dtype::of<std::complex<double>>())) {
          return dft2_unnormalized<double>(x.cast<ComplexArray<double>>(), inverse);
        }
        if (x.dtype().is(py::dtype::of<std::complex<float>>())) {
          return dft2_unnormalized<float>(x.cast<ComplexArray<float>>(), inverse);
        }
        throw py::type_error("x must have dtype complex64 or complex128; got " +
                             std::string(py::str(x.dtype())));
      },
      py::arg("x"), py::arg("inverse") = false,
      "Unnormalised 2-D DFT over the last two axes (sign -1, or +1 when inverse).");
}
