// Bindings of the arithmetic ops (see python/phasegrad/ops/arithmetic.py).
#include "common.hpp"

namespace phasegrad::bind {

void bind_arithmetic(py::module_& /*m*/) {}

}  // namespace phasegrad::bind
