"""Tests of phasegrad.reference.arithmetic: add, mul, matmul, power, broadcast (Eq. 47-52, 61)."""

import numpy as np
import pytest

from phasegrad.check import check_adjoint, check_vjp, random_like, relative_error
from phasegrad.reference import (
    add,
    add_vjp,
    broadcast,
    broadcast_vjp,
    matmul,
    matmul_vjp,
    mul,
    mul_vjp,
    power,
    power_vjp,
)

SINGLE = {np.dtype(np.float64): np.float32, np.dtype(np.complex128): np.complex64}

# (x shape, y shape): equal shapes, stretched axes, added leading axes, both stretched, 0-d.
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((1, 4), (3, 4)),
    ((4,), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (3, 4)),
    ((2, 3, 4), (4,)),
]
# (x dtype, y dtype) in double precision: every mix of real and complex.
DTYPE_PAIRS = [
    (np.complex128, np.complex128),
    (np.float64, np.complex128),
    (np.complex128, np.float64),
    (np.float64, np.float64),
]


def draw(shape, dtype, seed=0):
    """A reproducible standard-normal array (independent real and imaginary parts)."""
    return random_like(np.zeros(shape, dtype), np.random.default_rng(seed))


def single(a):
    """``a`` in single precision (float32 / complex64)."""
    return a.astype(SINGLE[a.dtype])


# ---------------------------------------------------------------------------------- add, mul


@pytest.mark.parametrize("x_shape, y_shape", BROADCAST_SHAPES)
@pytest.mark.parametrize("x_dtype, y_dtype", DTYPE_PAIRS)
@pytest.mark.parametrize("op, op_vjp", [(add, add_vjp), (mul, mul_vjp)], ids=["add", "mul"])
def test_binary_vjp_matches_finite_differences(op, op_vjp, x_shape, y_shape, x_dtype, y_dtype):
    x, y = draw(x_shape, x_dtype, 1), draw(y_shape, y_dtype, 2)
    result = check_vjp(op, lambda z_bar: op_vjp(z_bar, x, y), (x, y))
    assert result, str(result)


@pytest.mark.parametrize("x", [1.7, -0.4 + 2.1j, 3], ids=["float", "complex", "int"])
@pytest.mark.parametrize("y_dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("op, op_vjp", [(add, add_vjp), (mul, mul_vjp)], ids=["add", "mul"])
def test_python_scalar_x_vjp_matches_finite_differences(op, op_vjp, x, y_dtype):
    y = draw((2, 3, 4), y_dtype, 3)
    x_kind = complex if isinstance(x, complex) else float
    x0 = np.array(x, dtype=np.complex128 if x_kind is complex else np.float64)
    # check_vjp perturbs a 0-d array; hand the op a Python number as a user would.
    result = check_vjp(lambda s, v: op(x_kind(s), v),
                       lambda z_bar: op_vjp(z_bar, x_kind(x0), y), (x0, y))
    assert result, str(result)
    x_bar, _ = op_vjp(draw(y.shape, np.result_type(y_dtype, x_kind), 4), x_kind(x0), y)
    assert type(x_bar) is x_kind  # a Python number, real for a real scalar (Eq. 67)


def test_mul_real_scalar_complex_y_gradient_is_real_part_of_sum():
    y = draw((3, 5), np.complex128, 5)
    z_bar = draw((3, 5), np.complex128, 6)
    x_bar, y_bar = mul_vjp(z_bar, 2.5, y)
    assert type(x_bar) is float
    assert x_bar == pytest.approx(np.real(np.sum(np.conj(y) * z_bar)), rel=1e-14)
    np.testing.assert_allclose(y_bar, 2.5 * z_bar, rtol=1e-15)


def test_mul_complex_scalar_gradient_is_conjugate_weighted_sum():
    y = draw((3, 5), np.complex64, 7)
    z_bar = draw((3, 5), np.complex64, 8)
    x_bar, y_bar = mul_vjp(z_bar, 1 - 2j, y)
    assert type(x_bar) is complex
    expected = np.sum(np.conj(y.astype(np.complex128)) * z_bar.astype(np.complex128))
    assert x_bar == pytest.approx(expected, rel=1e-6)
    assert y_bar.dtype == np.complex64
    np.testing.assert_allclose(y_bar, (1 + 2j) * z_bar, rtol=1e-6)


@pytest.mark.parametrize("x_shape, y_shape", BROADCAST_SHAPES)
def test_add_gradient_is_cotangent_summed_over_broadcast_axes(x_shape, y_shape):
    x, y = draw(x_shape, np.complex128, 1), draw(y_shape, np.float64, 2)
    z_bar = draw(np.broadcast_shapes(x_shape, y_shape), np.complex128, 3)
    x_bar, y_bar = add_vjp(z_bar, x, y)
    assert x_bar.shape == x.shape and x_bar.dtype == np.complex128
    assert y_bar.shape == y.shape and y_bar.dtype == np.float64
    np.testing.assert_allclose(np.sum(x_bar), np.sum(z_bar), rtol=1e-12)
    np.testing.assert_allclose(np.sum(y_bar), np.sum(z_bar.real), rtol=1e-12)


@pytest.mark.parametrize("shape", [(9, 12), (8, 8), (2, 9, 12), (3, 8, 8)])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_mul_by_a_fixed_array_passes_the_dot_test(shape, dtype):
    y = draw(shape[-2:], dtype, 9)
    x_example = np.zeros(shape, dtype)
    result = check_adjoint(lambda x: mul(x, y), lambda z_bar: mul_vjp(z_bar, x_example, y)[0],
                           x_example)
    assert result, str(result)


@pytest.mark.parametrize("op, op_vjp", [(add, add_vjp), (mul, mul_vjp)], ids=["add", "mul"])
@pytest.mark.parametrize("x_dtype, y_dtype", DTYPE_PAIRS)
def test_binary_single_precision_matches_double(op, op_vjp, x_dtype, y_dtype):
    x, y = draw((1, 4), x_dtype, 1), draw((3, 4), y_dtype, 2)
    z_bar = draw((3, 4), np.result_type(x_dtype, y_dtype), 3)
    z32 = op(single(x), single(y))
    assert z32.dtype == SINGLE[np.dtype(np.result_type(x_dtype, y_dtype))]
    assert relative_error(z32, op(x, y)) < 1e-6
    for g32, g64 in zip(op_vjp(single(z_bar), single(x), single(y)), op_vjp(z_bar, x, y),
                        strict=True):
        assert g32.dtype == SINGLE[g64.dtype]
        assert relative_error(g32, g64) < 1e-5


def test_python_float_scalar_keeps_single_precision():
    y = draw((3, 4), np.float32, 1)
    assert add(2.0, y).dtype == np.float32
    assert mul(2.0, y).dtype == np.float32
    assert mul(1j, y).dtype == np.complex64
    np.testing.assert_array_equal(mul(3, y), 3 * y)  # a Python int is a Python number too
    assert type(mul_vjp(y, 3, y)[0]) is float


def test_gradients_are_new_arrays():
    x, y = draw((3, 4), np.complex128, 1), draw((3, 4), np.complex128, 2)
    z_bar = draw((3, 4), np.complex128, 3)
    x_bar, y_bar = add_vjp(z_bar, x, y)
    assert not np.shares_memory(x_bar, z_bar) and not np.shares_memory(y_bar, z_bar)
    assert not np.shares_memory(x_bar, y_bar)


# -------------------------------------------------------------------------------------- matmul

MATMUL_SHAPES = [
    ((4, 3), (3, 5)),
    ((2, 4, 3), (2, 3, 5)),
    ((4, 3), (2, 3, 5)),
    ((2, 1, 4, 3), (3, 3, 5)),
]


@pytest.mark.parametrize("x_shape, y_shape", MATMUL_SHAPES)
@pytest.mark.parametrize("x_dtype, y_dtype", DTYPE_PAIRS)
def test_matmul_vjp_matches_finite_differences(x_shape, y_shape, x_dtype, y_dtype):
    x, y = draw(x_shape, x_dtype, 1), draw(y_shape, y_dtype, 2)
    result = check_vjp(matmul, lambda z_bar: matmul_vjp(z_bar, x, y), (x, y))
    assert result, str(result)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(9, 12), (8, 8), (2, 9, 12)])
def test_matmul_in_x_passes_the_dot_test(shape, dtype):
    y = draw((shape[-1], 5), dtype, 3)
    x_example = np.zeros(shape, dtype)
    result = check_adjoint(lambda x: matmul(x, y),
                           lambda z_bar: matmul_vjp(z_bar, x_example, y)[0], x_example)
    assert result, str(result)


def test_matmul_single_precision_matches_double():
    x, y = draw((2, 4, 3), np.complex128, 1), draw((3, 5), np.float64, 2)
    z_bar = draw((2, 4, 5), np.complex128, 3)
    assert matmul(single(x), single(y)).dtype == np.complex64
    assert relative_error(matmul(single(x), single(y)), matmul(x, y)) < 1e-6
    x_bar32, y_bar32 = matmul_vjp(single(z_bar), single(x), single(y))
    x_bar, y_bar = matmul_vjp(z_bar, x, y)
    assert x_bar32.dtype == np.complex64 and y_bar32.dtype == np.float32
    assert relative_error(x_bar32, x_bar) < 1e-5 and relative_error(y_bar32, y_bar) < 1e-5


# --------------------------------------------------------------------------------------- power


@pytest.mark.parametrize("c", [2.0, 3, -1.5, 0.5, 2.7])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_power_vjp_matches_finite_differences(shape, dtype, c):
    # Keep clear of zero and, for complex x, of the branch cut on the negative real axis.
    x = 0.5 * draw(shape, dtype, 1) + 2.0
    result = check_vjp(lambda v: power(v, c), lambda y_bar: power_vjp(y_bar, x, c), (x,))
    assert result, str(result)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_power_with_broadcast_exponent_array(dtype):
    x = draw((2, 3, 4), dtype, 1) + 3.0
    c = np.linspace(-1.5, 2.5, 4)
    np.testing.assert_allclose(power(x, c), x ** c[np.newaxis, np.newaxis, :], rtol=1e-14)
    result = check_vjp(lambda v: power(v, c), lambda y_bar: power_vjp(y_bar, x, c), (x,))
    assert result, str(result)


def test_power_real_negative_base_with_integer_exponent():
    x = -(np.abs(draw((3, 4), np.float64, 1)) + 0.5)
    result = check_vjp(lambda v: power(v, 3), lambda y_bar: power_vjp(y_bar, x, 3), (x,))
    assert result, str(result)


def test_power_vjp_conjugates_the_base():
    # For c = 2, Eq. 52 gives 2 conj(x) y_bar, not the holomorphic derivative 2 x times y_bar.
    x = np.array([1 + 2j])
    y_bar = np.array([1.0 + 0j])
    np.testing.assert_allclose(power_vjp(y_bar, x, 2), [2 * (1 - 2j)], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_power_single_precision_matches_double(dtype):
    x = draw((3, 4), dtype, 1) + 3.0
    y_bar = draw((3, 4), dtype, 2)
    y32 = power(single(x), 2.5)
    assert y32.dtype == SINGLE[np.dtype(dtype)]
    assert relative_error(y32, power(x, 2.5)) < 1e-6
    g32 = power_vjp(single(y_bar), single(x), 2.5)
    assert g32.dtype == SINGLE[np.dtype(dtype)]
    assert relative_error(g32, power_vjp(y_bar, x, 2.5)) < 1e-5


def test_power_domain_errors():
    x = np.array([[1.0, -2.0], [3.0, 0.0]])
    with pytest.raises(ValueError, match="negative entries"):
        power(x, 0.5)
    with pytest.raises(ValueError, match="zero entries"):
        power(np.abs(x), -1.0)
    with pytest.raises(ValueError, match="zero entries"):
        power_vjp(np.ones((2, 2)), np.abs(x), 0.5)
    power(x, 2)  # an integer exponent is fine for a negative real base
    power(x.astype(np.complex128) + 1e-3, 0.5)  # a complex base uses the principal branch


def test_power_bad_exponent():
    x = draw((3, 4), np.float64, 1)
    with pytest.raises(TypeError, match="^c must be a real number"):
        power(x, 1 + 1j)
    with pytest.raises(TypeError, match="^c must have dtype float32 or float64"):
        power(x, np.ones(4, np.complex128))
    with pytest.raises(ValueError, match="^c must broadcast to the shape of x"):
        power(x, np.ones((2, 3, 4)))
    with pytest.raises(TypeError, match=r"x \(float64\) and c \(float32\)"):
        power(x, np.ones(4, np.float32))
    with pytest.raises(ValueError, match="^c must be finite"):
        power(x, float("nan"))


# ----------------------------------------------------------------------------------- broadcast

BROADCAST_CASES = [
    ((9, 1), (2, 9, 12)),
    ((1, 12), (3, 9, 12)),
    ((8, 8), (2, 8, 8)),
    ((2, 1, 8), (2, 8, 8)),
    ((), (8, 8)),
]


@pytest.mark.parametrize("x_shape, shape", BROADCAST_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_broadcast_vjp_matches_finite_differences(x_shape, shape, dtype):
    x = draw(x_shape, dtype, 1)
    result = check_vjp(lambda v: broadcast(v, shape), lambda y_bar: broadcast_vjp(y_bar, x_shape),
                       (x,))
    assert result, str(result)


@pytest.mark.parametrize("x_shape, shape", BROADCAST_CASES)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_broadcast_passes_the_dot_test(x_shape, shape, dtype):
    result = check_adjoint(lambda x: broadcast(x, shape),
                           lambda y_bar: broadcast_vjp(y_bar, x_shape), np.zeros(x_shape, dtype))
    assert result, str(result)


def test_broadcast_returns_a_writeable_copy():
    x = draw((1, 4), np.float64, 1)
    y = broadcast(x, (3, 4))
    assert y.flags.writeable and y.flags.c_contiguous and not np.shares_memory(x, y)
    np.testing.assert_array_equal(y, np.broadcast_to(x, (3, 4)))


def test_broadcast_vjp_accumulates_in_double():
    # 1e8 + 1 + ... + 1 - 1e8 in float32 loses every 1; the double sum is exact.
    y_bar = np.array([1e8] + [1.0] * 16 + [-1e8], dtype=np.float32)[:, np.newaxis]
    x_bar = broadcast_vjp(y_bar, (1, 1))
    assert x_bar.dtype == np.float32
    assert x_bar[0, 0] == 16.0


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_broadcast_single_precision_matches_double(dtype):
    x, y_bar = draw((9, 1), dtype, 1), draw((2, 9, 12), dtype, 2)
    assert broadcast(single(x), (2, 9, 12)).dtype == SINGLE[np.dtype(dtype)]
    g32 = broadcast_vjp(single(y_bar), (9, 1))
    assert g32.dtype == SINGLE[np.dtype(dtype)]
    assert relative_error(g32, broadcast_vjp(y_bar, (9, 1))) < 1e-6


def test_broadcast_bad_shapes():
    x = draw((9, 2), np.float64, 1)
    with pytest.raises(ValueError, match="does not broadcast to shape"):
        broadcast(x, (3, 9, 12))
    with pytest.raises(ValueError, match="does not broadcast to shape"):
        broadcast(draw((2, 9, 12), np.float64), (9, 12))  # broadcasting only adds axes
    with pytest.raises(TypeError, match="^shape must be"):
        broadcast(x, "9x12")
    with pytest.raises(ValueError, match="^shape must be a positive integer"):
        broadcast(x, (0, 9, 2))
    with pytest.raises(ValueError, match=r"x_shape \(9, 2\)"):
        broadcast_vjp(draw((3, 9, 12), np.float64), (9, 2))
    with pytest.raises(TypeError, match="^x_shape must be a positive integer"):
        broadcast_vjp(draw((3, 9, 12), np.float64), (9.0, 12))


# ---------------------------------------------------------------------------------- bad inputs

BAD_DTYPES = [np.int64, np.int32, np.bool_, np.float16, np.longdouble, np.uint8]


@pytest.mark.parametrize("bad", BAD_DTYPES)
@pytest.mark.parametrize("op", [add, mul, matmul], ids=["add", "mul", "matmul"])
def test_unsupported_dtypes_are_refused(op, bad):
    good = draw((3, 3), np.float64, 1)
    with pytest.raises(TypeError, match=f"^x must have dtype .*; got {np.dtype(bad)}"):
        op(np.ones((3, 3), bad), good)
    with pytest.raises(TypeError, match=f"^y must have dtype .*; got {np.dtype(bad)}"):
        op(good, np.ones((3, 3), bad))


@pytest.mark.parametrize("bad", BAD_DTYPES)
def test_unsupported_dtypes_are_refused_by_power_and_broadcast(bad):
    with pytest.raises(TypeError, match="^x must have dtype"):
        power(np.ones((3, 3), bad), 2.0)
    with pytest.raises(TypeError, match="^x must have dtype"):
        broadcast(np.ones((3, 3), bad), (2, 3, 3))
    with pytest.raises(TypeError, match="^y_bar must have dtype"):
        broadcast_vjp(np.ones((2, 3, 3), bad), (3, 3))


@pytest.mark.parametrize("op", [add, mul, matmul], ids=["add", "mul", "matmul"])
def test_mixed_precision_names_both_arguments(op):
    with pytest.raises(TypeError, match=r"x \(float32\) and y \(complex128\)"):
        op(np.ones((3, 3), np.float32), np.ones((3, 3), np.complex128))
    with pytest.raises(TypeError, match=r"x \(complex128\) and y \(float32\)"):
        op(np.ones((3, 3), np.complex128), np.ones((3, 3), np.float32))


@pytest.mark.parametrize("op_vjp", [add_vjp, mul_vjp, matmul_vjp])
def test_cotangent_is_checked(op_vjp):
    x, y = draw((3, 3), np.float64, 1), draw((3, 3), np.complex128, 2)
    with pytest.raises(ValueError, match=r"^z_bar must have shape \(3, 3\)"):
        op_vjp(np.ones((3, 4), np.complex128), x, y)
    with pytest.raises(TypeError, match=r"x \(float64\) and z_bar \(complex64\)"):
        op_vjp(np.ones((3, 3), np.complex64), x, y)
    with pytest.raises(TypeError, match="^z_bar must have dtype"):
        op_vjp(np.ones((3, 3), np.int64), x, y)


def test_scalar_x_is_checked():
    y = draw((3, 3), np.float64, 1)
    with pytest.raises(ValueError, match="^x must be finite"):
        add(float("inf"), y)
    with pytest.raises(TypeError, match="^x must have dtype"):
        mul(True, y)
    with pytest.raises(TypeError, match="^x must have dtype"):
        mul("2", y)
    with pytest.raises(TypeError, match=r"x \(float32\) and y \(float64\)"):
        add(np.float32(2.0), y)  # NumPy scalars carry a dtype and are checked as arrays


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"do not broadcast together: x \(3, 4\), y \(3, 5\)"):
        add(np.ones((3, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="must share P"):
        matmul(np.ones((3, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="^x must have at least 2 axes"):
        matmul(np.ones(3), np.ones((3, 5)))
    with pytest.raises(ValueError, match="batch axes"):
        matmul(np.ones((2, 3, 4)), np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match="^y must not be empty"):
        add(1.0, np.ones((0, 3)))


# ------------------------------------------------------------------------- the checks are sharp


def test_finite_differences_catch_a_missing_conjugate():
    x, y = draw((3, 4), np.complex128, 1), draw((3, 4), np.complex128, 2)
    wrong = lambda z_bar: (y * z_bar, x * z_bar)  # noqa: E731 - Eq. 49 without the conjugates
    assert not check_vjp(mul, wrong, (x, y))


def test_finite_differences_catch_a_missing_broadcast_sum():
    x, y = draw((1, 4), np.float64, 1), draw((3, 4), np.float64, 2)
    wrong = lambda z_bar: (z_bar[:1] * 3, z_bar)  # noqa: E731 - one row, not the sum of rows
    assert not check_vjp(add, wrong, (x, y))
