"""Levenberg-Marquardt on the phase-retrieval models themselves (the toy-model tests are in
test_levenberg_marquardt.py): the ill-conditioned problem where first-order methods stall,
point-by-point maps through the matrix-free solver, and agreement of the dense and CG paths."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.models import synthetic


def _relative_error(x, truth):
    return float(np.abs(np.asarray(x) - truth).max() / np.abs(truth).max())


@pytest.fixture(scope="module")
def correlated():
    """15 Zernike mixtures whose Gram matrix has condition number 1e7, two planes, noiseless."""
    basis = synthetic.correlated_modes(15, 32, condition=1e7)
    return synthetic.ill_conditioned_problem(32, basis=basis, obscuration=0.0, defocus=0.5)


def test_lm_recovers_the_ill_conditioned_problem_where_lbfgs_stalls(correlated):
    model, truth = correlated
    x0 = np.zeros(model.n_params)
    lm = pg.optimize.levenberg_marquardt(model, x0, maxiter=100)
    assert lm.converged and lm.method in ("dense", "cg+dense")
    assert _relative_error(lm.x, truth) <= 1e-6
    first_order = pg.optimize.lbfgs(model, x0, maxiter=500)
    assert _relative_error(first_order.x, truth) > 1e-3  # what the issue measured: ~7e-2


def test_lm_matches_scipy_least_squares_on_the_exact_jacobian(correlated):
    from scipy.optimize import least_squares

    model, truth = correlated
    x0 = np.zeros(model.n_params)
    ours = pg.optimize.levenberg_marquardt(model, x0)
    theirs = least_squares(model.residuals, x0, jac=model.jacobian, method="lm")
    assert _relative_error(theirs.x, truth) <= 1e-6
    np.testing.assert_allclose(ours.x, theirs.x, atol=1e-8 * np.abs(truth).max())


def test_matrix_free_lm_on_a_point_by_point_map():
    """A (16, 16) wavefront map (256 parameters, 2 planes) by CG on gauss_newton_product."""
    amplitude = pg.circular_pupil(16)
    modes = pg.zernike_basis(6, 16, first=2)
    truth_map = np.tensordot(np.array([0.02, -0.03, 0.04, 0.02, -0.01, 0.03]), modes, axes=1)
    diversity = np.stack([0 * modes[2], 0.7 * modes[2]])
    blank = np.zeros((2, 32, 32))
    data = pg.PhaseRetrieval(amplitude=amplitude, basis=None, data=blank,
                             diversity=diversity).simulate(truth_map)
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=None, data=data, diversity=diversity)
    fit = pg.optimize.levenberg_marquardt(model, np.zeros(model.n_params), method="cg",
                                          maxiter=200)
    assert fit.method == "cg" and fit.cg_iterations > 0
    assert fit.fun < 1e-10 * fit.history[0]
    inside = amplitude > 0
    error = (fit.x.reshape(16, 16) - truth_map)[inside]
    assert np.sqrt(np.mean((error - error.mean()) ** 2)) < 1e-4  # waves RMS, piston aside


def test_dense_and_cg_agree(correlated):
    model, truth = synthetic.ill_conditioned_problem(24, modes=8, obscuration=0.3, rms=0.05)
    x0 = np.zeros(model.n_params)
    dense = pg.optimize.levenberg_marquardt(model, x0, method="dense")
    cg = pg.optimize.levenberg_marquardt(model, x0, method="cg", maxiter=300)
    assert dense.converged and cg.converged
    assert _relative_error(dense.x, truth) < 1e-8
    assert _relative_error(cg.x, truth) < 1e-6


def test_quadratic_detector_parameters_of_another_scale():
    model, truth, _, _ = synthetic.make_problem(size=24, modes=6, planes=3,
                                                detector="quadratic")
    x0 = model.pack(np.zeros(6), (0.0, 1.0, 0.0))
    fit = pg.optimize.levenberg_marquardt(model, x0)
    assert fit.converged
    a, p = model.unpack(fit.x).values()
    assert _relative_error(a, truth) < 1e-6
    np.testing.assert_allclose(p, synthetic.DEMO_DETECTOR, atol=1e-8)


@pytest.mark.parametrize("gain", [1.0, 1e4, 1e10])
def test_a_detector_gain_of_any_scale_converges_alike(gain):
    """Marquardt's scaling damps each parameter on its own scale: a gain of 1e10 (data in
    photons, the model's intensity summing to 1) beside coefficients of 0.1 (review D1: a
    scaling floored at 1e-12 of its largest entry never moved such a gain)."""
    n, modes = 16, 10
    amplitude = pg.circular_pupil(n)
    amplitude = amplitude / np.sqrt((2 * n) ** 2 * np.sum(amplitude**2))  # sum of I = 1
    basis = synthetic.correlated_modes(modes, n, condition=1e5)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    diversity = np.stack([0 * defocus, 0.5 * defocus])
    truth = 0.08 * np.random.default_rng(0).standard_normal(modes)
    blank = np.zeros((2, 2 * n, 2 * n))
    p = (0.0, gain, 0.0)
    data = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank, diversity=diversity,
                             detector="quadratic").simulate(truth, p)
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, diversity=diversity,
                              detector="quadratic")
    fit = pg.optimize.levenberg_marquardt(model, model.pack(np.zeros(modes), (0, 0.9 * gain, 0)))
    a, found_p = model.unpack(fit.x).values()
    assert fit.converged and fit.nit <= 40
    assert _relative_error(a, truth) < 1e-10
    assert abs(found_p[1] / gain - 1) < 1e-10


def test_a_wrong_jacobian_is_a_failure_not_convergence():
    """A Jacobian of the wrong sign and scale (review D5): LM must end in "damping" at x0,
    never report convergence there."""

    class Wrong:
        n_params = 2

        def residuals(self, x):
            return np.array([x[0] - 3.0, 2.0 * (x[1] + 1.0)])

        def jacobian(self, x):
            return -0.3 * np.array([[1.0, 0.0], [0.0, 2.0]])

    for x0 in ([1e3, 1e3], [0.0, 0.0]):
        fit = pg.optimize.levenberg_marquardt(Wrong(), x0)
        assert not fit.converged and fit.stop_reason == "damping"
