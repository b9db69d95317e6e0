"""Tests of phasegrad.reference.complex_parts: abs2, real, imag, exp, expi, to_complex
(Eq. 53-57, 67).

These are the rules that cross between real and complex arrays, where a stray factor of 1j or a
dropped real part goes unnoticed by a dot test of the wrong kind. Each one therefore has its own
element-by-element finite-difference test that checks the real and the imaginary part of the
gradient separately, as well as the random-direction test of ``check_vjp``.
"""

import numpy as np
import pytest

from phasegrad.check import check_adjoint, check_vjp, random_like, relative_error
from phasegrad.reference import (
    abs2,
    abs2_vjp,
    exp,
    exp_vjp,
    expi,
    expi_vjp,
    imag,
    imag_vjp,
    real,
    real_vjp,
    to_complex,
    to_complex_vjp,
)

SINGLE = {np.dtype(np.float64): np.float32, np.dtype(np.complex128): np.complex64}
SHAPES = [(3, 4), (2, 3, 5)]
DOT_SHAPES = [(9, 12), (8, 8), (2, 9, 12), (3, 8, 8)]


def draw(shape, dtype, seed=0):
    """A reproducible standard-normal array (independent real and imaginary parts)."""
    return random_like(np.zeros(shape, dtype), np.random.default_rng(seed))


def single(a):
    """``a`` in single precision (float32 / complex64)."""
    return a.astype(SINGLE[a.dtype])


def partials(fun, x, y_bar, eps=1e-6):
    """Central differences of ``L(x) = Re sum(conj(y_bar) * fun(x))``, one element at a time.

    Returns ``(dL/dRe x, dL/dIm x)`` as two real arrays shaped like ``x``; the second is all
    zeros for a real ``x``. By the convention of Eq. 38-41 they are ``Re x_bar`` and
    ``Im x_bar``.
    """
    def loss(v):
        return float(np.real(np.vdot(y_bar, fun(v))))

    parts = [(1.0, np.zeros(x.shape))]
    if np.iscomplexobj(x):
        parts.append((1j, np.zeros(x.shape)))
    for unit, out in parts:
        for index in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[index] = eps * unit
            out[index] = (loss(x + step) - loss(x - step)) / (2 * eps)
    return parts[0][1], (parts[1][1] if len(parts) > 1 else np.zeros(x.shape))


def assert_parts_match(x_bar, fun, x, y_bar):
    """Real and imaginary parts of ``x_bar`` against element-wise central differences."""
    d_re, d_im = partials(fun, x, y_bar)
    scale = max(np.max(np.abs(d_re)), np.max(np.abs(d_im)), 1.0)
    np.testing.assert_allclose(np.real(x_bar), d_re, rtol=0, atol=1e-7 * scale,
                               err_msg="real part of the gradient (dE/dRe x)")
    np.testing.assert_allclose(np.imag(x_bar), d_im, rtol=0, atol=1e-7 * scale,
                               err_msg="imaginary part of the gradient (dE/dIm x)")


# Cotangents of a complex output: general, purely real, purely imaginary. A rule that drops
# either part of y_bar, or swaps them, fails for at least one of them.
COTANGENT_KINDS = ["general", "real", "imaginary"]


def complex_cotangent(shape, kind, seed):
    value = draw(shape, np.complex128, seed)
    return {"general": value, "real": value.real + 0j, "imaginary": 1j * value.imag}[kind]


# --------------------------------------------------------------------------------------- abs2


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_abs2_vjp_matches_finite_differences(shape, dtype):
    x = draw(shape, dtype, 1)
    result = check_vjp(abs2, lambda y_bar: abs2_vjp(y_bar, x), (x,))
    assert result, str(result)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_abs2_gradient_real_and_imaginary_parts(dtype):
    x, y_bar = draw((3, 4), dtype, 1), draw((3, 4), np.float64, 2)
    assert_parts_match(abs2_vjp(y_bar, x), abs2, x, y_bar)


def test_abs2_values_and_dtypes():
    x = draw((3, 4), np.complex128, 1)
    np.testing.assert_allclose(abs2(x), np.abs(x) ** 2, rtol=1e-14)
    assert abs2(x).dtype == np.float64
    assert abs2(single(x)).dtype == np.float32
    assert abs2(x.real).dtype == np.float64
    np.testing.assert_allclose(abs2(x.real), x.real ** 2, rtol=0)


def test_abs2_uses_the_real_part_of_a_complex_cotangent():
    x, y_bar = draw((3, 4), np.complex128, 1), draw((3, 4), np.complex128, 2)
    np.testing.assert_array_equal(abs2_vjp(y_bar, x), abs2_vjp(y_bar.real.copy(), x))
    np.testing.assert_allclose(abs2_vjp(y_bar, x), 2 * x * y_bar.real, rtol=1e-15)


# -------------------------------------------------------------------------------- real, imag


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op, op_vjp", [(real, real_vjp), (imag, imag_vjp)], ids=["real", "imag"])
def test_part_vjp_matches_finite_differences(op, op_vjp, shape):
    x = draw(shape, np.complex128, 1)
    result = check_vjp(op, op_vjp, (x,))
    assert result, str(result)


@pytest.mark.parametrize("op, op_vjp", [(real, real_vjp), (imag, imag_vjp)], ids=["real", "imag"])
def test_part_gradient_real_and_imaginary_parts(op, op_vjp):
    x, y_bar = draw((3, 4), np.complex128, 1), draw((3, 4), np.float64, 2)
    x_bar = op_vjp(y_bar)
    assert_parts_match(x_bar, op, x, y_bar)
    # Eq. 54 and 55 spelled out: only the part of x that reaches y gets a gradient.
    if op is real:
        np.testing.assert_array_equal(x_bar, y_bar + 0j)
    else:
        np.testing.assert_array_equal(x_bar, 1j * y_bar)


@pytest.mark.parametrize("shape", DOT_SHAPES)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("op, op_vjp", [(real, real_vjp), (imag, imag_vjp)], ids=["real", "imag"])
def test_part_passes_the_real_dot_test(op, op_vjp, shape, dtype):
    result = check_adjoint(op, op_vjp, np.zeros(shape, dtype), real_inner=True)
    assert result, str(result)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("op, op_vjp", [(real, real_vjp), (imag, imag_vjp)], ids=["real", "imag"])
def test_part_dtypes_and_copies(op, op_vjp, dtype):
    x = draw((3, 4), dtype, 1)
    y = op(x)
    assert y.dtype == (np.float32 if dtype == np.complex64 else np.float64)
    assert y.flags.c_contiguous and not np.shares_memory(x, y)
    np.testing.assert_array_equal(y, x.real if op is real else x.imag)
    x_bar = op_vjp(y)
    assert x_bar.dtype == dtype
    # A complex cotangent contributes its real part only.
    np.testing.assert_array_equal(op_vjp(y + 1j), x_bar)


# --------------------------------------------------------------------------------------- exp


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_exp_vjp_matches_finite_differences(shape, dtype):
    x = draw(shape, dtype, 1)
    result = check_vjp(exp, lambda y_bar: exp_vjp(y_bar, exp(x)), (x,))
    assert result, str(result)


@pytest.mark.parametrize("kind", COTANGENT_KINDS)
def test_exp_gradient_real_and_imaginary_parts(kind):
    x, y_bar = draw((3, 4), np.complex128, 1), complex_cotangent((3, 4), kind, 2)
    assert_parts_match(exp_vjp(y_bar, exp(x)), exp, x, y_bar)


def test_exp_of_real_input_has_real_gradient():
    x, y_bar = draw((3, 4), np.float64, 1), draw((3, 4), np.complex128, 2)
    x_bar = exp_vjp(y_bar, exp(x))
    assert x_bar.dtype == np.float64
    np.testing.assert_allclose(x_bar, y_bar.real * np.exp(x), rtol=1e-15)


# --------------------------------------------------------------------------------------- expi


@pytest.mark.parametrize("shape", SHAPES)
def test_expi_vjp_matches_finite_differences(shape):
    x = draw(shape, np.float64, 1)
    result = check_vjp(expi, lambda y_bar: expi_vjp(y_bar, expi(x)), (x,))
    assert result, str(result)


@pytest.mark.parametrize("kind", COTANGENT_KINDS)
def test_expi_gradient_for_each_part_of_the_cotangent(kind):
    x, y_bar = draw((3, 4), np.float64, 1), complex_cotangent((3, 4), kind, 2)
    x_bar = expi_vjp(y_bar, expi(x))
    assert x_bar.dtype == np.float64
    assert_parts_match(x_bar, expi, x, y_bar)
    np.testing.assert_allclose(x_bar, np.imag(y_bar * np.exp(-1j * x)), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_expi_values_and_dtypes(dtype):
    x = draw((3, 4), dtype, 1)
    y = expi(x)
    assert y.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    np.testing.assert_allclose(y, np.exp(1j * x.astype(np.float64)), rtol=1e-6)
    assert expi_vjp(y, y).dtype == dtype


def test_expi_gradient_is_a_real_array_for_a_real_cotangent():
    x, y_bar = draw((3, 4), np.float64, 1), draw((3, 4), np.float64, 2)
    x_bar = expi_vjp(y_bar, expi(x))
    assert x_bar.dtype == np.float64
    np.testing.assert_allclose(x_bar, -y_bar * np.sin(x), rtol=1e-15)


# --------------------------------------------------------------------------------- to_complex


@pytest.mark.parametrize("shape", SHAPES)
def test_to_complex_vjp_matches_finite_differences(shape):
    x = draw(shape, np.float64, 1)
    result = check_vjp(to_complex, to_complex_vjp, (x,))
    assert result, str(result)


@pytest.mark.parametrize("kind", COTANGENT_KINDS)
def test_to_complex_gradient_for_each_part_of_the_cotangent(kind):
    x, y_bar = draw((3, 4), np.float64, 1), complex_cotangent((3, 4), kind, 2)
    x_bar = to_complex_vjp(y_bar)
    assert x_bar.dtype == np.float64
    assert_parts_match(x_bar, to_complex, x, y_bar)
    np.testing.assert_array_equal(x_bar, y_bar.real)  # Eq. 67


@pytest.mark.parametrize("shape", DOT_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_complex_passes_the_real_dot_test(shape, dtype):
    result = check_adjoint(to_complex, to_complex_vjp, np.zeros(shape, dtype), real_inner=True)
    assert result, str(result)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_complex_dtypes(dtype):
    x = draw((3, 4), dtype, 1)
    y = to_complex(x)
    assert y.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    np.testing.assert_array_equal(y.real, x)
    np.testing.assert_array_equal(y.imag, 0)
    x_bar = to_complex_vjp(y)
    assert x_bar.dtype == dtype and not np.shares_memory(x_bar, y)


# ----------------------------------------------------------------- single versus double precision

CASES = {
    "abs2 complex": (abs2, lambda y_bar, x: abs2_vjp(y_bar, x), np.complex128),
    "abs2 real": (abs2, lambda y_bar, x: abs2_vjp(y_bar, x), np.float64),
    "real": (real, lambda y_bar, x: real_vjp(y_bar), np.complex128),
    "imag": (imag, lambda y_bar, x: imag_vjp(y_bar), np.complex128),
    "exp complex": (exp, lambda y_bar, x: exp_vjp(y_bar, exp(x)), np.complex128),
    "exp real": (exp, lambda y_bar, x: exp_vjp(y_bar, exp(x)), np.float64),
    "expi": (expi, lambda y_bar, x: expi_vjp(y_bar, expi(x)), np.float64),
    "to_complex": (to_complex, lambda y_bar, x: to_complex_vjp(y_bar), np.float64),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_precision_matches_double(case):
    op, op_vjp, dtype = CASES[case]
    x = draw((2, 5, 6), dtype, 1)
    y = op(x)
    y_bar = draw(y.shape, y.dtype, 2)
    y32 = op(single(x))
    assert y32.dtype == SINGLE[y.dtype]
    assert relative_error(y32, y) < 1e-6
    x_bar32 = op_vjp(single(y_bar), single(x))
    assert x_bar32.dtype == SINGLE[x.dtype]
    assert relative_error(x_bar32, op_vjp(y_bar, x)) < 1e-5


# --------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("op", [real, imag])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_real_and_imag_need_a_complex_x(op, dtype):
    expected = rf"^{op.__name__}\(x\) needs a complex x .*got {dtype.__name__}"
    with pytest.raises(TypeError, match=expected):
        op(np.ones((3, 4), dtype))


@pytest.mark.parametrize("op", [expi, to_complex])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_expi_and_to_complex_need_a_real_x(op, dtype):
    with pytest.raises(TypeError, match=rf"^{op.__name__}\(x\) needs a real x"):
        op(np.ones((3, 4), dtype))


def test_expi_vjp_needs_a_complex_y():
    with pytest.raises(TypeError, match="^y must have dtype complex64 or complex128"):
        expi_vjp(np.ones((3, 4)), np.ones((3, 4)))


@pytest.mark.parametrize("bad", [np.int64, np.bool_, np.float16, np.longdouble, np.clongdouble])
@pytest.mark.parametrize("op", [abs2, real, imag, exp, expi, to_complex])
def test_unsupported_dtypes_are_refused(op, bad):
    with pytest.raises(TypeError, match=f"^x must have dtype .*got {np.dtype(bad)}"):
        op(np.ones((3, 4), bad))


@pytest.mark.parametrize("op_vjp", [real_vjp, imag_vjp, to_complex_vjp])
def test_unsupported_cotangent_dtypes_are_refused(op_vjp):
    with pytest.raises(TypeError, match="^y_bar must have dtype"):
        op_vjp(np.ones((3, 4), np.int32))


def test_vjp_arguments_are_checked():
    x = draw((3, 4), np.complex128, 1)
    with pytest.raises(ValueError, match=r"^y_bar must have shape \(3, 4\)"):
        abs2_vjp(np.ones((4, 3)), x)
    with pytest.raises(TypeError, match=r"x \(complex128\) and y_bar \(float32\)"):
        abs2_vjp(np.ones((3, 4), np.float32), x)
    with pytest.raises(TypeError, match=r"y \(complex64\) and y_bar \(complex128\)"):
        exp_vjp(np.ones((3, 4), np.complex128), single(x))
    with pytest.raises(TypeError, match=r"y \(complex128\) and y_bar \(float32\)"):
        expi_vjp(np.ones((3, 4), np.float32), x)
    with pytest.raises(ValueError, match=r"^y_bar must have shape \(3, 4\)"):
        expi_vjp(np.ones((3,), np.complex128), x)
    with pytest.raises(ValueError, match="^x must not be empty"):
        abs2(np.ones((0, 4)))


# ----------------------------------------------------------------------- the checks are sharp


def test_finite_differences_catch_a_gradient_off_by_a_factor_of_1j():
    x = draw((3, 4), np.complex128, 1)
    assert not check_vjp(imag, real_vjp, (x,))  # Re y_bar where Eq. 55 needs 1j Re y_bar
    assert not check_vjp(real, imag_vjp, (x,))
    x_real = x.real.copy()
    wrong = lambda y_bar: -expi_vjp(y_bar, expi(x_real))  # noqa: E731 - JAX's conjugate convention
    assert not check_vjp(expi, wrong, (x_real,))


def test_dot_test_catches_a_gradient_off_by_a_factor_of_1j():
    x = np.zeros((9, 12), np.complex128)
    assert not check_adjoint(imag, real_vjp, x, real_inner=True)


def test_finite_differences_catch_a_complex_gradient_for_a_real_input():
    x = draw((3, 4), np.float64, 1)
    wrong = lambda y_bar: y_bar * np.exp(-1j * x) * -1j  # noqa: E731 - Eq. 56 without Eq. 67
    assert not check_vjp(expi, wrong, (x,))
