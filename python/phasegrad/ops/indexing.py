"""Indexing ops in C++: take / put by flat index (Eq. 59, 60, 62), top-left zero-pad / crop,
and the FFT shifts, each one pass over its output.

The argument rules are shared with the reference (``phasegrad.arguments.indexing``), so both
raise the same errors; a strided input is copied to a contiguous one first and never written to.
"""

from __future__ import annotations

import numpy as np

from ..arguments.docstrings import amend
from ..arguments.indexing import (
    crop_inputs,
    crop_vjp_inputs,
    pad_inputs,
    pad_vjp_inputs,
    put_inputs,
    put_vjp_inputs,
    take_inputs,
    take_vjp_inputs,
)
from ..arguments.validate import array
from ..config import get_num_threads
from ..native import ascontiguous, core
from ..reference import indexing as _ref

__all__ = [
    "take", "take_vjp", "put", "put_vjp",
    "pad", "pad_vjp", "crop", "crop_vjp",
    "fftshift", "fftshift_vjp", "ifftshift", "ifftshift_vjp",
]


def _for_core(index):
    """A checked index as the core reads it: a contiguous bool mask (read as it is, never
    turned into indices), or flat indices, all within the plane, as int64."""
    if index.dtype == np.bool_:
        return ascontiguous(index)
    return ascontiguous(index, dtype=np.int64)


@amend(twin=_ref.take)
def take(x, index):
    x, index = take_inputs(x, index)
    return core.take(ascontiguous(x), _for_core(index), get_num_threads())


@amend(twin=_ref.take_vjp)
def take_vjp(y_bar, index, x_shape):
    y_bar, index, (rows, cols) = take_vjp_inputs(y_bar, index, x_shape)
    return core.take_vjp(ascontiguous(y_bar), _for_core(index), rows, cols,
                          get_num_threads())


@amend(twin=_ref.put)
def put(x, index, shape):
    x, index, (rows, cols) = put_inputs(x, index, shape)
    return core.put(ascontiguous(x), _for_core(index), rows, cols, get_num_threads())


@amend(twin=_ref.put_vjp)
def put_vjp(y_bar, index, shape):
    y_bar, index = put_vjp_inputs(y_bar, index, shape)
    return core.take(ascontiguous(y_bar), _for_core(index), get_num_threads())


def _top_left(x, plane):
    return core.copy_top_left(ascontiguous(x), *plane, get_num_threads())


@amend(twin=_ref.pad)
def pad(x, shape):
    return _top_left(*pad_inputs(x, shape))


@amend(twin=_ref.pad_vjp)
def pad_vjp(y_bar, x_shape):
    return _top_left(*pad_vjp_inputs(y_bar, x_shape))


@amend(twin=_ref.crop)
def crop(x, shape):
    return _top_left(*crop_inputs(x, shape))


@amend(twin=_ref.crop_vjp)
def crop_vjp(y_bar, x_shape):
    return _top_left(*crop_vjp_inputs(y_bar, x_shape))


def _shift(x, name, inverse):
    x = array(x, name, min_ndim=2)
    return core.fftshift(ascontiguous(x), inverse, get_num_threads())


@amend(twin=_ref.fftshift)
def fftshift(x):
    return _shift(x, "x", inverse=False)


@amend(twin=_ref.fftshift_vjp)
def fftshift_vjp(y_bar):
    return _shift(y_bar, "y_bar", inverse=True)


@amend(twin=_ref.ifftshift)
def ifftshift(x):
    return _shift(x, "x", inverse=True)


@amend(twin=_ref.ifftshift_vjp)
def ifftshift_vjp(y_bar):
    return _shift(y_bar, "y_bar", inverse=False)
