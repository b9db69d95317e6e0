"""Argument rules of the object-eliminated phase-diversity model (``pg.PhaseDiversity``): its
diversity images and its regularisation constant. The pupil, basis, diversity phases, sampling
and spectrum are checked by ``pg.PhaseRetrieval``'s rules, which make its PSFs."""

from __future__ import annotations

import numpy as np

from . import validate as v

__all__ = ["diversity_images", "regularization"]


def diversity_images(data):
    """``data`` as a C-contiguous (K, M, M) real array of K >= 2 finite images (its dtype kept,
    float32 within the range a float32 model can take); the errors name ``data``."""
    data = v.array(data, "data", kind="real")
    if data.ndim != 3 or data.shape[1] != data.shape[2]:
        raise ValueError(f"data must be K square images (K, M, M); got shape {data.shape}")
    if data.shape[0] < 2:
        raise ValueError(f"data must hold K >= 2 images (one per diversity phase): the "
                         f"object cannot be eliminated from one; got shape {data.shape}")
    v.finite(data, "data")
    v.float32_scale(data, "data")
    return np.ascontiguousarray(data)


def regularization(value):
    """The regularisation constant gamma as a positive finite Python float; ``TypeError`` for
    anything but a real number, ``ValueError`` (naming ``regularization``) for gamma <= 0."""
    gamma = v.scalar(value, "regularization", allow_complex=False)
    if gamma <= 0:
        raise ValueError(f"regularization must be positive (gamma > 0 keeps the Wiener object "
                         f"finite where every OTF vanishes); got {value!r}")
    return gamma
