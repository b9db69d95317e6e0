// phasegrad._core: the module definition. Each op group binds itself from its own file; every
// binding validates, dispatches on dtype, releases the GIL and calls a kernel of the core.
#include "common.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "phasegrad's C++/OpenMP/FFTW core (private; use phasegrad.ops and phasegrad.fft)";
  namespace bind = phasegrad::bind;
  bind::bind_fft(m);
  bind::bind_fourier(m);
  bind::bind_arithmetic(m);
  bind::bind_complex_parts(m);
  bind::bind_expansion(m);
  bind::bind_indexing(m);
  bind::bind_sampling(m);
  bind::bind_metrics(m);
  bind::bind_phase_retrieval(m);
  bind::bind_hologram(m);
}
