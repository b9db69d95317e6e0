"""Sampling ops: detector pixel binning and its transpose, pixel tiling (Section 9).

Both act on the plane of the last two axes and batch over the leading ones. ``bin`` sums p x q
blocks of fine pixels into one coarse pixel (Eq. 87); ``tile`` repeats each pixel over a p x q
block (Eq. 88). Each is the other's reverse rule (Eq. 89, 90); they are not inverses
(Eq. 91, 92).

Gradient convention: for a real scalar E, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``; a real input
gets a real gradient (Eq. 67). PyTorch's ``.grad`` is the same; JAX's ``grad`` is the conjugate.
The argument rules are ``phasegrad.arguments.sampling``.
"""

from __future__ import annotations

import numpy as np

from ..arguments.sampling import bin_inputs, tile_inputs
from ..arguments.tangents import tangent
from ..arguments.validate import is_complex

__all__ = ["bin", "bin_vjp", "bin_jvp", "tile", "tile_vjp", "tile_jvp"]


def _binned(x, p, q):
    """The p x q block sums of the plane of a checked ``x``, accumulated in double."""
    rows, cols = x.shape[-2] // p, x.shape[-1] // q
    blocks = x.reshape(x.shape[:-2] + (rows, p, cols, q))
    double = np.complex128 if is_complex(x) else np.float64
    return blocks.sum(axis=(-3, -1), dtype=double).astype(x.dtype, copy=False)


def _tiled(x, p, q):
    """Each pixel of a checked ``x`` repeated over a p x q block, in a new array (with
    ``p = q = 1`` too: a reshaped view of ``x`` would alias it)."""
    rows, cols = x.shape[-2:]
    y = np.empty(x.shape[:-2] + (rows, p, cols, q), dtype=x.dtype)
    y[...] = x[..., :, None, :, None]
    return y.reshape(x.shape[:-2] + (rows * p, cols * q))


def bin(x, factor):  # the catalogue's name; it shadows the builtin in this module only
    """Pixel binning: sum each p x q block of the plane into one pixel (Eq. 83, 87).

    ``y[..., r, s] = sum_{i < p, j < q} x[..., r p + i, s q + j]``; the sum is accumulated in
    double precision.

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        float32, float64, complex64 or complex128; ``p`` divides ``n`` and ``q`` divides ``m``.
    factor : int or (int, int)
        ``(p, q)``, the block size along rows and columns; one int is used for both.

    Returns
    -------
    ndarray
        ``y``, shape ``(..., n // p, m // q)``, dtype of ``x``.

    Examples
    --------
    The paper's 6 x 4 image binned 3 x 2 into 2 x 2 (Eq. 83):

    >>> import numpy as np
    >>> bin(np.arange(24.0).reshape(6, 4), (3, 2))
    array([[ 27.,  39.],
           [ 99., 111.]])
    """
    return _binned(*bin_inputs(x, factor))


def bin_vjp(y_bar, factor):
    """Reverse rule of ``bin``: ``x_bar = tile(y_bar, factor)`` (Eq. 85, 86, 89).

    Each fine pixel feeds exactly one coarse pixel, so it receives that pixel's cotangent.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., n // p, m // q)
        Cotangent of ``y = bin(x, factor)``.
    factor : int or (int, int)
        The ``factor`` that ``bin`` was called with.

    Returns
    -------
    ndarray
        ``x_bar``, shape ``(..., n, m)``, dtype of ``y_bar``.
    """
    y_bar, _, _ = tile_inputs(y_bar, factor, "y_bar")
    return tile(y_bar, factor)


def bin_jvp(x, x_dot, factor):
    """Forward rule of ``bin``: ``y_dot = bin(x_dot, factor)`` (Eq. 87).

    The op is linear, so its tangent is the op applied to the tangent (each block summed in
    double precision, as for ``y``). It pairs with ``bin_vjp``: for every ``y_bar``, with
    ``<a, b> = sum(conj(a) * b)``, ``Re<y_bar, y_dot> = Re<bin_vjp(y_bar, factor), x_dot>``.

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        The point, as for ``bin``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    factor : int or (int, int)
        As for ``bin``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = bin(x, factor)`` and its tangent, each of shape ``(..., n // p, m // q)`` and
        ``x``'s dtype.
    """
    x, p, q = bin_inputs(x, factor)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _binned(x, p, q), _binned(x_dot, p, q)


def tile(x, factor):
    """Pixel tiling: repeat each pixel over a p x q block (Eq. 88).

    ``y[..., k, l] = x[..., k // p, l // q]``.

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        float32, float64, complex64 or complex128.
    factor : int or (int, int)
        ``(p, q)``, the block size along rows and columns; one int is used for both.

    Returns
    -------
    ndarray
        ``y``, shape ``(..., n p, m q)``, dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> tile(np.array([[1.0, 2.0]]), (2, 1))
    array([[1., 2.],
           [1., 2.]])
    """
    return _tiled(*tile_inputs(x, factor))


def tile_vjp(y_bar, factor):
    """Reverse rule of ``tile``: ``x_bar = bin(y_bar, factor)`` (Eq. 90).

    Each input pixel feeds a whole p x q block, so it collects the sum of their cotangents.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., n p, m q)
        Cotangent of ``y = tile(x, factor)``.
    factor : int or (int, int)
        The ``factor`` that ``tile`` was called with.

    Returns
    -------
    ndarray
        ``x_bar``, shape ``(..., n, m)``, dtype of ``y_bar``.
    """
    y_bar, _, _ = bin_inputs(y_bar, factor, "y_bar")
    return bin(y_bar, factor)


def tile_jvp(x, x_dot, factor):
    """Forward rule of ``tile``: ``y_dot = tile(x_dot, factor)`` (Eq. 88).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``tile_vjp``: for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``,
    ``Re<y_bar, y_dot> = Re<tile_vjp(y_bar, factor), x_dot>``.

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        The point, as for ``tile``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    factor : int or (int, int)
        As for ``tile``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = tile(x, factor)`` and its tangent, each of shape ``(..., n p, m q)`` and
        ``x``'s dtype.
    """
    x, p, q = tile_inputs(x, factor)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _tiled(x, p, q), _tiled(x_dot, p, q)
