"""Basis-function expansion of a wavefront, ``W = sum_k a_k B_k`` (Jurling & Fienup Eq. 3, 58).

The op is followed by its reverse rule, the projection of the cotangent on every mode. The
gradient convention is the package's: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41),
PyTorch's ``.grad`` convention; JAX's ``grad`` is its complex conjugate. Coefficients, modes
and the wavefront are real, so every gradient here is real (Eq. 67). The argument rules are
``phasegrad.arguments.expansion``.
"""

from __future__ import annotations

import numpy as np

from ..arguments.expansion import basis_cotangent, basis_operands
from ..arguments.tangents import tangent

__all__ = ["basis", "basis_vjp", "basis_jvp"]


def basis(a, B):
    """Basis expansion ``y = sum_k a[..., k] * B[k]`` (Eq. 3, 58).

    Parameters
    ----------
    a : ndarray, shape (..., K)
        Real coefficients (float32 or float64); leading axes are a batch.
    B : ndarray, shape (K, n, m)
        Real modes (e.g. sampled Zernike polynomials), of ``a``'s precision.

    Returns
    -------
    y : ndarray, shape (..., n, m)
        Of ``a``'s dtype.

    Raises
    ------
    TypeError
        A complex or unsupported dtype, or ``a`` and ``B`` of different precision.
    ValueError
        ``B`` not 3-D, or ``a.shape[-1]`` different from the number of modes ``K``.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([np.eye(2), np.ones((2, 2))])
    >>> basis(np.array([1.0, -2.0]), B)
    array([[-1., -2.],
           [-2., -1.]])
    """
    a, B, modes = basis_operands(a, B)
    return np.matmul(a, modes).reshape(a.shape[:-1] + B.shape[1:])


def basis_vjp(y_bar, B):
    """Reverse rule of ``basis``: ``a_bar[..., k] = sum_{u,v} y_bar[..., u, v] * B[k, u, v]``
    (Eq. 58).

    The cotangent is projected on every mode at once (one matrix product). A complex
    ``y_bar`` contributes its real part: the coefficients are real (Eq. 67).

    Parameters
    ----------
    y_bar : ndarray, shape (..., n, m)
        Cotangent of ``y``.
    B : ndarray, shape (K, n, m)
        The modes given to ``basis``.

    Returns
    -------
    a_bar : ndarray, shape (..., K)
        Real, of ``B``'s precision.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([np.eye(2), np.ones((2, 2))])
    >>> basis_vjp(np.ones((2, 2)), B)
    array([2., 4.])
    """
    y_bar, B, modes = basis_cotangent(y_bar, B)
    planes = np.real(y_bar).reshape(y_bar.shape[:-2] + (-1,))
    # A sum over every pixel: accumulate in double, return in the input's precision.
    a_bar = np.matmul(planes.astype(np.float64, copy=False), modes.T.astype(np.float64))
    return a_bar.astype(B.dtype, copy=False)


def basis_jvp(a, a_dot, B):
    """Forward rule of ``basis``: ``y_dot = sum_k a_dot[..., k] * B[k]`` (Eq. 58).

    The expansion is linear in the coefficients and the modes are constants, so the tangent is
    the expansion of the tangent, ``basis(a_dot, B)``. It pairs with ``basis_vjp``: for every
    real ``y_bar``, with ``<u, v> = sum(conj(u) * v)``,
    ``Re<y_bar, y_dot> = Re<basis_vjp(y_bar, B), a_dot>``.

    Parameters
    ----------
    a : ndarray, shape (..., K)
        The point, as for ``basis``.
    a_dot : ndarray
        The tangent of ``a``: its shape and dtype (real).
    B : ndarray, shape (K, n, m)
        As for ``basis``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = basis(a, B)`` and its tangent, each of shape ``(..., n, m)`` and ``a``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([np.eye(2), np.ones((2, 2))])
    >>> y, y_dot = basis_jvp(np.array([1.0, -2.0]), np.array([0.0, 1.0]), B)
    >>> y_dot
    array([[1., 1.],
           [1., 1.]])
    """
    a, B, modes = basis_operands(a, B)
    a_dot = tangent(a_dot, "a_dot", a, "a")
    shape = a.shape[:-1] + B.shape[1:]
    return np.matmul(a, modes).reshape(shape), np.matmul(a_dot, modes).reshape(shape)
