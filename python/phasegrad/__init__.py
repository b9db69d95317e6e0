"""phasegrad: optical forward models and their exact reverse-mode gradients.

Follows Jurling & Fienup, "Applications of algorithmic differentiation to phase retrieval
algorithms", JOSA A 31, 1348 (2014): every forward step has a reverse step, run in reverse
order. Gradient convention: for a real scalar E and complex x,
``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (PyTorch's convention; JAX's ``grad`` is its conjugate).

Modules: ``reference`` (the NumPy op catalogue, the specification), ``ops`` (the same catalogue
in C++), ``check`` (dot tests and finite differences), ``pupils`` (pupils and wavefront bases),
``models`` (``PhaseRetrieval``, ``Hologram``), ``optimize`` (L-BFGS-B, Adam, GS/HIO/RAAR,
GS/WGS for holograms), ``fft`` (FFTW plans and wisdom); threads:
``set_num_threads``, ``threads``, ``get_num_threads``; ``to_torch`` and ``to_jax`` (a model as a
differentiable PyTorch or JAX function; each imports its framework when called).
"""

import os as _os

# Before libgomp loads with the core: idle OpenMP workers spin briefly, then sleep. Workers that
# spin for long (libgomp's default: 300000 spins, milliseconds) steal the cores from the
# NumPy/BLAS work between kernel calls: measured on a 2-core machine, a 2-thread abs2 followed by
# a small threaded matmul took 8.3 ms per step spinning and 0.33 ms passive. Workers that sleep
# at once (PASSIVE alone) pay a futex wake-up at every parallel region instead, about 60 us on
# that machine: a 2-thread abs2 of 256^2 took 81 us instead of 13, the fused phase retrieval at
# n = 256 3.2 ms instead of 2.5. GOMP_SPINCOUNT=3000 (about 50 us of spinning there) keeps the
# workers awake between the regions of one call and of back-to-back calls, and asleep soon
# after; the cost: 2-thread abs2 steps alternating with a 2-thread 128^2 matmul took 0.49 ms
# instead of 0.29 passive (7.4 ms with libgomp's default). Values the user set are kept:
# OMP_WAIT_POLICY alone leaves libgomp's spin count to it.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = "3000"
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import check, fft, models, ops, optimize, pupils, reference  # noqa: E402
from ._catalogue import CATALOGUE  # noqa: E402
from .adapters import to_jax, to_torch  # noqa: E402  (imports neither framework)
from .fft import fftw_version  # noqa: E402
from .models import Hologram, PhaseRetrieval  # noqa: E402
from .pupils import SegmentedPupil, circular_pupil, hex_segments, noll_to_nm, zernike_basis  # noqa: E402
from .threads import get_num_threads, set_num_threads, threads  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "CATALOGUE", "Hologram", "PhaseRetrieval", "SegmentedPupil", "check", "circular_pupil",
    "fft", "fftw_version", "get_num_threads", "hex_segments", "models", "noll_to_nm", "ops",
    "optimize",
    "pupils", "reference", "set_num_threads", "threads", "to_jax", "to_torch", "zernike_basis",
]
