// phasegrad._core: the module definition. Each part of the core binds itself from its own
// file (module.hpp); every binding validates (arrays.hpp), dispatches on dtype (dispatch.hpp),
// releases the GIL and calls the core.
//
// Namespaces, one scheme for the whole C++ tree:
//   phasegrad          infrastructure: FFT plans, buffers, threads, sin/cos, element types
//                      (cpp/include/phasegrad/core, cpp/src/core); internals in phasegrad::detail
//   phasegrad::ops     op kernels, one header per op group G (ops/G.hpp, src/ops/G*.cpp), each
//                      kernel named like its op
//   phasegrad::models  the fused models (models/*.hpp, src/models/*.cpp)
//   phasegrad::bind    these bindings (cpp/bindings/core, ops, models)
#include "module.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "phasegrad's C++/OpenMP/FFTW core (private; use phasegrad.ops and phasegrad.fft)";
  namespace bind = phasegrad::bind;
  bind::bind_fft(m);
  bind::bind_team_choice(m);
  bind::bind_fourier(m);
  bind::bind_arithmetic(m);
  bind::bind_complex_parts(m);
  bind::bind_expansion(m);
  bind::bind_indexing(m);
  bind::bind_sampling(m);
  bind::bind_metrics(m);
  bind::bind_propagation(m);
  bind::bind_phase_retrieval(m);
  bind::bind_phase_diversity(m);
  bind::bind_phase_retrieval_batch(m);
  bind::bind_hologram(m);
}
