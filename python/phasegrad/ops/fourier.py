"""Fourier ops in C++: the 2-D DFT pair through cached FFTW plans (Eq. 75-81); the matrix
Fourier transform (its DFT matrices built by the core, its two products in BLAS); circular
convolution through the same cached plans (Eq. 69-74).

The forward rules of the DFT pair transform the input and its tangent in two calls of the one
cached plan: a single call on the two stacked into one batch was measured slower (1.2-1.3x,
64 x 64 to 1024 x 1024), the stacking copy costing more than the call it saves. ``mft_jvp``
builds the DFT matrices once for both; ``convolve_jvp`` is one fused kernel.
"""

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
from ..arguments.tangents import tangent
from ..arguments.validate import array
from ..config import get_num_threads
from ..native import ascontiguous, core
from ..reference import fourier as _ref

__all__ = [
    "dft2", "dft2_vjp", "dft2_jvp", "idft2", "idft2_vjp", "idft2_jvp",
    "mft", "mft_vjp", "mft_jvp",
    "convolve", "convolve_vjp", "convolve_jvp",
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


@amend(twin=_ref.dft2_jvp)
def dft2_jvp(x, x_dot, norm="backward"):
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=False)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _scaled(x, scale, False), _scaled(x_dot, scale, False)


@amend(twin=_ref.idft2_jvp)
def idft2_jvp(x, x_dot, norm="backward"):
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=True)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _scaled(x, scale, True), _scaled(x_dot, scale, True)


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

@amend(twin=_ref.mft_jvp, after_summary=_BLAS_NOTE)
def mft_jvp(x, x_dot, shape, scale):
    x, (rows, cols), (sr, sc) = mft_inputs(x, shape, scale)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    row_matrix = _mft_matrix(rows, x.shape[-2], sr, x.dtype)
    col_matrix = _mft_matrix(cols, x.shape[-1], sc, x.dtype)
    return row_matrix @ x @ col_matrix.T, row_matrix @ x_dot @ col_matrix.T


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


_CONVOLVE_JVP_NOTE = """
One fused kernel: each plane of x, x_dot, h and h_dot transformed once (whatever the
broadcasting), the products ``X H`` and ``X' H + X H'`` in one pass in double precision, then y
and y_dot inverse-transformed: 4 forward and 2 inverse FFTs, where three ``convolve`` calls
take 6 and 3. As in ``convolve``, real planes are never packed two to a complex transform: an
input and its tangent may differ in scale by any factor, and a shared transform would leak the
rounding of the larger into the smaller. The core's FFTs are complex, so real planes cost full
complex transforms (twice the work of real-input ones).
"""


@amend(twin=_ref.convolve_jvp, after_summary=_CONVOLVE_JVP_NOTE)
def convolve_jvp(x, h, x_dot, h_dot):
    x, h, out_shape = convolve_inputs(x, h)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    h_dot = tangent(h_dot, "h_dot", h, "h")
    x_plane, h_plane = _plane_maps(x, h, out_shape)
    return core.convolve_jvp(ascontiguous(x), ascontiguous(h), ascontiguous(x_dot),
                             ascontiguous(h_dot), x_plane, h_plane, get_num_threads())
