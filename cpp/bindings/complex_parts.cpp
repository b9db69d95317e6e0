// Bindings of the complex_parts ops (see python/phasegrad/ops/complex_parts.py).
#include "common.hpp"

namespace phasegrad::bind {

void bind_complex_parts(py::module_& /*m*/) {}

}  // namespace phasegrad::bind
