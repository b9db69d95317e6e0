"""Arrays in and out of the core: C-contiguous inputs (the core refuses anything else and never
copies), and 0-d results typed as the reference's NumPy expressions type them."""

from __future__ import annotations

import numpy as np

__all__ = ["contiguous", "ascontiguous", "as_ufunc_result"]


def contiguous(x):
    """``x`` itself when it is C-contiguous and aligned, else a C-contiguous, aligned copy.

    Unlike ``np.ascontiguousarray``, a 0-d array stays 0-d, so an op's result keeps its input's
    shape, and a misaligned array (``np.frombuffer`` at an odd offset, a field of a packed
    record), which the core refuses, is copied too. The copy is the only one an op makes of an
    input: a strided or reversed view reads correctly, and the caller's array is never written.
    """
    if x.flags.c_contiguous and x.flags.aligned:
        return x
    return np.array(x, order="C", copy=True)


def ascontiguous(x, dtype=None):
    """``np.ascontiguousarray(x, dtype)`` (at least 1-d), copied again if it is misaligned.

    ``np.ascontiguousarray`` returns a misaligned C-contiguous array as it is; the core refuses
    one (reading it through a typed pointer is undefined behaviour), so it gets an aligned copy.
    """
    arr = np.ascontiguousarray(x, dtype=dtype)
    return arr if arr.flags.aligned else arr.copy()


def as_ufunc_result(y):
    """``y``, or for a 0-d ``y`` its NumPy scalar: what a ufunc returns for 0-d input.

    The reference computes some ops with ufuncs (``np.square``, ``np.exp``, ``*``), which turn a
    0-d input into a NumPy scalar; the C++ twins of those ops return the same.
    """
    return y[()] if y.ndim == 0 else y
