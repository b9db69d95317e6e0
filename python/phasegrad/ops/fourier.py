"""Fourier ops in C++: the 2-D DFT pair through cached FFTW plans (Eq. 75-81); MFT and
convolution."""

from __future__ import annotations

import numpy as np

from .. import _core
from .._validate import array
from ..reference import fourier as _ref
from ._twin import get_num_threads, twin

__all__ = ["dft2", "dft2_vjp", "idft2", "idft2_vjp"]


def _scaled(x, scale, inverse):
    return _core.dft2(np.ascontiguousarray(x), scale, inverse, get_num_threads())


@twin(_ref.dft2)
def dft2(x, norm="backward"):
    x = array(x, "x", kind="complex", min_ndim=2)
    return _scaled(x, _ref._transform_scale(norm, x.shape[-2:], inverse=False), False)


@twin(_ref.dft2_vjp)
def dft2_vjp(y_bar, norm="backward"):
    y_bar = array(y_bar, "y_bar", kind="complex", min_ndim=2)
    return _scaled(y_bar, _ref._transform_scale(norm, y_bar.shape[-2:], inverse=False), True)


@twin(_ref.idft2)
def idft2(x, norm="backward"):
    x = array(x, "x", kind="complex", min_ndim=2)
    return _scaled(x, _ref._transform_scale(norm, x.shape[-2:], inverse=True), True)


@twin(_ref.idft2_vjp)
def idft2_vjp(y_bar, norm="backward"):
    y_bar = array(y_bar, "y_bar", kind="complex", min_ndim=2)
    return _scaled(y_bar, _ref._transform_scale(norm, y_bar.shape[-2:], inverse=True), False)
