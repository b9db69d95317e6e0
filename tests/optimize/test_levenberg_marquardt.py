"""levenberg_marquardt on NumPy toy models: dense and matrix-free solvers, stopping tests,
agreement with SciPy's MINPACK, bad input."""


import numpy as np
import pytest
from scipy.optimize import least_squares, minimize

import phasegrad as pg
import phasegrad.optimize.least_squares as lm_module

lm = pg.optimize.levenberg_marquardt


class Toy:
    """A least-squares model from ``residuals(x)`` and ``jacobian(x)`` callables, offering
    exactly the methods named in ``offers`` (the others are absent, not stubs)."""

    def __init__(self, residuals, jacobian, n_params, offers=("jacobian",), dtype=np.float64):
        self.n_params = n_params
        self._r, self._j, self._dtype = residuals, jacobian, dtype
        self.calls = {"residuals": 0}
        methods = {
            "jacobian": lambda x: self._j(x).astype(dtype),
            "gauss_newton": lambda x: self._gauss_newton(x),
            "vjp": lambda x, u: (self._j(x).T @ u).astype(dtype),
            "gauss_newton_product": lambda x, v: (self._j(x).T @ (self._j(x) @ v)).astype(dtype),
        }
        for name in offers:
            setattr(self, name, self._counted(name, methods[name]))
            self.calls[name] = 0

    def _counted(self, name, function):
        def call(*args):
            self.calls[name] += 1
            return function(*args)
        return call

    def _gauss_newton(self, x):
        J, r = self._j(x), self._r(x)
        return (J.T @ J).astype(self._dtype), (J.T @ r).astype(self._dtype)

    def residuals(self, x):
        assert x.dtype == np.float64 and x.ndim == 1
        self.calls["residuals"] += 1
        return np.asarray(self._r(x)).astype(self._dtype)

    def cost(self, x):
        r = self._r(np.asarray(x, dtype=np.float64).ravel())
        return float(r @ r)


def rosenbrock(offers=("jacobian",), dtype=np.float64):
    return Toy(lambda x: np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]]),
               lambda x: np.array([[-20 * x[0], 10.0], [-1.0, 0.0]]), 2, offers, dtype)


def linear(rows=40, cols=6, seed=0):
    rng = np.random.default_rng(seed)
    A, b = rng.standard_normal((rows, cols)), rng.standard_normal(rows)
    return Toy(lambda x: A @ x - b, lambda x: A, cols), A, b


T = np.linspace(0.0, 4.0, 60)


def exponentials(truth, data=None):
    """Sums of a_k exp(-b_k t) (parameters a1, b1, a2, b2, ...), fitted to ``data`` (default:
    the model at ``truth``, a zero-residual problem)."""
    def model(p):
        return sum(a * np.exp(-b * T) for a, b in zip(p[::2], p[1::2], strict=True))

    def jacobian(p):
        columns = []
        for a, b in zip(p[::2], p[1::2], strict=True):
            e = np.exp(-b * T)
            columns += [e, -a * T * e]
        return np.stack(columns, axis=1)

    target = model(truth) if data is None else data
    return Toy(lambda p: model(p) - target, jacobian, truth.size), model


def relative_error(x, truth):
    return float(np.max(np.abs(x - truth) / np.abs(truth)))


def test_linear_least_squares_reaches_lstsq_in_a_few_iterations():
    model, A, b = linear()
    result = lm(model, np.zeros(6))
    expected = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(result.x, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    assert result.converged and result.success and result.stop_reason in ("ftol", "xtol")
    assert result.nit <= 8 and result.method == "dense" and result.cg_iterations == 0
    assert result.fun == pytest.approx(model.cost(expected), rel=1e-13)
    assert len(result.history) == result.nit + 1 and result.history[-1] == result.fun
    assert np.all(np.diff(result.history) <= 0)  # rejected steps never raise the cost
    assert result.x.dtype == np.float64


@pytest.mark.parametrize("offers, method", [
    (("jacobian",), "dense"), (("gauss_newton",), "dense"),
    (("vjp", "gauss_newton_product"), "cg"),
])
def test_rosenbrock_from_the_classic_start_by_every_kind_of_model(offers, method):
    model = rosenbrock(offers)
    result = lm(model, np.array([-1.2, 1.0]))
    assert result.converged, result.message
    assert result.method == method
    np.testing.assert_allclose(result.x, [1.0, 1.0], rtol=0, atol=1e-10)
    assert result.gradient_norm < 1e-9
    assert result.nfev == model.calls["residuals"] == result.nit + 1
    counted = "vjp" if method == "cg" else offers[0]
    assert result.njev == model.calls[counted]
    if method == "cg":
        # the first product at a point, J^T J g, is reused by every solve there
        assert 0 < model.calls["gauss_newton_product"] <= result.cg_iterations


def test_the_dense_solver_prefers_gauss_newton_to_the_jacobian():
    model = rosenbrock(("jacobian", "gauss_newton"))
    result = lm(model, np.array([-1.2, 1.0]))
    assert result.converged and model.calls["jacobian"] == 0
    assert model.calls["gauss_newton"] == result.njev


def test_ill_conditioned_exponential_fit_where_lbfgs_stalls():
    """Two exponentials with rates 1 and 1.02: cond(J) ~ 1e7, the amplitudes nearly
    interchangeable. LM reaches the truth to 1e-8; L-BFGS-B, given the same iteration budget
    and the same exact gradient, does not get within 1e-6."""
    truth = np.array([1.0, 1.0, 0.5, 1.02])
    model, _ = exponentials(truth)
    assert 3e6 < np.linalg.cond(model._j(truth)) < 3e7
    x0 = truth * np.array([1.01, 0.99, 0.99, 1.01])
    result = lm(model, x0, maxiter=100)
    assert result.converged, result.message
    assert relative_error(result.x, truth) < 1e-8

    def fun_and_grad(p):
        r = model._r(p)
        return r @ r, 2 * model._j(p).T @ r

    lbfgsb = minimize(fun_and_grad, x0, jac=True, method="L-BFGS-B",
                      options={"maxiter": 100, "gtol": 1e-15, "ftol": 1e-15})
    assert relative_error(lbfgsb.x, truth) > 1e-6


def test_agrees_with_scipy_minpack_on_a_noisy_fit():
    truth = np.array([1.0, 0.5, 1.0, 1.5, 1.0, 3.0])
    _, model_of = exponentials(truth)
    noisy = model_of(truth) + 1e-3 * np.random.default_rng(1).standard_normal(T.size)
    model, _ = exponentials(truth, noisy)
    x0 = truth * 1.1
    result = lm(model, x0)
    assert result.converged, result.message
    assert result.fun > 1e-6  # a non-zero residual
    reference = least_squares(model._r, x0, jac=model._j, method="lm", xtol=1e-15, ftol=1e-15,
                              gtol=1e-15)
    np.testing.assert_allclose(result.x, reference.x, rtol=1e-7)
    assert result.fun == pytest.approx(2 * reference.cost, rel=1e-12)


def large_smooth_problem(n=5000, seed=3):
    """r = (x + 0.1 sin x - b, 3 (x_i+1 - x_i) - d): K = 5000, zero residual at ``truth``,
    derivatives only matrix-free (J is diagonal plus a difference operator)."""
    truth = np.cumsum(np.random.default_rng(seed).standard_normal(n)) / np.sqrt(n)
    b, d = truth + 0.1 * np.sin(truth), 3 * np.diff(truth)

    class Smooth:
        n_params = n

        def residuals(self, x):
            return np.concatenate([x + 0.1 * np.sin(x) - b, 3 * np.diff(x) - d])

        def vjp(self, x, u):
            out = (1 + 0.1 * np.cos(x)) * u[:n]
            out[1:] += 3 * u[n:]
            out[:-1] -= 3 * u[n:]
            return out

        def jvp(self, x, v):
            return np.concatenate([(1 + 0.1 * np.cos(x)) * v, 3 * np.diff(v)])

        def gauss_newton_product(self, x, v):
            return self.vjp(x, self.jvp(x, v))

    return Smooth(), truth


def test_the_matrix_free_path_on_five_thousand_parameters():
    model, truth = large_smooth_problem()
    result = lm(model, np.zeros(truth.size), maxiter=50)
    assert result.method == "cg" and result.cg_iterations > 0
    assert result.converged, result.message
    np.testing.assert_allclose(result.x, truth, rtol=0, atol=1e-10 * np.abs(truth).max())


def test_auto_starts_with_cg_turns_dense_when_cg_stalls_and_stays_cg_beyond_two_thousand():
    model, truth = large_smooth_problem(n=300)
    assert lm(model, np.zeros(300), maxiter=1).method == "cg"  # no dense derivatives offered
    dense_only = rosenbrock(("jacobian",))
    assert lm(dense_only, np.zeros(2), maxiter=1).method == "dense"
    # Six correlated exponential parameters: CG solves of at most 2 iterations cannot reach
    # their tolerance on this ill-conditioned system, so auto turns dense for good.
    truth = np.array([1.0, 0.5, 1.0, 1.5, 1.0, 3.0])
    base, _ = exponentials(truth)
    both = Toy(base._r, base._j, truth.size, ("jacobian", "vjp", "gauss_newton_product"))
    found = lm(both, truth * 1.05, maxiter=200)
    assert found.converged and found.method == "cg+dense" and found.cg_iterations > 0
    np.testing.assert_allclose(found.x, truth, rtol=1e-8)
    small = rosenbrock(("jacobian", "vjp", "gauss_newton_product"))
    assert lm(small, np.zeros(2), maxiter=1, method="cg").method == "cg"
    assert lm(small, np.zeros(2), maxiter=1, method="dense").method == "dense"
    big, _, _ = linear(rows=2500, cols=2001)
    big.vjp = lambda x, u: big._j(x).T @ u
    big.gauss_newton_product = lambda x, v: big._j(x).T @ (big._j(x) @ v)
    assert lm(big, np.zeros(2001), maxiter=1).method == "cg"


def test_every_solver_reaches_the_same_point():
    truth = np.array([1.0, 0.5, 1.0, 1.5, 1.0, 3.0])
    _, model_of = exponentials(truth)
    noisy = model_of(truth) + 1e-3 * np.random.default_rng(2).standard_normal(T.size)
    results = []
    for offers in (("jacobian",), ("gauss_newton",), ("vjp", "gauss_newton_product")):
        model, _ = exponentials(truth, noisy)
        model = Toy(model._r, model._j, truth.size, offers)
        results.append(lm(model, truth * 1.05, maxiter=200))
    for result in results:
        assert result.converged, result.message
        np.testing.assert_allclose(result.x, results[0].x, rtol=1e-7)


def test_callback_sees_every_iteration_and_can_stop():
    model = rosenbrock()
    seen = []

    def callback(iteration, x, cost):
        seen.append((iteration, x.copy(), cost))
        return iteration == 3

    result = lm(model, np.array([-1.2, 1.0]), callback=callback)
    assert [i for i, _, _ in seen] == [1, 2, 3] and result.nit == 3
    assert result.stop_reason == "callback" and not result.converged and not result.success
    for _, x, cost in seen:
        assert cost == pytest.approx(model.cost(x), rel=1e-14)
    np.testing.assert_array_equal(seen[-1][1], result.x)
    np.testing.assert_array_equal(result.history[1:], [cost for _, _, cost in seen])


def test_maxiter_is_not_convergence():
    result = lm(rosenbrock(), np.array([-1.2, 1.0]), maxiter=3)
    assert result.nit == 3 and result.stop_reason == "maxiter"
    assert result.converged is False and result.success is False
    assert len(result.history) == 4 and "maxiter" in result.message


def test_a_start_at_the_solution_stops_at_once_on_zero_cost():
    result = lm(rosenbrock(), np.ones(2))
    assert result.stop_reason == "zero_cost" and result.converged
    assert result.nit == 0 and result.njev == 0 and result.gradient_norm == 0.0


def test_x0_keeps_its_shape_and_becomes_float64():
    model, A, b = linear(cols=6)
    result = lm(model, np.zeros((2, 3), dtype=np.float32))
    assert result.x.shape == (2, 3) and result.x.dtype == np.float64
    np.testing.assert_allclose(result.x.ravel(), np.linalg.lstsq(A, b, rcond=None)[0],
                               atol=1e-12)


@pytest.mark.parametrize("offers", [("jacobian",), ("gauss_newton",),
                                    ("vjp", "gauss_newton_product")])
def test_float32_models_give_float64_results(offers):
    model = rosenbrock(offers, dtype=np.float32)
    result = lm(model, np.array([-1.2, 1.0], dtype=np.float32))
    assert result.x.dtype == np.float64 and result.history.dtype == np.float64
    assert isinstance(result.fun, float) and isinstance(result.gradient_norm, float)
    assert result.converged, result.message
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-5)


def test_non_finite_residuals_at_a_trial_point_are_a_rejected_step():
    """r = (log x0 - 1, log x1 + 2): the first full Gauss-Newton steps leave the domain."""
    target = np.array([np.e, np.exp(-2.0)])
    with np.errstate(invalid="ignore", divide="ignore"):
        model = Toy(lambda x: np.log(x) - np.log(target), lambda x: np.diag(1 / x), 2)
        result = lm(model, np.array([50.0, 0.001]), damping=1e-8)
    assert result.converged, result.message
    assert np.all(np.isfinite(result.history))
    np.testing.assert_allclose(result.x, target, rtol=1e-10)


def test_wrong_derivatives_end_in_a_damping_failure():
    model = Toy(lambda x: np.array([x[0] - 1, 2 * (x[1] + 3)]),
                lambda x: -np.diag([1.0, 2.0]), 2)  # the sign is wrong
    result = lm(model, np.zeros(2))
    assert result.stop_reason == "damping" and not result.converged
    assert result.fun == pytest.approx(model.cost(np.zeros(2)))  # never moved uphill
    assert np.all(np.isfinite(result.x))


def test_a_model_with_no_derivatives_is_refused():
    class OnlyResiduals:
        def residuals(self, x):
            return x

    with pytest.raises(TypeError, match="model"):
        lm(OnlyResiduals(), np.zeros(2))


NEVER = Toy(lambda x: pytest.fail("evaluated before the arguments were checked"),
            lambda x: pytest.fail("evaluated"), 2, ("jacobian", "gauss_newton"))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"model": object()}, TypeError, "model"),
    ({"x0": np.zeros(3)}, ValueError, "x0"),
    ({"x0": np.zeros(2, dtype=int)}, TypeError, "x0"),
    ({"x0": np.array([0.0, np.nan])}, ValueError, "x0"),
    ({"x0": np.zeros(2, dtype=complex)}, TypeError, "x0"),
    ({"maxiter": 0}, ValueError, "maxiter"),
    ({"maxiter": 2.0}, TypeError, "maxiter"),
    ({"callback": 3}, TypeError, "callback"),
    ({"gtol": -1.0}, ValueError, "gtol"),
    ({"xtol": "1e-8"}, TypeError, "xtol"),
    ({"ftol": np.inf}, ValueError, "ftol"),
    ({"damping": 0.0}, ValueError, "damping"),
    ({"cg_maxiter": 0}, ValueError, "cg_maxiter"),
    ({"method": "qr"}, ValueError, "method"),
    ({"method": "cg"}, TypeError, "model"),  # NEVER has no vjp / gauss_newton_product
])
def test_bad_arguments_are_refused_before_any_evaluation(kwargs, error, match):
    arguments = {"model": NEVER, "x0": np.zeros(2), **kwargs}
    with pytest.raises(error, match=match):
        lm(arguments.pop("model"), arguments.pop("x0"), **arguments)


def test_a_dense_solve_too_large_for_memory_is_refused_before_any_evaluation():
    huge = Toy(lambda x: pytest.fail("evaluated"), lambda x: pytest.fail("evaluated"),
               20000, ("gauss_newton",))
    with pytest.raises(ValueError, match="cg"):
        lm(huge, np.zeros(20000), method="dense")


@pytest.mark.parametrize("residuals, match", [
    (lambda x: np.array([np.nan, 1.0]), "residuals"),
    (lambda x: np.ones((2, 1)), "flat"),
    (lambda x: np.array([1, 2]), "float32 or float64"),
])
def test_bad_residuals_at_x0_are_reported(residuals, match):
    class Bad:
        n_params = 2

        def residuals(self, x):
            return residuals(x)

        def jacobian(self, x):
            return np.eye(2)

    model = Bad()
    with pytest.raises((TypeError, ValueError), match=match):
        lm(model, np.zeros(2))


def test_a_wrong_shaped_jacobian_is_reported():
    model = Toy(lambda x: x - 1, lambda x: np.eye(3), 2)
    with pytest.raises(ValueError, match="jacobian"):
        lm(model, np.zeros(2))


def test_the_result_class_is_exported():
    assert pg.optimize.LevenbergMarquardtResult is lm_module.LevenbergMarquardtResult
    assert issubclass(pg.optimize.LevenbergMarquardtResult, pg.optimize.OptimizeResult)
    assert "levenberg_marquardt" in pg.optimize.__all__

