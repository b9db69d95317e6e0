"""Fourier ops in C++: the 2-D DFT pair through cached FFTW plans (Eq. 75-81); the matrix
Fourier transform (its DFT matrices built by the core, its two products in BLAS); circular
convolution through the same cached plans (Eq. 69-74)."""

from __future__ import annotations

import math

import numpy as np

from ..arguments.docstrings import amend
from ..arguments.fourier import (
    convolve_inputs,
    convolve_vjp_inputs,
    mft_inputs,
    mft_vjp_inputs,
    transform_out,
    transform_scale,
)
from ..arguments.validate import array
from ..config import get_num_threads
from ..native import ascontiguous, core
from ..reference import fourier as _ref

__all__ = [
    "dft2", "dft2_vjp", "idft2", "idft2_vjp",
    "mft", "mft_vjp",
    "convolve", "convolve_vjp",
]


def _scaled(x, scale, inverse, out=None):
    return core.dft2(ascontiguous(x), scale, inverse, get_num_threads(), out)


@amend(twin=_ref.dft2)
def dft2(x, norm="backward", *, out=None):
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=False)
    return _scaled(x, scale, False, transform_out(out, x))


@amend(twin=_ref.dft2_vjp)
def dft2_vjp(y_bar, norm="backward"):
    y_bar = array(y_bar, "y_bar", kind="complex", min_ndim=2)
    return _scaled(y_bar, transform_scale(norm, y_bar.shape[-2:], inverse=False), True)


@amend(twin=_ref.idft2)
def idft2(x, norm="backward", *, out=None):
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=True)
    return _scaled(x, scale, True, transform_out(out, x))


@amend(twin=_ref.idft2_vjp)
def idft2_vjp(y_bar, norm="backward"):
    y_bar = array(y_bar, "y_bar", kind="complex", min_ndim=2)
    return _scaled(y_bar, transform_scale(norm, y_bar.shape[-2:], inverse=True), False)


# ---------------------------------------------------------------- matrix Fourier transform

_BLAS_NOTE = """
The core builds the two DFT matrices (in parallel, once per call); the two matrix products are
delegated to NumPy's ``matmul``, i.e. BLAS GEMM on BLAS's own threads, in the reference's order
(``phasegrad.bench.ops_layout`` measures it against the reference).
"""


def _mft_matrix(n_out, n_in, scale, dtype, conjugate=False, transpose=False):
    """``exp(-2 pi i scale (k - n_out//2) p)``, (n_out, n_in), as the reference's matrix."""
    return core.mft_matrix(n_out, n_in, scale, dtype, conjugate, transpose, get_num_threads())


@amend(twin=_ref.mft, after_summary=_BLAS_NOTE)
def mft(x, shape, scale):
    x, (rows, cols), (sr, sc) = mft_inputs(x, shape, scale)
    row_matrix = _mft_matrix(rows, x.shape[-2], sr, x.dtype)
    col_matrix = _mft_matrix(cols, x.shape[-1], sc, x.dtype)
    return row_matrix @ x @ col_matrix.T


@amend(twin=_ref.mft_vjp, after_summary=_BLAS_NOTE)
def mft_vjp(y_bar, x_shape, scale):
    y_bar, (rows, cols), (sr, sc) = mft_vjp_inputs(y_bar, x_shape, scale)
    # R^H and conj(C), written as such: no conjugated copies of R and C.
    row_matrix_h = _mft_matrix(y_bar.shape[-2], rows, sr, y_bar.dtype, conjugate=True,
                               transpose=True)
    col_matrix_conj = _mft_matrix(y_bar.shape[-1], cols, sc, y_bar.dtype, conjugate=True)
    return row_matrix_h @ y_bar @ col_matrix_conj


# ---------------------------------------------------------------- circular convolution

def _plane_maps(x, h, out_shape):
    """Which plane of x and of h each output plane reads, as int64 arrays of its batch shape.

    This is NumPy broadcasting of the leading axes, spelled out for the core.
    """
    def plane_map(a):
        planes = np.arange(math.prod(a.shape[:-2]), dtype=np.int64).reshape(a.shape[:-2])
        return np.broadcast_to(planes, out_shape[:-2]).copy()  # C order, even when 0-d

    return plane_map(x), plane_map(h)


@amend(twin=_ref.convolve)
def convolve(x, h):
    x, h, out_shape = convolve_inputs(x, h)
    x_plane, h_plane = _plane_maps(x, h, out_shape)
    return core.convolve(ascontiguous(x), ascontiguous(h), x_plane, h_plane,
                          get_num_threads())


@amend(twin=_ref.convolve_vjp)
def convolve_vjp(y_bar, x, h):
    y_bar, x, h = convolve_vjp_inputs(y_bar, x, h)
    x_plane, h_plane = _plane_maps(x, h, y_bar.shape)
    return core.convolve_vjp(ascontiguous(y_bar), ascontiguous(x),
                              ascontiguous(h), x_plane, h_plane, get_num_threads())
