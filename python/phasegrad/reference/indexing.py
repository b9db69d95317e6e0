"""Indexing ops: take / put of pixel subsets, zero-pad / crop, and the FFT shifts.

All act on the plane of the last two axes and batch over the leading ones; all are linear, and
each reverse rule is the op's transpose (Jurling & Fienup 2014, Eq. 59, 60, 62): indexing and
assignment swap roles, pad and crop swap roles, and a shift is undone by the opposite shift.

Gradient convention: for a real scalar E, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``; a real input
gets a real gradient (Eq. 67). PyTorch's ``.grad`` is the same; JAX's ``grad`` is the conjugate.
"""

from __future__ import annotations

import numpy as np

from ..arguments.validate import array, plane_shape

__all__ = [
    "take", "take_vjp", "put", "put_vjp",
    "pad", "pad_vjp", "crop", "crop_vjp",
    "fftshift", "fftshift_vjp", "ifftshift", "ifftshift_vjp",
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


def _as_flat(index):
    """A checked index (see ``_checked_index``) as flat int indices."""
    return np.flatnonzero(index) if index.dtype == np.bool_ else index


def _selected(index):
    """The number of pixels a checked index selects (with repeats)."""
    return int(np.count_nonzero(index)) if index.dtype == np.bool_ else index.size


# Argument checks of each op and rule, shared with the C++ twins in phasegrad.ops.indexing so
# that both raise the same errors. Each returns the validated arguments, the index as
# ``_checked_index`` returns it.

def _take_inputs(x, index):
    x = array(x, "x", min_ndim=2)
    return x, _checked_index(index, x.shape[-2:], unique=False)


def _take_vjp_inputs(y_bar, index, x_shape):
    y_bar = array(y_bar, "y_bar", min_ndim=1)
    rows, cols = plane_shape(x_shape, "x_shape", batch_shape=y_bar.shape[:-1])
    index = _checked_index(index, (rows, cols), unique=False)
    if y_bar.shape[-1] != _selected(index):
        raise ValueError(f"y_bar must have {_selected(index)} entries on its last axis, one "
                         f"per index; got shape {y_bar.shape}")
    return y_bar, index, (rows, cols)


def _put_inputs(x, index, shape):
    x = array(x, "x", min_ndim=1)
    rows, cols = plane_shape(shape, "shape", batch_shape=x.shape[:-1])
    index = _checked_index(index, (rows, cols), unique=True)
    if x.shape[-1] != _selected(index):
        raise ValueError(f"x must have {_selected(index)} entries on its last axis, one per "
                         f"index; got shape {x.shape}")
    return x, index, (rows, cols)


def _put_vjp_inputs(y_bar, index, shape):
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    plane = plane_shape(shape, "shape", batch_shape=y_bar.shape[:-2])
    if y_bar.shape[-2:] != plane:
        raise ValueError(f"y_bar must have the plane shape {plane} given by shape; "
                         f"got {y_bar.shape}")
    return y_bar, _checked_index(index, plane, unique=True)


def _pad_inputs(x, shape):
    x = array(x, "x", min_ndim=2)
    rows, cols = plane_shape(shape, "shape", batch_shape=x.shape[:-2])
    if rows < x.shape[-2] or cols < x.shape[-1]:
        raise ValueError(f"shape {(rows, cols)} must be at least the plane of x, "
                         f"{x.shape[-2:]}, to pad into it")
    return x, (rows, cols)


def _pad_vjp_inputs(y_bar, x_shape):
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    rows, cols = plane_shape(x_shape, "x_shape", batch_shape=y_bar.shape[:-2])
    if rows > y_bar.shape[-2] or cols > y_bar.shape[-1]:
        raise ValueError(f"x_shape {(rows, cols)} must be at most the plane of y_bar, "
                         f"{y_bar.shape[-2:]} (pad only enlarges)")
    return y_bar, (rows, cols)


def _crop_inputs(x, shape):
    x = array(x, "x", min_ndim=2)
    rows, cols = plane_shape(shape, "shape", batch_shape=x.shape[:-2])
    if rows > x.shape[-2] or cols > x.shape[-1]:
        raise ValueError(f"shape {(rows, cols)} must be at most the plane of x, "
                         f"{x.shape[-2:]}, to crop from it")
    return x, (rows, cols)


def _crop_vjp_inputs(y_bar, x_shape):
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    rows, cols = plane_shape(x_shape, "x_shape", batch_shape=y_bar.shape[:-2])
    if rows < y_bar.shape[-2] or cols < y_bar.shape[-1]:
        raise ValueError(f"x_shape {(rows, cols)} must be at least the plane of y_bar, "
                         f"{y_bar.shape[-2:]} (crop only shrinks)")
    return y_bar, (rows, cols)


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
    x, index = _take_inputs(x, index)
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
    y_bar, index, (rows, cols) = _take_vjp_inputs(y_bar, index, x_shape)
    flat = _as_flat(index)
    x_bar = np.zeros(y_bar.shape[:-1] + (rows * cols,), dtype=y_bar.dtype)
    np.add.at(x_bar, (..., flat), y_bar)  # unbuffered: repeated indices accumulate (Eq. 62)
    return x_bar.reshape(y_bar.shape[:-1] + (rows, cols))


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
    x, index, (rows, cols) = _put_inputs(x, index, shape)
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
    y_bar, _ = _put_vjp_inputs(y_bar, index, shape)
    return take(y_bar, index)


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
    x, (rows, cols) = _pad_inputs(x, shape)
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
    y_bar, plane = _pad_vjp_inputs(y_bar, x_shape)
    return crop(y_bar, plane)


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
    x, (rows, cols) = _crop_inputs(x, shape)
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
    y_bar, plane = _crop_vjp_inputs(y_bar, x_shape)
    return pad(y_bar, plane)


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
