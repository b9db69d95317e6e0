// Bindings of FFTW itself: version, plan cache, planner effort, wisdom, the plan check (the
// transform is _core.dft2, bound in ops/fourier.cpp) (see python/phasegrad/fft.py); and the
// broadband bands' scaled DFT on its own, for tests.
#include <pybind11/numpy.h>

#include <algorithm>
#include <complex>
#include <limits>
#include <string>

#include "module.hpp"
#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/czt.hpp"
#include "phasegrad/core/fft.hpp"

namespace phasegrad::bind {

namespace {

PlannerEffort parse_effort(const std::string& name) {
  if (name == "estimate") return PlannerEffort::estimate;
  if (name == "measure") return PlannerEffort::measure;
  if (name == "patient") return PlannerEffort::patient;
  throw std::invalid_argument("effort must be 'estimate', 'measure' or 'patient'; got '" +
                              name + "'");
}

// The broadband bands' scaled DFT (core/czt.hpp) on its own, for the tests: forward of a
// (n, n) pupil onto (N, N), or the adjoint of a (N, N) field onto (n, n), in float64 or (single)
// float32, with q output blocks (0: the cost model's choice), with or without the output
// chirps, on a work buffer full of NaN. `stages`: "whole" (forward, adjoint), "rows" (the
// stages a block of rows at a time, as bands_pass runs them, the lines in a buffer of their
// own) or "blocks" (the column blocks and the blocks of rows in reverse order, as
// bands_team_pass hands them out); for the stages the work buffer is zeroed first for a
// chirp-z transform, which needs its padding zero, and stays full of NaN for a periodic one,
// which needs nothing.
template <class T>
py::array_t<std::complex<double>> scaled_dft2(
    const py::array_t<std::complex<double>, py::array::c_style | py::array::forcecast>& input,
    std::size_t n, std::size_t grid, double spacing, std::size_t blocks, bool adjoint,
    bool output_chirp, const std::string& stages) {
  if (stages != "whole" && stages != "rows" && stages != "blocks") {
    throw std::invalid_argument("scaled_dft2: stages must be 'whole', 'rows' or 'blocks'; got '" +
                                stages + "'");
  }
  const std::size_t rows = adjoint ? grid : n;
  if (input.ndim() != 2 || static_cast<std::size_t>(input.shape(0)) != rows ||
      static_cast<std::size_t>(input.shape(1)) != rows || n < 1 || grid < n) {
    throw std::invalid_argument("scaled_dft2: the input must be (n, n), or (N, N) for the "
                                "adjoint, with 1 <= n <= N");
  }
  ScaledDft2<T> transform(n, grid, spacing, blocks);
  // The work buffer starts full of NaN: a transform that read anything it had not written in
  // the same call (a padding it failed to clear) would return NaN.
  auto staging = Buffer<std::complex<T>>::zeros(transform.staging_size());
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::fill(staging.data(), staging.data() + transform.staging_size(), std::complex<T>(nan, nan));
  transform.plan(staging.data());
  auto field = Buffer<std::complex<T>>::zeros(grid * grid);
  auto pupil = Buffer<std::complex<T>>::zeros(n * n);
  const std::complex<double>* in = input.data();
  std::complex<T>* target = adjoint ? field.data() : pupil.data();
  for (std::size_t i = 0; i < rows * rows; ++i) target[i] = std::complex<T>(in[i]);
  const std::size_t out_rows = adjoint ? n : grid;
  py::array_t<std::complex<double>> result({out_rows, out_rows});
  std::complex<double>* out = result.mutable_data();
  {
    py::gil_scoped_release release;
    auto lines = Buffer<std::complex<T>>::zeros(transform.lines_size());
    std::fill(lines.data(), lines.data() + transform.lines_size(), std::complex<T>(nan, nan));
    const std::size_t step = transform.rows(), columns = transform.column_blocks();
    const std::size_t row_blocks = (grid + step - 1) / step;
    std::complex<T>* work = staging.data();
    if (stages != "whole" && !transform.periodic()) {  // the stages' padding: zero
      std::fill(work, work + transform.work_size(), std::complex<T>(0));
    }
    if (stages == "whole" && adjoint) {
      transform.adjoint(field.data(), work, output_chirp);
    } else if (stages == "whole") {
      transform.forward(pupil.data(), field.data(), work, output_chirp);
    } else if (stages == "rows" && adjoint) {
      for (std::size_t k0 = 0; k0 < grid; k0 += step) {
        transform.adjoint_rows(k0, field.data() + k0 * grid, lines.data(), work, output_chirp);
      }
      transform.adjoint_columns(lines.data(), field.data(), work, output_chirp);
    } else if (stages == "rows") {
      transform.forward_columns(pupil.data(), lines.data(), work, output_chirp);
      for (std::size_t k0 = 0; k0 < grid; k0 += step) {
        transform.forward_rows(k0, lines.data(), field.data() + k0 * grid, work, output_chirp);
      }
    } else if (adjoint) {
      for (std::size_t b = row_blocks; b-- > 0;) {
        transform.adjoint_rows(b * step, field.data() + b * step * grid, lines.data(), work,
                               output_chirp);
      }
      for (std::size_t c = columns; c-- > 0;) {
        transform.adjoint_column_block(c, lines.data(), field.data(), work, output_chirp);
      }
    } else {
      for (std::size_t c = columns; c-- > 0;) {
        transform.forward_column_block(c, pupil.data(), lines.data(), work, output_chirp);
      }
      for (std::size_t b = row_blocks; b-- > 0;) {
        transform.forward_rows(b * step, lines.data(), field.data() + b * step * grid, work,
                               output_chirp);
      }
    }
  }
  for (std::size_t y = 0; y < out_rows; ++y) {
    for (std::size_t x = 0; x < out_rows; ++x) out[y * out_rows + x] = field.data()[y * grid + x];
  }
  return result;
}

}  // namespace

void bind_fft(py::module_& m) {
  m.def("fftw_version", [] { return std::string(fftw_version_string()); },
        "Version string of the linked FFTW library.");
  m.def("cached_plan_count", &cached_plan_count, "Number of cached FFTW plans.");
  m.def("clear_plan_cache", &clear_plan_cache, "Drop every cached FFTW plan.");
  m.def(
      "set_planner_effort", [](const std::string& name) { set_planner_effort(parse_effort(name)); },
      py::arg("effort"), "Planner effort of plans made from now on: 'estimate', 'measure' or "
      "'patient'.");
  m.def(
      "planner_effort",
      [] {
        switch (planner_effort()) {
          case PlannerEffort::estimate: return std::string("estimate");
          case PlannerEffort::patient: return std::string("patient");
          case PlannerEffort::measure: break;
        }
        return std::string("measure");
      },
      "The planner effort: 'estimate', 'measure' or 'patient'.");
  m.def(
      "export_wisdom",
      []() -> py::typing::Tuple<py::bytes, py::bytes> {
        std::string double_text, float_text;
        {
          py::gil_scoped_release release;  // the planner lock may be held by a planning thread
          double_text = export_wisdom_double();
          float_text = export_wisdom_float();
        }
        return py::make_tuple(py::bytes(double_text), py::bytes(float_text));
      },
      "FFTW wisdom as (double, float) texts.");
  m.def(
      "import_wisdom",
      [](const std::string& double_text, const std::string& float_text) {
        py::gil_scoped_release release;
        return std::make_tuple(import_wisdom_double(double_text), import_wisdom_float(float_text));
      },
      py::arg("double_text"), py::arg("float_text"),
      "Import FFTW wisdom texts (double, float); whether FFTW accepted each.");
  m.def(
      "replace_wisdom",
      [](const std::string& double_text, const std::string& float_text) {
        py::gil_scoped_release release;
        return replace_wisdom(double_text, float_text);
      },
      py::arg("double_text"), py::arg("float_text"),
      "Forget all FFTW wisdom and import these texts (double, float) instead, under one\n"
      "hold of the planner lock; whether FFTW accepted each.");
  m.def("set_plan_check", &set_plan_check, py::arg("enabled"),
        "Plan each new FFTW_MEASURE/PATIENT plan twice and keep the faster (with its wisdom).");
  m.def("plan_check_enabled", &plan_check_enabled, "Whether new plans are checked.");
  m.def(
      "plan_check_counts",
      [] {
        const PlanCheckCounts counts = plan_check_counts();
        return std::make_tuple(counts.checked, counts.second_kept);
      },
      "(plans checked, of them the second planning kept), since the core loaded.");
  m.def(
      "scaled_dft2",
      [](const py::array_t<std::complex<double>, py::array::c_style | py::array::forcecast>& input,
         std::size_t n, std::size_t grid, double spacing, std::size_t blocks, bool adjoint,
         bool single, bool output_chirp, const std::string& stages) {
        return single ? scaled_dft2<float>(input, n, grid, spacing, blocks, adjoint, output_chirp,
                                           stages)
                      : scaled_dft2<double>(input, n, grid, spacing, blocks, adjoint,
                                            output_chirp, stages);
      },
      py::arg("input"), py::arg("n"), py::arg("grid"), py::arg("spacing"), py::arg("blocks"),
      py::arg("adjoint"), py::arg("single"), py::arg("output_chirp") = true,
      py::arg("stages") = "whole",
      "The bands' scaled DFT (tests): G = E g E^T or its adjoint (output_chirp: czt.hpp), whole\n"
      "or by its stages ('rows', 'blocks').");
  m.def(
      "scaled_dft2_layout",
      [](std::size_t n, std::size_t grid, double spacing, std::size_t blocks, bool single) {
        auto layout = [](const auto& transform) {
          return std::make_tuple(transform.periodic(), transform.length(), transform.blocks(),
                                 transform.rows());
        };
        return single ? layout(ScaledDft2<float>(n, grid, spacing, blocks))
                      : layout(ScaledDft2<double>(n, grid, spacing, blocks));
      },
      py::arg("n"), py::arg("grid"), py::arg("spacing"), py::arg("blocks"), py::arg("single"),
      "The layout scaled_dft2 takes (tests): (periodic, length, blocks, rows) (czt.hpp).");
  m.def("scaled_dft2_period", &scaled_dft2_period, py::arg("n"), py::arg("grid"),
        py::arg("spacing"),
        "The period L at which a broadband band of spacing s runs plain FFTs of length L\n"
        "(the periodic mode, czt.hpp), or 0 where it runs chirp-z transforms.");
}

}  // namespace phasegrad::bind
