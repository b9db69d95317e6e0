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

# Before libgomp loads with the core: idle OpenMP workers sleep instead of spinning. Spinning
# workers steal the cores from the NumPy/Python work between kernel calls; measured on a
# 2-core machine, a 2-thread abs2 followed by a small matmul took 8.3 ms spinning and 0.33 ms
# passive. A value the user set is kept.
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
