// Bindings of the sampling ops (see python/phasegrad/ops/sampling.py).
#include "common.hpp"

namespace phasegrad::bind {

void bind_sampling(py::module_& /*m*/) {}

}  // namespace phasegrad::bind
