"""The scenes ``PhaseRetrieval`` can image besides a point source: ``PointSources``.

A known scene is an array and an unknown one is ``"free"`` (docs/imaging-model.md); a group of
point sources with free sub-pixel positions and fluxes (a binary star is two) is described by
this class.
"""

from __future__ import annotations

import numpy as np

from ..arguments import validate as v

__all__ = ["PointSources"]


class PointSources:
    """k point sources with free positions and fluxes, imaged through the PSF.

    Source j's light is centred at the FFT grid's centre pixel plus ``positions[j]``
    (unbinned detector pixels, rows first), with ``fluxes[j]`` the PSF's units (1: one PSF).
    In a model they are the blocks ``"positions"`` (k, 2) and ``"fluxes"`` (k,), fitted with
    the wavefront; their spectrum is ``O(f) = sum_j F_j exp(-2 pi i f . p_j)`` (Fourier shifts).

    Parameters
    ----------
    k : int
        The number of sources (>= 1).
    positions : array_like, (k, 2), or None
        Start positions (unbinned pixels from the centre, (y, x)); ``None``: give them to
        ``PhaseRetrieval.pack(positions=...)``.
    fluxes : array_like, (k,), or None
        Start fluxes (>= 0); default 1 each.

    Examples
    --------
    >>> import phasegrad as pg
    >>> pg.PointSources(2, positions=[[0.0, -1.5], [0.0, 1.5]], fluxes=[1.0, 0.5])
    PointSources(2)
    """

    def __init__(self, k, positions=None, fluxes=None):
        self.k = v.positive_int(k, "k")
        self.positions = None if positions is None else source_positions(positions, self.k)
        self.fluxes = np.ones(self.k) if fluxes is None else source_fluxes(fluxes, self.k)

    def __repr__(self):
        return f"PointSources({self.k})"


def _real_vector(values, name, shape):
    try:
        arr = np.asarray(values)
    except ValueError:
        raise ValueError(f"{name} must be an array of shape {shape}; got {values!r}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {arr.shape}")
    return v.finite(arr, name).copy()


def source_positions(positions, k):
    """``positions`` as a finite float64 (k, 2) array."""
    return _real_vector(positions, "positions", (k, 2))


def source_fluxes(fluxes, k):
    """``fluxes`` as a finite, non-negative float64 (k,) array."""
    arr = _real_vector(fluxes, "fluxes", (k,))
    if np.any(arr < 0):
        raise ValueError(f"fluxes must be non-negative (light); got {arr.tolist()}")
    return arr
