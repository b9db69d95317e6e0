"""Argument rules of the phase-only hologram: the target intensity that ``pg.Hologram`` and
the GS/WGS algorithms of ``phasegrad.optimize`` both accept."""

from __future__ import annotations

import numpy as np

from . import validate as v

__all__ = ["hologram_target"]


def hologram_target(target):
    """``target`` as a validated array: real, 2-D, finite, non-negative, not all zero (its
    dtype kept); the errors name ``target``."""
    target = v.array(target, "target", kind="real")
    if target.ndim != 2:
        raise ValueError(f"target must be a 2-D image (n, m); got shape {target.shape}")
    v.finite(target, "target")
    if np.any(target < 0):
        raise ValueError("target must be a non-negative intensity")
    if not np.any(target > 0):
        raise ValueError("target must not be all zero (the loss normalises by its mean)")
    return v.float32_scale(target, "target")
