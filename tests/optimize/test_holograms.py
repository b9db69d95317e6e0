"""Gerchberg-Saxton and weighted GS for phase-only holograms; targets and PSNR."""

import numpy as np
import pytest

import phasegrad as pg


def spot_intensities(phi, target):
    return pg.optimize.reconstruct(phi)[target > 0]


def uniformity(values):
    return 1 - (values.max() - values.min()) / (values.max() + values.min())


def test_reconstruct_is_the_hologram_convention():
    phi = np.random.default_rng(0).uniform(0, 2 * np.pi, (12, 10))
    field = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(np.exp(1j * phi))))
    np.testing.assert_allclose(pg.optimize.reconstruct(phi), np.abs(field) ** 2, rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("algorithm", [pg.optimize.gs, pg.optimize.wgs])
def test_cost_is_the_hologram_loss(algorithm):
    # WGS on the photo-like default target diverges (test_hologram_divergence.py): a spot array
    T = pg.optimize.default_target(32) if algorithm is pg.optimize.gs else \
        pg.optimize.spot_array_target(32, rows=3, cols=3)
    reference = pg.Hologram(target=T, backend="reference")
    seen = []
    result = algorithm(T, iters=8, callback=lambda i, phi, cost: seen.append((i, phi, cost)))
    assert [i for i, _, _ in seen] == list(range(1, 9))
    for _, phi, cost in seen:
        assert cost == pytest.approx(reference.value_and_grad(phi)[0], rel=1e-10)
    assert result.fun == seen[-1][2] and len(result.history) == 9
    assert result.fun < 0.5 * result.history[0]


def test_wgs_beats_gs_on_a_spot_array():
    T = pg.optimize.spot_array_target(64, rows=5, cols=5)
    gs = pg.optimize.gs(T, iters=30, seed=1)
    wgs = pg.optimize.wgs(T, iters=30, seed=1)
    assert uniformity(spot_intensities(wgs.x, T)) > 0.95
    assert uniformity(spot_intensities(wgs.x, T)) >= uniformity(spot_intensities(gs.x, T))
    psnr_gs = pg.optimize.psnr(pg.optimize.reconstruct(gs.x), T)
    psnr_wgs = pg.optimize.psnr(pg.optimize.reconstruct(wgs.x), T)
    assert psnr_wgs >= psnr_gs - 0.1


def test_gs_from_phi0_is_deterministic():
    T = pg.optimize.spot_array_target(16, rows=2, cols=2)
    phi0 = np.random.default_rng(5).uniform(-1, 1, T.shape)
    first = pg.optimize.gs(T, iters=3, phi0=phi0)
    np.testing.assert_array_equal(first.x, pg.optimize.gs(T, iters=3, phi0=phi0).x)


def test_psnr_definition_matches_the_hologram_loss():
    T = pg.optimize.default_target(32)
    phi = np.random.default_rng(2).uniform(0, 2 * np.pi, T.shape)
    loss = pg.Hologram(target=T).value_and_grad(phi)[0]
    assert pg.optimize.psnr(pg.optimize.reconstruct(phi), T) == pytest.approx(
        10 * np.log10(T.max() ** 2 / loss), rel=1e-9)
    assert pg.optimize.psnr(4 * T, T) == np.inf  # a power of two: the rescaling is exact


def test_default_target_is_deterministic_and_in_range():
    T = pg.optimize.default_target()
    assert T.shape == (256, 256) and T.dtype == np.float64
    assert T.min() == 0 and T.max() == 1 and 0.05 < T.mean() < 0.5
    np.testing.assert_array_equal(T, pg.optimize.default_target(256))
