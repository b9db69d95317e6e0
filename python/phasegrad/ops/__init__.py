"""The C++ op catalogue: the same ops, arguments and results as ``phasegrad.reference``,
computed by phasegrad's C++/OpenMP/FFTW core with ``phasegrad.get_num_threads()`` threads.

Each op validates its arguments by the rules it shares with the reference
(``phasegrad.arguments``: a ``TypeError``/``ValueError`` naming the argument, before any kernel
runs), converts nothing silently, and releases the GIL for the whole kernel. Gradient
convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``.
"""

from .arithmetic import *  # noqa: F403
from .complex_parts import *  # noqa: F403
from .expansion import *  # noqa: F403
from .fourier import *  # noqa: F403
from .indexing import *  # noqa: F403
from .metrics import *  # noqa: F403
from .propagation import *  # noqa: F403
from .sampling import *  # noqa: F403
from . import (
    arithmetic,
    complex_parts,
    expansion,
    fourier,
    indexing,
    metrics,
    propagation,
    sampling,
)

__all__ = [name for module in (arithmetic, complex_parts, expansion, fourier, indexing, metrics,
                               sampling, propagation) for name in module.__all__]
