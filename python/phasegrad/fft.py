"""FFTW, as phasegrad's C++ core links it.

``fftw_version()`` names the FFTW build in use; ``dft2_unnormalized`` runs FFTW's 2-D complex
transform over the last two axes (batched), the building block of the C++ ops and fused models.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._validate import array


def fftw_version():
    """The version string of the FFTW library phasegrad's core is linked against.

    Examples
    --------
    >>> fftw_version().startswith("fftw-3.")
    True
    """
    return _core.fftw_version()


def dft2_unnormalized(x, inverse=False):
    """Unnormalised 2-D DFT over the last two axes, computed by FFTW.

    ``y[k, l] = sum_{p, q} x[p, q] exp(-+2 pi i (k p / n + l q / m))`` with the minus sign for the
    forward transform and the plus sign when ``inverse`` is true (no 1/N factor either way).

    Parameters
    ----------
    x : ndarray, complex64 or complex128, at least 2-D
        Leading axes are a batch.
    inverse : bool
        Use the inverse kernel ``exp(+2 pi i ...)``.

    Returns
    -------
    ndarray
        A new array with the shape and dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((2, 4), dtype=np.complex64)
    >>> x[0, 0] = 1
    >>> dft2_unnormalized(x)
    array([[1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j],
           [1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j]], dtype=complex64)
    """
    x = array(x, "x", kind="complex", min_ndim=2)
    return _core.dft2_unnormalized(np.ascontiguousarray(x), bool(inverse))
