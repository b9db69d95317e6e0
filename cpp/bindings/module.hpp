// The binding functions module.cpp calls: one per file, each defining the _core functions or
// classes of one part of the core (a file per part under cpp/bindings/core, ops and models).
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/typing.h>

namespace phasegrad::bind {

namespace py = pybind11;

// Infrastructure: FFTW (version, plan cache, planner effort, wisdom, the plan check) and the
// broadband bands' scaled DFT on its own.
void bind_fft(py::module_& m);
// The fused models' measured thread fallback, replayed over given times (for tests).
void bind_team_choice(py::module_& m);

// The op groups (the modules of phasegrad.ops).
void bind_arithmetic(py::module_& m);
void bind_complex_parts(py::module_& m);
void bind_expansion(py::module_& m);
void bind_fourier(py::module_& m);
void bind_indexing(py::module_& m);
void bind_sampling(py::module_& m);
void bind_metrics(py::module_& m);
void bind_propagation(py::module_& m);

// The fused models.
void bind_phase_retrieval(py::module_& m);
void bind_phase_diversity(py::module_& m);
void bind_phase_retrieval_batch(py::module_& m);
void bind_hologram(py::module_& m);

}  // namespace phasegrad::bind
