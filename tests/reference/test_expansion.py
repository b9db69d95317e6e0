"""Tests of phasegrad.reference.expansion: the basis expansion W = sum_k a_k B_k (Eq. 3, 58)."""

import numpy as np
import pytest

from phasegrad.check import check_adjoint, check_vjp, random_like, relative_error
from phasegrad.reference import basis, basis_vjp

# (coefficient shape, mode-stack shape): odd and even planes, with and without batch axes.
CASES = [
    ((4,), (4, 9, 12)),
    ((2, 4), (4, 9, 12)),
    ((3,), (3, 8, 8)),
    ((2, 3, 3), (3, 8, 8)),
    ((1,), (1, 5, 7)),
]


def draw(shape, dtype, seed=0):
    """A reproducible standard-normal array (independent real and imaginary parts)."""
    return random_like(np.zeros(shape, dtype), np.random.default_rng(seed))


@pytest.mark.parametrize("a_shape, B_shape", CASES)
def test_basis_vjp_matches_finite_differences(a_shape, B_shape):
    a, B = draw(a_shape, np.float64, 1), draw(B_shape, np.float64, 2)
    result = check_vjp(lambda c: basis(c, B), lambda y_bar: basis_vjp(y_bar, B), (a,))
    assert result, str(result)


@pytest.mark.parametrize("a_shape, B_shape", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_basis_passes_the_dot_test(a_shape, B_shape, dtype):
    # basis is real-linear with real coefficients and modes (Eq. 58), so the dot test runs in
    # float32 (tolerance 1e-5) and float64 (1e-12).
    B = draw(B_shape, dtype, 2)
    result = check_adjoint(lambda c: basis(c, B), lambda y_bar: basis_vjp(y_bar, B),
                           np.zeros(a_shape, dtype))
    assert result, str(result)


@pytest.mark.parametrize("a_shape, B_shape", CASES)
def test_basis_and_its_rule_follow_eq_58_term_by_term(a_shape, B_shape):
    a, B = draw(a_shape, np.float64, 1), draw(B_shape, np.float64, 2)
    y_bar = draw(a_shape[:-1] + B_shape[1:], np.float64, 3)
    y = basis(a, B)
    a_bar = basis_vjp(y_bar, B)
    assert y.shape == a_shape[:-1] + B_shape[1:] and a_bar.shape == a_shape
    for batch in np.ndindex(a_shape[:-1]):
        expected_y = sum(a[batch + (k,)] * B[k] for k in range(B_shape[0]))
        np.testing.assert_allclose(y[batch], expected_y, rtol=1e-13, atol=1e-13)
        for k in range(B_shape[0]):
            expected_a_bar = np.sum(y_bar[batch] * B[k])  # a_bar_k = sum_uv y_bar(u, v) B_k(u, v)
            assert a_bar[batch + (k,)] == pytest.approx(expected_a_bar, rel=1e-13, abs=1e-13)


def test_basis_with_orthonormal_modes_recovers_the_coefficients():
    # For modes orthonormal under sum_uv, the rule is the projection: basis_vjp(basis(a)) = a.
    rng = np.random.default_rng(4)
    q, _ = np.linalg.qr(rng.standard_normal((6 * 7, 5)))
    B = q.T.reshape(5, 6, 7)
    a = rng.standard_normal((2, 5))
    np.testing.assert_allclose(basis_vjp(basis(a, B), B), a, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("a_shape, B_shape", CASES[:2])
def test_basis_single_precision_matches_double(a_shape, B_shape):
    a, B = draw(a_shape, np.float64, 1), draw(B_shape, np.float64, 2)
    y_bar = draw(a_shape[:-1] + B_shape[1:], np.float64, 3)
    a32, B32 = a.astype(np.float32), B.astype(np.float32)
    y32 = basis(a32, B32)
    assert y32.dtype == np.float32
    assert relative_error(y32, basis(a, B)) < 1e-6
    a_bar32 = basis_vjp(y_bar.astype(np.float32), B32)
    assert a_bar32.dtype == np.float32
    assert relative_error(a_bar32, basis_vjp(y_bar, B)) < 1e-5


def test_basis_vjp_uses_the_real_part_of_a_complex_cotangent():
    B = draw((3, 8, 8), np.float64, 2)
    y_bar = draw((2, 8, 8), np.complex128, 3)
    a_bar = basis_vjp(y_bar, B)
    assert a_bar.dtype == np.float64  # real coefficients get a real gradient (Eq. 67)
    np.testing.assert_array_equal(a_bar, basis_vjp(y_bar.real.copy(), B))


def test_basis_accepts_non_contiguous_inputs():
    a, B = draw((4, 2), np.float64, 1).T, draw((9, 12, 4), np.float64, 2).transpose(2, 0, 1)
    y_bar = draw((12, 9, 2), np.float64, 3).transpose(2, 1, 0)
    a_c, B_c = np.ascontiguousarray(a), np.ascontiguousarray(B)
    np.testing.assert_allclose(basis(a, B), basis(a_c, B_c), rtol=1e-15)
    np.testing.assert_allclose(basis_vjp(y_bar, B), basis_vjp(np.ascontiguousarray(y_bar), B_c),
                               rtol=1e-14)


# --------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("bad", [np.complex128, np.complex64, np.int64, np.bool_, np.float16,
                                 np.longdouble])
def test_unsupported_dtypes_are_refused(bad):
    a, B = draw((3,), np.float64, 1), draw((3, 4, 5), np.float64, 2)
    refused = f"must have dtype float32 or float64; got {np.dtype(bad)}"
    with pytest.raises(TypeError, match=f"^a {refused}"):
        basis(a.astype(bad), B)
    with pytest.raises(TypeError, match=f"^B {refused}"):
        basis(a, B.astype(bad))
    with pytest.raises(TypeError, match=f"^B {refused}"):
        basis_vjp(np.ones((4, 5)), B.astype(bad))


def test_shapes_and_precision_are_checked():
    a, B = draw((3,), np.float64, 1), draw((3, 4, 5), np.float64, 2)
    with pytest.raises(ValueError, match=r"^B must have shape \(K, n, m\)"):
        basis(a, B[0])
    with pytest.raises(ValueError, match="^a must have K = 3 coefficients"):
        basis(np.ones(4), B)
    with pytest.raises(ValueError, match="^a must have at least 1 axes"):
        basis(np.float64(1.0), B)
    with pytest.raises(TypeError, match=r"a \(float32\) and B \(float64\)"):
        basis(a.astype(np.float32), B)
    with pytest.raises(ValueError, match=r"^y_bar must have shape \(2, 4, 5\)"):
        basis_vjp(np.ones((2, 5, 4)), B)
    with pytest.raises(ValueError, match="^y_bar must have at least 2 axes"):
        basis_vjp(np.ones(20), B)
    with pytest.raises(TypeError, match=r"B \(float64\) and y_bar \(float32\)"):
        basis_vjp(np.ones((4, 5), np.float32), B)


def test_finite_differences_catch_a_transposed_projection():
    a, B = draw((3,), np.float64, 1), draw((3, 4, 4), np.float64, 2)
    wrong = lambda y_bar: basis_vjp(y_bar.T, B)  # noqa: E731 - modes read transposed
    assert not check_vjp(lambda c: basis(c, B), wrong, (a,))


def test_basis_vjp_accumulates_in_double():
    """A float32 sum over a million pixels is off by several ulps; summed in double and rounded
    once, the result is within half an ulp of the exact value."""
    rng = np.random.default_rng(0)
    y_bar = rng.standard_normal((1000, 1000)).astype(np.float32)
    modes = np.ones((1, 1000, 1000), dtype=np.float32)
    a_bar = basis_vjp(y_bar, modes)
    exact = y_bar.astype(np.float64).sum()
    assert a_bar.dtype == np.float32
    assert abs(float(a_bar[0]) - exact) <= 0.5 * np.spacing(np.float32(exact))
