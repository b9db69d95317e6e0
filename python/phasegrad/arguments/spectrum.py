"""Argument rules of ``pg.snap_wavelengths``: the sample wavelengths of a spectrum, the
reference wavelength and the sampling (the padded grid N and the pupil size n) they are
snapped for."""

from __future__ import annotations

import numpy as np

from . import validate as v

__all__ = ["MAX_GRID", "snap_inputs"]

# The largest padded grid N of a broadband model: an N x N complex128 field of 2^62 bytes;
# sizes beyond would wrap around in the kernels' size_t arithmetic (an allocation that large
# fails anyway).
MAX_GRID = 2**29


def snap_inputs(wavelengths, wavelength, grid, pupil):
    """``(wavelengths, wavelength, grid, pupil)``: a tuple of positive finite Python floats
    (one or more; a number counts as one), a positive finite float and two positive ints with
    ``pupil <= grid``. ``TypeError`` for anything but real numbers (integers for ``grid`` and
    ``pupil``), ``ValueError`` naming the argument for the rest."""
    try:
        arr = np.atleast_1d(np.asarray(wavelengths))
    except ValueError:
        raise ValueError(f"wavelengths must be a non-empty sequence of real numbers; got "
                         f"{wavelengths!r}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"wavelengths must be a non-empty sequence of real numbers; got "
                        f"{wavelengths!r}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"wavelengths must be a non-empty sequence of real numbers; got "
                         f"{wavelengths!r}")
    lams = tuple(v.scalar(value, "wavelengths", allow_complex=False)
                 for value in arr.astype(np.float64).tolist())
    if min(lams) <= 0:
        raise ValueError(f"wavelengths must be positive; got {wavelengths!r}")
    reference = v.scalar(wavelength, "wavelength", allow_complex=False)
    if reference <= 0:
        raise ValueError(f"wavelength must be positive; got {wavelength!r}")
    grid = v.positive_int(grid, "grid")
    pupil = v.positive_int(pupil, "pupil")
    if grid > MAX_GRID:
        raise ValueError(f"grid must be at most {MAX_GRID} (an N x N complex field of 2^62 "
                         f"bytes); got {grid}")
    if pupil > grid:
        raise ValueError(f"pupil (n = {pupil}) must not exceed grid (N = {grid}): the grid is "
                         f"the pupil padded, N = pad * n")
    return lams, reference, grid, pupil
