"""Argument rules of the imaging model's options (docs/imaging-model.md): the metric, read
noise, the names of the free nuisance blocks, per-plane fixed values, and which combinations
the data cannot identify.
"""

from __future__ import annotations

import numpy as np

from .validate import finite, scalar

__all__ = ["FIT_NAMES", "METRICS", "fit_names", "identifiable", "per_plane", "poisson_data",
           "read_noise"]

METRICS = ("sse", "poisson")
#: The nuisance blocks ``fit`` may name, in the parameter vector's order.
FIT_NAMES = ("flux", "background", "shift", "jitter", "amplitude")


def read_noise(value, metric):
    """The read noise sigma (data units): a finite real number >= 0, only with Poisson."""
    sigma = scalar(value, "read_noise", allow_complex=False)
    if sigma < 0:
        raise ValueError(f"read_noise must be >= 0 (a standard deviation); got {value!r}")
    if sigma > 0 and metric != "poisson":
        raise ValueError("read_noise is only used with metric='poisson' (the sse metric "
                         "takes the noise through weights)")
    return sigma


def fit_names(fit):
    """``fit`` (a name or a sequence of names from ``FIT_NAMES``) as a frozenset."""
    names = (fit,) if isinstance(fit, str) else fit
    try:
        names = tuple(names)
    except TypeError:
        raise TypeError(f"fit must be a sequence of names from {FIT_NAMES}; got {fit!r}") \
            from None
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"fit must hold names (strings) from {FIT_NAMES}; got {name!r}")
        if name not in FIT_NAMES:
            raise ValueError(f"fit: unknown block {name!r}; the free nuisance blocks are "
                             f"{', '.join(FIT_NAMES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"fit names a block twice: {names!r}")
    return frozenset(names)


def identifiable(fit, object_kind, detector):
    """Refuse the combinations the data cannot separate (``ValueError`` saying why)."""
    scene = {"points": "point sources (their fluxes)", "free": "a free object (its pixels)"}
    if object_kind in scene and "flux" in fit:
        raise ValueError(f"fit='flux' cannot be told apart from the scale of {scene[object_kind]}"
                         ": leave flux fixed")
    if object_kind in scene and "shift" in fit:
        where = {"points": "point sources' own positions",
                 "free": "a free object's own position"}[object_kind]
        raise ValueError(f"fit='shift' cannot be told apart from the {where}: leave shift "
                         "fixed")
    if detector == "quadratic":
        for name, part in (("flux", "b"), ("background", "c")):
            if name in fit:
                raise ValueError(f"fit={name!r} cannot be told apart from the quadratic "
                                 f"detector's {part} (Eq. 98): leave {name} fixed")


def per_plane(value, name, planes, width=None, minimum=None):
    """A fixed per-plane value as a float64 array (planes,) or (planes, width): a number (or a
    ``width``-vector) for every plane, or one per plane."""
    shape = (planes,) if width is None else (planes, width)
    try:
        arr = np.asarray(value)
    except ValueError:
        raise ValueError(f"{name} must be an array of shape {shape}; got {value!r}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers; got {value!r}")
    single = () if width is None else (width,)
    if arr.shape not in (single, shape):
        raise ValueError(f"{name} must have shape {single or '()'} (every plane) or {shape} "
                         f"(one per plane); got {arr.shape}")
    arr = finite(np.broadcast_to(arr.astype(np.float64), shape).copy(), name)
    if minimum is not None and np.any(arr < minimum):
        raise ValueError(f"{name} must be >= {minimum}; got {arr.tolist()}")
    return arr


def poisson_data(data, sigma):
    """Poisson counts: negative data need read noise (they are clipped to -sigma^2)."""
    if sigma == 0 and np.any(data < 0):
        raise ValueError("metric='poisson' needs counts >= 0 in data (it has negative values): "
                         "give read_noise (small negative counts are read noise) or subtract "
                         "less background")



