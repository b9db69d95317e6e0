"""Argument rules of the arithmetic ops (``add``, ``mul``, ``matmul``, ``power``,
``broadcast``), shared by ``phasegrad.reference.arithmetic`` and ``phasegrad.ops.arithmetic``.

Each function validates an op's arguments, raising the ``TypeError``/``ValueError`` both
catalogues raise, and returns them as the op computes with them. Only ``x`` of ``add`` and
``mul`` may be a Python number (Eq. 48, 51); ``power``'s exponent is a real constant.
"""

from __future__ import annotations

import numbers

import numpy as np

from .validate import array, broadcast_shape, is_complex, real_constant, same_precision, scalar

__all__ = [
    "binary_operands", "broadcast_target", "matmul_operands", "power_domain", "power_operands",
]


def _operand(x, name):
    """An array operand, or a Python number where the op allows a scalar (Eq. 48, 51).

    NumPy scalars (``np.float32(2)``) carry a dtype and are checked as 0-d arrays.
    """
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic | bool):
        return scalar(x, name)
    return array(x, name)


def binary_operands(x, y):
    """Validate the operands of ``add``/``mul``; return them and their broadcast shape."""
    x = _operand(x, "x")
    if isinstance(y, numbers.Number) and not isinstance(y, np.generic | bool):
        # Without this, a Python float y would become a float64 array: accepted with a float64
        # x, refused with a float32 one. Only x (Eq. 48, 51) may be a Python number.
        raise TypeError(f"y must be an array; got {type(y).__name__} (only x may be a Python "
                        "number: swap the operands)")
    y = array(y, "y")
    same_precision(("x", x), ("y", y))
    return x, y, broadcast_shape(("x", x), ("y", y))


def matmul_operands(x, y):
    """Validate the operands of ``matmul``; return them and the shape of ``x @ y``."""
    x = array(x, "x", min_ndim=2)
    y = array(y, "y", min_ndim=2)
    same_precision(("x", x), ("y", y))
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(f"x (..., N, P) and y (..., P, M) must share P; got x {x.shape} "
                         f"and y {y.shape}")
    batch = broadcast_shape(("x batch axes", x.shape[:-2]), ("y batch axes", y.shape[:-2]))
    return x, y, batch + (x.shape[-2], y.shape[-1])


def power_operands(x, c):
    """Validate ``power``'s operands: ``x`` any floating array, ``c`` real, broadcast to x."""
    x = array(x, "x")
    c = real_constant(c, "c")
    if isinstance(c, np.ndarray):
        same_precision(("x", x), ("c", c))
        if broadcast_shape(("x", x), ("c", c)) != x.shape:
            raise ValueError(f"c must broadcast to the shape of x {x.shape}; got {c.shape}")
    return x, c


def power_domain(x, c, derivative=False):
    """Refuse the points where ``x**c`` (or its derivative) is undefined or infinite."""
    c_values = np.asarray(c)
    # A number c decides alone whether a condition can hold: scan x only when it can.
    number = c_values.ndim == 0
    if (not is_complex(x) and (not number or c % 1 != 0)
            and np.any((x < 0) & (c_values % 1 != 0))):
        raise ValueError("x has negative entries where c is not an integer: the real power is "
                         "undefined there (use a complex x for the principal branch)")
    if derivative:
        limit, what = 1, "the derivative of x**c is infinite or undefined"
    else:
        limit, what = 0, "x**c is infinite"
    if (not number or c < limit) and np.any((x == 0) & (c_values < limit)):
        raise ValueError(f"x has zero entries where c < {limit}: {what} there")


def broadcast_target(shape, x_shape, shape_label, x_label):
    """Check that an input of ``x_shape`` broadcasts to exactly ``shape``; return ``shape``."""
    try:
        fits = np.broadcast_shapes(tuple(x_shape), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{x_label} {tuple(x_shape)} does not broadcast to {shape_label} {shape}")
    return shape
