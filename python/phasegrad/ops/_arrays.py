"""Arrays in and out of the core: C-contiguous inputs (the core refuses anything else and never
copies), and 0-d results typed as the reference's NumPy expressions type them."""

from __future__ import annotations

import numpy as np

__all__ = ["contiguous", "as_ufunc_result"]


def contiguous(x):
    """``x`` itself when it is C-contiguous, else a C-contiguous copy of it.

    Unlike ``np.ascontiguousarray``, a 0-d array stays 0-d, so an op's result keeps its input's
    shape. The copy is the only one an op makes of an input: a strided or reversed view reads
    correctly, and the caller's array is never written.
    """
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


def as_ufunc_result(y):
    """``y``, or for a 0-d ``y`` its NumPy scalar: what a ufunc returns for 0-d input.

    The reference computes some ops with ufuncs (``np.square``, ``np.exp``, ``*``), which turn a
    0-d input into a NumPy scalar; the C++ twins of those ops return the same.
    """
    return y[()] if y.ndim == 0 else y
