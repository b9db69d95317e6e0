// Bindings of the indexing ops (see python/phasegrad/ops/indexing.py).
#include "common.hpp"

namespace phasegrad::bind {

void bind_indexing(py::module_& /*m*/) {}

}  // namespace phasegrad::bind
