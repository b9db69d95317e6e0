"""Arithmetic ops in C++: sums and products with broadcasting, powers, broadcasting itself
(Eq. 47-52, 61); matrix products through NumPy's BLAS.

NumPy broadcasting is reduced here to the one layout of the C++ kernels: a *full* operand with
every element of the result, and a *small* one repeated over the result's leading axes (two
arrays of one size; a scalar, Python or NumPy; an (n, m) plane with a (P, n, m) stack). Each
reverse rule is then a single pass that forms every gradient element and sums the repeated
operand's gradient over the batch in double precision. Each tangent step (``op_jvp``) is a
single pass too, forming the output and its tangent side by side from the operands and their
tangents (a tangent is laid out as its operand). Broadcasts outside that layout (an axis of
length 1 stretched inside the shape, as (n, 1) with (1, m)) run the NumPy reference, as each
op's notes say.
"""

from __future__ import annotations

import math

import numpy as np

from ..arguments.arithmetic import binary_operands, broadcast_target, power_domain, power_operands
from ..arguments.docstrings import amend
from ..arguments.tangents import tangent
from ..arguments.validate import (
    array,
    complex_dtype,
    cotangent,
    is_complex,
    real_dtype,
    shape_tuple,
)
from ..arrays import operand_gradient, power_gradient, sum_to_shape
from ..config import get_num_threads
from ..native import as_ufunc_result, ascontiguous, core
from ..reference import arithmetic as _ref

__all__ = [
    "add", "add_vjp", "add_jvp",
    "mul", "mul_vjp", "mul_jvp",
    "matmul", "matmul_vjp", "matmul_jvp",
    "power", "power_vjp", "power_jvp",
    "broadcast", "broadcast_vjp", "broadcast_jvp",
]

_BROADCAST_NOTE = """
The C++ kernels take two operands of one size, a scalar, or an operand repeated over the
leading axes of the other (an (n, m) plane with a (P, n, m) stack), in one pass that also sums
a repeated operand's gradient in double precision. Any other broadcast (an inner axis of
length 1 stretched, as (n, 1) with (1, m)) is computed by the NumPy reference.
"""


def _trails(shape, out_shape):
    """True when an operand of ``shape`` broadcasts to ``out_shape`` by repetition over leading
    axes only: ``shape``, without its leading 1s, ends ``out_shape``."""
    core = tuple(shape)
    while core and core[0] == 1:
        core = core[1:]
    return len(core) <= len(out_shape) and tuple(out_shape[len(out_shape) - len(core):]) == core


def _number_as_array(x, like):
    """A Python-number operand as the 1-element array NumPy would make of it next to ``like``
    (NEP 50: a float takes like's precision, a complex its complex dtype)."""
    if not isinstance(x, int | float | complex):
        return x
    dtype = complex_dtype(like.dtype) if isinstance(x, complex) else real_dtype(like.dtype)
    return np.asarray(x, dtype=dtype)


def _split(x, y, shape):
    """``(full, small, x_is_small)`` for the kernels' layout, or None outside it."""
    n = math.prod(shape)
    if y.size == n and _trails(x.shape, shape):
        return y, x, True
    if x.size == n and _trails(y.shape, shape):
        return x, y, False
    return None


def _contiguous(v):
    return ascontiguous(v)


def _small_gradient(result, operand, *, summed):
    """The gradient of the small operand from the kernel's ``result`` (its own dtype, or the
    double-precision sum over the batch when ``summed``): a Python number for a Python-number
    operand (Eq. 48, 51), else an array shaped and typed like ``operand``."""
    if not isinstance(operand, np.ndarray):
        return result.reshape(()).item()
    result = result.reshape(operand.shape)
    return result.astype(operand.dtype, copy=False) if summed else result


@amend(twin=_ref.add, before_parameters=_BROADCAST_NOTE)
def add(x, y):
    x, y, shape = binary_operands(x, y)
    xa = _number_as_array(x, y)
    split = _split(xa, y, shape)
    if split is None:
        return _ref.add(x, y)
    full, small, _ = split
    # NumPy scalars for 0-d operands, as the reference's ufuncs give.
    return as_ufunc_result(core.add(_contiguous(full), _contiguous(small),
                                    get_num_threads()).reshape(shape))


@amend(twin=_ref.add_vjp, before_parameters=_BROADCAST_NOTE)
def add_vjp(z_bar, x, y):
    x, y, shape = binary_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    xa = _number_as_array(x, y)
    split = _split(xa, y, shape)
    if split is None:
        return operand_gradient(z_bar, x), operand_gradient(z_bar, y)
    full, small, x_is_small = split
    full_bar, small_bar = core.add_vjp(_contiguous(z_bar), is_complex(full), is_complex(small),
                                        small.size, get_num_threads())
    full_operand, small_operand = (y, x) if x_is_small else (x, y)
    full_bar = full_bar.reshape(full_operand.shape)
    small_bar = _small_gradient(small_bar, small_operand, summed=small.size != full.size)
    return (small_bar, full_bar) if x_is_small else (full_bar, small_bar)


def _binary_jvp(kernel, fallback, x, y, x_dot, y_dot):
    """``add_jvp``/``mul_jvp``: checked arguments, then one pass of ``kernel`` over the
    kernels' layout, or ``fallback`` (the reference) outside it."""
    x, y, shape = binary_operands(x, y)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y_dot = tangent(y_dot, "y_dot", y, "y")
    xa, xa_dot = _number_as_array(x, y), _number_as_array(x_dot, y)
    split = _split(xa, y, shape)
    if split is None:
        return fallback(x, y, x_dot, y_dot)
    full, small, x_is_small = split
    full_dot, small_dot = (y_dot, xa_dot) if x_is_small else (xa_dot, y_dot)
    z, z_dot = kernel(_contiguous(full), _contiguous(small), _contiguous(full_dot),
                      _contiguous(small_dot), get_num_threads())
    # NumPy scalars for 0-d operands, as the reference's ufuncs give.
    return as_ufunc_result(z.reshape(shape)), as_ufunc_result(z_dot.reshape(shape))


@amend(twin=_ref.add_jvp, before_parameters=_BROADCAST_NOTE)
def add_jvp(x, y, x_dot, y_dot):
    return _binary_jvp(core.add_jvp, _ref.add_jvp, x, y, x_dot, y_dot)


@amend(twin=_ref.mul, before_parameters=_BROADCAST_NOTE)
def mul(x, y):
    x, y, shape = binary_operands(x, y)
    xa = _number_as_array(x, y)
    split = _split(xa, y, shape)
    if split is None:
        return _ref.mul(x, y)
    full, small, _ = split
    # NumPy scalars for 0-d operands, as the reference's ufuncs give.
    return as_ufunc_result(core.mul(_contiguous(full), _contiguous(small),
                                    get_num_threads()).reshape(shape))


@amend(twin=_ref.mul_vjp, before_parameters=_BROADCAST_NOTE)
def mul_vjp(z_bar, x, y):
    x, y, shape = binary_operands(x, y)
    z_bar = cotangent(z_bar, "z_bar", shape, ("x", x), ("y", y))
    xa = _number_as_array(x, y)
    split = _split(xa, y, shape)
    if split is None:
        return _ref.mul_vjp(z_bar, x, y)
    full, small, x_is_small = split
    full_bar, small_bar = core.mul_vjp(_contiguous(z_bar), _contiguous(full),
                                        _contiguous(small), get_num_threads())
    full_operand, small_operand = (y, x) if x_is_small else (x, y)
    full_bar = full_bar.reshape(full_operand.shape)
    small_bar = _small_gradient(small_bar, small_operand, summed=small.size != full.size)
    if shape == ():  # as the reference's products: NumPy scalars when nothing was summed
        full_bar = as_ufunc_result(full_bar)
        small_bar = as_ufunc_result(small_bar) if isinstance(small_bar, np.ndarray) else \
            small_bar
    return (small_bar, full_bar) if x_is_small else (full_bar, small_bar)


@amend(twin=_ref.mul_jvp, before_parameters=_BROADCAST_NOTE)
def mul_jvp(x, y, x_dot, y_dot):
    return _binary_jvp(core.mul_jvp, _ref.mul_jvp, x, y, x_dot, y_dot)


_MATMUL_NOTE = """
Delegates to NumPy's ``matmul``, the GEMM of the BLAS NumPy links (with that library's own
threads, not ``phasegrad.get_num_threads()``): a matrix product is compute-bound, BLAS is the
fastest code for it, and ``phasegrad.bench.ops_arithmetic`` measures this op no slower than the
NumPy call.
"""


@amend(twin=_ref.matmul, before_parameters=_MATMUL_NOTE)
def matmul(x, y):
    return _ref.matmul(x, y)


@amend(twin=_ref.matmul_vjp, before_parameters=_MATMUL_NOTE)
def matmul_vjp(z_bar, x, y):
    return _ref.matmul_vjp(z_bar, x, y)


@amend(twin=_ref.matmul_jvp, before_parameters=_MATMUL_NOTE)
def matmul_jvp(x, y, x_dot, y_dot):
    return _ref.matmul_jvp(x, y, x_dot, y_dot)


#: Exponents the kernels raise a real x to without ``pow`` (a product, a quotient, a root).
_CHEAP_REAL_EXPONENTS = (0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0)


def _in_kernel(x, exponent):
    """Whether the C++ kernel raises x to ``exponent`` (a number, or None for an array).

    Any complex x. A real x only to the cheap exponents: for the others, NumPy's own ``pow``
    loop is vectorised (SIMD pow on AVX-512 machines) and measured 3-5x faster than libm's
    ``pow`` per element, which the kernel would call.
    """
    return is_complex(x) or (exponent is not None and exponent in _CHEAP_REAL_EXPONENTS)


def _exponent_layout(c, x):
    """``c`` for the kernels: a Python float, or a contiguous array repeated over x's leading
    axes (an array broadcast otherwise is materialised at x's shape)."""
    if not isinstance(c, np.ndarray):
        return c
    if c.size == 1:
        return float(c.reshape(-1)[0])
    if not _trails(c.shape, x.shape):
        c = np.broadcast_to(c, x.shape)
    return _contiguous(c)


_POWER_NOTE = """
A complex ``x`` takes one pass of the C++ kernel, its exponent specialised outside the loop
(0, 1, 2, 1/2 and integers below 100 in magnitude avoid ``pow``, as NumPy's ``npy_cpow``). A
real ``x`` does so for the exponents (of ``power``; ``c - 1`` for ``power_vjp``) 0, 1, 2, 3,
1/2, -1 and -2 (``power_jvp``: when both ``c`` and ``c - 1`` are among them); for any other,
and for an array ``c``, NumPy's vectorised ``pow`` loop computes it (measured 3-5x faster than
a ``pow`` call per element). An array ``c`` that
broadcasts to ``x`` other than by repetition over leading axes is first copied out to ``x``'s
shape.
"""


@amend(twin=_ref.power, before_parameters=_POWER_NOTE)
def power(x, c):
    x, c = power_operands(x, c)
    power_domain(x, c)
    kernel_c = _exponent_layout(c, x)
    number = isinstance(kernel_c, float)
    if not _in_kernel(x, kernel_c if number else None):
        return np.power(x, c)
    if number:
        y = core.power(_contiguous(x), kernel_c, get_num_threads())
    else:
        y = core.power_array(_contiguous(x), kernel_c, get_num_threads())
    # _contiguous makes a 0-d x 1-D: give y x's shape (a NumPy scalar for a 0-d x, as NumPy).
    return as_ufunc_result(y.reshape(x.shape))


@amend(twin=_ref.power_vjp, before_parameters=_POWER_NOTE)
def power_vjp(y_bar, x, c):
    x, c = power_operands(x, c)
    y_bar = cotangent(y_bar, "y_bar", x.shape, ("x", x))
    power_domain(x, c, derivative=True)
    kernel_c = _exponent_layout(c, x)
    number = isinstance(kernel_c, float)
    if not _in_kernel(x, kernel_c - 1.0 if number else None):
        return power_gradient(y_bar, x, c)
    x_bar = core.power_vjp(_contiguous(y_bar), _contiguous(x), kernel_c if number else 0.0,
                           None if number else kernel_c, get_num_threads())
    return as_ufunc_result(x_bar.reshape(x.shape))


@amend(twin=_ref.power_jvp, before_parameters=_POWER_NOTE)
def power_jvp(x, x_dot, c):
    x, c = power_operands(x, c)
    power_domain(x, c)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    power_domain(x, c, derivative=True)
    kernel_c = _exponent_layout(c, x)
    number = isinstance(kernel_c, float)
    if number:
        in_kernel = _in_kernel(x, kernel_c) and _in_kernel(x, kernel_c - 1.0)
    else:
        in_kernel = _in_kernel(x, None)
    if not in_kernel:
        return _ref.power_jvp(x, x_dot, c)
    y, y_dot = core.power_jvp(_contiguous(x), _contiguous(x_dot), kernel_c if number else 0.0,
                              None if number else kernel_c, get_num_threads())
    return as_ufunc_result(y.reshape(x.shape)), as_ufunc_result(y_dot.reshape(x.shape))


@amend(twin=_ref.broadcast, before_parameters=_BROADCAST_NOTE)
def broadcast(x, shape):
    x = array(x, "x")
    shape = broadcast_target(shape_tuple(shape, "shape"), x.shape, "shape", "x of shape")
    if not _trails(x.shape, shape):
        return _ref.broadcast(x, shape)
    batch = math.prod(shape) // x.size
    return core.broadcast(_contiguous(x), batch, get_num_threads()).reshape(shape)


@amend(twin=_ref.broadcast_vjp, before_parameters=_BROADCAST_NOTE)
def broadcast_vjp(y_bar, x_shape):
    y_bar = array(y_bar, "y_bar")
    x_shape = shape_tuple(x_shape, "x_shape")
    broadcast_target(y_bar.shape, x_shape, "the shape of y_bar", "x_shape")
    inner = math.prod(x_shape)
    if inner == y_bar.size:
        return np.array(y_bar, order="C", copy=True).reshape(x_shape)
    if not _trails(x_shape, y_bar.shape):
        return sum_to_shape(y_bar, x_shape, y_bar.dtype)
    summed = core.sum_leading(_contiguous(y_bar), inner, get_num_threads())
    return summed.reshape(x_shape).astype(y_bar.dtype, copy=False)


@amend(twin=_ref.broadcast_jvp, before_parameters=_BROADCAST_NOTE)
def broadcast_jvp(x, x_dot, shape):
    x = array(x, "x")
    shape = broadcast_target(shape_tuple(shape, "shape"), x.shape, "shape", "x of shape")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    if not _trails(x.shape, shape):
        return _ref.broadcast_jvp(x, x_dot, shape)
    batch, threads = math.prod(shape) // x.size, get_num_threads()
    y = core.broadcast(_contiguous(x), batch, threads).reshape(shape)
    return y, core.broadcast(_contiguous(x_dot), batch, threads).reshape(shape)
