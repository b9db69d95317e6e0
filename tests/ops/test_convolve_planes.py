"""ops.convolve and convolve_vjp keep the planes of a batch apart (issue 17, D1): a real plane
is transformed alone, so neither rounding error nor a non-finite value of one plane reaches
another (two real planes packed into one complex transform leaked both)."""

import numpy as np
import pytest

from phasegrad import ops, reference


def _planes(dtype, scales, shape=(12, 10), seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([s * rng.random(shape) for s in scales]).astype(dtype)


def _relative(ours, exact):
    return float(np.abs(ours - exact).max() / np.abs(exact).max())


@pytest.mark.parametrize("threads", [1, 2])
def test_planes_of_very_different_flux_are_each_right(threads):
    import phasegrad as pg

    x = _planes(np.float32, [1.0, 1e6, 1.0, 1e6, 1.0])   # odd count: no plane alone either
    h = _planes(np.float32, [1.0], seed=1)[0]
    exact = reference.convolve(x.astype(np.float64), h.astype(np.float64))
    with pg.threads(threads):
        y = ops.convolve(x, h)
        x_bar, h_bar = ops.convolve_vjp(np.ones_like(y), x, h)
    x_bar_exact, _ = reference.convolve_vjp(np.ones_like(exact), x.astype(np.float64),
                                            h.astype(np.float64))
    for p in range(x.shape[0]):  # measured before the fix: 5.9e-2 for the flux-1 planes
        assert _relative(y[p], exact[p]) < 1e-5, p
        assert _relative(x_bar[p], x_bar_exact[p]) < 1e-5, p


def test_a_non_finite_plane_stays_in_its_plane():
    x = _planes(np.float64, [1.0, 1.0, 1.0])
    h = _planes(np.float64, [1.0], seed=1)[0]
    clean = ops.convolve(x, h)
    x[2, 3, 4] = np.inf
    y = ops.convolve(x, h)
    np.testing.assert_array_equal(y[:2], clean[:2])  # before the fix: every plane NaN
    assert not np.all(np.isfinite(y[2]))
    y_bar = np.ones_like(y)
    y_bar[1, 0, 0] = np.nan
    x_bar, _ = ops.convolve_vjp(y_bar, np.ones_like(x), h)
    assert np.all(np.isfinite(x_bar[0])) and np.all(np.isfinite(x_bar[2]))
    assert not np.all(np.isfinite(x_bar[1]))


def test_operands_far_apart_in_scale_lose_nothing():
    x = _planes(np.float64, [1.0, 1e10])
    h = _planes(np.float64, [1.0], seed=1)[0]
    exact = reference.convolve(x, h)
    y = ops.convolve(x, h)
    for p in range(2):  # measured before the fix: 1e-6 for the small plane
        assert _relative(y[p], exact[p]) < 1e-13
