"""The imaging model's reference backend (docs/imaging-model.md): every block's gradient, the
tangents and cotangents of the least-squares view against central finite differences in
float64, float32 against float64, and the Jacobian-based products."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared cases, imaging_cases.py

from imaging_cases import CASES, case, point  # noqa: E402

NAMES = sorted(CASES)


def block_directions(model, seed=7):
    """One random direction per free block (zero on the others), in the flat layout."""
    rng = np.random.default_rng(seed)
    for p in model.parameters:
        d = np.zeros(model.n_params)
        d[p.offset:p.offset + p.size] = rng.normal(size=p.size)
        yield p.name, d


@pytest.mark.parametrize("name", NAMES)
def test_every_block_gradient_matches_central_differences(name):
    model = case(name)
    x = point(model)
    energy, gradient = model.value_and_grad(x)
    assert gradient.shape == x.shape and gradient.dtype == np.float64
    assert energy == pytest.approx(model.fun_and_jac(x)[0], rel=1e-15)
    for block, d in block_directions(model):
        h = 1e-6 / max(1.0, np.abs(d).max())
        plus = model.fun_and_jac(x + h * d)[0]
        minus = model.fun_and_jac(x - h * d)[0]
        fd = (plus - minus) / (2 * h)
        exact = float(gradient @ d)
        assert exact == pytest.approx(fd, rel=2e-6, abs=1e-9 * abs(energy)), block


@pytest.mark.parametrize("name", NAMES)
def test_jvp_matches_central_differences_of_the_residuals(name):
    model = case(name)
    x = point(model)
    r = model.residuals(x)
    assert r.shape == (model.n_residuals,)
    assert float(r @ r) == pytest.approx(model.fun_and_jac(x)[0], rel=1e-12)
    for block, d in block_directions(model):
        h = 1e-6 / max(1.0, np.abs(d).max())
        fd = (model.residuals(x + h * d) - model.residuals(x - h * d)) / (2 * h)
        tangent = model.jvp(x, d)
        scale = np.abs(fd).max()
        assert np.abs(tangent - fd).max() <= 1e-6 * scale + 1e-12, block


@pytest.mark.parametrize("name", NAMES)
def test_vjp_is_the_transpose_of_jvp_and_half_the_gradient(name):
    model = case(name)
    x = point(model)
    rng = np.random.default_rng(11)
    v = rng.normal(size=model.n_params)
    u = rng.normal(size=model.n_residuals)
    left = float(u @ model.jvp(x, v))
    right = float(model.vjp(x, u) @ v)
    assert left == pytest.approx(right, rel=1e-11)
    gradient = model.fun_and_jac(x)[1]
    twice = 2 * model.vjp(x, model.residuals(x))
    np.testing.assert_allclose(twice, gradient, rtol=1e-10, atol=1e-12 * np.abs(gradient).max())


@pytest.mark.parametrize("name", ["points", "nuisance", "amplitude_basis", "poisson_points",
                                  "window_bin_broadband"])
def test_jacobian_gauss_newton_and_products_agree(name):
    model = case(name)
    x = point(model)
    J = model.jacobian(x)
    assert J.shape == (model.n_residuals, model.n_params)
    rng = np.random.default_rng(5)
    v = rng.normal(size=model.n_params)
    np.testing.assert_allclose(J @ v, model.jvp(x, v), rtol=1e-12,
                               atol=1e-12 * np.abs(J @ v).max())
    jtj, jtr = model.gauss_newton(x)
    np.testing.assert_allclose(jtj, J.T @ J, rtol=1e-10, atol=1e-12 * np.abs(jtj).max())
    np.testing.assert_allclose(jtr, J.T @ model.residuals(x), rtol=1e-10,
                               atol=1e-12 * np.abs(jtr).max())
    product = model.gauss_newton_product(x, v)
    np.testing.assert_allclose(product, jtj @ v, rtol=1e-9, atol=1e-11 * np.abs(product).max())


@pytest.mark.parametrize("name", NAMES)
def test_float32_agrees_with_float64(name):
    m64 = case(name)
    m32 = case(name, dtype=np.float32)
    x = point(m64)
    e64, g64 = m64.value_and_grad(x)
    e32, g32 = m32.value_and_grad(x)
    assert e32 == pytest.approx(e64, rel=2e-4)
    assert np.linalg.norm(g32 - g64) <= 2e-3 * np.linalg.norm(g64)
    image64, image32 = m64.simulate(x), m32.simulate(x)
    assert image32.dtype == np.float32
    assert np.abs(image32 - image64).max() <= 1e-5 * np.abs(image64).max()
