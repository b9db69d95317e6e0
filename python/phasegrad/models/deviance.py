"""Deviance residuals of the shifted-Poisson metric, smooth through ``M = D``, with their slope.

``poisson_nll`` sums ``w d`` with ``d = z - z_D - z_D log(z / z_D)`` (``z = M + s``,
``z_D = max(D + s, 0)``, see docs/imaging-model.md). Its least-squares form needs residuals
with ``r^2 = w d``: ``r = sign(z - z_D) sqrt(w d)``. Written as ``u = (z - z_D) / z_D`` and
``d = z_D u^2 h(u)`` with ``h(u) = (u - log(1 + u)) / u^2``,

    r = sqrt(w z_D) u sqrt(h(u)),     dr/dM = sqrt(w / z_D) / (2 (1 + u) sqrt(h(u)))

which is smooth where ``M = D`` (``h(0) = 1/2``: the slope there is ``sqrt(w / (2 z_D))``).
Near ``u = 0``, ``h`` comes from its series ``sum_{m>=2} (-1)^m u^(m-2) / m`` instead of the
difference, which would cancel. Where ``z_D = 0`` the term is ``z``: ``r = sqrt(w z)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["deviance_residuals", "deviance_slope"]

# |u| below this uses the series of h: 17 terms leave an error below 0.1^17, and the closed
# form's cancellation above it is below float64 epsilon / 0.1^2.
_SERIES_LIMIT = 0.1
_SERIES_TERMS = 17


def _h(u):
    """``h(u) = (u - log1p(u)) / u^2`` (float64, u > -1), by its series where |u| is small."""
    small = np.abs(u) < _SERIES_LIMIT
    series = np.zeros_like(u)
    for m in range(_SERIES_TERMS + 1, 1, -1):  # Horner: sum (-1)^m u^(m-2) / m
        series = series * u + (-1.0) ** m / m
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = (u - np.log1p(u)) / np.square(u)
    return np.where(small, series, closed)


def _parts(M, D, w, shift):
    z = np.add(M, shift, dtype=np.float64)
    z_data = np.maximum(np.add(D, shift, dtype=np.float64), 0.0)
    weight = np.ones_like(z) if w is None else np.broadcast_to(np.asarray(w, np.float64),
                                                               z.shape)
    positive = z_data > 0
    safe = np.where(positive, z_data, 1.0)
    u = np.where(positive, (z - z_data) / safe, 0.0)
    inside = u > -1  # z > 0
    h = _h(np.where(inside, u, 0.0))
    return z, z_data, weight, positive, safe, u, inside, h


def deviance_residuals(M, D, w=None, shift=0.0):
    """The residuals ``r`` with ``sum(r**2) == poisson_nll(M, D, w, shift)``, float64.

    ``M`` and ``D`` are arrays of one shape, ``w`` None or broadcasting to it, ``shift`` the
    read-noise variance. ``-inf`` where ``z <= 0 < z_D`` (the metric is infinite there).
    """
    z, _, weight, positive, safe, u, inside, h = _parts(M, D, w, shift)
    with np.errstate(invalid="ignore"):
        r = np.sqrt(weight * safe) * u * np.sqrt(h)
        plain = np.sqrt(weight * np.maximum(z, 0.0))
    r = np.where(inside, r, -np.inf)
    return np.where(positive, r, plain)


def deviance_slope(M, D, w=None, shift=0.0):
    """``dr/dM`` of ``deviance_residuals``, element by element, float64."""
    z, _, weight, positive, safe, u, inside, h = _parts(M, D, w, shift)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.sqrt(weight / safe) / (2.0 * (1.0 + u) * np.sqrt(h))
        # z_D = 0: r = sqrt(w z), slope sqrt(w) / (2 sqrt(z)) for z > 0; 0 where z <= 0 (a
        # negative mean counts as 0, as in the metric)
        plain = np.where(z > 0, np.sqrt(weight) / (2.0 * np.sqrt(np.where(z > 0, z, 1.0))),
                         0.0)
    slope = np.where(inside, slope, np.nan)
    return np.where(positive, slope, plain)
