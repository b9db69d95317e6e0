// The fused models' prepare(threads) binding: the set-up a first call would otherwise pay (the
// plans, the team's start, the first touch of buffers), run with Python's GIL released, since
// planning may measure (FFTW_MEASURE) for a long time.
#pragma once

#include <pybind11/pybind11.h>

namespace phasegrad::bind {

template <class Model>
void prepare_without_gil(Model& model, int threads) {
  pybind11::gil_scoped_release release;
  model.prepare(threads);
}

}  // namespace phasegrad::bind
