"""The Poisson metric stays finite where the model is exactly 0 but a count was recorded (found
in a 128^2, 36-mode fit at 1e7 photons: the unaberrated start has exact zeros, E was inf, the
gradient NaN, and L-BFGS-B stopped with a NaN step)."""

import numpy as np
import pytest

import phasegrad as pg


@pytest.mark.parametrize("backend", ["fused", "reference"])
def test_exact_zeros_of_the_model_give_a_finite_cost(backend):
    amplitude, basis = pg.circular_pupil(8), pg.zernike_basis(4, 8, first=2)
    data = np.ones((16, 16))  # a count in every pixel
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data,
                              metric="poisson", backend=backend)
    start = np.zeros(4)
    assert np.any(model.simulate(start) == 0)  # the unaberrated PSF has exact zeros here
    forced = np.zeros_like(data)  # a model of exact zeros: the worst case
    assert model.poisson_shift == pytest.approx(1e-9)
    energy, gradient = model.fun_and_jac(start)
    assert np.isfinite(energy) and np.all(np.isfinite(gradient))
    value = pg.reference.poisson_nll(forced, data, None, model.poisson_shift)
    assert np.isfinite(value) and value > 0


def test_both_backends_use_the_same_floor():
    amplitude, basis = pg.circular_pupil(8), pg.zernike_basis(4, 8, first=2)
    rng = np.random.default_rng(0)
    data = rng.poisson(50 * np.ones((16, 16))).astype(float)
    x = 0.1 * rng.normal(size=4)
    fused = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, metric="poisson")
    reference = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, metric="poisson",
                                  backend="reference")
    e1, g1 = fused.fun_and_jac(x)
    e2, g2 = reference.fun_and_jac(x)
    assert e1 == pytest.approx(e2, rel=1e-10)
    np.testing.assert_allclose(g1, g2, rtol=1e-9, atol=1e-12 * np.abs(g2).max())


@pytest.mark.parametrize("backend", ["fused", "reference"])
def test_a_negative_mean_never_lowers_the_cost(backend):
    """Found in review: where no count was recorded the term was z even for z < 0, so a
    negative background made E negative and both optimisers ran towards it. Now the term is
    max(z, 0), E >= 0, and the background is bounded below by 0 with the Poisson metric."""
    amplitude = pg.circular_pupil(8)
    amplitude = amplitude / amplitude.sum() * np.sqrt(3.0)
    data = np.zeros((16, 16))
    data[8, 8] = 3.0
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=pg.zernike_basis(4, 8, first=2),
                              data=data, metric="poisson", fit=("background",), backend=backend)
    assert model.bounds[0][-1] == 0.0
    start = model.pack(np.zeros(4), background=[0.0])
    for result in (pg.optimize.lbfgs(model, start),
                   pg.optimize.levenberg_marquardt(model, start)):
        assert model.unpack(result.x)["background"][0] >= 0.0
        assert model.fun_and_jac(result.x)[0] >= 0.0
    for ops in (pg.ops, pg.reference):
        assert ops.poisson_nll(np.array([-1.0]), np.array([0.0])) == 0.0
        assert ops.poisson_nll_vjp(1.0, np.array([-1.0]), np.array([0.0]))[0] == 0.0


def test_review_input_checks():
    """Found in review: fit naming a block twice, and phase diversity below Nyquist sampling,
    were accepted silently."""
    amplitude, basis = pg.circular_pupil(8), pg.zernike_basis(4, 8, first=2)
    with pytest.raises(ValueError, match="twice"):
        pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=np.ones((16, 16)),
                          fit=("flux", "flux"))
    with pytest.raises(ValueError, match="pad must be >= 2"):
        pg.PhaseDiversity(amplitude=amplitude, basis=basis, data=np.ones((2, 12, 12)),
                          diversity=np.stack([basis[2], -basis[2]]), regularization=1e-3,
                          pad=1.5)
