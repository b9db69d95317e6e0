"""Ops that cross between real and complex arrays, and the exponentials (Jurling & Fienup
Table 1, Eq. 53-57, and Section 7, Eq. 67).

Each op is followed by its reverse rule ``op_vjp``. The gradient convention is the package's:
for a real scalar E and a complex array x, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41),
PyTorch's ``.grad`` convention; JAX's ``grad`` is its complex conjugate. A real input gets a real
gradient (Eq. 67).

These are the rules where a factor of ``1j`` or a dropped real part is easy to get wrong, so
the domains are strict: ``real``/``imag`` need a complex ``x``, ``expi``/``to_complex`` a real
``x``. A cotangent of a real output may be given as a complex array; only its real part counts
(the rules of Table 1 write ``Re y_bar``). Every op and rule returns new arrays that share no
memory with its arguments. The argument rules are ``phasegrad.arguments.complex_parts``.

Each reverse rule is followed by the forward-mode rule ``op_jvp(x, x_dot)``: it returns
``(y, y_dot)``, the op's output and ``y_dot = d/dt y(x + t x_dot)`` at ``t = 0`` (real ``t``; a
complex tangent moves the real and imaginary parts together). ``x_dot`` has ``x``'s shape and
dtype (``phasegrad.arguments.tangents``); ``y_dot`` has ``y``'s shape and dtype. Each is the
transpose of its reverse rule: ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with
``<a, b> = sum(conj(a) * b)``.
"""

from __future__ import annotations

import numpy as np

from ..arguments.complex_parts import complex_input, expi_input, rule_operands, to_complex_input
from ..arguments.tangents import tangent
from ..arguments.validate import array, complex_dtype, is_complex, real_dtype

__all__ = [
    "abs2", "abs2_vjp", "abs2_jvp",
    "real", "real_vjp", "real_jvp",
    "imag", "imag_vjp", "imag_jvp",
    "exp", "exp_vjp", "exp_jvp",
    "expi", "expi_vjp", "expi_jvp",
    "to_complex", "to_complex_vjp", "to_complex_jvp",
]


def abs2(x):
    """Squared magnitude ``y = |x|**2`` (Eq. 53).

    Parameters
    ----------
    x : ndarray
        float32, float64, complex64 or complex128.

    Returns
    -------
    y : ndarray
        Real (float32 for float32/complex64 input, float64 otherwise), shaped like ``x``.
    """
    x = array(x, "x")
    if not is_complex(x):
        return np.square(x)
    y = np.square(x.real)
    y += np.square(x.imag)
    return y


def abs2_vjp(y_bar, x):
    """Reverse rule of ``abs2``: ``x_bar = 2 * x * Re(y_bar)`` (Eq. 53).

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y``, shaped like ``x``; a complex ``y_bar`` contributes its real part.
    x : ndarray
        The input of ``abs2``.

    Returns
    -------
    x_bar : ndarray
        Shaped and typed like ``x`` (real for a real ``x``).

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.

    Examples
    --------
    For E = |z|**2 at z = 3 + 4j the gradient is 6 + 8j, PyTorch's ``z.grad`` (JAX's
    ``grad`` gives 6 - 8j):

    >>> import numpy as np
    >>> abs2_vjp(np.ones(1), np.array([3 + 4j]))
    array([6.+8.j])
    """
    x, y_bar = rule_operands(y_bar, x, "x")
    return (2 * np.real(y_bar)) * x


def abs2_jvp(x, x_dot):
    """Forward-mode rule of ``abs2``: ``y_dot = 2 Re(conj(x) * x_dot)`` (Eq. 53).

    For a real ``x``, ``y_dot = 2 * x * x_dot``. ``y_dot`` is real, as ``y`` is. The transpose
    of ``abs2_vjp``: ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``abs2``.
    x_dot : ndarray
        Tangent of ``x``: ``x``'s shape and dtype.

    Returns
    -------
    y : ndarray
        ``abs2(x)``.
    y_dot : ndarray
        The tangent of ``y``: real, shaped like ``x`` (``y``'s dtype).

    Raises
    ------
    TypeError, ValueError
        As ``abs2``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).

    Examples
    --------
    At x = 3 + 4j, moving along 1j changes |x|**2 at the rate 2 Re(conj(x) 1j) = 8:

    >>> import numpy as np
    >>> abs2_jvp(np.array([3 + 4j]), np.array([1j]))
    (array([25.]), array([8.]))
    """
    x = array(x, "x")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    if not is_complex(x):
        y_dot = np.multiply(x, x_dot)
        y_dot *= 2
        return np.square(x), y_dot
    y = np.square(x.real)
    y += np.square(x.imag)
    y_dot = np.multiply(x.real, x_dot.real)
    y_dot += np.multiply(x.imag, x_dot.imag)
    y_dot *= 2
    return y, y_dot


def real(x):
    """Real part ``y = Re(x)`` of a complex array (Eq. 54).

    Parameters
    ----------
    x : ndarray
        complex64 or complex128.

    Returns
    -------
    y : ndarray
        float32 or float64, a new contiguous array (not a view of ``x``).

    Raises
    ------
    TypeError
        A real ``x`` (there is nothing to take the real part of) or an unsupported dtype.
    """
    return complex_input(x, "real").real.copy()


def real_vjp(y_bar):
    """Reverse rule of ``real``: ``x_bar = Re(y_bar)``, as a complex array (Eq. 54).

    ``Re(x_bar) = Re(y_bar)`` and ``Im(x_bar) = 0``: the imaginary part of ``x`` does not reach
    ``y``.

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y``; a complex ``y_bar`` contributes its real part.

    Returns
    -------
    x_bar : ndarray
        complex64 or complex128 (``y_bar``'s precision), shaped like ``y_bar``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    y_bar = array(y_bar, "y_bar")
    return np.real(y_bar).astype(complex_dtype(y_bar.dtype))


def real_jvp(x, x_dot):
    """Forward-mode rule of ``real``: ``y_dot = Re(x_dot)`` (Eq. 54).

    ``real`` is linear over the reals. The transpose of ``real_vjp``:
    ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``real``.
    x_dot : ndarray
        Tangent of ``x``: complex, ``x``'s shape and dtype.

    Returns
    -------
    y : ndarray
        ``real(x)``.
    y_dot : ndarray
        The tangent of ``y``: real (``y``'s dtype), a new contiguous array.

    Raises
    ------
    TypeError, ValueError
        As ``real``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).
    """
    x = complex_input(x, "real")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return x.real.copy(), x_dot.real.copy()


def imag(x):
    """Imaginary part ``y = Im(x)`` of a complex array (Eq. 55).

    Parameters
    ----------
    x : ndarray
        complex64 or complex128.

    Returns
    -------
    y : ndarray
        float32 or float64, a new contiguous array (not a view of ``x``).

    Raises
    ------
    TypeError
        A real ``x`` or an unsupported dtype.
    """
    return complex_input(x, "imag").imag.copy()


def imag_vjp(y_bar):
    """Reverse rule of ``imag``: ``x_bar = 1j * Re(y_bar)`` (Eq. 55).

    ``Re(x_bar) = 0`` and ``Im(x_bar) = Re(y_bar)``: only the imaginary part of ``x`` reaches
    ``y``.

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y``; a complex ``y_bar`` contributes its real part.

    Returns
    -------
    x_bar : ndarray
        complex64 or complex128 (``y_bar``'s precision), shaped like ``y_bar``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.

    Examples
    --------
    >>> import numpy as np
    >>> imag_vjp(np.array([2.0]))
    array([0.+2.j])
    """
    y_bar = array(y_bar, "y_bar")
    x_bar = np.zeros(y_bar.shape, complex_dtype(y_bar.dtype))
    x_bar.imag = np.real(y_bar)
    return x_bar


def imag_jvp(x, x_dot):
    """Forward-mode rule of ``imag``: ``y_dot = Im(x_dot)`` (Eq. 55).

    ``imag`` is linear over the reals. The transpose of ``imag_vjp``:
    ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``imag``.
    x_dot : ndarray
        Tangent of ``x``: complex, ``x``'s shape and dtype.

    Returns
    -------
    y : ndarray
        ``imag(x)``.
    y_dot : ndarray
        The tangent of ``y``: real (``y``'s dtype), a new contiguous array.

    Raises
    ------
    TypeError, ValueError
        As ``imag``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).
    """
    x = complex_input(x, "imag")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return x.imag.copy(), x_dot.imag.copy()


def exp(x):
    """Exponential ``y = e**x`` of a real or complex array (Eq. 56).

    Parameters
    ----------
    x : ndarray
        float32, float64, complex64 or complex128.

    Returns
    -------
    y : ndarray
        Shaped and typed like ``x``.
    """
    return np.exp(array(x, "x"))


def exp_vjp(y_bar, y):
    """Reverse rule of ``exp``: ``x_bar = y_bar * conj(y)`` (Eq. 56).

    The rule needs the op's output ``y``, not its input. A real ``y`` (from a real ``x``) gives
    the real gradient ``Re(y_bar) * y`` (Eq. 67).

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y``, shaped like ``y``.
    y : ndarray
        The output of ``exp``.

    Returns
    -------
    x_bar : ndarray
        Shaped and typed like ``y`` (and hence like ``x``).

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    y, y_bar = rule_operands(y_bar, y, "y")
    if is_complex(y):
        return y_bar * np.conj(y)
    return np.real(y_bar) * y


def exp_jvp(x, x_dot):
    """Forward-mode rule of ``exp``: ``y_dot = y * x_dot`` (Eq. 56).

    ``exp`` is holomorphic, its derivative is ``y`` itself. The transpose of ``exp_vjp``:
    ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``exp``.
    x_dot : ndarray
        Tangent of ``x``: ``x``'s shape and dtype.

    Returns
    -------
    y : ndarray
        ``exp(x)``.
    y_dot : ndarray
        The tangent of ``y``: ``y``'s shape and dtype.

    Raises
    ------
    TypeError, ValueError
        As ``exp``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).
    """
    x = array(x, "x")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y = np.exp(x)
    return y, y * x_dot


def expi(x):
    """Imaginary exponential ``y = e**(1j * x)`` of a real phase ``x`` (Eq. 57).

    Parameters
    ----------
    x : ndarray
        float32 or float64 (a phase in radians).

    Returns
    -------
    y : ndarray
        complex64 for float32, complex128 for float64; ``y = cos(x) + 1j * sin(x)``.

    Raises
    ------
    TypeError
        A complex ``x`` (use ``exp`` of ``1j * x``) or an unsupported dtype.
    """
    x = expi_input(x)
    y = np.empty(x.shape, complex_dtype(x.dtype))
    np.cos(x, out=y.real)
    np.sin(x, out=y.imag)
    return y


def expi_vjp(y_bar, y):
    """Reverse rule of ``expi``: ``x_bar = Im(y_bar * conj(y))`` (Eq. 57).

    The gradient of the real phase is real: Eq. 56 for ``exp(1j * x)`` followed by the rule of
    the product with ``1j`` and the real part of Eq. 67.

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y``, shaped like ``y``.
    y : ndarray
        The output of ``expi`` (complex64 or complex128).

    Returns
    -------
    x_bar : ndarray
        float32 or float64 (``y``'s precision), shaped like ``y``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.

    Examples
    --------
    At x = 0 a cotangent 1j (E grows with Im y = sin x) gives dE/dx = cos 0 = 1:

    >>> import numpy as np
    >>> expi_vjp(np.array([1j]), expi(np.array([0.0])))
    array([1.])
    """
    y, y_bar = rule_operands(y_bar, y, "y", kind="complex")
    # Im(y_bar * conj(y)) written out in real arithmetic: no complex temporary.
    x_bar = np.imag(y_bar) * y.real
    x_bar -= np.real(y_bar) * y.imag
    return x_bar


def expi_jvp(x, x_dot):
    """Forward-mode rule of ``expi``: ``y_dot = 1j * y * x_dot`` (Eq. 57).

    The phase ``x`` and its tangent are real: ``Re y_dot = -sin(x) x_dot``,
    ``Im y_dot = cos(x) x_dot``. The transpose of ``expi_vjp``:
    ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``expi``.
    x_dot : ndarray
        Tangent of ``x``: real, ``x``'s shape and dtype.

    Returns
    -------
    y : ndarray
        ``expi(x)``.
    y_dot : ndarray
        The tangent of ``y``: complex, ``y``'s dtype.

    Raises
    ------
    TypeError, ValueError
        As ``expi``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).

    Examples
    --------
    At x = 0 the phasor turns towards 1j: ``Im y_dot = cos(0) * x_dot``.

    >>> import numpy as np
    >>> y, y_dot = expi_jvp(np.array([0.0]), np.array([2.0]))
    >>> y_dot.imag
    array([2.])
    """
    x = expi_input(x)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y = np.empty(x.shape, complex_dtype(x.dtype))
    np.cos(x, out=y.real)
    np.sin(x, out=y.imag)
    y_dot = np.empty_like(y)
    np.multiply(y.imag, x_dot, out=y_dot.real)
    np.negative(y_dot.real, out=y_dot.real)
    np.multiply(y.real, x_dot, out=y_dot.imag)
    return y, y_dot


def to_complex(x):
    """Promote a real array to complex, ``y = x + 0j`` (the extension x -> C of Eq. 65-67).

    Parameters
    ----------
    x : ndarray
        float32 or float64.

    Returns
    -------
    y : ndarray
        complex64 for float32, complex128 for float64.

    Raises
    ------
    TypeError
        A complex ``x`` or an unsupported dtype.
    """
    x = to_complex_input(x)
    return x.astype(complex_dtype(x.dtype))


def to_complex_vjp(y_bar):
    """Reverse rule of ``to_complex``: ``x_bar = Re(y_bar)`` (Eq. 67).

    The error metric cannot depend on the imaginary part of a real number, so the real input
    gets the real part of the complex cotangent.

    Parameters
    ----------
    y_bar : ndarray
        Cotangent of ``y`` (complex, or real).

    Returns
    -------
    x_bar : ndarray
        float32 or float64 (``y_bar``'s precision), shaped like ``y_bar``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    y_bar = array(y_bar, "y_bar")
    return np.real(y_bar).astype(real_dtype(y_bar.dtype))


def to_complex_jvp(x, x_dot):
    """Forward-mode rule of ``to_complex``: ``y_dot = x_dot + 0j`` (Eq. 67).

    The promotion is linear; a real tangent becomes a complex one with no imaginary part. The
    transpose of ``to_complex_vjp``: ``Re <y_bar, y_dot> = Re <x_bar, x_dot>`` with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray
        The input of ``to_complex``.
    x_dot : ndarray
        Tangent of ``x``: real, ``x``'s shape and dtype.

    Returns
    -------
    y : ndarray
        ``to_complex(x)``.
    y_dot : ndarray
        The tangent of ``y``: complex, ``y``'s dtype.

    Raises
    ------
    TypeError, ValueError
        As ``to_complex``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).
    """
    x = to_complex_input(x)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    dtype = complex_dtype(x.dtype)
    return x.astype(dtype), x_dot.astype(dtype)
