// Bindings of the metrics ops (see python/phasegrad/ops/metrics.py).
#include "common.hpp"

namespace phasegrad::bind {

void bind_metrics(py::module_& /*m*/) {}

}  // namespace phasegrad::bind
