"""phasegrad: optical forward models and their exact reverse-mode gradients.

Follows Jurling & Fienup, "Applications of algorithmic differentiation to phase retrieval
algorithms", JOSA A 31, 1348 (2014): every forward step has a reverse step, run in reverse
order. Gradient convention: for a real scalar E and complex x,
``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (PyTorch's convention; JAX's ``grad`` is its conjugate).

Modules: ``reference`` (the NumPy op catalogue, the specification), ``ops`` (the same catalogue
in C++), ``check`` (dot tests and finite differences), ``pupils`` (pupils and wavefront bases),
``models`` (``PhaseRetrieval``, ``Hologram``), ``fft`` (FFTW plans and wisdom); threads:
``set_num_threads``, ``threads``, ``get_num_threads``.
"""

from . import check, fft, models, ops, pupils, reference
from ._catalogue import CATALOGUE
from .fft import fftw_version
from .models import Hologram, PhaseRetrieval
from .pupils import SegmentedPupil, circular_pupil, hex_segments, noll_to_nm, zernike_basis
from .threads import get_num_threads, set_num_threads, threads

__version__ = "0.1.0"

__all__ = [
    "CATALOGUE", "Hologram", "PhaseRetrieval", "SegmentedPupil", "check", "circular_pupil",
    "fft", "fftw_version", "get_num_threads", "hex_segments", "models", "noll_to_nm", "ops",
    "pupils", "reference", "set_num_threads", "threads", "zernike_basis",
]
