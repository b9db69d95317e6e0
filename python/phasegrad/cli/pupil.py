"""Zernike modes on a pupil read from a file (``phasegrad retrieve --pupil FILE``).

A user's pupil need not be the disk inscribed in its array: it may leave a margin, spill into
the corners, or have grey (anti-aliased) edges. The modes are those of ``pg.zernike_basis`` on
the smallest disk centred on the array's centre ((n - 1) / 2, (n - 1) / 2) that holds every
pixel of the pupil's support (its non-zero pixels), then set to zero off the support. So a
coefficient is the RMS over that disk (over the pupil itself when the pupil is that disk), and
``--defocus`` means the same on the user's pupil as on a computed one of the same diameter.
"""

from __future__ import annotations

import math

import numpy as np

from ..pupils import zernike_basis

__all__ = ["support_disk", "zernike_on_support"]


def support_disk(pupil):
    """The diameter m (pixels; m = n mod 2) of the smallest disk centred on the (n, n) array
    that holds every non-zero pixel of ``pupil``, in ``pg.circular_pupil``'s sampling (a pixel
    is inside when its centre is)."""
    n = pupil.shape[0]
    twice = 2 * np.arange(n, dtype=np.int64) - (n - 1)  # 2 (index - centre), exact integers
    rows, cols = np.nonzero(pupil)
    reach = int(np.max(twice[rows] ** 2 + twice[cols] ** 2))  # (2 r)^2 of the farthest pixel
    diameter = max(math.isqrt(reach), 2)
    if diameter * diameter < reach:
        diameter += 1
    if (diameter - n) % 2:  # the same parity as n: the disk stays centred on the array
        diameter += 1
    return diameter


def zernike_on_support(pupil, n_modes, first=1):
    """``(n_modes, n, n)`` Zernike modes (Noll from ``first``, unit RMS over the disk of
    ``support_disk``) on the support of the (n, n) ``pupil``, zero elsewhere."""
    n = pupil.shape[0]
    diameter = support_disk(pupil)
    disk = zernike_basis(n_modes, diameter, first=first)
    modes = np.zeros((n_modes, n, n))
    margin = (n - diameter) // 2
    if margin >= 0:  # the disk lies inside the array
        modes[:, margin:margin + diameter, margin:margin + diameter] = disk
    else:            # the disk is larger than the array (the support reaches the corners)
        modes[:] = disk[:, -margin:-margin + n, -margin:-margin + n]
    return modes * (pupil > 0)
