"""Indexing ops in C++: take / put by flat index (Eq. 59, 60, 62), top-left zero-pad / crop,
and the FFT shifts, each one pass over its output. Their forward rules run the op's kernel on
the input and on its tangent, two calls: stacking the two into one batch would add a copy of
both, a pass as long as the op itself.

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
from ..arguments.tangents import tangent
from ..arguments.validate import array
from ..config import get_num_threads
from ..native import ascontiguous, core
from ..reference import indexing as _ref

__all__ = [
    "take", "take_vjp", "take_jvp", "put", "put_vjp", "put_jvp",
    "pad", "pad_vjp", "pad_jvp", "crop", "crop_vjp", "crop_jvp",
    "fftshift", "fftshift_vjp", "fftshift_jvp", "ifftshift", "ifftshift_vjp", "ifftshift_jvp",
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


@amend(twin=_ref.take_jvp)
def take_jvp(x, x_dot, index):
    x, index = take_inputs(x, index)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    index = _for_core(index)
    threads = get_num_threads()
    return (core.take(ascontiguous(x), index, threads),
            core.take(ascontiguous(x_dot), index, threads))


@amend(twin=_ref.put_jvp)
def put_jvp(x, x_dot, index, shape):
    x, index, (rows, cols) = put_inputs(x, index, shape)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    index = _for_core(index)
    threads = get_num_threads()
    return (core.put(ascontiguous(x), index, rows, cols, threads),
            core.put(ascontiguous(x_dot), index, rows, cols, threads))


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


@amend(twin=_ref.pad_jvp)
def pad_jvp(x, x_dot, shape):
    x, plane = pad_inputs(x, shape)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _top_left(x, plane), _top_left(x_dot, plane)


@amend(twin=_ref.crop_jvp)
def crop_jvp(x, x_dot, shape):
    x, plane = crop_inputs(x, shape)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _top_left(x, plane), _top_left(x_dot, plane)


def _shift(x, name, inverse):
    x = array(x, name, min_ndim=2)
    return core.fftshift(ascontiguous(x), inverse, get_num_threads())


def _shift_jvp(x, x_dot, inverse):
    x = array(x, "x", min_ndim=2)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return (core.fftshift(ascontiguous(x), inverse, get_num_threads()),
            core.fftshift(ascontiguous(x_dot), inverse, get_num_threads()))


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


@amend(twin=_ref.fftshift_jvp)
def fftshift_jvp(x, x_dot):
    return _shift_jvp(x, x_dot, inverse=False)


@amend(twin=_ref.ifftshift_jvp)
def ifftshift_jvp(x, x_dot):
    return _shift_jvp(x, x_dot, inverse=True)
