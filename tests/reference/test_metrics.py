"""Tests of phasegrad.reference.metrics: wsse (Eq. 7, 93), poly_detector (Eq. 98-101) and
mean_normalize."""

import math

import numpy as np
import pytest

from phasegrad.check import check_vjp, random_like, relative_error
from phasegrad.reference import (
    mean_normalize,
    mean_normalize_vjp,
    poly_detector,
    poly_detector_vjp,
    wsse,
    wsse_vjp,
)

SHAPES = [(4, 5), (2, 4, 5), (2, 3, 4, 4)]


def draw(shape, dtype=np.float64, seed=0):
    """A reproducible standard-normal array."""
    return random_like(np.zeros(shape, dtype), np.random.default_rng(seed))


def positive(shape, dtype=np.float64, seed=0):
    """Reproducible values in [0.5, 1.5), like intensities."""
    return (np.random.default_rng(seed).random(shape) + 0.5).astype(dtype)


# ---------------------------------------------------------------------------------------- wsse

WEIGHTS = {
    "none": lambda shape: None,
    "full": lambda shape: positive(shape, seed=7),
    "per-column": lambda shape: positive(shape[-1:], seed=7),
    "per-plane": lambda shape: positive(shape[:-2] + (1, 1), seed=7),
}


@pytest.mark.parametrize("weights", sorted(WEIGHTS))
@pytest.mark.parametrize("shape", SHAPES)
def test_wsse_vjp_matches_finite_differences(shape, weights):
    M, D, w = draw(shape, seed=1), draw(shape, seed=2), WEIGHTS[weights](shape)
    result = check_vjp(lambda m: wsse(m, D, w), lambda E_bar: wsse_vjp(E_bar, M, D, w), (M,))
    assert result, str(result)


@pytest.mark.parametrize("weights", sorted(WEIGHTS))
def test_wsse_value_and_gradient_follow_eq_7_and_93(weights):
    shape = (2, 3, 4)
    M, D, w = draw(shape, seed=1), draw(shape, seed=2), WEIGHTS[weights](shape)
    w_full = np.broadcast_to(1.0 if w is None else w, shape)
    E = wsse(M, D, w)
    assert type(E) is float
    expected = math.fsum(float(wk * (mk - dk) ** 2)
                         for wk, mk, dk in zip(w_full.ravel(), M.ravel(), D.ravel(), strict=True))
    assert E == pytest.approx(expected, rel=1e-14)
    M_bar = wsse_vjp(2.5, M, D, w)
    assert M_bar.shape == shape and M_bar.dtype == np.float64
    np.testing.assert_allclose(M_bar, 2 * w_full * (M - D) * 2.5, rtol=1e-15)


def test_wsse_of_0d_arrays():
    assert wsse(np.array(2.0), np.array(0.5), w=2.0) == 4.5
    assert wsse_vjp(1.0, np.array(2.0), np.array(0.5)) == 3.0


def test_wsse_float32_large_values_do_not_overflow():
    # Residuals of 1e20 square to 1e40, past float32's 3.4e38: the sum must run in float64.
    M = (1e20 * positive((2, 8, 8), seed=1)).astype(np.float32)
    D = (-1e20 * positive((2, 8, 8), seed=2)).astype(np.float32)
    E = wsse(M, D)
    assert type(E) is float and math.isfinite(E)
    expected = math.fsum((float(m) - float(d)) ** 2 for m, d in zip(M.ravel(), D.ravel(),
                                                                     strict=True))
    assert E == pytest.approx(expected, rel=1e-12)
    weighted = wsse(M, D, np.full((8, 8), 0.5, np.float32))
    assert weighted == pytest.approx(0.5 * expected, rel=1e-12)
    M_bar = wsse_vjp(1.0, M, D)
    assert M_bar.dtype == np.float32 and np.all(np.isfinite(M_bar))


@pytest.mark.parametrize("weights", sorted(WEIGHTS))
def test_wsse_single_precision_matches_double(weights):
    shape = (2, 4, 5)
    M, D, w = draw(shape, seed=1), draw(shape, seed=2), WEIGHTS[weights](shape)
    as32 = lambda a: None if a is None else a.astype(np.float32)  # noqa: E731
    assert abs(wsse(as32(M), as32(D), as32(w)) / wsse(M, D, w) - 1) < 1e-6
    M_bar32 = wsse_vjp(1.0, as32(M), as32(D), as32(w))
    assert M_bar32.dtype == np.float32
    assert relative_error(M_bar32, wsse_vjp(1.0, M, D, w)) < 1e-6


def test_wsse_bad_inputs():
    M, D = draw((3, 4), seed=1), draw((3, 4), seed=2)
    with pytest.raises(TypeError, match="^M must have dtype float32 or float64; got complex128"):
        wsse(M + 0j, D)
    with pytest.raises(TypeError, match="^D must have dtype float32 or float64; got int64"):
        wsse(M, D.astype(np.int64))
    with pytest.raises(TypeError, match="^w must have dtype float32 or float64; got float16"):
        wsse(M, D, np.ones((3, 4), np.float16))
    with pytest.raises(ValueError, match=r"^D must have shape \(3, 4\)"):
        wsse(M, D[:, :3])
    with pytest.raises(ValueError, match=r"^w must broadcast to the shape of M"):
        wsse(M, D, np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"w \(5,\)"):
        wsse(M, D, np.ones(5))
    with pytest.raises(TypeError, match=r"M \(float32\) and D \(float64\)"):
        wsse(M.astype(np.float32), D)
    with pytest.raises(TypeError, match=r"M \(float64\) and w \(float32\)"):
        wsse_vjp(1.0, M, D, np.ones((3, 4), np.float32))
    with pytest.raises(TypeError, match="^E_bar must be a real number"):
        wsse_vjp(1.0 + 1j, M, D)
    with pytest.raises(ValueError, match="^E_bar must be finite"):
        wsse_vjp(float("nan"), M, D)


# ------------------------------------------------------------------------------- poly_detector

COEFFICIENTS = [(0.3, 1.2, -0.1), (0.0, 1.0, 0.0), (-2.0, 0.5, 3.0)]


@pytest.mark.parametrize("a, b, c", COEFFICIENTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_poly_detector_vjp_matches_finite_differences(shape, a, b, c):
    intensity = positive(shape, seed=1)
    point = (intensity, np.array(a), np.array(b), np.array(c))
    result = check_vjp(poly_detector,
                       lambda M_bar: poly_detector_vjp(M_bar, intensity, a, b), point)
    assert result, str(result)


@pytest.mark.parametrize("a, b, c", COEFFICIENTS)
def test_poly_detector_and_its_rule_follow_eq_98_to_101(a, b, c):
    intensity, M_bar = positive((2, 3, 4), seed=1), draw((2, 3, 4), seed=2)
    M = poly_detector(intensity, a, b, c)
    np.testing.assert_allclose(M, a * intensity * intensity + b * intensity + c, rtol=1e-14,
                               atol=1e-14)
    I_bar, a_bar, b_bar, c_bar = poly_detector_vjp(M_bar, intensity, a, b)
    assert type(a_bar) is float and type(b_bar) is float and type(c_bar) is float
    # Eq. 100: I_bar = M_bar (2 a I + b), element by element.
    for index in np.ndindex(intensity.shape):
        assert I_bar[index] == pytest.approx(M_bar[index] * (2 * a * intensity[index] + b),
                                             rel=1e-14, abs=1e-15)
    # Eq. 101: the scalars were broadcast over I (Eq. 61), so their gradients are sums.
    pairs = list(zip(M_bar.ravel().tolist(), intensity.ravel().tolist(), strict=True))
    assert a_bar == pytest.approx(math.fsum(mb * i * i for mb, i in pairs), rel=1e-13)
    assert b_bar == pytest.approx(math.fsum(mb * i for mb, i in pairs), rel=1e-13)
    assert c_bar == pytest.approx(math.fsum(mb for mb, _ in pairs), rel=1e-13)


def test_linear_detector_is_the_identity():
    intensity = positive((3, 4), seed=1)
    np.testing.assert_array_equal(poly_detector(intensity, 0.0, 1.0, 0.0), intensity)
    M_bar = draw((3, 4), seed=2)
    np.testing.assert_array_equal(poly_detector_vjp(M_bar, intensity, 0.0, 1.0)[0], M_bar)


def test_poly_detector_float32_sums_run_in_double():
    # a_bar = sum(M_bar I^2) reaches 1e40 for I ~ 1e20: finite only when summed in float64.
    intensity = np.full((4, 4), 1e20, np.float32)
    M_bar = np.ones((4, 4), np.float32)
    I_bar, a_bar, b_bar, c_bar = poly_detector_vjp(M_bar, intensity, 1e-30, 1.0)
    assert I_bar.dtype == np.float32
    assert a_bar == pytest.approx(16 * float(np.float32(1e20)) ** 2, rel=1e-12)
    assert b_bar == pytest.approx(16 * float(np.float32(1e20)), rel=1e-12)
    assert c_bar == 16.0


@pytest.mark.parametrize("a, b, c", COEFFICIENTS)
def test_poly_detector_single_precision_matches_double(a, b, c):
    intensity, M_bar = positive((2, 4, 5), seed=1), draw((2, 4, 5), seed=2)
    M32 = poly_detector(intensity.astype(np.float32), a, b, c)
    assert M32.dtype == np.float32
    assert relative_error(M32, poly_detector(intensity, a, b, c)) < 1e-6
    grads32 = poly_detector_vjp(M_bar.astype(np.float32), intensity.astype(np.float32), a, b)
    grads64 = poly_detector_vjp(M_bar, intensity, a, b)
    assert grads32[0].dtype == np.float32
    assert relative_error(grads32[0], grads64[0]) < 1e-6
    for g32, g64 in zip(grads32[1:], grads64[1:], strict=True):
        assert type(g32) is float
        assert g32 == pytest.approx(g64, rel=1e-5)


def test_poly_detector_bad_inputs():
    intensity = positive((3, 4), seed=1)
    with pytest.raises(TypeError, match="^I must have dtype float32 or float64; got complex128"):
        poly_detector(intensity + 0j, 1.0, 1.0, 0.0)
    with pytest.raises(TypeError, match="^I must have dtype float32 or float64; got int64"):
        poly_detector(np.ones((3, 4), np.int64), 1.0, 1.0, 0.0)
    with pytest.raises(TypeError, match="^a must be a real number"):
        poly_detector(intensity, 1j, 1.0, 0.0)
    with pytest.raises(ValueError, match="^b must be finite"):
        poly_detector(intensity, 1.0, float("inf"), 0.0)
    with pytest.raises(TypeError, match="^c must be a real number"):
        poly_detector(intensity, 1.0, 1.0, "0")
    with pytest.raises(TypeError, match="^a must be a real number"):
        poly_detector_vjp(intensity, intensity, True, 1.0)
    with pytest.raises(ValueError, match=r"^M_bar must have shape \(3, 4\)"):
        poly_detector_vjp(np.ones((4, 3)), intensity, 1.0, 1.0)
    with pytest.raises(TypeError, match=r"I \(float64\) and M_bar \(float32\)"):
        poly_detector_vjp(np.ones((3, 4), np.float32), intensity, 1.0, 1.0)


# ------------------------------------------------------------------------------ mean_normalize


@pytest.mark.parametrize("c", [1.0, 2.5, -0.7])
@pytest.mark.parametrize("shape", SHAPES)
def test_mean_normalize_vjp_matches_finite_differences(shape, c):
    x = positive(shape, seed=1)
    result = check_vjp(lambda v: mean_normalize(v, c),
                       lambda y_bar: mean_normalize_vjp(y_bar, x, c), (x,))
    assert result, str(result)


def test_mean_normalize_gradient_element_by_element():
    # Its own element-wise central differences: x is real, so only real perturbations exist;
    # the cotangent's imaginary part must be ignored (Eq. 67).
    x, y_bar = positive((2, 3, 4), seed=1) - 0.3, draw((2, 3, 4), np.complex128, seed=2)
    x_bar = mean_normalize_vjp(y_bar, x, 1.7)
    assert x_bar.dtype == np.float64
    eps = 1e-6
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        loss_up = np.vdot(y_bar.real, mean_normalize(x + step, 1.7))
        loss_down = np.vdot(y_bar.real, mean_normalize(x - step, 1.7))
        assert x_bar[index] == pytest.approx((loss_up - loss_down) / (2 * eps), abs=1e-7)


def test_mean_normalize_follows_the_catalogue_formula():
    x, y_bar, c = positive((2, 3, 4), seed=1), draw((2, 3, 4), seed=2), 2.5
    y = mean_normalize(x, c)
    x_bar = mean_normalize_vjp(y_bar, x, c)
    for p in range(2):
        assert np.mean(y[p]) == pytest.approx(c, rel=1e-14)
        s = c / np.mean(x[p])
        expected = s * y_bar[p] - (s / np.sum(x[p])) * np.sum(y_bar[p] * x[p])
        np.testing.assert_allclose(x_bar[p], expected, rtol=1e-13, atol=1e-14)


def test_mean_normalize_is_scale_invariant_so_its_gradient_is_orthogonal_to_x():
    # y(t x) = y(x) for t > 0, hence sum(x_bar * x) = 0 for any cotangent.
    x, y_bar = positive((2, 5, 6), seed=1), draw((2, 5, 6), seed=2)
    x_bar = mean_normalize_vjp(y_bar, x, 1.3)
    np.testing.assert_allclose(np.sum(x_bar * x, axis=(-2, -1)), 0.0, atol=1e-12)


def test_mean_normalize_single_precision_matches_double():
    x, y_bar = positive((2, 4, 5), seed=1), draw((2, 4, 5), seed=2)
    y32 = mean_normalize(x.astype(np.float32), 2.0)
    assert y32.dtype == np.float32
    assert relative_error(y32, mean_normalize(x, 2.0)) < 1e-6
    x_bar32 = mean_normalize_vjp(y_bar.astype(np.float32), x.astype(np.float32), 2.0)
    assert x_bar32.dtype == np.float32
    assert relative_error(x_bar32, mean_normalize_vjp(y_bar, x, 2.0)) < 1e-5


def test_mean_normalize_bad_inputs():
    x = positive((3, 4), seed=1)
    with pytest.raises(TypeError, match="^x must have dtype float32 or float64; got complex128"):
        mean_normalize(x + 0j, 1.0)
    with pytest.raises(ValueError, match="^x must have at least 2 axes"):
        mean_normalize(x[0], 1.0)
    with pytest.raises(ValueError, match="^x has a plane with zero mean"):
        mean_normalize(np.stack([x, np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0, -2.0])]), 1.0)
    with pytest.raises(TypeError, match="^c must be a real number"):
        mean_normalize(x, 1j)
    with pytest.raises(ValueError, match="^c must be finite"):
        mean_normalize(x, float("inf"))
    with pytest.raises(ValueError, match=r"^y_bar must have shape \(3, 4\)"):
        mean_normalize_vjp(np.ones((3, 5)), x, 1.0)
    with pytest.raises(TypeError, match=r"x \(float64\) and y_bar \(float32\)"):
        mean_normalize_vjp(np.ones((3, 4), np.float32), x, 1.0)


# ----------------------------------------------------------------------- the checks are sharp


def test_finite_differences_catch_a_missing_normalisation_term():
    x = positive((2, 4, 5), seed=1)
    s = 2.0 / np.mean(x, axis=(-2, -1), keepdims=True)
    wrong = lambda y_bar: s * y_bar  # noqa: E731 - the mean's own dependence on x forgotten
    assert not check_vjp(lambda v: mean_normalize(v, 2.0), wrong, (x,))


def test_finite_differences_catch_a_missing_factor_of_two():
    intensity = positive((3, 4), seed=1)
    wrong = lambda M_bar: (M_bar * (0.3 * intensity + 1.2),  # noqa: E731 - a I, not 2 a I
                           *poly_detector_vjp(M_bar, intensity, 0.3, 1.2)[1:])
    point = (intensity, np.array(0.3), np.array(1.2), np.array(0.0))
    assert not check_vjp(poly_detector, wrong, point)
