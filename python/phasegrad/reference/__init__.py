"""The NumPy reference catalogue: the specification of every op and its reverse rule.

Each op ``op(...)`` comes with ``op_vjp(y_bar, ...)`` implementing the rule of Jurling & Fienup
(2014) named in its docstring. ``phasegrad.ops`` (C++) has the same names, arguments and
results. The gradient convention everywhere: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``; a real
input gets a real gradient (Eq. 67). See ``docs/catalogue.md`` for the table of signatures.
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
