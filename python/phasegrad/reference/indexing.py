"""Indexing ops: take / put of pixel subsets, zero-pad / crop, and the FFT shifts.

All act on the plane of the last two axes and batch over the leading ones; all are linear, and
each reverse rule is the op's transpose (Jurling & Fienup 2014, Eq. 59, 60, 62): indexing and
assignment swap roles, pad and crop swap roles, and a shift is undone by the opposite shift.

Gradient convention: for a real scalar E, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``; a real input
gets a real gradient (Eq. 67). PyTorch's ``.grad`` is the same; JAX's ``grad`` is the conjugate.
The argument rules are ``phasegrad.arguments.indexing``.
"""

from __future__ import annotations

import numpy as np

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

__all__ = [
    "take", "take_vjp", "take_jvp", "put", "put_vjp", "put_jvp",
    "pad", "pad_vjp", "pad_jvp", "crop", "crop_vjp", "crop_jvp",
    "fftshift", "fftshift_vjp", "fftshift_jvp", "ifftshift", "ifftshift_vjp", "ifftshift_jvp",
]


def _as_flat(index):
    """A checked index (a mask or flat indices, see ``phasegrad.arguments.indexing``) as flat int
    indices."""
    return np.flatnonzero(index) if index.dtype == np.bool_ else index


def take(x, index):
    """Array indexing ``y = x[alpha]`` over the plane of the last two axes (Eq. 59).

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        float32, float64, complex64 or complex128.
    index : ndarray
        A boolean mask of shape ``(n, m)`` (its true pixels in row-major order) or a 1-D integer
        array of flat indices ``row * m + col`` in ``[0, n m)``; indices may repeat.

    Returns
    -------
    ndarray
        ``y``, shape ``(..., k)`` with ``k`` the number of selected pixels; dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> take(x, np.array([5, 0, 0]))
    array([5., 0., 0.])
    >>> take_vjp(np.ones(3), np.array([5, 0, 0]), x.shape)
    array([[2., 0., 0.],
           [0., 0., 1.]])
    """
    x, index = take_inputs(x, index)
    flat = _as_flat(index)
    # One gather straight from x: reshaping a strided x to (..., n m) first would copy it.
    return x[(..., *np.unravel_index(flat, x.shape[-2:]))]


def take_vjp(y_bar, index, x_shape):
    """Reverse rule of ``take``: ``x_bar[alpha] += y_bar``, zero elsewhere (Eq. 59, 62).

    ``x_bar`` is a zero array shaped like ``x`` into which ``y_bar`` is scattered; an index that
    repeats accumulates every one of its cotangents.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., k)
        Cotangent of ``y = take(x, index)``.
    index : ndarray
        The ``index`` that ``take`` was called with.
    x_shape : tuple of int
        The shape of ``x``: ``(n, m)`` or the full shape (leading entries equal the batch shape).

    Returns
    -------
    ndarray
        ``x_bar``, shape ``(..., n, m)``, dtype of ``y_bar``.
    """
    y_bar, index, (rows, cols) = take_vjp_inputs(y_bar, index, x_shape)
    flat = _as_flat(index)
    x_bar = np.zeros(y_bar.shape[:-1] + (rows * cols,), dtype=y_bar.dtype)
    np.add.at(x_bar, (..., flat), y_bar)  # unbuffered: repeated indices accumulate (Eq. 62)
    return x_bar.reshape(y_bar.shape[:-1] + (rows, cols))


def take_jvp(x, x_dot, index):
    """Forward rule of ``take``: ``y_dot = take(x_dot, index)`` (Eq. 59).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``take_vjp``: for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``,
    ``Re<y_bar, y_dot> = Re<take_vjp(y_bar, index, x.shape), x_dot>``.

    Parameters
    ----------
    x : ndarray
        The point, as for ``take``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    index : ndarray
        As for ``take``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = take(x, index)`` and its tangent, each of shape ``(..., k)`` and ``x``'s
        dtype.
    """
    x, index = take_inputs(x, index)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    pixels = (..., *np.unravel_index(_as_flat(index), x.shape[-2:]))
    return x[pixels], x_dot[pixels]


def put(x, index, shape):
    """Array assignment ``y[alpha] = x`` into a zero plane (Eq. 60).

    Parameters
    ----------
    x : ndarray, shape (..., k)
        float32, float64, complex64 or complex128; one value per selected pixel.
    index : ndarray
        A boolean mask of shape ``(n, m)`` or 1-D integer flat indices into the ``(n, m)``
        plane, as for ``take``; here no pixel may repeat.
    shape : tuple of int
        ``(n, m)``, the plane of ``y``, or the full shape (leading entries equal the batch shape).

    Returns
    -------
    ndarray
        ``y``, shape ``(..., n, m)``, dtype of ``x``: zero except ``y[..., alpha] = x``.
    """
    x, index, (rows, cols) = put_inputs(x, index, shape)
    flat = _as_flat(index)
    y = np.zeros(x.shape[:-1] + (rows * cols,), dtype=x.dtype)
    y[..., flat] = x
    return y.reshape(x.shape[:-1] + (rows, cols))


def put_vjp(y_bar, index, shape):
    """Reverse rule of ``put``: ``x_bar = y_bar[alpha]``, i.e. ``take(y_bar, index)`` (Eq. 60).

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., n, m)
        Cotangent of ``y = put(x, index, shape)``.
    index : ndarray
        The ``index`` that ``put`` was called with (no repeated pixel).
    shape : tuple of int
        The ``shape`` that ``put`` was called with.

    Returns
    -------
    ndarray
        ``x_bar``, shape ``(..., k)``, dtype of ``y_bar``.
    """
    y_bar, _ = put_vjp_inputs(y_bar, index, shape)
    return take(y_bar, index)


def put_jvp(x, x_dot, index, shape):
    """Forward rule of ``put``: ``y_dot = put(x_dot, index, shape)`` (Eq. 60).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``put_vjp``: for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``,
    ``Re<y_bar, y_dot> = Re<put_vjp(y_bar, index, shape), x_dot>``.

    Parameters
    ----------
    x : ndarray
        The point, as for ``put``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    index : ndarray
        As for ``put``.
    shape : tuple of int
        As for ``put``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = put(x, index, shape)`` and its tangent, each of shape ``(..., n, m)`` and
        ``x``'s dtype.
    """
    x, index, (rows, cols) = put_inputs(x, index, shape)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    flat = _as_flat(index)
    planes = []
    for values in (x, x_dot):
        y = np.zeros(x.shape[:-1] + (rows * cols,), dtype=x.dtype)
        y[..., flat] = values
        planes.append(y.reshape(x.shape[:-1] + (rows, cols)))
    return tuple(planes)


def pad(x, shape):
    """Zero-pad the plane into a larger one, top-left placement (Eq. 60: assignment).

    ``y = zeros(..., N, M)`` with ``y[..., :n, :m] = x``, as when zero-padding for an FFT.

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        float32, float64, complex64 or complex128.
    shape : tuple of int
        ``(N, M)`` with ``N >= n`` and ``M >= m``, or the full shape (leading entries equal the
        batch shape).

    Returns
    -------
    ndarray
        ``y``, shape ``(..., N, M)``, dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> pad(np.ones((1, 2)), (2, 3))
    array([[1., 1., 0.],
           [0., 0., 0.]])
    """
    x, (rows, cols) = pad_inputs(x, shape)
    y = np.zeros(x.shape[:-2] + (rows, cols), dtype=x.dtype)
    y[..., :x.shape[-2], :x.shape[-1]] = x
    return y


def pad_vjp(y_bar, x_shape):
    """Reverse rule of ``pad``: ``x_bar = crop(y_bar, x_shape)`` (Eq. 59).

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., N, M)
        Cotangent of ``y = pad(x, shape)``.
    x_shape : tuple of int
        The shape of ``x``: ``(n, m)`` or the full shape (leading entries equal the batch shape).

    Returns
    -------
    ndarray
        ``x_bar``, shape ``(..., n, m)``, dtype of ``y_bar``.
    """
    y_bar, plane = pad_vjp_inputs(y_bar, x_shape)
    return crop(y_bar, plane)


def pad_jvp(x, x_dot, shape):
    """Forward rule of ``pad``: ``y_dot = pad(x_dot, shape)`` (Eq. 60).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``pad_vjp``: for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``,
    ``Re<y_bar, y_dot> = Re<pad_vjp(y_bar, x.shape), x_dot>``.

    Parameters
    ----------
    x : ndarray
        The point, as for ``pad``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    shape : tuple of int
        As for ``pad``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = pad(x, shape)`` and its tangent, each of shape ``(..., N, M)`` and ``x``'s
        dtype.
    """
    x, (rows, cols) = pad_inputs(x, shape)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    planes = []
    for values in (x, x_dot):
        y = np.zeros(x.shape[:-2] + (rows, cols), dtype=x.dtype)
        y[..., :x.shape[-2], :x.shape[-1]] = values
        planes.append(y)
    return tuple(planes)


def crop(x, shape):
    """Keep the top-left part of the plane (Eq. 59: indexing).

    ``y = x[..., :N, :M]``, returned as a new array (never a view of ``x``).

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        float32, float64, complex64 or complex128.
    shape : tuple of int
        ``(N, M)`` with ``N <= n`` and ``M <= m``, or the full shape (leading entries equal the
        batch shape).

    Returns
    -------
    ndarray
        ``y``, shape ``(..., N, M)``, dtype of ``x``.
    """
    x, (rows, cols) = crop_inputs(x, shape)
    # A copy, so that no op result aliases its input (as for the C++ ops).
    return x[..., :rows, :cols].copy()


def crop_vjp(y_bar, x_shape):
    """Reverse rule of ``crop``: ``x_bar = pad(y_bar, x_shape)`` (Eq. 60).

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., N, M)
        Cotangent of ``y = crop(x, shape)``.
    x_shape : tuple of int
        The shape of ``x``: ``(n, m)`` or the full shape (leading entries equal the batch shape).

    Returns
    -------
    ndarray
        ``x_bar``, shape ``(..., n, m)``, dtype of ``y_bar``.
    """
    y_bar, plane = crop_vjp_inputs(y_bar, x_shape)
    return pad(y_bar, plane)


def crop_jvp(x, x_dot, shape):
    """Forward rule of ``crop``: ``y_dot = crop(x_dot, shape)`` (Eq. 59).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``crop_vjp``: for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``,
    ``Re<y_bar, y_dot> = Re<crop_vjp(y_bar, x.shape), x_dot>``.

    Parameters
    ----------
    x : ndarray
        The point, as for ``crop``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    shape : tuple of int
        As for ``crop``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = crop(x, shape)`` and its tangent, each of shape ``(..., N, M)`` and ``x``'s
        dtype.
    """
    x, (rows, cols) = crop_inputs(x, shape)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return x[..., :rows, :cols].copy(), x_dot[..., :rows, :cols].copy()


def fftshift(x):
    """Move the zero frequency to the centre of the plane (a permutation of the last two axes).

    Pixel ``(k, l)`` moves to ``((k + n//2) mod n, (l + m//2) mod m)``, as ``numpy.fft.fftshift``
    over the last two axes. (A pure permutation: no paper equation beyond Eq. 59/60.)

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        float32, float64, complex64 or complex128.

    Returns
    -------
    ndarray
        ``y``, shape and dtype of ``x``.
    """
    x = array(x, "x", min_ndim=2)
    return np.fft.fftshift(x, axes=(-2, -1))


def fftshift_vjp(y_bar):
    """Reverse rule of ``fftshift``: the inverse permutation, ``ifftshift(y_bar)``.

    A permutation matrix is orthogonal, so its transpose is its inverse.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., n, m)
        Cotangent of ``y = fftshift(x)``.

    Returns
    -------
    ndarray
        ``x_bar``, shape and dtype of ``y_bar``.
    """
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    return ifftshift(y_bar)


def fftshift_jvp(x, x_dot):
    """Forward rule of ``fftshift``: ``y_dot = fftshift(x_dot)`` (a permutation).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``fftshift_vjp``: for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``,
    ``Re<y_bar, y_dot> = Re<fftshift_vjp(y_bar), x_dot>``.

    Parameters
    ----------
    x : ndarray
        The point, as for ``fftshift``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = fftshift(x)`` and its tangent, each of ``x``'s shape and dtype.
    """
    x = array(x, "x", min_ndim=2)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return np.fft.fftshift(x, axes=(-2, -1)), np.fft.fftshift(x_dot, axes=(-2, -1))


def ifftshift(x):
    """Move the centre of the plane back to index (0, 0): the inverse of ``fftshift``.

    Pixel ``(k, l)`` moves to ``((k - n//2) mod n, (l - m//2) mod m)``, as
    ``numpy.fft.ifftshift`` over the last two axes (it differs from ``fftshift`` for odd sizes).

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        float32, float64, complex64 or complex128.

    Returns
    -------
    ndarray
        ``y``, shape and dtype of ``x``.
    """
    x = array(x, "x", min_ndim=2)
    return np.fft.ifftshift(x, axes=(-2, -1))


def ifftshift_vjp(y_bar):
    """Reverse rule of ``ifftshift``: the inverse permutation, ``fftshift(y_bar)``.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape (..., n, m)
        Cotangent of ``y = ifftshift(x)``.

    Returns
    -------
    ndarray
        ``x_bar``, shape and dtype of ``y_bar``.
    """
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    return fftshift(y_bar)


def ifftshift_jvp(x, x_dot):
    """Forward rule of ``ifftshift``: ``y_dot = ifftshift(x_dot)`` (a permutation).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``ifftshift_vjp``: for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``,
    ``Re<y_bar, y_dot> = Re<ifftshift_vjp(y_bar), x_dot>``.

    Parameters
    ----------
    x : ndarray
        The point, as for ``ifftshift``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = ifftshift(x)`` and its tangent, each of ``x``'s shape and dtype.
    """
    x = array(x, "x", min_ndim=2)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return np.fft.ifftshift(x, axes=(-2, -1)), np.fft.ifftshift(x_dot, axes=(-2, -1))
