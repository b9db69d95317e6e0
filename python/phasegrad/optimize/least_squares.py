"""Levenberg-Marquardt on a model's least-squares view: dense normal equations or matrix-free CG.

The model is any object with ``residuals(x)`` (its cost is ``E = ||r||^2``) and the
derivatives of one of the two solvers: ``gauss_newton(x) -> (J^T J, J^T r)`` or
``jacobian(x)`` for the dense one, ``gauss_newton_product(x, v) = J^T J v`` and
``vjp(x, u) = J^T u`` for the matrix-free one (``pg.PhaseRetrieval`` and ``pg.Hologram`` offer
all of them). Every vector is flat float64 whatever the model's precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve, eigh

from ..arguments import least_squares as ls
from ..arguments import optimize as c
from ..config import single_threaded_blas
from ._result import OptimizeResult
from .batch import is_batch, levenberg_marquardt_batch

__all__ = ["LevenbergMarquardtResult", "levenberg_marquardt"]

# method="auto" may form the dense normal equations up to this many parameters.
_AUTO_DENSE_LIMIT = 2000
# method="auto" starts with CG solves of at most max(2, K // 3) iterations (cheaper than one
# dense Jacobian, which costs about K / 2 value_and_grad calls where a Gauss-Newton product
# costs about 1.5) and turns to the dense solver for good the first time one does not reach
# its tolerance (an ill-conditioned system).
_AUTO_CG_SHARE = 3
# The damping lambda (dimensionless: it multiplies the scaling D) stays in [_MIN, _MAX]; above
# _MAX_DAMPING the run fails with stop_reason "damping".
_MIN_DAMPING = 1e-15
_MAX_DAMPING = 1e16
# An accepted step divides lambda by at most this much (Nielsen's rule uses 3; 10 saved about a
# third of the iterations on the tests' exponential fits and lets a linear problem reach its
# optimum before the cost's rounding hides the last step).
_LEAST_DECREASE = 0.1
# A cost below (_FLOOR_EPSILONS eps)^2 times the initial one (eps of the model's precision)
# is at the rounding floor of a zero-residual problem.
_FLOOR_EPSILONS = 1e3
# A predicted reduction below _ROUNDING_EPSILONS eps times the cost is below its rounding.
_ROUNDING_EPSILONS = 1e2
# Eisenstat-Walker forcing terms (their choice 2): eta_k = GAMMA (|g_k| / |g_k-1|)^2, within
# [ETA_MIN, ETA_MAX], starting at ETA_MAX.
_EW_GAMMA = 0.9
_ETA_MAX = 0.1
_ETA_MIN = 1e-10

_MESSAGES = {
    "gtol": "the gradient ||J^T r||_inf fell to gtol",
    "ftol": "an accepted step lowered the cost, and was predicted to, by at most ftol "
            "(relative)",
    "xtol": "the step fell below xtol relative to x",
    "zero_cost": "the cost is exactly 0",
    "maxiter": "reached maxiter iterations",
    "damping": "no progress possible: the damping blew up (steps that the Gauss-Newton model "
               "predicts to lower the cost raise it, or the residuals are not finite there)",
    "callback": "stopped by the callback",
}


@dataclass
class LevenbergMarquardtResult(OptimizeResult):
    """``levenberg_marquardt``'s result: an ``OptimizeResult`` with the solver's own fields.

    ``success`` equals ``converged``.

    Attributes
    ----------
    njev : int
        Derivative evaluations: calls of ``gauss_newton`` or ``jacobian`` (dense), of ``vjp``
        (matrix-free); one at ``x0`` and one at each accepted point.
    converged : bool
        True only when a convergence test passed (``stop_reason`` "gtol", "ftol", "xtol" or
        "zero_cost"); never on "maxiter", "damping" or "callback".
    stop_reason : str
        Why it stopped, one word: "gtol", "ftol", "xtol", "zero_cost", "maxiter", "damping"
        or "callback".
    gradient_norm : float
        ``||J^T r||_inf`` at ``x`` (half the largest component of the cost's gradient).
    damping : float
        The final damping lambda (dimensionless, relative to the scaling D).
    method : str
        The solver that ran: "dense", "cg", or "cg+dense" (``method="auto"`` started with CG
        and turned dense).
    cg_iterations : int
        Conjugate-gradient iterations in all (0 for the dense solver).
    """

    njev: int = 0
    converged: bool = False
    stop_reason: str = ""
    gradient_norm: float = float("nan")
    damping: float = float("nan")
    method: str = ""
    cg_iterations: int = 0


class _Dense:
    """The damped normal equations solved by Cholesky, with Marquardt's scaling D = diag(J^T J)
    (its running maximum; an entry still 0, a parameter the residuals have not depended on,
    takes the smallest positive one, so the system stays positive definite without damping
    any parameter out of proportion to its own scale)."""

    name = "dense"

    def __init__(self, model, n_params):
        self.model = model
        self.n_params = n_params
        self.use_gauss_newton = callable(getattr(model, "gauss_newton", None))
        self.scaling = np.zeros(n_params)
        self.hessian = None

    def linearize(self, x, r):
        """Evaluate J^T J and g = J^T r at ``x`` (residuals ``r``); return g."""
        n = self.n_params
        if self.use_gauss_newton:
            found = self.model.gauss_newton(x)
            if not isinstance(found, tuple) or len(found) != 2:
                raise TypeError("model.gauss_newton(x) must return a pair (J^T J, J^T r)")
            hessian = c.model_matrix(found[0], (n, n), "model.gauss_newton(x)[0]")
            gradient = c.model_vector(found[1], n, "model.gauss_newton(x)[1]")
        else:
            jacobian = c.model_matrix(self.model.jacobian(x), (r.size, n), "model.jacobian(x)")
            hessian = jacobian.T @ jacobian
            gradient = jacobian.T @ r
        self.hessian = hessian
        self.scaling = np.maximum(self.scaling, np.diagonal(hessian))
        positive = self.scaling > 0
        if not positive.all():
            self.scaling = np.where(positive, self.scaling,
                                    self.scaling[positive].min() if positive.any() else 1.0)
        return gradient

    def solve(self, gradient, damping, free=None):
        """The step h of (J^T J + damping D) h = -g and its predicted reduction of E; with
        ``free`` (a boolean mask), only those parameters move (the others' h is 0)."""
        if free is not None:
            step = np.zeros_like(gradient)
            step[free] = self._solve(self.hessian[np.ix_(free, free)], self.scaling[free],
                                     gradient[free], damping)
        else:
            step = self._solve(self.hessian, self.scaling, gradient, damping)
        return step, self.reduction(step, gradient), 0, True

    def _solve(self, hessian, scaling, gradient, damping):
        inverse_root = 1.0 / np.sqrt(scaling)
        matrix = hessian * inverse_root[:, None] * inverse_root[None, :]
        matrix[np.diag_indices_from(matrix)] += damping
        rhs = -inverse_root * gradient
        try:
            y = cho_solve(cho_factor(matrix, lower=True, check_finite=False), rhs,
                          check_finite=False)
        except LinAlgError:  # not positive definite to rounding: a truncated eigen-solve
            values, vectors = eigh(matrix, check_finite=False)
            keep = values > self.n_params * np.finfo(np.float64).eps * np.abs(values).max()
            y = vectors[:, keep] @ ((vectors[:, keep].T @ rhs) / values[keep])
        return inverse_root * y

    def reduction(self, step, gradient):
        """The reduction of E the Gauss-Newton model predicts for ``step``."""
        return -2.0 * _dot(step, gradient) - _dot(step, self.hessian @ step)


class _MatrixFree:
    """The damped normal equations (J^T J + damping d I) h = -g by conjugate gradients on
    ``gauss_newton_product``, stopped by an Eisenstat-Walker forcing term."""

    name = "cg"

    def __init__(self, model, n_params, cg_maxiter):
        self.model = model
        self.n_params = n_params
        self.cg_maxiter = cg_maxiter
        self.scale = 0.0          # d: the largest Rayleigh quotient g^T J^T J g / g^T g seen
        self.forcing = _ETA_MAX
        self.previous_norm = None
        self.x = None
        self.first_product = None  # J^T J (-g) at x, shared by every solve there

    def linearize(self, x, r):
        """Evaluate g = J^T r at ``x``; update the forcing term; return g."""
        gradient = c.model_vector(self.model.vjp(x, r), self.n_params, "model.vjp(x, u)")
        norm = np.sqrt(_dot(gradient, gradient))
        if self.previous_norm is not None and self.previous_norm > 0:
            forcing = _EW_GAMMA * (norm / self.previous_norm) ** 2
            safeguard = _EW_GAMMA * self.forcing ** 2
            if safeguard > 0.1:
                forcing = max(forcing, safeguard)
            self.forcing = min(_ETA_MAX, max(_ETA_MIN, forcing))
        self.previous_norm = norm
        self.x = x
        self.first_product = None
        return gradient

    def _product(self, v):
        return c.model_vector(self.model.gauss_newton_product(self.x, v), self.n_params,
                              "model.gauss_newton_product(x, v)")

    def solve(self, gradient, damping, free=None):
        """The step h, its predicted reduction of E, the CG iterations it took, and whether
        CG reached its tolerance; with ``free`` (a boolean mask) only those parameters move
        (CG on the free block of the system)."""
        if free is not None:
            full = gradient
            gradient = np.where(free, gradient, 0.0)
        rhs = -gradient
        step = np.zeros_like(gradient)
        hessian_step = np.zeros_like(gradient)   # J^T J h, for the predicted reduction
        residual = rhs.copy()
        direction = residual.copy()
        residual_sq = _dot(residual, residual)
        tolerance = self.forcing * np.sqrt(residual_sq)
        iterations = 0
        solved = False
        while iterations < self.cg_maxiter:
            if free is not None:
                product = np.where(free, self._product(direction), 0.0)
            elif iterations == 0:
                if self.first_product is None:
                    self.first_product = self._product(direction)
                    quotient = _dot(direction, self.first_product) / residual_sq
                    self.scale = max(self.scale, quotient)
                product = self.first_product
            else:
                product = self._product(direction)
            damped = product + damping * self.scale * direction
            curvature = _dot(direction, damped)
            if not curvature > 0:
                if iterations == 0:
                    raise ValueError("model.gauss_newton_product(x, v) gave v^T (J^T J + "
                                     "damping) v <= 0 for v = -J^T r: it is not J^T J v")
                break
            alpha = residual_sq / curvature
            step += alpha * direction
            hessian_step += alpha * product
            residual -= alpha * damped
            iterations += 1
            new_sq = _dot(residual, residual)
            if np.sqrt(new_sq) <= tolerance:
                solved = True
                break
            direction = residual + (new_sq / residual_sq) * direction
            residual_sq = new_sq
        predicted = -2.0 * _dot(step, gradient) - _dot(step, hessian_step)
        if free is not None:
            predicted = -2.0 * _dot(step, full) - _dot(step, hessian_step)
        return step, predicted, iterations, solved

    def reduction(self, step, gradient):
        """The reduction of E the Gauss-Newton model predicts for ``step`` (one product)."""
        return -2.0 * _dot(step, gradient) - _dot(step, self._product(step))


def _dot(a, b):
    """``a . b`` of two float64 vectors without BLAS: NumPy's own loop. A BLAS dot wakes
    OpenBLAS's thread pool for every long vector, whose spinning workers then take the cores
    from the model's OpenMP kernels (measured: a 6-iteration fit of a 32-pixel problem took
    0.25 s instead of 0.04 s on a busy 2-core machine)."""
    return float(np.einsum("i,i->", a, b))


def _residuals(model, x, size):
    """``model.residuals(x)`` as float64, its cost (inf when not finite), and the machine
    epsilon of the model's precision (its ``dtype`` when it has one, as ``pg.PhaseRetrieval``
    whose residuals are float64 whatever its precision; else the residuals' dtype)."""
    found = np.asarray(model.residuals(x))
    r = c.model_vector(found, size, "model.residuals(x)", finite=False)
    precision = getattr(model, "dtype", None)
    try:
        epsilon = float(np.finfo(precision if precision is not None else found.dtype).eps)
    except (TypeError, ValueError):
        epsilon = float(np.finfo(found.dtype).eps)
    epsilon = max(epsilon, float(np.finfo(found.dtype).eps))
    if not np.all(np.isfinite(r)):
        return r, np.inf, epsilon
    return r, _dot(r, r), epsilon


def _projected(x, step, bounds):
    """The step to the projection of ``x + step`` onto the box ``bounds`` (``step`` itself,
    unrounded, when ``x + step`` is inside)."""
    trial = x + step
    inside = np.clip(trial, *bounds)
    return step if np.array_equal(inside, trial) else inside - x


def _moving(x, gradient, bounds):
    """The parameters that may move: all but those on a bound whose gradient pushes them
    out (None when every one may)."""
    if bounds is None:
        return None
    lower, upper = bounds
    blocked = ((x <= lower) & (gradient > 0)) | ((x >= upper) & (gradient < 0))
    return ~blocked if blocked.any() else None


def _free_gradient(x, gradient, bounds):
    """The gradient without the components that push ``x`` out of the box where it is on a
    bound (the projected gradient, zero at a bound-constrained minimum)."""
    moving = _moving(x, gradient, bounds)
    return gradient if moving is None else np.where(moving, gradient, 0.0)


@single_threaded_blas()
def levenberg_marquardt(model, x0, maxiter=100, callback=None, gtol=0.0, xtol=1e-12,
                        ftol=1e-15, *, method="auto", damping=1e-3, cg_maxiter=100):
    """Minimise ``||r(x)||^2`` by Levenberg-Marquardt on the model's residuals and derivatives.

    Each iteration solves the damped Gauss-Newton equations ``(J^T J + lambda D) h = -J^T r``
    at the current point, evaluates the residuals at ``x + h``, and accepts the step only when
    it lowers the cost (a non-finite residual counts as a raise). The damping follows Nielsen's
    gain-ratio rule: with ``rho`` = actual / predicted reduction, an accepted step multiplies
    lambda by ``max(1/10, 1 - (2 rho - 1)^3)`` (Nielsen's rule, which bounds the decrease at
    1/3), a rejected one by ``nu`` (2, then doubling while rejections continue). ``D`` is
    Marquardt's scaling: the running maximum of ``diag(J^T J)``, an entry still 0 replaced by
    the smallest positive one (dense solver), so that each parameter is damped on its own
    scale (a detector gain of 1e10 beside Zernike coefficients of 0.1 converges as fast as a
    gain of 1), or ``d I`` with ``d`` the largest Rayleigh quotient of
    ``J^T J`` along the gradients seen (matrix-free solver, where the diagonal is not
    available), so that lambda is dimensionless in both.

    Parameters
    ----------
    model : object
        Anything with ``residuals(x)`` returning a flat float32/float64 residual vector for a
        flat float64 ``x`` (the cost is its squared norm), and ``gauss_newton(x) -> (J^T J,
        J^T r)`` or ``jacobian(x)`` for ``method="dense"``, ``gauss_newton_product(x, v)`` and
        ``vjp(x, u)`` for ``method="cg"``; e.g. ``pg.PhaseRetrieval`` or ``pg.Hologram``. Its
        ``n_params``, when present, is checked against ``x0``. A model with a ``bounds``
        attribute (``(lower, upper)``, e.g. an imaging model's non-negative fluxes) keeps its
        iterates inside them: ``x0`` is moved inside, each trial step is projected onto the
        box (``clip(x + h, lower, upper) - x``, its predicted reduction recomputed for the
        projected step), and ``gtol`` tests the projected gradient (without the components
        that push against an active bound).
    x0 : array_like, float32 or float64
        Starting point, any shape with ``model.n_params`` values; ``result.x`` has its shape.
    maxiter : int
        Most iterations (default 100). An iteration is one damped solve and one residual
        evaluation, its step accepted or not.
    callback : callable, optional
        ``callback(iteration, x, cost)`` after each iteration (iteration counts from 1; ``x``
        a float64 copy shaped like ``x0``, the current point, unchanged after a rejected step;
        ``cost`` its cost). Returning True stops the run.
    gtol : float
        Stop (converged) when ``||J^T r||_inf <= gtol`` at ``x0`` or an accepted point, in the
        units of the residuals squared per parameter (default 0: only at an exact stationary
        point, as MINPACK's ``lmder1``). A gradient test cannot see the error along the weak
        directions of an ill-conditioned J (there ``||J^T r||`` is ``sigma_min^2`` times the
        error), so the default leaves stopping to ``xtol`` and ``ftol``.
    xtol : float
        Stop (converged) when an accepted step has ``||h|| <= xtol * (||x|| + xtol)`` (default
        1e-12). A rejected step that small ends the run too: as converged when the
        Gauss-Newton model predicts no gain above the cost's rounding (the rounding floor),
        as ``"damping"`` otherwise (see Notes).
    ftol : float
        Stop (converged) when an accepted step lowered the cost by at most ``ftol`` times the
        cost before it, and the Gauss-Newton model predicted no more (default 1e-15). The
        reduction is summed as ``(r - r_new) . (r + r_new)``, accurate to the rounding of the
        residuals' change rather than of the cost.
    method : {"auto", "dense", "cg"}, keyword-only
        ``"dense"``: Cholesky on the scaled normal equations, from ``gauss_newton`` (preferred)
        or ``jacobian``; a matrix that is not positive definite to rounding falls back to an
        eigen-solve that drops eigenvalues below ``K * eps`` of the largest. ``"cg"``:
        conjugate gradients on ``gauss_newton_product``, never forming a matrix. ``"auto"``
        (default), for a model that offers both and ``n_params <= 2000``: CG solves of at
        most ``max(2, n_params // 3)`` iterations (cheaper than one dense Jacobian) while
        they reach their tolerance, then the dense solver for good from the first one that
        does not (an ill-conditioned system; ``result.method`` is then ``"cg+dense"``);
        beyond 2000 parameters CG; a model that offers one solver gets that one.
    damping : float, keyword-only
        Initial lambda, relative to the scaling ``D`` (default 1e-3; > 0).
    cg_maxiter : int, keyword-only
        Most CG iterations per solve (default 100). CG stops earlier when its residual falls
        below ``eta * ||J^T r||``, with Eisenstat-Walker forcing terms ``eta = 0.9 (||g_k|| /
        ||g_k-1||)^2`` (their choice 2, safeguarded), kept in [1e-10, 0.1].

    Returns
    -------
    LevenbergMarquardtResult
        ``x`` (float64, shaped like ``x0``), ``fun`` (the cost at ``x``), ``nit``, ``nfev``
        (residual evaluations), ``history`` (the cost at ``x0`` and after each iteration),
        ``message``, ``success`` (= ``converged``), and ``njev``, ``converged``,
        ``stop_reason``, ``gradient_norm``, ``damping``, ``method``, ``cg_iterations``.

    Raises
    ------
    TypeError, ValueError
        Bad arguments (naming them, before any evaluation); a model whose ``residuals`` are not
        finite at ``x0``, or whose derivatives have the wrong shape or are not finite.

    Notes
    -----
    Tests run after each iteration, in this order: the cost is exactly 0 (``"zero_cost"``);
    after an accepted step ``gtol``, ``ftol``, ``xtol``; then the callback; then ``maxiter``.
    On a zero-residual problem the defaults reach about 1e-10 relative accuracy or better (the
    cost falls quadratically, so ``ftol`` never fires and ``xtol`` or ``zero_cost`` ends the
    run). On a problem with a non-zero residual, ``ftol`` or ``xtol`` ends it where the cost
    stops falling above its rounding.

    A rejected step already below ``xtol`` ends the run. It is convergence (``"xtol"``) when
    the cost is at its rounding floor: the Gauss-Newton model predicts a reduction below
    ``100 eps`` times the cost, or the cost is below ``(1000 eps)^2`` times the initial one
    (a zero-residual problem solved to rounding); ``eps`` is that of the model's ``dtype``
    when it has one (float32 models return float64 residuals), else of the residuals.
    Otherwise the model expected the step to pay and it did not (the derivatives disagree
    with the residuals: a wrong Jacobian) or the residuals were not finite there:
    ``"damping"``, a failure, as when lambda passes 1e16.

    On long curved valleys (sums of exponentials with close rates, far from the solution) LM
    may crawl: steps that the damping keeps short and the curvature keeps from growing.

    A batch of problems (``pg.PhaseRetrievalBatch``) runs in lockstep with the dense solver
    (``phasegrad.optimize.batch.levenberg_marquardt_batch``: ``x0`` (B, n_params), a
    ``BatchResult`` per problem).

    Examples
    --------
    Rosenbrock's function as the residuals ``(10 (x1 - x0^2), 1 - x0)``:

    >>> import numpy as np, phasegrad as pg
    >>> class Rosenbrock:
    ...     n_params = 2
    ...     def residuals(self, x):
    ...         return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])
    ...     def jacobian(self, x):
    ...         return np.array([[-20 * x[0], 10.0], [-1.0, 0.0]])
    >>> result = pg.optimize.levenberg_marquardt(Rosenbrock(), [-1.2, 1.0])
    >>> result.converged, result.method, bool(np.allclose(result.x, 1, rtol=0, atol=1e-10))
    (True, 'dense', True)
    """
    if is_batch(model):  # B problems in lockstep (optimize/batch.py), the dense solver
        if method not in ("auto", "dense"):
            raise ValueError(f"a batch of problems runs the dense solver: method must be "
                             f"'auto' or 'dense'; got {method!r}")
        return levenberg_marquardt_batch(model, x0, maxiter=maxiter, callback=callback,
                                         gtol=gtol, xtol=xtol, ftol=ftol, damping=damping)
    x, shape = c.least_squares_model(model, x0)
    n_params = x.size
    bounds = c.model_bounds(model, n_params)
    if bounds is not None:
        x = np.clip(x, *bounds)
    maxiter = c.positive_int(maxiter, "maxiter")
    user_callback = c.callback(callback)
    gtol = c.real_number(gtol, "gtol", low=0.0)
    xtol = c.real_number(xtol, "xtol", low=0.0)
    ftol = c.real_number(ftol, "ftol", low=0.0)
    damping = c.real_number(damping, "damping", low=0.0, low_open=True)
    cg_maxiter = c.positive_int(cg_maxiter, "cg_maxiter")
    method = c.least_squares_method(method, model, n_params, _AUTO_DENSE_LIMIT)
    fallback = method == "auto"  # CG while its solves are cheap, dense once one stalls
    if method == "dense":
        ls.dense_size(n_params, n_params, "Gauss-Newton matrix J^T J", 'method="cg"')
        solver = _Dense(model, n_params)
    elif fallback:
        solver = _MatrixFree(model, n_params,
                             min(cg_maxiter, max(2, n_params // _AUTO_CG_SHARE)))
    else:
        solver = _MatrixFree(model, n_params, cg_maxiter)
    used = [solver.name]

    r, cost, epsilon = _residuals(model, x, None)
    if not np.isfinite(cost):
        raise ValueError("model.residuals(x0) returned NaN or infinity: start from a point "
                         "where the residuals are finite")
    if method == "dense" and not solver.use_gauss_newton:
        ls.dense_size(r.size, n_params, "Jacobian", 'method="cg"')
    nfev, njev, cg_iterations, nit = 1, 0, 0, 0
    history = [cost]
    reason = None
    gradient_norm = 0.0
    if cost == 0.0:
        reason = "zero_cost"
    else:
        gradient = solver.linearize(x, r)
        njev += 1
        gradient_norm = float(np.abs(_free_gradient(x, gradient, bounds)).max())
        if gradient_norm <= gtol:
            reason = "gtol"
    lam, nu = max(damping, _MIN_DAMPING), 2.0
    while reason is None:
        if nit == maxiter:
            reason = "maxiter"
            break
        step, predicted, its, solved = solver.solve(gradient, lam, _moving(x, gradient, bounds))
        cg_iterations += its
        if fallback and not solved:  # an ill-conditioned system: the dense solver from here
            fallback = False
            ls.dense_size(n_params, n_params, "Gauss-Newton matrix J^T J", 'method="cg"')
            solver = _Dense(model, n_params)
            if not solver.use_gauss_newton:
                ls.dense_size(r.size, n_params, "Jacobian", 'method="cg"')
            used.append(solver.name)
            gradient = solver.linearize(x, r)
            njev += 1
            step, predicted, _, _ = solver.solve(gradient, lam, _moving(x, gradient, bounds))
        if bounds is not None:
            inside = _projected(x, step, bounds)
            if inside is not step:
                step, predicted = inside, solver.reduction(inside, gradient)
        nit += 1
        small = np.sqrt(_dot(step, step)) <= xtol * (np.sqrt(_dot(x, x)) + xtol)
        trial = x + step
        trial_r, trial_cost, _ = _residuals(model, trial, r.size)
        nfev += 1
        # cost - trial_cost, summed as (r - r_trial) . (r + r_trial): exact to rounding of the
        # residuals' change instead of the costs', so steps near a non-zero-residual optimum,
        # whose effect on the cost is below its rounding, are still judged right.
        actual = (_dot(r - trial_r, r + trial_r) if np.isfinite(trial_cost)
                  else -np.inf)
        if actual > 0:  # accept (a non-finite trial gives -inf)
            rho = actual / predicted if predicted > 0 else 0.5
            lam = max(lam * max(_LEAST_DECREASE, 1.0 - (2.0 * rho - 1.0) ** 3), _MIN_DAMPING)
            nu = 2.0
            previous = cost
            x, r, cost = trial, trial_r, trial_cost
            if cost == 0.0:
                reason, gradient_norm = "zero_cost", 0.0
            else:
                gradient = solver.linearize(x, r)
                njev += 1
                gradient_norm = float(np.abs(_free_gradient(x, gradient, bounds)).max())
                if gradient_norm <= gtol:
                    reason = "gtol"
                elif actual <= ftol * previous and predicted <= ftol * previous:
                    reason = "ftol"
                elif small:
                    reason = "xtol"
        else:
            lam, nu = lam * nu, 2.0 * nu
            if small:
                # At the rounding floor when the Gauss-Newton model predicts no gain above
                # the cost's rounding, or the cost is zero to rounding. A step the model
                # expects to pay that raises the cost instead means the derivatives disagree
                # with the residuals (a wrong Jacobian, NaNs): "damping".
                floor = np.isfinite(actual) and (
                    predicted <= _ROUNDING_EPSILONS * epsilon * cost
                    or cost <= (_FLOOR_EPSILONS * epsilon) ** 2 * history[0])
                reason = "xtol" if floor and np.isfinite(trial_cost) else "damping"
            elif lam > _MAX_DAMPING:
                reason = "damping"
        history.append(cost)
        if user_callback is not None and user_callback(nit, x.reshape(shape).copy(), cost):
            reason = reason or "callback"

    converged = reason in ("gtol", "ftol", "xtol", "zero_cost")
    return LevenbergMarquardtResult(
        x=x.reshape(shape), fun=cost, nit=nit, nfev=nfev,
        history=np.asarray(history, dtype=np.float64),
        message=f"{_MESSAGES[reason]} ({'+'.join(used)} solver, {nit} iterations)",
        success=converged, njev=njev, converged=converged, stop_reason=reason,
        gradient_norm=gradient_norm, damping=lam, method="+".join(used),
        cg_iterations=cg_iterations)
