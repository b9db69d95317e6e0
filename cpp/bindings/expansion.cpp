// Bindings of the expansion ops (see python/phasegrad/ops/expansion.py).
#include "common.hpp"

namespace phasegrad::bind {

void bind_expansion(py::module_& /*m*/) {}

}  // namespace phasegrad::bind
