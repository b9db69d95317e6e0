"""Hologram targets made in code (no files) and the PSNR used to score reconstructions.

PSNR, one definition everywhere in phasegrad: the reconstruction R is scaled to the target's
mean, ``R' = R * mean(T) / mean(R)`` (exactly the normalisation of ``pg.Hologram``'s loss),
and the peak is the target's maximum::

    PSNR = 10 log10( max(T)^2 / mean((R' - T)^2) )   [dB]

so that ``psnr = 10 log10(max(T)^2 / E)`` with E the ``pg.Hologram`` loss. Nothing is clipped.
"""

from __future__ import annotations

import numpy as np

from ..arguments import optimize as c
from ..arguments import validate as v

__all__ = ["default_target", "psnr", "spot_array_target"]

# 5x7 bitmap glyphs (rows top to bottom) for the letters of the default target.
_GLYPHS = {
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
    "H": ["10001", "10001", "10001", "11111", "10001", "10001", "10001"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "G": ["01110", "10001", "10000", "10111", "10001", "10001", "01111"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    "D": ["11100", "10010", "10001", "10001", "10001", "10010", "11100"],
}


def _text(rows, cols, text, top, left, cell):
    """A mask with ``text`` in 5x7 glyphs of ``cell``-wide cells at (top, left), as fractions
    of the image; letters one cell apart."""
    v_pos, u_pos = np.meshgrid(np.arange(rows) / rows, np.arange(cols) / cols, indexing="ij")
    mask = np.zeros((rows, cols), dtype=bool)
    for k, letter in enumerate(text):
        glyph = np.array([[ch == "1" for ch in line] for line in _GLYPHS[letter]])
        x0 = left + k * 6 * cell
        gy = np.floor((v_pos - top) / cell).astype(int)
        gx = np.floor((u_pos - x0) / cell).astype(int)
        inside = (gy >= 0) & (gy < 7) & (gx >= 0) & (gx < 5)
        mask[inside] |= glyph[gy[inside], gx[inside]]
    return mask


def default_target(n=256):
    """The built-in hologram target: an (n, n) float64 image in [0, 1], drawn in code.

    The words "PHASE" and "GRAD" in a 5x7 bitmap font (value 1), and below them a disc
    (value 1), a triangle (0.8), a ring (1) and a left-to-right ramp in a square (0.2 to 1),
    on a zero background. The drawing is defined on fractions of the image, so every ``n``
    gives the same picture.

    Parameters
    ----------
    n : int
        Side in pixels (>= 16; default 256).

    Examples
    --------
    >>> import phasegrad as pg
    >>> T = pg.optimize.default_target(64)
    >>> T.shape, T.dtype, float(T.max())
    ((64, 64), dtype('float64'), 1.0)
    """
    n = c.positive_int(n, "n", minimum=16)
    cell = 1 / 40
    target = np.zeros((n, n))
    target[_text(n, n, "PHASE", 0.08, 0.5 - 29 * cell / 2, cell)] = 1.0
    target[_text(n, n, "GRAD", 0.08 + 9 * cell, 0.5 - 23 * cell / 2, cell)] = 1.0
    y, x = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
    centre_y = 0.74
    target[(x - 0.15) ** 2 + (y - centre_y) ** 2 < 0.09 ** 2] = 1.0                 # disc
    height = 0.19
    in_triangle = ((y > centre_y - height / 2) & (y < centre_y + height / 2)
                   & (np.abs(x - 0.38) < (y - (centre_y - height / 2)) * 0.55))
    target[in_triangle] = 0.8                                                         # triangle
    radius = np.hypot(x - 0.62, y - centre_y)
    target[(radius < 0.09) & (radius > 0.055)] = 1.0                                  # ring
    square = (np.abs(x - 0.85) < 0.085) & (np.abs(y - centre_y) < 0.085)
    target[square] = (0.2 + 0.8 * (x - 0.765) / 0.17)[square]                         # ramp
    return np.clip(target, 0.0, 1.0)


def spot_array_target(n=64, rows=5, cols=5, spacing=None):
    """An (n, n) float64 target of ``rows`` x ``cols`` single-pixel spots of value 1.

    The classic test of weighted Gerchberg-Saxton (optical tweezers): the spots are centred on
    the image, ``spacing`` pixels apart (default ``n // (2 * max(rows, cols))``).

    Examples
    --------
    >>> import phasegrad as pg
    >>> T = pg.optimize.spot_array_target(32, rows=2, cols=3)
    >>> int(T.sum()), T.shape
    (6, (32, 32))
    """
    n = c.positive_int(n, "n", minimum=2)
    rows = c.positive_int(rows, "rows")
    cols = c.positive_int(cols, "cols")
    if spacing is None:
        spacing = max(1, n // (2 * max(rows, cols)))
    spacing = c.positive_int(spacing, "spacing")
    if (max(rows, cols) - 1) * spacing >= n:
        raise ValueError(f"a {rows}x{cols} array with spacing {spacing} does not fit in "
                         f"{n}x{n} pixels")
    target = np.zeros((n, n))
    first_row = n // 2 - (rows - 1) * spacing // 2
    first_col = n // 2 - (cols - 1) * spacing // 2
    for i in range(rows):
        for j in range(cols):
            target[first_row + i * spacing, first_col + j * spacing] = 1.0
    return target


def psnr(reconstruction, target):
    """Peak signal-to-noise ratio (dB) of a reconstructed intensity against the target.

    ``R' = R * mean(T) / mean(R)``; ``PSNR = 10 log10(max(T)^2 / mean((R' - T)^2))``. The
    scaling to the target's mean is the one of ``pg.Hologram``'s loss E, so
    ``psnr(h.simulate(phi), T) == 10 log10(max(T)^2 / E)``. Infinite for a perfect match.

    Parameters
    ----------
    reconstruction : array_like, float32 or float64
        The reconstructed intensity R (non-negative, not all zero), shaped like ``target``.
    target : array_like, float32 or float64
        The target intensity T (non-negative, not all zero).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> round(pg.optimize.psnr(2 * T + 0.1, T), 2)
    26.85
    """
    target = v.array(target, "target", kind="real")
    reconstruction = v.array(reconstruction, "reconstruction", kind="real")
    if reconstruction.shape != target.shape:
        raise ValueError(f"reconstruction must have the target's shape {target.shape}; got "
                         f"{reconstruction.shape}")
    v.finite(target, "target")
    v.finite(reconstruction, "reconstruction")
    target = target.astype(np.float64)
    reconstruction = reconstruction.astype(np.float64)
    if np.any(target < 0) or not np.any(target > 0):
        raise ValueError("target must be non-negative and not all zero")
    if np.any(reconstruction < 0) or not np.any(reconstruction > 0):
        raise ValueError("reconstruction must be a non-negative intensity, not all zero")
    scaled = reconstruction * (target.mean() / reconstruction.mean())
    error = float(np.mean((scaled - target) ** 2))
    if error == 0.0:
        return float("inf")
    return float(10.0 * np.log10(target.max() ** 2 / error))
