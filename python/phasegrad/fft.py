"""FFTW, as phasegrad's C++ core uses it: its version and a bare transform.

The planner knobs (effort, wisdom, the plan cache) live in ``phasegrad.config`` with every other
knob and are re-exported here under their old names.
"""

from __future__ import annotations

from .arguments.validate import array
from .config import (
    cached_plan_count,
    clear_plan_cache,
    export_wisdom,
    get_num_threads,
    get_planner_effort,
    import_wisdom,
    set_planner_effort,
)
from .native import ascontiguous, core

__all__ = [
    "cached_plan_count", "clear_plan_cache", "dft2_unnormalized", "export_wisdom",
    "fftw_version", "get_planner_effort", "import_wisdom", "set_planner_effort",
]


def fftw_version():
    """The version string of the FFTW library phasegrad's core is linked against.

    Examples
    --------
    >>> import phasegrad as pg
    >>> pg.fftw_version().startswith("fftw-3")
    True
    """
    return core.fftw_version()


def dft2_unnormalized(x, inverse=False):
    """Unnormalised 2-D DFT over the last two axes, computed by FFTW.

    ``y[k, l] = sum_{p, q} x[p, q] exp(-+2 pi i (k p / n + l q / m))`` with the minus sign for the
    forward transform and the plus sign when ``inverse`` is true (no 1/N factor either way).

    Parameters
    ----------
    x : ndarray, complex64 or complex128, at least 2-D
        Leading axes are a batch. Any strides (copied to a contiguous buffer first).
    inverse : bool
        Use the inverse kernel ``exp(+2 pi i ...)``.

    Returns
    -------
    ndarray
        A new array with the shape and dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from phasegrad.fft import dft2_unnormalized
    >>> dft2_unnormalized(np.ones((2, 2), dtype=np.complex64))
    array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]], dtype=complex64)
    """
    x = array(x, "x", kind="complex", min_ndim=2)
    return core.dft2(ascontiguous(x), 1.0, bool(inverse), get_num_threads())
