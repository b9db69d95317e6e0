"""Array numerics that both op catalogues compute the same way, below both of them.

These are pieces of reverse rules, not argument rules (those are ``phasegrad.arguments``): how
a cotangent is summed back to the shape of an input that broadcasting stretched (Eq. 48, 51,
61), keeping the real part for a real input (Eq. 67); the gradient of ``power`` (Eq. 52); the
conjugate that leaves a real array alone. ``phasegrad.reference`` states its rules with them,
and the C++ twins of ``phasegrad.ops`` call them where they hand a case back to NumPy, so both
compute these cases by the same code. Pure NumPy: importing it loads nothing compiled.
"""

from __future__ import annotations

import numpy as np

from .arguments.validate import is_complex

__all__ = ["conj", "operand_gradient", "power_gradient", "sum_to_shape"]


def conj(v):
    """Complex conjugate; a real array passes through without a copy."""
    if isinstance(v, np.ndarray):
        return np.conj(v) if is_complex(v) else v
    return v.conjugate()


def sum_to_shape(upstream, shape, dtype, *, copy=True):
    """The gradient of an input of ``shape`` and ``dtype`` from the cotangent ``upstream``.

    Sums ``upstream`` over the leading axes broadcasting added and over the axes where
    ``shape`` has length 1 but ``upstream`` does not (Eq. 48, 51, 61), accumulating in double
    precision; keeps the real part when ``dtype`` is real (Eq. 67). Returns an array of
    ``dtype`` that shares no memory with ``upstream``, unless ``copy=False`` (for an
    ``upstream`` that is the caller's own temporary, where a copy would be wasted).

    Examples
    --------
    >>> import numpy as np
    >>> sum_to_shape(np.ones((2, 3), complex), (1, 3), np.float64)
    array([[2., 2., 2.]])
    """
    shape = tuple(shape)
    dtype = np.dtype(dtype)
    if not is_complex(dtype) and is_complex(upstream):
        upstream = upstream.real
        copy = True  # the real part is a strided view: compact it into an array of its own
    added = upstream.ndim - len(shape)
    stretched = tuple(added + k for k, n in enumerate(shape)
                      if n == 1 and upstream.shape[added + k] != 1)
    axes = tuple(range(added)) + stretched
    if not axes:
        return upstream.astype(dtype, copy=copy)
    double = np.result_type(upstream.dtype, np.float64)
    summed = np.sum(upstream, axis=axes, dtype=double, keepdims=True)
    return summed.reshape(shape).astype(dtype, copy=False)


def operand_gradient(upstream, operand, *, copy=True):
    """``sum_to_shape`` for an operand; a Python-number operand gets a Python number."""
    if isinstance(operand, np.ndarray):
        return sum_to_shape(upstream, operand.shape, operand.dtype, copy=copy)
    dtype = np.complex128 if isinstance(operand, complex) else np.float64
    return sum_to_shape(upstream, (), dtype).item()


def power_gradient(y_bar, x, c):
    """``c * conj(x)**(c - 1) * y_bar`` (Re y_bar for a real x) of checked arguments (Eq. 52)."""
    if not is_complex(x):
        y_bar = np.real(y_bar)
    return c * conj(x) ** (c - 1) * y_bar
