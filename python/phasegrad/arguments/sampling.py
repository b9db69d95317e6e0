"""Argument rules of the sampling ops (``bin``, ``tile`` and their reverse rules), shared by
``phasegrad.reference.sampling`` and ``phasegrad.ops.sampling``.

``name`` is "x" for the ops and "y_bar" for the reverse rules, so that the errors name the
argument the caller passed; the factor is ``(p, q)``, or one int for both.
"""

from __future__ import annotations

from .validate import array, int_pair

__all__ = ["bin_inputs", "tile_inputs"]


def _divisible(arr, name, p, q):
    """Refuse a factor ``(p, q)`` that does not divide the plane of ``arr``."""
    if arr.shape[-2] % p or arr.shape[-1] % q:
        raise ValueError(f"factor {(p, q)} must divide the plane of {name}, "
                         f"{arr.shape[-2:]}, exactly")


def bin_inputs(x, factor, name="x"):
    """``(x, p, q)``: ``x`` a plane stack whose plane the factor ``(p, q)`` divides."""
    x = array(x, name, min_ndim=2)
    p, q = int_pair(factor, "factor")
    _divisible(x, name, p, q)
    return x, p, q


def tile_inputs(x, factor, name="x"):
    """``(x, p, q)``: ``x`` a plane stack and the factor ``(p, q)``."""
    x = array(x, name, min_ndim=2)
    p, q = int_pair(factor, "factor")
    return x, p, q
