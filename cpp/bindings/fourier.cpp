// Bindings of the Fourier ops (see python/phasegrad/ops/fourier.py).
#include "common.hpp"
#include "phasegrad/fft.hpp"
#include "phasegrad/kernels/scale.hpp"

namespace phasegrad::bind {

namespace {

// y = scale * DFT_u(x) (or IDFT_u): FFTW out of place, then one scaling pass when scale != 1.
template <class T>
py::array scaled_dft2(const py::array& x_in, double scale, bool inverse, int threads) {
  auto x = strict<std::complex<T>>(x_in, "x");
  const Planes p = planes_of(x, "x");
  Array<std::complex<T>> out(shape_of(x));
  const std::complex<T>* src = x.data();
  std::complex<T>* dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    dft2_unnormalized<T>(src, dst, p.batch, p.rows, p.cols, inverse, threads);
    if (scale != 1.0) scale_inplace<T>(dst, p.size(), static_cast<T>(scale), threads);
  }
  return std::move(out);
}

}  // namespace

void bind_fourier(py::module_& m) {
  m.def(
      "dft2",
      [](const py::array& x, double scale, bool inverse, int threads) -> py::array {
        return dispatch_complex(x, "x", [&](auto tag) {
          using T = typename decltype(tag)::type;
          return scaled_dft2<T>(x, scale, inverse, threads);
        });
      },
      py::arg("x"), py::arg("scale"), py::arg("inverse"), py::arg("threads"),
      "scale * (I)DFT_u(x) over the last two axes.");
}

}  // namespace phasegrad::bind
