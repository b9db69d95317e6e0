// Bindings of the metrics ops (see python/phasegrad/ops/metrics.py): validate, allocate the
// output, release the GIL, run the kernel. Reductions come back as Python floats.
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "dispatch.hpp"
#include "module.hpp"
#include "phasegrad/core/element.hpp"
#include "phasegrad/core/real_view.hpp"
#include "phasegrad/ops/metrics.hpp"

namespace phasegrad::bind {

namespace {

// wsse's w: None (every weight 1), a number, or a C-contiguous array of M's dtype whose size
// divides M's: entry i % w.size weighs element i of M (the caller lays out a w that broadcasts
// along M's trailing axes that way).
using WeightsArg = py::typing::Optional<py::typing::Union<py::float_, py::int_, py::array>>;

template <class T>
ops::Weights<T> weights_of(const WeightsArg& w, const py::array& M) {
  if (w.is_none()) return {nullptr, 0, 1.0};
  if (py::isinstance<py::float_>(w) || py::isinstance<py::int_>(w)) {
    return {nullptr, 0, w.cast<double>()};
  }
  if (!py::isinstance<py::array>(w)) {
    throw py::type_error("w must be None, a number or an array");
  }
  const auto array = py::reinterpret_borrow<py::array>(w);
  const T* data = strict<T>(array, "w").data();
  const auto period = element_count(array);
  if (period == 0 || element_count(M) % period != 0) {
    throw std::invalid_argument("w must have a size that divides the size of M");
  }
  return {data, period, 0.0};
}

// Per-plane factors (float64, one per plane of a (..., rows, cols) array).
const double* plane_factors(const py::array& a, const char* name, std::size_t batch) {
  const auto factors = strict<double>(a, name);
  if (element_count(factors) != batch) {
    throw std::invalid_argument(std::string(name) + " must have one entry per plane");
  }
  return factors.data();
}

// (I_bar, a_bar, b_bar, c_bar) of poly_detector.
using PolyDetectorGradients = py::typing::Tuple<py::array, py::float_, py::float_, py::float_>;

// (E, E_dot) of wsse_jvp.
using FloatPair = py::typing::Tuple<py::float_, py::float_>;

py::array plane_result(std::size_t batch) {
  return Array<double>(std::vector<py::ssize_t>{static_cast<py::ssize_t>(batch)});
}

}  // namespace

void bind_metrics(py::module_& m) {
  m.def(
      "wsse",
      [](const py::array& M, const py::array& D, const WeightsArg& w, int threads) -> double {
        expect_same_shape(D, "D", M, "M");
        return dispatch(Reals{}, M, "M", [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* model = strict<T>(M, "M").data();
          const T* data = strict<T>(D, "D").data();
          const auto weights = weights_of<T>(w, M);
          const std::size_t n = element_count(M);
          py::gil_scoped_release release;
          return ops::wsse<T>(model, data, weights, n, threads);
        });
      },
      py::arg("M"), py::arg("D"), py::arg("w"), py::arg("threads"),
      "sum w (M - D)^2 (Eq. 7) in double; w None, a number, or an array repeating along M.");
  m.def(
      "wsse_vjp",
      [](double E_bar, const py::array& M, const py::array& D, const WeightsArg& w,
         int threads) -> py::array {
        expect_same_shape(D, "D", M, "M");
        return dispatch(Reals{}, M, "M", [&](auto tag) -> py::array {
          using T = typename decltype(tag)::type;
          const T* model = strict<T>(M, "M").data();
          const T* data = strict<T>(D, "D").data();
          const auto weights = weights_of<T>(w, M);
          const std::size_t n = element_count(M);
          Array<T> M_bar(shape_of(M));
          T* out = M_bar.mutable_data();
          {
            py::gil_scoped_release release;
            ops::wsse_vjp<T>(E_bar, model, data, weights, out, n, threads);
          }
          return std::move(M_bar);
        });
      },
      py::arg("E_bar"), py::arg("M"), py::arg("D"), py::arg("w"), py::arg("threads"),
      "2 w (M - D) E_bar (Eq. 93).");
  m.def(
      "wsse_jvp",
      [](const py::array& M, const py::array& M_dot, const py::array& D, const WeightsArg& w,
         int threads) -> FloatPair {
        expect_same_shape(M_dot, "M_dot", M, "M");
        expect_same_shape(D, "D", M, "M");
        return dispatch(Reals{}, M, "M", [&](auto tag) -> FloatPair {
          using T = typename decltype(tag)::type;
          const T* model = strict<T>(M, "M").data();
          const T* tangent = strict<T>(M_dot, "M_dot").data();
          const T* data = strict<T>(D, "D").data();
          const auto weights = weights_of<T>(w, M);
          const std::size_t n = element_count(M);
          ops::ValueAndTangent result{};
          {
            py::gil_scoped_release release;
            result = ops::wsse_jvp<T>(model, tangent, data, weights, n, threads);
          }
          return py::make_tuple(result.value, result.tangent);
        });
      },
      py::arg("M"), py::arg("M_dot"), py::arg("D"), py::arg("w"), py::arg("threads"),
      "(E, E_dot) = (sum w (M - D)^2, 2 sum w (M - D) M_dot) in one pass, in double (Eq. 7, 93).");
  m.def(
      "poisson_nll",
      [](const py::array& M, const py::array& D, const WeightsArg& w, double shift,
         int threads) -> double {
        expect_same_shape(D, "D", M, "M");
        return dispatch(Reals{}, M, "M", [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* model = strict<T>(M, "M").data();
          const T* data = strict<T>(D, "D").data();
          const auto weights = weights_of<T>(w, M);
          const std::size_t n = element_count(M);
          py::gil_scoped_release release;
          return ops::poisson_nll<T>(model, data, weights, shift, n, threads);
        });
      },
      py::arg("M"), py::arg("D"), py::arg("w"), py::arg("shift"), py::arg("threads"),
      "sum w (z - z_D - z_D log(z / z_D)), z = M + shift, z_D = max(D + shift, 0), in double.");
  m.def(
      "poisson_nll_vjp",
      [](double E_bar, const py::array& M, const py::array& D, const WeightsArg& w, double shift,
         int threads) -> py::array {
        expect_same_shape(D, "D", M, "M");
        return dispatch(Reals{}, M, "M", [&](auto tag) -> py::array {
          using T = typename decltype(tag)::type;
          const T* model = strict<T>(M, "M").data();
          const T* data = strict<T>(D, "D").data();
          const auto weights = weights_of<T>(w, M);
          const std::size_t n = element_count(M);
          Array<T> M_bar(shape_of(M));
          T* out = M_bar.mutable_data();
          {
            py::gil_scoped_release release;
            ops::poisson_nll_vjp<T>(E_bar, model, data, weights, shift, out, n, threads);
          }
          return std::move(M_bar);
        });
      },
      py::arg("E_bar"), py::arg("M"), py::arg("D"), py::arg("w"), py::arg("shift"),
      py::arg("threads"), "(1 - z_D / z) E_bar w.");
  m.def(
      "poisson_nll_jvp",
      [](const py::array& M, const py::array& M_dot, const py::array& D, const WeightsArg& w,
         double shift, int threads) -> FloatPair {
        expect_same_shape(M_dot, "M_dot", M, "M");
        expect_same_shape(D, "D", M, "M");
        return dispatch(Reals{}, M, "M", [&](auto tag) -> FloatPair {
          using T = typename decltype(tag)::type;
          const T* model = strict<T>(M, "M").data();
          const T* tangent = strict<T>(M_dot, "M_dot").data();
          const T* data = strict<T>(D, "D").data();
          const auto weights = weights_of<T>(w, M);
          const std::size_t n = element_count(M);
          ops::ValueAndTangent result{};
          {
            py::gil_scoped_release release;
            result = ops::poisson_nll_jvp<T>(model, tangent, data, weights, shift, n, threads);
          }
          return py::make_tuple(result.value, result.tangent);
        });
      },
      py::arg("M"), py::arg("M_dot"), py::arg("D"), py::arg("w"), py::arg("shift"),
      py::arg("threads"), "(E, E_dot) of poisson_nll in one pass, in double.");
  m.def(
      "poly_detector",
      [](const py::array& I, double a, double b, double c, int threads) -> py::array {
        return dispatch(Reals{}, I, "I", [&](auto tag) -> py::array {
          using T = typename decltype(tag)::type;
          const T* intensity = strict<T>(I, "I").data();
          const std::size_t n = element_count(I);
          Array<T> M(shape_of(I));
          T* out = M.mutable_data();
          {
            py::gil_scoped_release release;
            ops::poly_detector<T>(intensity, a, b, c, out, n, threads);
          }
          return std::move(M);
        });
      },
      py::arg("I"), py::arg("a"), py::arg("b"), py::arg("c"), py::arg("threads"),
      "(a I + b) I + c (Eq. 98).");
  m.def(
      "poly_detector_vjp",
      [](const py::array& M_bar, const py::array& I, double a, double b,
         int threads) -> PolyDetectorGradients {
        expect_same_shape(M_bar, "M_bar", I, "I");
        return dispatch(Reals{}, I, "I", [&](auto tag) -> PolyDetectorGradients {
          using T = typename decltype(tag)::type;
          const RealView<T> cotangent = real_part_of<T>(M_bar, "M_bar");
          const T* intensity = strict<T>(I, "I").data();
          const std::size_t n = element_count(I);
          Array<T> I_bar(shape_of(I));
          T* out = I_bar.mutable_data();
          ops::CoefficientGradients sums{};
          {
            py::gil_scoped_release release;
            sums = ops::poly_detector_vjp<T>(cotangent, intensity, a, b, out, n, threads);
          }
          return py::make_tuple(std::move(I_bar), sums.a, sums.b, sums.c);
        });
      },
      py::arg("M_bar"), py::arg("I"), py::arg("a"), py::arg("b"), py::arg("threads"),
      "(I_bar, a_bar, b_bar, c_bar) of M = a I^2 + b I + c (Eq. 100, 101), in one pass.");
  m.def(
      "poly_detector_jvp",
      [](const py::array& I, const py::array& I_dot, double a, double b, double c, double a_dot,
         double b_dot, double c_dot, int threads) -> ArrayPair {
        expect_same_shape(I_dot, "I_dot", I, "I");
        return dispatch(Reals{}, I, "I", [&](auto tag) -> ArrayPair {
          using T = typename decltype(tag)::type;
          const T* intensity = strict<T>(I, "I").data();
          const T* tangent = strict<T>(I_dot, "I_dot").data();
          const std::size_t n = element_count(I);
          Array<T> M(shape_of(I)), M_dot(shape_of(I));
          T* out = M.mutable_data();
          T* out_dot = M_dot.mutable_data();
          {
            py::gil_scoped_release release;
            ops::poly_detector_jvp<T>(intensity, tangent, a, b, c, a_dot, b_dot, c_dot, out,
                                      out_dot, n, threads);
          }
          return py::make_tuple(M, M_dot);
        });
      },
      py::arg("I"), py::arg("I_dot"), py::arg("a"), py::arg("b"), py::arg("c"), py::arg("a_dot"),
      py::arg("b_dot"), py::arg("c_dot"), py::arg("threads"),
      "(M, M_dot) = ((a I + b) I + c, (2a I + b) I_dot + (a_dot I + b_dot) I + c_dot) in one\n"
      "pass (Eq. 98-101).");
  m.def(
      "plane_sums",
      [](const py::array& x, int threads) -> py::array {
        return dispatch(Reals{}, x, "x", [&](auto tag) -> py::array {
          using T = typename decltype(tag)::type;
          const T* values = strict<T>(x, "x").data();
          const Planes p = planes_of(x, "x");
          py::array sums = plane_result(p.batch);
          auto* out = static_cast<double*>(sums.mutable_data());
          {
            py::gil_scoped_release release;
            ops::plane_sums<T>(values, p.batch, p.plane(), out, threads);
          }
          return sums;
        });
      },
      py::arg("x"), py::arg("threads"),
      "Sum of each plane (last two axes) in double, flat over the batch.");
  m.def(
      "plane_sums_with_projection",
      [](const py::array& y_bar, const py::array& x, int threads) -> ArrayPair {
        expect_same_shape(y_bar, "y_bar", x, "x");
        return dispatch(Reals{}, x, "x", [&](auto tag) -> ArrayPair {
          using T = typename decltype(tag)::type;
          const RealView<T> cotangent = real_part_of<T>(y_bar, "y_bar");
          const T* values = strict<T>(x, "x").data();
          const Planes p = planes_of(x, "x");
          py::array sum_x = plane_result(p.batch), sum_yx = plane_result(p.batch);
          auto* out_x = static_cast<double*>(sum_x.mutable_data());
          auto* out_yx = static_cast<double*>(sum_yx.mutable_data());
          {
            py::gil_scoped_release release;
            ops::plane_sums_with_projection<T>(cotangent, values, p.batch, p.plane(), out_x,
                                               out_yx, threads);
          }
          return py::make_tuple(sum_x, sum_yx);
        });
      },
      py::arg("y_bar"), py::arg("x"), py::arg("threads"),
      "(sum x, sum Re(y_bar) x) of each plane in one pass, in double, flat over the batch.");
  m.def(
      "plane_sums_pair",
      [](const py::array& x, const py::array& x_dot, int threads) -> ArrayPair {
        expect_same_shape(x_dot, "x_dot", x, "x");
        return dispatch(Reals{}, x, "x", [&](auto tag) -> ArrayPair {
          using T = typename decltype(tag)::type;
          const T* values = strict<T>(x, "x").data();
          const T* tangents = strict<T>(x_dot, "x_dot").data();
          const Planes p = planes_of(x, "x");
          py::array sum_x = plane_result(p.batch), sum_x_dot = plane_result(p.batch);
          auto* out_x = static_cast<double*>(sum_x.mutable_data());
          auto* out_dot = static_cast<double*>(sum_x_dot.mutable_data());
          {
            py::gil_scoped_release release;
            ops::plane_sums_pair<T>(values, tangents, p.batch, p.plane(), out_x, out_dot,
                                    threads);
          }
          return py::make_tuple(sum_x, sum_x_dot);
        });
      },
      py::arg("x"), py::arg("x_dot"), py::arg("threads"),
      "(sum x, sum x_dot) of each plane in one pass, in double, flat over the batch.");
  m.def(
      "mean_normalize_jvp",
      [](const py::array& x, const py::array& x_dot, const py::array& scale,
         const py::array& ratio, int threads) -> ArrayPair {
        expect_same_shape(x_dot, "x_dot", x, "x");
        return dispatch(Reals{}, x, "x", [&](auto tag) -> ArrayPair {
          using T = typename decltype(tag)::type;
          const T* values = strict<T>(x, "x").data();
          const T* tangents = strict<T>(x_dot, "x_dot").data();
          const Planes p = planes_of(x, "x");
          const double* factors = plane_factors(scale, "scale", p.batch);
          const double* ratios = plane_factors(ratio, "ratio", p.batch);
          Array<T> y(shape_of(x)), y_dot(shape_of(x));
          T* out = y.mutable_data();
          T* out_dot = y_dot.mutable_data();
          {
            py::gil_scoped_release release;
            ops::mean_normalize_jvp<T>(values, tangents, factors, ratios, p.batch, p.plane(), out,
                                       out_dot, threads);
          }
          return py::make_tuple(y, y_dot);
        });
      },
      py::arg("x"), py::arg("x_dot"), py::arg("scale"), py::arg("ratio"), py::arg("threads"),
      "(x s, x_dot s - x s r) on each plane p, s = scale[p], r = ratio[p] (mean_normalize's\n"
      "tangent step with s = c / mean(x), r = sum(x_dot) / sum(x)).");
  m.def(
      "scale_planes",
      [](const py::array& x, const py::array& scale, const std::optional<py::array>& offset,
         int threads) -> py::array {
        return dispatch(Floats{}, x, "x", [&](auto tag) -> py::array {
          using T = real_t<typename decltype(tag)::type>;
          const RealView<T> source = real_part_of<T>(x, "x");
          const Planes p = planes_of(x, "x");
          const double* factors = plane_factors(scale, "scale", p.batch);
          const double* shifts = nullptr;
          if (offset) shifts = plane_factors(*offset, "offset", p.batch);
          Array<T> y(shape_of(x));
          T* out = y.mutable_data();
          {
            py::gil_scoped_release release;
            ops::scale_planes<T>(source, factors, shifts, p.batch, p.plane(), out, threads);
          }
          return std::move(y);
        });
      },
      py::arg("x"), py::arg("scale"), py::arg("offset"), py::arg("threads"),
      "Re(x) * scale[p] - offset[p] on each plane p (last two axes); no offset when None.");
}

}  // namespace phasegrad::bind
