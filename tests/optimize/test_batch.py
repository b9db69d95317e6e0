"""The lockstep solvers: pg.optimize.lbfgs / levenberg_marquardt on a PhaseRetrievalBatch agree
with the single solvers per problem, converge per problem (mixed convergence), respect bounds,
masks and budgets, and refuse bad starts."""

import numpy as np
import pytest

import phasegrad as pg

N = 12
MODES = 6


def _problems(B=5, seed=0, planes=2, **options):
    rng = np.random.default_rng(seed)
    amplitude = pg.circular_pupil(N)
    amplitude = amplitude / amplitude.sum()
    basis = pg.zernike_basis(MODES, N, first=2)
    defocus = pg.zernike_basis(1, N, first=4)[0]
    diversity = np.stack([0.4 * k * defocus for k in range(planes)])
    truth = rng.normal(0.0, 0.06, (B, MODES))
    maker = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, diversity=diversity,
                              data=np.zeros((planes, 2 * N, 2 * N)))
    data = np.stack([maker.simulate(t) for t in truth])
    batch = pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, diversity=diversity,
                                   data=data, **options)
    return batch, truth


def test_lbfgs_batch_recovers_every_problem_like_the_single_solver():
    batch, truth = _problems()
    assert batch.native
    X0 = truth + 0.03
    result = pg.optimize.lbfgs(batch, X0)
    assert result.x.shape == truth.shape and result.cost.shape == (5,)
    assert result.converged.all(), result.stop_reason
    assert len(result.stop_reason) == 5 and result.nit.dtype.kind == "i"
    for b in range(5):
        single = pg.optimize.lbfgs(batch.problem(b), X0[b])
        np.testing.assert_allclose(result.x[b], single.x, atol=1e-6)
        np.testing.assert_allclose(result.x[b], truth[b], atol=1e-6)
        assert result.cost[b] <= 1e-6 * result.history[b][0]
        assert len(result.history[b]) == result.nit[b] + 1
        assert result.cost[b] == batch.problem(b).fun_and_jac(result.x[b])[0]


def test_lbfgs_batch_mixed_convergence_drops_converged_problems():
    batch, truth = _problems(B=4)
    X0 = truth + 0.03
    X0[1] = truth[1]  # already at the optimum: converged at once
    calls = []
    original = batch.value_and_grad

    def counting(X, active=None):
        calls.append(None if active is None else active.copy())
        return original(X, active)

    batch.value_and_grad = counting
    result = pg.optimize.lbfgs(batch, X0, maxiter=300)
    assert result.stop_reason[1] == "zero_cost" and result.nit[1] == 0
    assert result.converged.all()
    assert all(not active[1] for active in calls[1:])  # it never cost again
    assert result.nfev[1] == 1 and (result.nfev[[0, 2, 3]] > 5).all()
    # Each problem stops on its own: the iteration counts differ.
    assert len(set(result.nit[[0, 2, 3]].tolist())) > 1 or result.nit[0] > 0


def test_lbfgs_batch_maxiter_and_callback():
    batch, truth = _problems(B=3)
    result = pg.optimize.lbfgs(batch, truth + 0.05, maxiter=2)
    assert result.stop_reason == ["maxiter"] * 3 and not result.converged.any()
    assert (result.nit == 2).all()
    seen = []

    def stop_after_first(iteration, X, costs):
        seen.append((iteration, X.shape, costs.shape))
        return True

    result = pg.optimize.lbfgs(batch, truth + 0.05, callback=stop_after_first)
    assert seen == [(1, (3, MODES), (3,))]
    assert result.stop_reason == ["callback"] * 3


@pytest.mark.parametrize("backend", ["fused", "reference"])
def test_lbfgs_batch_respects_bounds(backend):
    """On the native imaging path (fused) and on the loop over single models (reference)."""
    batch, truth = _problems(B=3, fit=("flux",), backend=backend)
    assert batch.native == (backend == "fused")
    X0 = batch.pack_all(truth + 0.02, flux=np.array([[0.5, 0.5], [1.3, 1.2], [1e-9, 1.0]]))
    lower = batch.bounds[0]
    result = pg.optimize.lbfgs(batch, X0, maxiter=400)
    assert np.all(result.x >= lower)
    np.testing.assert_allclose(result.x[:, MODES:], 1.0, atol=1e-4)
    np.testing.assert_allclose(result.x[:, :MODES], truth, atol=1e-4)


def test_levenberg_marquardt_batch_matches_the_single_solver():
    batch, truth = _problems(B=4, detector="quadratic")
    X0 = batch.pack_all(truth + 0.03, (0.0, 1.0, 0.0))
    X0[3] = batch.pack(truth[3], (0.0, 1.0, 0.0))
    result = pg.optimize.levenberg_marquardt(batch, X0)
    assert result.converged.all(), result.stop_reason
    assert result.stop_reason[3] in ("zero_cost", "gtol", "xtol", "ftol")
    assert result.njev.shape == (4,) and result.damping.shape == (4,)
    for b in range(4):
        single = pg.optimize.levenberg_marquardt(batch.problem(b), X0[b], method="dense")
        np.testing.assert_allclose(result.x[b], single.x, atol=1e-9)
        assert result.stop_reason[b] == single.stop_reason
        assert result.nit[b] == single.nit


def test_levenberg_marquardt_batch_maxiter():
    batch, truth = _problems(B=2)
    result = pg.optimize.levenberg_marquardt(batch, truth + 0.05, maxiter=1)
    assert result.stop_reason == ["maxiter", "maxiter"] and (result.nit == 1).all()


def test_bad_batch_starts():
    batch, truth = _problems(B=3)
    with pytest.raises(ValueError, match=r"x0 must have shape \(B, n_params\)"):
        pg.optimize.lbfgs(batch, truth[0])
    with pytest.raises(ValueError, match="x0"):
        pg.optimize.lbfgs(batch, np.full_like(truth, np.nan))
    with pytest.raises(ValueError, match="restarts"):
        pg.optimize.lbfgs(batch, truth, restarts=2)
    with pytest.raises(ValueError, match=r"x0 must have shape"):
        pg.optimize.levenberg_marquardt(batch, truth[:2])
    with pytest.raises(ValueError, match="method"):
        pg.optimize.levenberg_marquardt(batch, truth, method="cg")
    with pytest.raises(TypeError, match="maxiter"):
        pg.optimize.lbfgs(batch, truth, maxiter=1.5)


def test_levenberg_marquardt_batch_on_the_imaging_path_matches_the_single_solver():
    """The imaging batch's native Gauss-Newton systems: the single solver's iterations, stop
    reasons and answers (to 1e-9)."""
    batch, truth = _problems(B=3, fit=("flux", "background"))
    assert batch.native and batch._imaging is not None
    X0 = batch.pack_all(truth + 0.03, flux=[1.1, 0.9], background=[0.0, 0.0])
    result = pg.optimize.levenberg_marquardt(batch, X0)
    assert result.converged.all(), result.stop_reason
    for b in range(3):
        single = pg.optimize.levenberg_marquardt(batch.problem(b), X0[b], method="dense")
        np.testing.assert_allclose(result.x[b], single.x, atol=1e-9)
        assert result.stop_reason[b] == single.stop_reason
        assert result.nit[b] == single.nit
