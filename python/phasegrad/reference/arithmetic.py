"""Element-wise arithmetic, matrix products and scalar broadcasting (Jurling & Fienup Table 1).

Each op is followed by its reverse rule ``op_vjp``. The gradient convention is the package's:
for a real scalar E and a complex array x, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41),
PyTorch's ``.grad`` convention; JAX's ``grad`` is its complex conjugate. A real input gets a real
gradient: the rules take the real part where a real input was promoted to complex (Eq. 67).

Broadcasting follows NumPy. An input that broadcasting stretched or extended is used once per
output element, so its gradient is the cotangent summed back to the input's shape (Eq. 48, 51
and 61); ``phasegrad.arrays.sum_to_shape`` is that one rule, shared by ``add``, ``mul``,
``matmul``, ``broadcast`` and ``convolve``. ``add`` and ``mul`` accept a Python number
(``int``, ``float``, ``complex``) as ``x`` (not ``y``) and give a Python number back as its
gradient, summed in double precision; ``power``'s exponent is a constant and may be any real
number. The argument rules are ``phasegrad.arguments.arithmetic``.

Each reverse rule is followed by the forward-mode rule ``op_jvp``: given the op's inputs and a
tangent ``<name>_dot`` for each differentiable input, it returns ``(y, y_dot)``, the op's output
and ``y_dot = d/dt y(x + t x_dot)`` at ``t = 0`` (real ``t``; a complex tangent moves the real
and imaginary parts together). It is the transpose of the reverse rule:
``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with ``<a, b> = sum(conj(a) * b)``. Tangents are
checked by ``phasegrad.arguments.tangents``: an array tangent has its input's shape and dtype, a
Python-number ``x`` takes a Python-number tangent.

Every op and rule returns new arrays that share no memory with its arguments, so a caller may
accumulate gradients in place (Eq. 46) without corrupting a cotangent.
"""

from __future__ import annotations

import numpy as np

from ..arguments.arithmetic import (
    binary_operands,
    broadcast_target,
    matmul_operands,
    power_domain,
    power_operands,
)
from ..arguments.tangents import tangent
from ..arguments.validate import array, cotangent, shape_tuple
from ..arrays import conj, operand_gradient, power_gradient, sum_to_shape

__all__ = [
    "add", "add_vjp", "add_jvp",
    "mul", "mul_vjp", "mul_jvp",
    "matmul", "matmul_vjp", "matmul_jvp",
    "power", "power_vjp", "power_jvp",
    "broadcast", "broadcast_vjp", "broadcast_jvp",
]


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
    x, y, _ = binary_operands(x, y)
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
    x, y, shape = binary_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    return operand_gradient(z_bar, x), operand_gradient(z_bar, y)


def add_jvp(x, y, x_dot, y_dot):
    """Forward-mode rule of ``add``: ``z_dot = x_dot + y_dot`` (Eq. 47, 48).

    Each tangent is broadcast as its input is (Eq. 48, 61). The transpose of ``add_vjp``:
    ``Re <z_bar, z_dot> = Re <x_bar, x_dot> + Re <y_bar, y_dot>`` with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x, y : ndarray or Python number
        The inputs of ``add`` (only ``x`` may be a Python number).
    x_dot, y_dot : ndarray or Python number
        Tangents of ``x`` and ``y``: each with its input's shape and dtype; a Python number for
        a Python-number ``x`` (a real one for a real ``x``).

    Returns
    -------
    z : ndarray
        ``add(x, y)``.
    z_dot : ndarray
        The tangent of ``z``: its shape and dtype.

    Raises
    ------
    TypeError, ValueError
        As ``add`` for ``x`` and ``y``; a tangent of the wrong dtype (``TypeError``) or shape
        (``ValueError``), naming it.
    """
    x, y, _ = binary_operands(x, y)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y_dot = tangent(y_dot, "y_dot", y, "y")
    return np.add(x, y), np.add(x_dot, y_dot)


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
    x, y, _ = binary_operands(x, y)
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
    x, y, shape = binary_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    x_bar = operand_gradient(conj(y) * z_bar, x, copy=False)
    y_bar = operand_gradient(conj(x) * z_bar, y, copy=False)
    return x_bar, y_bar


def mul_jvp(x, y, x_dot, y_dot):
    """Forward-mode rule of ``mul``: ``z_dot = x_dot * y + x * y_dot`` (Eq. 49, 51).

    The product rule, with NumPy broadcasting as in ``mul``. The transpose of ``mul_vjp``:
    ``Re <z_bar, z_dot> = Re <x_bar, x_dot> + Re <y_bar, y_dot>`` with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x, y : ndarray or Python number
        The inputs of ``mul`` (only ``x`` may be a Python number).
    x_dot, y_dot : ndarray or Python number
        Tangents of ``x`` and ``y``: each with its input's shape and dtype; a Python number for
        a Python-number ``x`` (a real one for a real ``x``).

    Returns
    -------
    z : ndarray
        ``mul(x, y)``.
    z_dot : ndarray
        The tangent of ``z``: its shape and dtype.

    Raises
    ------
    TypeError, ValueError
        As ``mul`` for ``x`` and ``y``; a tangent of the wrong dtype (``TypeError``) or shape
        (``ValueError``), naming it.

    Examples
    --------
    >>> import numpy as np
    >>> mul_jvp(2.0, np.array([1.0, 3.0]), 1.0, np.array([0.5, 0.0]))
    (array([2., 6.]), array([2., 3.]))
    """
    x, y, _ = binary_operands(x, y)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y_dot = tangent(y_dot, "y_dot", y, "y")
    z_dot = np.multiply(x_dot, y)
    z_dot += np.multiply(x, y_dot)
    return np.multiply(x, y), z_dot


def _adjoint(v):
    """Conjugate transpose of the last two axes (a view for a real array)."""
    return np.swapaxes(conj(v), -1, -2)


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
    x, y, _ = matmul_operands(x, y)
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
    x, y, shape = matmul_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    x_bar = sum_to_shape(np.matmul(z_bar, _adjoint(y)), x.shape, x.dtype, copy=False)
    y_bar = sum_to_shape(np.matmul(_adjoint(x), z_bar), y.shape, y.dtype, copy=False)
    return x_bar, y_bar


def matmul_jvp(x, y, x_dot, y_dot):
    """Forward-mode rule of ``matmul``: ``z_dot = x_dot @ y + x @ y_dot`` (Eq. 50).

    The product rule for the matrix product, batched as ``matmul``. The transpose of
    ``matmul_vjp``: ``Re <z_bar, z_dot> = Re <x_bar, x_dot> + Re <y_bar, y_dot>`` with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray, shape (..., N, P)
    y : ndarray, shape (..., P, M)
        The inputs of ``matmul``.
    x_dot, y_dot : ndarray
        Tangents of ``x`` and ``y``, each with its input's shape and dtype.

    Returns
    -------
    z : ndarray, shape (..., N, M)
        ``matmul(x, y)``.
    z_dot : ndarray
        The tangent of ``z``: its shape and dtype.

    Raises
    ------
    TypeError, ValueError
        As ``matmul`` for ``x`` and ``y``; a tangent of the wrong dtype (``TypeError``) or shape
        (``ValueError``), naming it.
    """
    x, y, _ = matmul_operands(x, y)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y_dot = tangent(y_dot, "y_dot", y, "y")
    z_dot = np.matmul(x_dot, y)
    z_dot += np.matmul(x, y_dot)
    return np.matmul(x, y), z_dot


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
    x, c = power_operands(x, c)
    power_domain(x, c)
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
    x, c = power_operands(x, c)
    y_bar = cotangent(y_bar, "y_bar", x.shape, ("x", x))
    power_domain(x, c, derivative=True)
    return power_gradient(y_bar, x, c)


def power_jvp(x, x_dot, c):
    """Forward-mode rule of ``power``: ``y_dot = c * x**(c - 1) * x_dot`` (Eq. 52).

    A complex ``x`` takes the derivative of the principal branch, ``c x**(c - 1)``, which is
    holomorphic there. The transpose of ``power_vjp``: ``Re <y_bar, y_dot> = Re <x_bar, x_dot>``
    with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``power``.
    x_dot : ndarray
        Tangent of ``x``, with its shape and dtype.
    c : float or ndarray
        The exponent, as for ``power``; a constant (it has no tangent).

    Returns
    -------
    y : ndarray
        ``power(x, c)``.
    y_dot : ndarray
        The tangent of ``y``, shaped and typed like ``x``.

    Raises
    ------
    TypeError, ValueError
        As ``power``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``);
        then, as ``power_vjp``, zero entries of ``x`` where ``c < 1`` (an infinite derivative).

    Examples
    --------
    >>> import numpy as np
    >>> power_jvp(np.array([3.0]), np.array([0.5]), 2)
    (array([9.]), array([3.]))
    """
    x, c = power_operands(x, c)
    power_domain(x, c)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    power_domain(x, c, derivative=True)
    y_dot = np.power(x, c - 1)
    y_dot *= c
    y_dot *= x_dot
    return np.power(x, c), y_dot


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
    shape = broadcast_target(shape_tuple(shape, "shape"), x.shape, "shape", "x of shape")
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
    broadcast_target(y_bar.shape, x_shape, "the shape of y_bar", "x_shape")
    return sum_to_shape(y_bar, x_shape, y_bar.dtype)


def broadcast_jvp(x, x_dot, shape):
    """Forward-mode rule of ``broadcast``: ``y_dot = x_dot`` broadcast to ``shape`` (Eq. 61).

    ``broadcast`` is linear, so its tangent is the same broadcast of ``x_dot``. The transpose
    of ``broadcast_vjp``: ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``broadcast``.
    x_dot : ndarray
        Tangent of ``x``, with its shape and dtype.
    shape : tuple of int
        The full shape of ``y``, as for ``broadcast``.

    Returns
    -------
    y, y_dot : ndarray
        ``broadcast(x, shape)`` and ``broadcast(x_dot, shape)``: new contiguous arrays.

    Raises
    ------
    TypeError, ValueError
        As ``broadcast``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).
    """
    x = array(x, "x")
    shape = broadcast_target(shape_tuple(shape, "shape"), x.shape, "shape", "x of shape")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return np.broadcast_to(x, shape).copy(), np.broadcast_to(x_dot, shape).copy()
