"""Tests of phasegrad.reference.poisson_nll (the shifted-Poisson metric of
docs/imaging-model.md) and of the Poisson deviance residuals with their slope."""

import math

import numpy as np
import pytest

from phasegrad.check import check_vjp
from phasegrad.models.deviance import deviance_residuals, deviance_slope
from phasegrad.reference import poisson_nll, poisson_nll_jvp, poisson_nll_vjp

SHAPES = [(4, 5), (2, 4, 5)]


def counts(shape, seed=0, mean=5.0):
    rng = np.random.default_rng(seed)
    return rng.poisson(mean, shape).astype(np.float64)


def means(shape, seed=1):
    return np.random.default_rng(seed).uniform(0.5, 9.0, shape)


def term(m, d, s):
    """One pixel's term, written from the formula (z - z_D - z_D log(z / z_D))."""
    z, zd = m + s, max(d + s, 0.0)
    return z if zd == 0 else z - zd - zd * math.log(z / zd)


@pytest.mark.parametrize("shift", [0.0, 2.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_poisson_nll_vjp_matches_finite_differences(shape, weighted, shift):
    M, D = means(shape), counts(shape)
    w = np.random.default_rng(3).uniform(0.5, 1.5, shape) if weighted else None
    result = check_vjp(lambda m: poisson_nll(m, D, w, shift),
                       lambda E_bar: poisson_nll_vjp(E_bar, M, D, w, shift), (M,))
    assert result, str(result)


@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_poisson_nll_follows_its_formula_and_is_zero_at_the_data(shift):
    shape = (3, 4)
    M, D = means(shape), counts(shape)
    D[0, 0] = 0.0
    D[0, 1] = -0.5 if shift else 0.0  # below -s it counts as -s
    w = np.random.default_rng(3).uniform(0.5, 1.5, shape)
    E = poisson_nll(M, D, w, shift)
    assert type(E) is float
    expected = math.fsum(wk * term(mk, dk, shift)
                         for wk, mk, dk in zip(w.ravel(), M.ravel(), D.ravel(), strict=True))
    assert E == pytest.approx(expected, rel=1e-13)
    D_pos = np.maximum(D, 0.0) + 0.1
    assert poisson_nll(D_pos, D_pos, w, shift) == 0.0
    M_bar = poisson_nll_vjp(1.5, M, D, w, shift)
    z, zd = M + shift, np.maximum(D + shift, 0.0)
    np.testing.assert_allclose(M_bar, 1.5 * w * (1 - zd / z), rtol=1e-14)


def test_poisson_nll_jvp_is_the_transpose_of_the_vjp():
    M, D = means((2, 4, 5)), counts((2, 4, 5))
    M_dot = np.random.default_rng(9).normal(size=M.shape)
    E, E_dot = poisson_nll_jvp(M, M_dot, D, None, 0.5)
    assert E == poisson_nll(M, D, None, 0.5)
    assert E_dot == pytest.approx(float(np.sum(poisson_nll_vjp(1.0, M, D, None, 0.5) * M_dot)),
                                  rel=1e-13)


def test_poisson_nll_is_infinite_where_the_mean_is_not_positive_but_counts_are():
    assert poisson_nll(np.array([-1.0, 1.0]), np.array([2.0, 1.0])) == math.inf
    assert poisson_nll(np.array([0.0]), np.array([0.0])) == 0.0


def test_poisson_nll_single_precision_matches_double():
    M, D = means((4, 5)), counts((4, 5))
    E32 = poisson_nll(M.astype(np.float32), D.astype(np.float32), None, 1.0)
    assert E32 == pytest.approx(poisson_nll(M, D, None, 1.0), rel=1e-6)
    assert poisson_nll_vjp(1.0, M.astype(np.float32), D.astype(np.float32)).dtype == np.float32


def test_poisson_nll_bad_inputs():
    M = means((2, 2))
    with pytest.raises(ValueError, match="shift"):
        poisson_nll(M, M, None, -1.0)
    with pytest.raises(TypeError, match="D"):
        poisson_nll(M, M.astype(np.float32))
    with pytest.raises(ValueError, match="D"):
        poisson_nll(M, M[:1])
    with pytest.raises(TypeError, match="M"):
        poisson_nll(M.astype(complex), M)


# -------------------------------------------------------------------- the deviance residuals

@pytest.mark.parametrize("shift", [0.0, 2.0])
def test_deviance_residuals_square_to_the_metric_and_their_slope_is_the_derivative(shift):
    D = counts((40,), mean=4.0)
    D[:3] = 0.0
    M = np.abs(D * (1 + np.random.default_rng(5).normal(0, 0.3, D.shape))) + 0.2
    w = np.random.default_rng(6).uniform(0.0, 2.0, D.shape)
    r = deviance_residuals(M, D, w, shift)
    assert float(r @ r) == pytest.approx(poisson_nll(M, D, w, shift), rel=1e-13)
    assert np.all(np.sign(r[w > 0]) == np.sign((M - np.maximum(D, -shift))[w > 0]))
    h = 1e-6
    fd = (deviance_residuals(M + h, D, w, shift) - deviance_residuals(M - h, D, w, shift)) / (2 * h)
    np.testing.assert_allclose(deviance_slope(M, D, w, shift), fd, rtol=1e-6, atol=1e-9)


def test_deviance_residuals_are_smooth_through_the_data():
    """Across M = D (u = 0) and the series' edge |u| = 0.1: r / u and the slope vary
    smoothly; at u = 0 the slope is sqrt(w / (2 z_D))."""
    D = np.array([3.0])
    u = np.concatenate([np.linspace(-0.2, 0.2, 4001), [0.0]])
    M = D * (1 + u)
    r = np.array([deviance_residuals(np.array([m]), D)[0] for m in M])
    slope = np.array([deviance_slope(np.array([m]), D)[0] for m in M])
    assert slope[-1] == pytest.approx(math.sqrt(1 / 6), rel=1e-15)
    assert r[-1] == 0.0
    # Second differences of a smooth function are tiny; a jump at |u| = 0.1 would show.
    assert np.abs(np.diff(slope[:-1], 2)).max() < 1e-7
    exact = np.sign(u[:-1]) * np.sqrt(np.abs(
        [term(m, 3.0, 0.0) for m in M[:-1]]))
    far = np.abs(u[:-1]) > 1e-3  # the formula cancels near u = 0
    np.testing.assert_allclose(r[:-1][far], exact[far], rtol=1e-10)
