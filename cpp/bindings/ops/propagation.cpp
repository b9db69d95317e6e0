// Bindings of the propagation ops (see python/phasegrad/ops/propagation.py).
#include <cmath>
#include <stdexcept>
#include <string>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/core/element.hpp"
#include "phasegrad/ops/propagation.hpp"

namespace phasegrad::bind {

namespace {

ops::Propagation propagation_of(const std::string& method, double distance, double wavelength,
                                double pitch, bool band_limit, py::ssize_t pad) {
  ops::Propagation p{ops::Propagator::angular_spectrum, distance, wavelength, pitch, band_limit,
                     positive(pad, "pad")};
  if (method == "transfer") {
    p.method = ops::Propagator::fresnel_transfer;
  } else if (method == "impulse") {
    p.method = ops::Propagator::fresnel_impulse;
  } else if (method != "angular_spectrum") {
    throw std::invalid_argument("method must be 'angular_spectrum', 'transfer' or 'impulse'");
  }
  if (!(wavelength > 0) || !(pitch > 0) || !std::isfinite(distance) ||
      !std::isfinite(wavelength) || !std::isfinite(pitch)) {
    throw std::invalid_argument("wavelength and pitch must be positive, distance finite");
  }
  if (p.method == ops::Propagator::fresnel_impulse && !(distance > 0)) {
    throw std::invalid_argument("distance must be positive for method='impulse'");
  }
  if (p.method != ops::Propagator::angular_spectrum && p.pad != 1) {
    throw std::invalid_argument("pad must be 1 for the Fresnel methods");
  }
  return p;
}

template <class T>
py::array propagate(const py::array& x_in, const ops::Propagation& p, bool adjoint,
                    int threads) {
  auto x = strict<std::complex<T>>(x_in, "x");
  const Planes planes = planes_of(x, "x");
  Array<std::complex<T>> out(shape_of(x));
  const std::complex<T>* src = x.data();
  std::complex<T>* dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    ops::propagate<T>(src, dst, planes.batch, planes.rows, planes.cols, p, adjoint, threads);
  }
  return std::move(out);
}

}  // namespace

void bind_propagation(py::module_& m) {
  m.def(
      "propagate",
      [](const py::array& x, const std::string& method, double distance, double wavelength,
         double pitch, bool band_limit, py::ssize_t pad, bool adjoint,
         int threads) -> py::array {
        const ops::Propagation p =
            propagation_of(method, distance, wavelength, pitch, band_limit, pad);
        return dispatch(Complexes{}, x, "x", [&](auto tag) {
          return propagate<real_t<typename decltype(tag)::type>>(x, p, adjoint, threads);
        });
      },
      py::arg("x"), py::arg("method"), py::arg("distance"), py::arg("wavelength"),
      py::arg("pitch"), py::arg("band_limit"), py::arg("pad"), py::arg("adjoint"),
      py::arg("threads"),
      "Free-space propagation over the last two axes: method 'angular_spectrum' (band_limit,\n"
      "pad), 'transfer' or 'impulse' (Fresnel); its conjugate transpose when adjoint.");
}

}  // namespace phasegrad::bind
