"""lbfgs and adam on the models' exact gradients."""

import numpy as np
import pytest
from scipy.optimize import minimize

import phasegrad as pg
from phasegrad.models.synthetic import DEMO_DETECTOR, make_problem


def small_problem(dtype=np.float64):
    return make_problem(size=24, modes=8, planes=3, seed=2, dtype=dtype)


def test_lbfgs_recovers_zernike_coefficients():
    model, truth, _, _ = small_problem()
    result = pg.optimize.lbfgs(model, np.zeros(model.n_params))
    assert result.success, result.message
    assert np.linalg.norm(result.x - truth) <= 1e-6 * np.linalg.norm(truth)
    assert result.x.dtype == np.float64
    assert result.fun == pytest.approx(model.fun_and_jac(result.x)[0], rel=1e-12)
    assert len(result.history) == result.nit + 1
    assert result.history[-1] == result.fun


def test_lbfgs_scaling_converges_on_a_tiny_loss():
    """Data 1e-12 times smaller (amplitude 1e-6): the cost is ~1e-24 and still converges."""
    model, truth, _, _ = small_problem()
    tiny = pg.PhaseRetrieval(amplitude=model.amplitude * 1e-6, basis=model.basis,
                             data=model.data * 1e-12, pad=model.pad,
                             diversity=model.diversity)
    start = np.zeros(tiny.n_params)
    assert tiny.fun_and_jac(start)[0] < 1e-20
    plain = minimize(tiny.fun_and_jac, start, jac=True, method="L-BFGS-B")
    assert plain.nit == 0  # what the scaling is for: SciPy alone stops on the tiny gradient
    result = pg.optimize.lbfgs(tiny, start)
    assert np.linalg.norm(result.x - truth) <= 1e-6 * np.linalg.norm(truth)
    assert result.history[0] < 1e-20  # costs are reported unscaled


def test_lbfgs_accepts_a_float32_model_and_returns_float64():
    model, truth, _, _ = small_problem(np.float32)
    result = pg.optimize.lbfgs(model, np.zeros(model.n_params, dtype=np.float32), maxiter=50)
    assert result.x.dtype == np.float64
    assert np.linalg.norm(result.x - truth) <= 1e-2 * np.linalg.norm(truth)


def test_lbfgs_callback_every_iteration_with_its_cost():
    model, _, _, _ = small_problem()
    seen = []
    result = pg.optimize.lbfgs(model, np.zeros(model.n_params), maxiter=15,
                               callback=lambda i, x, cost: seen.append((i, x.copy(), cost)))
    assert [i for i, _, _ in seen] == list(range(1, result.nit + 1))
    for _, x, cost in seen:
        assert cost == pytest.approx(model.fun_and_jac(x)[0], rel=1e-10)
    np.testing.assert_allclose(result.history[1:], [cost for _, _, cost in seen], rtol=1e-10)
    np.testing.assert_array_equal(seen[-1][1], result.x)


def test_lbfgs_callback_returning_true_stops():
    model, _, _, _ = small_problem()
    result = pg.optimize.lbfgs(model, np.zeros(model.n_params),
                               callback=lambda i, x, cost: i >= 3)
    assert result.nit == 3


def test_lbfgs_keeps_the_shape_of_x0():
    T = pg.optimize.default_target(32)
    phi0 = np.random.default_rng(0).uniform(0, 2 * np.pi, T.shape)
    result = pg.optimize.lbfgs(pg.Hologram(target=T), phi0, maxiter=20)
    assert result.x.shape == (32, 32)
    assert result.fun < 0.2 * result.history[0]


def test_adam_on_the_hologram_decreases_and_reaches_psnr():
    T = pg.optimize.default_target(64)
    hologram = pg.Hologram(target=T)
    phi0 = np.random.default_rng(0).uniform(0, 2 * np.pi, T.shape)
    result = pg.optimize.adam(hologram, phi0, iters=60)
    assert result.nit == 60 and result.nfev == 61 and len(result.history) == 61
    assert np.all(np.diff(result.history[::5]) < 0)  # monotone over every 5 steps
    assert pg.optimize.psnr(hologram.simulate(result.x), T) > 22.0
    assert result.fun == pytest.approx(hologram.fun_and_jac(result.x.ravel())[0], rel=1e-12)


def test_adam_callback_values_and_stop():
    T = pg.optimize.spot_array_target(32, rows=3, cols=3)
    hologram = pg.Hologram(target=T, backend="reference")
    phi0 = np.random.default_rng(1).uniform(0, 2 * np.pi, T.shape)
    seen = []

    def record(i, x, cost):
        seen.append((i, x, cost))
        return i == 7

    result = pg.optimize.adam(hologram, phi0, iters=20, callback=record)
    assert [i for i, _, _ in seen] == list(range(1, 8)) and result.nit == 7
    for _, x, cost in seen:
        assert x.shape == (32, 32) and x.dtype == np.float64
        assert cost == pytest.approx(hologram.value_and_grad(x)[0], rel=1e-12)
    np.testing.assert_array_equal(result.x, seen[-1][1])


def test_adam_on_phase_retrieval_reduces_the_cost():
    model, truth, _, _ = small_problem()
    result = pg.optimize.adam(model, np.zeros(model.n_params), lr=0.005, iters=150)
    assert result.fun < 1e-2 * result.history[0]


# -- lbfgs(restarts=) ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def quadratic_problem():
    """The demo's problem (quadratic detector, noiseless), small; one plain and one restarted
    run from the same start, with every callback recorded."""
    model, truth, _, _ = make_problem(size=16, modes=6, detector="quadratic")
    x0 = model.pack(np.zeros(6), (0.0, 1.0, 0.0))
    x_truth = model.pack(truth, DEMO_DETECTOR)
    once = pg.optimize.lbfgs(model, x0, maxiter=500)
    seen = []
    restarted = pg.optimize.lbfgs(model, x0, maxiter=500, restarts=4,
                                  callback=lambda i, x, cost: seen.append((i, cost)))
    return model, x0, x_truth, once, restarted, seen


def _error(x, x_truth):
    return np.linalg.norm(x - x_truth) / np.linalg.norm(x_truth)


def test_lbfgs_restarts_reach_a_lower_error_on_the_demo_problem(quadratic_problem):
    _, _, x_truth, once, restarted, _ = quadratic_problem
    assert once.restarts == 0 and "restart" not in once.message
    assert restarted.restarts >= 1 and f"after {restarted.restarts} restart" in restarted.message
    assert _error(restarted.x, x_truth) < 1e-3 * _error(once.x, x_truth)
    assert restarted.fun < 1e-6 * once.fun


def test_lbfgs_restarts_start_with_the_plain_run(quadratic_problem):
    """restarts=0 is one run, and a restarted minimisation begins with exactly that run."""
    model, x0, _, once, restarted, _ = quadratic_problem
    again = pg.optimize.lbfgs(model, x0, maxiter=500, restarts=0)
    np.testing.assert_array_equal(again.x, once.x)
    np.testing.assert_array_equal(again.history, once.history)
    assert (again.nit, again.nfev, again.message) == (once.nit, once.nfev, once.message)
    np.testing.assert_array_equal(restarted.history[:once.nit + 1], once.history)
    assert restarted.nit > once.nit and restarted.nfev > once.nfev


def test_lbfgs_restarts_count_iterations_and_history_across_runs(quadratic_problem):
    model, _, _, _, restarted, seen = quadratic_problem
    assert [i for i, _ in seen] == list(range(1, restarted.nit + 1))  # numbering continues
    assert len(restarted.history) == restarted.nit + 1
    np.testing.assert_array_equal(restarted.history[1:], [cost for _, cost in seen])
    assert restarted.history[-1] == restarted.fun
    assert restarted.fun == pytest.approx(model.fun_and_jac(restarted.x)[0], rel=1e-12)
    # each run evaluates its start once more than it iterates, at least
    assert restarted.nfev >= restarted.nit + restarted.restarts + 1


def test_lbfgs_restarts_share_maxiter_and_stop_on_the_callback(quadratic_problem):
    model, x0, _, once, _, _ = quadratic_problem
    budget = once.nit + 5
    capped = pg.optimize.lbfgs(model, x0, maxiter=budget, restarts=4)
    assert capped.restarts == 1 and capped.nit == budget
    stop_at = once.nit + 3                  # inside the first restart
    stopped = pg.optimize.lbfgs(model, x0, maxiter=500, restarts=4,
                                callback=lambda i, x, cost: i >= stop_at)
    assert stopped.nit == stop_at and stopped.restarts == 1


def test_lbfgs_restarts_is_a_non_negative_keyword():
    model, _, _, _ = small_problem()
    x0 = np.zeros(model.n_params)
    with pytest.raises(ValueError, match="restarts"):
        pg.optimize.lbfgs(model, x0, restarts=-1)
    with pytest.raises(TypeError, match="restarts"):
        pg.optimize.lbfgs(model, x0, restarts=1.5)
    with pytest.raises(TypeError):
        pg.optimize.lbfgs(model, x0, 200, None, 1e-12, 1e-15, 10, 40, 2)


def test_the_old_demo_names_still_work_and_warn():
    """phasegrad.demo moved (the demo to the command line, its pieces to the library); the old
    names stay as a deprecated alias with the same results."""
    import importlib
    import sys

    sys.modules.pop("phasegrad.demo", None)
    with pytest.warns(DeprecationWarning, match="phasegrad.models.synthetic"):
        demo = importlib.import_module("phasegrad.demo")
    from phasegrad.models import synthetic

    assert demo.make_problem is synthetic.make_problem
    model, truth, _, _ = demo.make_problem(size=16, modes=4, planes=2, seed=3)
    x, cost, iterations, evaluations, history = demo.fit(model, np.zeros(4), maxiter=50)
    result = pg.optimize.lbfgs(model, np.zeros(4), maxiter=50, restarts=4)
    np.testing.assert_array_equal(x, result.x)
    assert (cost, iterations, evaluations) == (result.history[-1], result.nit, result.nfev)
    np.testing.assert_array_equal(history, result.history)
