"""Bounds in the optimizers: L-BFGS-B takes ``model.bounds``; Levenberg-Marquardt projects its
steps onto them; a bound-constrained minimum is found by both."""

import numpy as np
import pytest

import phasegrad as pg


class Shifted:
    """r(x) = x - target with bounds: the constrained minimum is clip(target, lower, upper)."""

    def __init__(self, target, lower, upper):
        self.target = np.asarray(target, dtype=np.float64)
        self.n_params = self.target.size
        self.bounds = (np.asarray(lower, float), np.asarray(upper, float))

    def residuals(self, x):
        return x - self.target

    def jacobian(self, x):
        return np.eye(self.n_params)

    def fun_and_jac(self, x):
        r = self.residuals(x)
        return float(r @ r), 2 * r


class Rosenbrock:
    """Rosenbrock's residuals with x0 <= 0.5: the constrained minimum is on the bound."""

    n_params = 2
    bounds = (np.array([-np.inf, -np.inf]), np.array([0.5, np.inf]))

    def residuals(self, x):
        return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])

    def jacobian(self, x):
        return np.array([[-20 * x[0], 10.0], [-1.0, 0.0]])

    def gauss_newton_product(self, x, v):
        J = self.jacobian(x)
        return J.T @ (J @ v)

    def vjp(self, x, u):
        return self.jacobian(x).T @ u

    def fun_and_jac(self, x):
        r = self.residuals(x)
        return float(r @ r), 2 * self.jacobian(x).T @ r


def test_both_solvers_stop_on_the_bound():
    model = Shifted([-2.0, 0.5, 3.0], [0.0, 0.0, -np.inf], [1.0, 1.0, 2.0])
    expected = [0.0, 0.5, 2.0]
    lm = pg.optimize.levenberg_marquardt(model, np.full(3, 0.3))
    assert lm.converged and np.allclose(lm.x, expected, atol=1e-12)
    lb = pg.optimize.lbfgs(model, np.full(3, 0.3))
    assert np.allclose(lb.x, expected, atol=1e-8)


@pytest.mark.parametrize("method", ["dense", "cg"])
def test_levenberg_marquardt_keeps_every_iterate_inside(method):
    seen = []
    result = pg.optimize.levenberg_marquardt(
        Rosenbrock(), [-1.2, 1.0], maxiter=200, method=method,
        callback=lambda i, x, cost: seen.append(x.copy()))
    assert all(x[0] <= 0.5 for x in seen)
    assert result.x[0] == pytest.approx(0.5, abs=1e-8)
    assert result.x[1] == pytest.approx(0.25, abs=1e-6)  # the best x1 for x0 = 0.5


def test_a_start_outside_is_moved_inside():
    model = Shifted([0.5], [0.0], [1.0])
    seen = []
    pg.optimize.lbfgs(model, [-3.0], callback=lambda i, x, cost: seen.append(x.copy()))
    assert all(0 <= x[0] <= 1 for x in seen)
    assert pg.optimize.levenberg_marquardt(model, [5.0]).x[0] == pytest.approx(0.5)


def test_bad_bounds_are_refused():
    model = Shifted([0.5, 0.5], [0.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="lower <= upper"):
        pg.optimize.lbfgs(model, [0.0, 0.0])
    model.bounds = (np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="2 lower and 2 upper"):
        pg.optimize.levenberg_marquardt(model, [0.0, 0.0])


def test_infinite_bounds_change_nothing():
    """A model whose bounds are all infinite (a PhaseRetrieval without bounded blocks) runs
    exactly as one without the attribute."""
    bounded = Rosenbrock()
    free = Rosenbrock()
    free.bounds = None
    bounded.bounds = (np.full(2, -np.inf), np.full(2, np.inf))
    for solve in (pg.optimize.levenberg_marquardt, pg.optimize.lbfgs):
        a, b = solve(bounded, [-1.2, 1.0]), solve(free, [-1.2, 1.0])
        assert np.array_equal(a.x, b.x) and np.array_equal(a.history, b.history)
