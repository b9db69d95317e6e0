"""Hologram (reference backend): the question in docs/hologram-question.md.

The fused backend is tested against this one in test_hologram_fused.py."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import check_vjp, relative_error


def target(shape=(12, 10), dtype=np.float64):
    image = np.zeros(shape, dtype=dtype)
    image[3:8, 2:6] = 1.0
    image[5:10, 6:9] += 0.5
    return image


def random_phase(shape=(12, 10), seed=0):
    return np.random.default_rng(seed).uniform(0, 2 * np.pi, size=shape)


def explicit_loss(phi, T):
    """The question's loss written with numpy.fft directly (no clipping)."""
    field = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(np.exp(1j * phi))))
    intensity = np.abs(field) ** 2
    normalised = intensity * T.mean() / intensity.mean()
    return np.mean((normalised - T) ** 2), normalised


@pytest.mark.parametrize("shape", [(12, 10), (9, 9), (8, 16)])
def test_gradient_matches_finite_differences(shape):
    T = target(shape)
    hologram = pg.Hologram(target=T, backend="reference")
    phi = random_phase(shape)
    _, phi_bar = hologram.value_and_grad(phi)
    result = check_vjp(lambda p: hologram.value_and_grad(p)[0], lambda e: e * phi_bar, phi)
    assert result.ok, result


def test_value_and_reconstruction_match_explicit_numpy():
    T = target()
    hologram = pg.Hologram(target=T, backend="reference")
    phi = random_phase()
    energy, _ = hologram.value_and_grad(phi)
    expected_energy, expected_image = explicit_loss(phi, T)
    assert energy == pytest.approx(expected_energy, rel=1e-12)
    assert relative_error(hologram.simulate(phi), expected_image) < 1e-12
    assert hologram.simulate(phi).mean() == pytest.approx(T.mean(), rel=1e-12)


def test_gradient_ignores_a_global_phase():
    """E(phi + c) = E(phi), so the gradient sums to zero and is unchanged by the shift."""
    hologram = pg.Hologram(target=target(), backend="reference")
    phi = random_phase()
    _, g = hologram.value_and_grad(phi)
    _, shifted = hologram.value_and_grad(phi + 1.234)
    assert abs(g.sum()) < 1e-12 * np.abs(g).sum()
    assert relative_error(shifted, g) < 1e-10


def test_float32_agrees_with_float64():
    phi = random_phase()
    e64, g64 = pg.Hologram(target=target(), backend="reference").value_and_grad(phi)
    e32, g32 = pg.Hologram(target=target(dtype=np.float32),
                           backend="reference").value_and_grad(phi)
    assert g32.dtype == np.float32
    assert e32 == pytest.approx(e64, rel=1e-4)
    assert relative_error(g32, g64) < 1e-4


def test_gradient_descent_lowers_the_loss():
    hologram = pg.Hologram(target=target(), backend="reference")
    phi = random_phase()
    energy, g = hologram.value_and_grad(phi)
    lower, _ = hologram.value_and_grad(phi - 1e-3 * g / np.abs(g).max())
    assert lower < energy


def test_fun_and_jac_is_flat_float64():
    hologram = pg.Hologram(target=target(dtype=np.float32), backend="reference")
    f, g = hologram.fun_and_jac(random_phase().ravel())
    assert isinstance(f, float) and g.dtype == np.float64 and g.shape == (120,)


# Bad targets: tests/models/test_hologram_fused.py checks both backends and their messages.


@pytest.mark.parametrize("phi, error, match", [
    (np.zeros((8, 9)), ValueError, "phi must have the target's shape"),
    (np.full((12, 10), np.inf), ValueError, "phi must be finite"),
    (np.zeros((12, 10), dtype=np.int16), TypeError, "phi"),
])
def test_bad_phase_is_rejected(phi, error, match):
    hologram = pg.Hologram(target=target(), backend="reference")
    with pytest.raises(error, match=match):
        hologram.value_and_grad(phi)


def test_fused_is_the_default_backend():
    assert pg.Hologram(target=target()).backend == "fused"
