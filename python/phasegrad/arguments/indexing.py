"""Argument rules of the indexing ops (``take``, ``put``, ``pad``, ``crop`` and their reverse
rules), shared by ``phasegrad.reference.indexing`` and ``phasegrad.ops.indexing``.

An index is a boolean mask of the plane or 1-D integer flat indices into it (``put`` allows no
repeats). Each ``*_inputs`` function validates an op's arguments and returns them with the
index as it was given (the C++ ops read a mask without turning it into indices) and, where the
op needs it, the output plane ``(rows, cols)``.
"""

from __future__ import annotations

import numpy as np

from .validate import array, plane_shape

__all__ = [
    "crop_inputs", "crop_vjp_inputs", "pad_inputs", "pad_vjp_inputs", "put_inputs",
    "put_vjp_inputs", "take_inputs", "take_vjp_inputs",
]


def _checked_index(index, plane, *, unique):
    """Validate ``index`` against the plane ``(n, m)`` and return it as an ndarray.

    A boolean mask of shape ``(n, m)`` selects its true pixels in row-major order; an integer
    array of shape ``(k,)`` holds flat indices ``row * m + col`` in ``[0, n m)``. Either is
    returned as it is (the C++ ops read a mask without turning it into indices).
    """
    index = np.asarray(index)
    if index.size == 0:
        raise ValueError(f"index must select at least one pixel; got shape {index.shape}")
    size = plane[0] * plane[1]
    if index.dtype == np.bool_:
        if index.shape != tuple(plane):
            raise ValueError(f"index, a boolean mask, must have the plane shape {tuple(plane)}; "
                             f"got {index.shape}")
        if not index.any():
            raise ValueError("index, a boolean mask, must select at least one pixel")
        return index
    if index.dtype.kind not in "iu":
        raise TypeError(f"index must be a boolean mask or integer flat indices; "
                        f"got dtype {index.dtype}")
    if index.ndim != 1:
        raise ValueError(f"index, integer flat indices, must be one-dimensional; "
                         f"got shape {index.shape}")
    low, high = index.min(), index.max()
    if low < 0 or high >= size:
        raise ValueError(f"index out of range: flat indices must lie in [0, {size}) for the "
                         f"plane {tuple(plane)}; got values from {low} to {high}")
    if unique and np.unique(index).size != index.size:
        raise ValueError("index must not repeat a pixel (put assigns each pixel once)")
    return index


def _selected(index):
    """The number of pixels a checked index selects (with repeats)."""
    return int(np.count_nonzero(index)) if index.dtype == np.bool_ else index.size


def take_inputs(x, index):
    """``(x, index)`` of ``take``."""
    x = array(x, "x", min_ndim=2)
    return x, _checked_index(index, x.shape[-2:], unique=False)


def take_vjp_inputs(y_bar, index, x_shape):
    """``(y_bar, index, (rows, cols))`` of ``take_vjp``: one cotangent per selected pixel."""
    y_bar = array(y_bar, "y_bar", min_ndim=1)
    rows, cols = plane_shape(x_shape, "x_shape", batch_shape=y_bar.shape[:-1])
    index = _checked_index(index, (rows, cols), unique=False)
    if y_bar.shape[-1] != _selected(index):
        raise ValueError(f"y_bar must have {_selected(index)} entries on its last axis, one "
                         f"per index; got shape {y_bar.shape}")
    return y_bar, index, (rows, cols)


def put_inputs(x, index, shape):
    """``(x, index, (rows, cols))`` of ``put``: one value per selected pixel, none repeated."""
    x = array(x, "x", min_ndim=1)
    rows, cols = plane_shape(shape, "shape", batch_shape=x.shape[:-1])
    index = _checked_index(index, (rows, cols), unique=True)
    if x.shape[-1] != _selected(index):
        raise ValueError(f"x must have {_selected(index)} entries on its last axis, one per "
                         f"index; got shape {x.shape}")
    return x, index, (rows, cols)


def put_vjp_inputs(y_bar, index, shape):
    """``(y_bar, index)`` of ``put_vjp``: ``y_bar`` on the plane given by ``shape``."""
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    plane = plane_shape(shape, "shape", batch_shape=y_bar.shape[:-2])
    if y_bar.shape[-2:] != plane:
        raise ValueError(f"y_bar must have the plane shape {plane} given by shape; "
                         f"got {y_bar.shape}")
    return y_bar, _checked_index(index, plane, unique=True)


def pad_inputs(x, shape):
    """``(x, (rows, cols))`` of ``pad``: the new plane at least x's."""
    x = array(x, "x", min_ndim=2)
    rows, cols = plane_shape(shape, "shape", batch_shape=x.shape[:-2])
    if rows < x.shape[-2] or cols < x.shape[-1]:
        raise ValueError(f"shape {(rows, cols)} must be at least the plane of x, "
                         f"{x.shape[-2:]}, to pad into it")
    return x, (rows, cols)


def pad_vjp_inputs(y_bar, x_shape):
    """``(y_bar, (rows, cols))`` of ``pad_vjp``: x's plane at most y_bar's."""
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    rows, cols = plane_shape(x_shape, "x_shape", batch_shape=y_bar.shape[:-2])
    if rows > y_bar.shape[-2] or cols > y_bar.shape[-1]:
        raise ValueError(f"x_shape {(rows, cols)} must be at most the plane of y_bar, "
                         f"{y_bar.shape[-2:]} (pad only enlarges)")
    return y_bar, (rows, cols)


def crop_inputs(x, shape):
    """``(x, (rows, cols))`` of ``crop``: the new plane at most x's."""
    x = array(x, "x", min_ndim=2)
    rows, cols = plane_shape(shape, "shape", batch_shape=x.shape[:-2])
    if rows > x.shape[-2] or cols > x.shape[-1]:
        raise ValueError(f"shape {(rows, cols)} must be at most the plane of x, "
                         f"{x.shape[-2:]}, to crop from it")
    return x, (rows, cols)


def crop_vjp_inputs(y_bar, x_shape):
    """``(y_bar, (rows, cols))`` of ``crop_vjp``: x's plane at least y_bar's."""
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    rows, cols = plane_shape(x_shape, "x_shape", batch_shape=y_bar.shape[:-2])
    if rows < y_bar.shape[-2] or cols < y_bar.shape[-1]:
        raise ValueError(f"x_shape {(rows, cols)} must be at least the plane of y_bar, "
                         f"{y_bar.shape[-2:]} (crop only shrinks)")
    return y_bar, (rows, cols)
