"""Element-wise arithmetic, matrix products and scalar broadcasting (Jurling & Fienup Table 1).

Each op is followed by its reverse rule ``op_vjp``. The gradient convention is the package's:
for a real scalar E and a complex array x, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41),
PyTorch's ``.grad`` convention; JAX's ``grad`` is its complex conjugate. A real input gets a real
gradient: the rules take the real part where a real input was promoted to complex (Eq. 67).

Broadcasting follows NumPy. An input that broadcasting stretched or extended is used once per
output element, so its gradient is the cotangent summed back to the input's shape (Eq. 48, 51
and 61); ``_sum_to_shape`` is that one rule, shared by ``add``, ``mul``, ``matmul``,
``broadcast`` and ``convolve``. ``add`` and ``mul`` accept a Python number (``int``, ``float``,
``complex``) as ``x`` (not ``y``) and give a Python number back as its gradient, summed in double
precision; ``power``'s exponent is a constant and may be any real number.

Every op and rule returns new arrays that share no memory with its arguments, so a caller may
accumulate gradients in place (Eq. 46) without corrupting a cotangent.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..arguments.validate import (
    array,
    broadcast_shape,
    cotangent,
    is_complex,
    real_constant,
    same_precision,
    scalar,
    shape_tuple,
)

__all__ = [
    "add", "add_vjp",
    "mul", "mul_vjp",
    "matmul", "matmul_vjp",
    "power", "power_vjp",
    "broadcast", "broadcast_vjp",
]


def _operand(x, name):
    """An array operand, or a Python number where the op allows a scalar (Eq. 48, 51).

    NumPy scalars (``np.float32(2)``) carry a dtype and are checked as 0-d arrays.
    """
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic | bool):
        return scalar(x, name)
    return array(x, name)


def _conj(v):
    """Complex conjugate; a real array passes through without a copy."""
    if isinstance(v, np.ndarray):
        return np.conj(v) if is_complex(v) else v
    return v.conjugate()


def _sum_to_shape(upstream, shape, dtype, *, copy=True):
    """The gradient of an input of ``shape`` and ``dtype`` from the cotangent ``upstream``.

    Sums ``upstream`` over the leading axes broadcasting added and over the axes where
    ``shape`` has length 1 but ``upstream`` does not (Eq. 48, 51, 61), accumulating in double
    precision; keeps the real part when ``dtype`` is real (Eq. 67). Returns an array of
    ``dtype`` that shares no memory with ``upstream``, unless ``copy=False`` (for an
    ``upstream`` that is the caller's own temporary, where a copy would be wasted).
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


def _operand_gradient(upstream, operand, *, copy=True):
    """``_sum_to_shape`` for an operand; a Python-number operand gets a Python number."""
    if isinstance(operand, np.ndarray):
        return _sum_to_shape(upstream, operand.shape, operand.dtype, copy=copy)
    dtype = np.complex128 if isinstance(operand, complex) else np.float64
    return _sum_to_shape(upstream, (), dtype).item()


def _binary_operands(x, y):
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


def add(x, y):
    """Sum ``z = x + y`` with NumPy broadcasting (Eq. 47, 48).

    Parameters
    ----------
    x : ndarray or Python number
        float32, float64, complex64 or complex128; a Python number is broadcast (Eq. 48).
    y : ndarray
        Of the same precision as ``x``; ``x`` and ``y`` broadcast together. An array (0-d
        arrays and NumPy scalars included); a Python number is refused: only ``x`` may be one.

    Returns
    -------
    z : ndarray
        The broadcast shape; complex if either input is, of the inputs' precision.

    Raises
    ------
    TypeError
        An unsupported dtype, ``x`` and ``y`` of different precision, or a Python-number ``y``.
    ValueError
        Shapes that do not broadcast together, or an empty array.
    """
    x, y, _ = _binary_operands(x, y)
    return np.add(x, y)


def add_vjp(z_bar, x, y):
    """Reverse rule of ``add``: ``x_bar = z_bar``, ``y_bar = z_bar`` (Eq. 47, 48).

    Each gradient is ``z_bar`` summed over the axes broadcasting stretched or added for that
    input (Eq. 48, 61), and its real part for a real input (Eq. 67).

    Parameters
    ----------
    z_bar : ndarray
        Cotangent of ``z``, with ``z``'s shape.
    x, y : ndarray or Python number
        The inputs of ``add`` (only their shapes and dtypes are used).

    Returns
    -------
    x_bar, y_bar : ndarray or Python number
        Gradients shaped and typed like ``x`` and ``y``; a Python-number ``x`` gets a Python
        number (a double-precision sum).

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    x, y, shape = _binary_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    return _operand_gradient(z_bar, x), _operand_gradient(z_bar, y)


def mul(x, y):
    """Element-wise product ``z = x * y`` with NumPy broadcasting (Eq. 49, 51).

    Parameters
    ----------
    x : ndarray or Python number
        float32, float64, complex64 or complex128; a Python number scales ``y`` (Eq. 51).
    y : ndarray
        Of the same precision as ``x``; ``x`` and ``y`` broadcast together. An array (0-d
        arrays and NumPy scalars included); a Python number is refused: only ``x`` may be one.

    Returns
    -------
    z : ndarray
        The broadcast shape; complex if either input is, of the inputs' precision.

    Raises
    ------
    TypeError
        An unsupported dtype, ``x`` and ``y`` of different precision, or a Python-number ``y``.
    ValueError
        Shapes that do not broadcast together, or an empty array.
    """
    x, y, _ = _binary_operands(x, y)
    return np.multiply(x, y)


def mul_vjp(z_bar, x, y):
    """Reverse rule of ``mul``: ``x_bar = conj(y) * z_bar``, ``y_bar = conj(x) * z_bar``
    (Eq. 49, 51).

    Each gradient is summed over the axes broadcasting stretched or added for its input; a
    scalar ``x`` gets ``x_bar = sum(conj(y) * z_bar)`` (Eq. 51). A real input gets the real
    part (Eq. 67): for a real scalar ``x`` and complex ``y``, ``x_bar = Re sum(conj(y) * z_bar)``.

    Parameters
    ----------
    z_bar : ndarray
        Cotangent of ``z``, with ``z``'s shape.
    x, y : ndarray or Python number
        The inputs of ``mul``.

    Returns
    -------
    x_bar, y_bar : ndarray or Python number
        Gradients shaped and typed like ``x`` and ``y``; a Python-number ``x`` gets a Python
        number (a double-precision sum).

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.

    Examples
    --------
    A Python-number ``x`` gets a Python number; the sum runs over all of ``y``:

    >>> import numpy as np
    >>> mul_vjp(np.ones(3), 2.0, np.array([1.0, 2.0, 3.0]))
    (6.0, array([2., 2., 2.]))
    """
    x, y, shape = _binary_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    x_bar = _operand_gradient(_conj(y) * z_bar, x, copy=False)
    y_bar = _operand_gradient(_conj(x) * z_bar, y, copy=False)
    return x_bar, y_bar


def _matmul_operands(x, y):
    """Validate the operands of ``matmul``; return them and the shape of ``x @ y``."""
    x = array(x, "x", min_ndim=2)
    y = array(y, "y", min_ndim=2)
    same_precision(("x", x), ("y", y))
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(f"x (..., N, P) and y (..., P, M) must share P; got x {x.shape} "
                         f"and y {y.shape}")
    batch = broadcast_shape(("x batch axes", x.shape[:-2]), ("y batch axes", y.shape[:-2]))
    return x, y, batch + (x.shape[-2], y.shape[-1])


def _adjoint(v):
    """Conjugate transpose of the last two axes (a view for a real array)."""
    return np.swapaxes(_conj(v), -1, -2)


def matmul(x, y):
    """Matrix product ``z = x @ y`` over the last two axes, batched over the rest (Eq. 50).

    Parameters
    ----------
    x : ndarray, shape (..., N, P)
    y : ndarray, shape (..., P, M)
        Of the same precision as ``x``; the leading (batch) axes broadcast together.

    Returns
    -------
    z : ndarray, shape (..., N, M)
        Complex if either input is, of the inputs' precision.

    Raises
    ------
    TypeError
        An unsupported dtype, or ``x`` and ``y`` of different precision.
    ValueError
        Fewer than two axes, inner dimensions that differ, or batch axes that do not broadcast.
    """
    x, y, _ = _matmul_operands(x, y)
    return np.matmul(x, y)


def matmul_vjp(z_bar, x, y):
    """Reverse rule of ``matmul``: ``x_bar = z_bar @ y^H``, ``y_bar = x^H @ z_bar`` (Eq. 50).

    ``^H`` is the conjugate transpose of the last two axes. Gradients are summed over batch
    axes that broadcasting stretched or added (Eq. 61), and a real input gets the real part
    (Eq. 67).

    Parameters
    ----------
    z_bar : ndarray, shape (..., N, M)
        Cotangent of ``z``.
    x, y : ndarray
        The inputs of ``matmul``.

    Returns
    -------
    x_bar, y_bar : ndarray
        Shaped and typed like ``x`` and ``y``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    x, y, shape = _matmul_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    x_bar = _sum_to_shape(np.matmul(z_bar, _adjoint(y)), x.shape, x.dtype, copy=False)
    y_bar = _sum_to_shape(np.matmul(_adjoint(x), z_bar), y.shape, y.dtype, copy=False)
    return x_bar, y_bar


def _power_operands(x, c):
    """Validate ``power``'s operands: ``x`` any floating array, ``c`` real, broadcast to x."""
    x = array(x, "x")
    c = real_constant(c, "c")
    if isinstance(c, np.ndarray):
        same_precision(("x", x), ("c", c))
        if broadcast_shape(("x", x), ("c", c)) != x.shape:
            raise ValueError(f"c must broadcast to the shape of x {x.shape}; got {c.shape}")
    return x, c


def _check_power_domain(x, c, derivative=False):
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


def power(x, c):
    """Power with a constant real exponent, ``y = x**c`` (Eq. 52).

    A complex ``x`` uses the principal branch of NumPy's ``power``.

    Parameters
    ----------
    x : ndarray
        float32, float64, complex64 or complex128.
    c : float or ndarray
        A finite real number (Python or NumPy scalar, or 0-d array), or a finite real array of
        ``x``'s precision that broadcasts to ``x``'s shape. A constant: it gets no gradient.

    Returns
    -------
    y : ndarray
        Shaped and typed like ``x``.

    Raises
    ------
    TypeError
        An unsupported dtype, a complex ``c``, or an array ``c`` of another precision than
        ``x``.
    ValueError
        ``c`` not finite or not broadcasting to ``x``; a real ``x`` with negative entries where
        ``c`` is not an integer; zero entries of ``x`` where ``c < 0``.
    """
    x, c = _power_operands(x, c)
    _check_power_domain(x, c)
    return np.power(x, c)


def power_vjp(y_bar, x, c):
    """Reverse rule of ``power``: ``x_bar = c * conj(x)**(c - 1) * y_bar`` (Eq. 52).

    For a real ``x`` the real part of ``y_bar`` is used, so the gradient is real (Eq. 67).

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y``, with ``x``'s shape.
    x : ndarray
        The input of ``power``.
    c : float or ndarray
        The exponent given to ``power``.

    Returns
    -------
    x_bar : ndarray
        Shaped and typed like ``x``.

    Raises
    ------
    ValueError
        As ``power``, and for zero entries of ``x`` where ``c < 1`` (an infinite derivative).

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.

    Examples
    --------
    >>> import numpy as np
    >>> power_vjp(np.ones(1), np.array([1 + 2j]), 2)  # 2 conj(x), not 2 x
    array([2.-4.j])
    """
    x, c = _power_operands(x, c)
    y_bar = cotangent(y_bar, "y_bar", x.shape, ("x", x))
    _check_power_domain(x, c, derivative=True)
    return _power_gradient(y_bar, x, c)


def _power_gradient(y_bar, x, c):
    """``c * conj(x)**(c - 1) * y_bar`` (Re y_bar for a real x) of checked arguments."""
    if not is_complex(x):
        y_bar = np.real(y_bar)
    return c * _conj(x) ** (c - 1) * y_bar


def _broadcast_target(shape, x_shape, shape_label, x_label):
    """Check that an input of ``x_shape`` broadcasts to exactly ``shape``; return ``shape``."""
    try:
        fits = np.broadcast_shapes(tuple(x_shape), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{x_label} {tuple(x_shape)} does not broadcast to {shape_label} {shape}")
    return shape


def broadcast(x, shape):
    """Broadcast ``x`` to the full ``shape``: ``y_n = x`` for every n (Eq. 61).

    Parameters
    ----------
    x : ndarray
        float32, float64, complex64 or complex128, broadcastable to ``shape`` by NumPy's rules.
    shape : tuple of int
        The full shape of ``y``.

    Returns
    -------
    y : ndarray
        A new (writeable, contiguous) array of ``shape`` and ``x``'s dtype.

    Raises
    ------
    TypeError
        An unsupported dtype, or ``shape`` not a tuple of ints.
    ValueError
        ``x`` does not broadcast to ``shape``.
    """
    x = array(x, "x")
    shape = _broadcast_target(shape_tuple(shape, "shape"), x.shape, "shape", "x of shape")
    return np.broadcast_to(x, shape).copy()


def broadcast_vjp(y_bar, x_shape):
    """Reverse rule of ``broadcast``: ``x_bar = sum(y_bar)`` over the broadcast axes (Eq. 61).

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y``.
    x_shape : tuple of int
        The shape of ``broadcast``'s input ``x``; it must broadcast to ``y_bar.shape``.

    Returns
    -------
    x_bar : ndarray
        Of ``x_shape`` and ``y_bar``'s dtype (a 0-d array when ``x_shape`` is ``()``),
        summed in double precision.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate. ``broadcast`` keeps the dtype, so a
    real ``x`` has a real ``y`` and a real cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> broadcast_vjp(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    y_bar = array(y_bar, "y_bar")
    x_shape = shape_tuple(x_shape, "x_shape")
    _broadcast_target(y_bar.shape, x_shape, "the shape of y_bar", "x_shape")
    return _sum_to_shape(y_bar, x_shape, y_bar.dtype)
