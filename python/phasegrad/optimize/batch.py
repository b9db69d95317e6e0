"""Lockstep solvers over a batch of problems (``pg.PhaseRetrievalBatch``): L-BFGS and LM.

B problems advance together: every iteration evaluates all the problems still running in one
call of the batch (``value_and_grad(X, active=...)``), each problem keeps its own state and its
own convergence test, and a problem that has stopped leaves the active set (it costs nothing
more). ``pg.optimize.lbfgs`` and ``pg.optimize.levenberg_marquardt`` hand a batch model here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..arguments import optimize as c
from ..arguments import validate as v
from ..config import single_threaded_blas

__all__ = ["BatchResult", "is_batch", "lbfgs_batch", "levenberg_marquardt_batch"]

# Levenberg-Marquardt's damping bounds and rules, as the single solver's
# (optimize/least_squares.py).
_MIN_DAMPING = 1e-15
_MAX_DAMPING = 1e16
_LEAST_DECREASE = 0.1
_ROUNDING_EPSILONS = 1e2
_LM_FLOOR_EPSILONS = 1e3
# The Armijo constant of the backtracking line search.
_ARMIJO = 1e-4
# A line search that fails where the predicted decrease is below this many epsilons of the
# (scaled) cost has reached the rounding floor: the problem has converged ("ftol").
_FLOOR_EPSILONS = 1e3

_MESSAGES = {
    "gtol": "the projected gradient of the scaled objective fell to gtol",
    "ftol": "the relative decrease of the scaled objective fell to ftol",
    "zero_cost": "the cost is exactly 0",
    "maxiter": "reached maxiter iterations",
    "line_search": "the line search found no decrease along a descent direction",
    "not_finite": "the cost is not finite",
    "callback": "stopped by the callback",
    "damping": "no progress possible: the damping blew up",
    "xtol": "the step fell below xtol relative to x",
}


def is_batch(model):
    """Whether ``model`` is a batch of problems (it says so with ``is_batch = True``)."""
    return bool(getattr(model, "is_batch", False))


@dataclass
class BatchResult:
    """The lockstep solvers' result, one entry per problem.

    Attributes
    ----------
    x : numpy.ndarray
        (B, n_params) float64: each problem's final estimate.
    cost : numpy.ndarray
        (B,) float64: each problem's (unscaled) cost at ``x``.
    converged : numpy.ndarray
        (B,) bool: a convergence test passed (``stop_reason`` "gtol", "ftol", "xtol" or
        "zero_cost").
    nit : numpy.ndarray
        (B,) int: iterations each problem ran.
    nfev : numpy.ndarray
        (B,) int: evaluations of each problem (the line search's trials included).
    stop_reason : list of str
        Why each problem stopped, one word ("gtol", "ftol", "xtol", "zero_cost",
        "maxiter", "line_search", "damping", "not_finite", "callback").
    message : list of str
        The same in words.
    history : list of numpy.ndarray
        Each problem's cost before the first iteration and after each (``nit[b] + 1``
        values).
    njev : numpy.ndarray or None
        (B,) int: derivative evaluations per problem (Levenberg-Marquardt; None for L-BFGS).
    damping : numpy.ndarray or None
        (B,) float: each problem's final damping (Levenberg-Marquardt; None for L-BFGS).
    """

    x: np.ndarray
    cost: np.ndarray
    converged: np.ndarray
    nit: np.ndarray
    nfev: np.ndarray
    stop_reason: list
    message: list = field(default_factory=list)
    history: list = field(default_factory=list, repr=False)
    njev: np.ndarray | None = None
    damping: np.ndarray | None = None

    @property
    def fun(self):
        """``cost`` (the single solvers' name)."""
        return self.cost

    @property
    def success(self):
        """``converged`` (the single solvers' name)."""
        return self.converged


def _batch_start(model, x0):
    """x0 as a (B, n_params) float64 copy, checked against the batch."""
    x0 = v.array(x0, "x0", kind="real")
    v.finite(x0, "x0")
    shape = (len(model), model.n_params)
    if x0.shape != shape:
        raise ValueError(f"x0 must have shape (B, n_params) = {shape} for this batch; got "
                         f"{x0.shape}")
    return np.array(x0, dtype=np.float64)


class _Stops:
    """Which of a lockstep solve's problems still run, and why each one stopped.

    ``stop(mask, why)`` stops the running problems in ``mask`` with the reason ``why`` (a key
    of ``_MESSAGES``); ``running`` is updated in place, so a solver may hold it.
    """

    CONVERGED = ("gtol", "ftol", "xtol", "zero_cost")

    def __init__(self, count):
        self.running = np.ones(count, dtype=bool)
        self.reason = [""] * count

    def __call__(self, mask, why):
        for b in np.flatnonzero(mask & self.running):
            self.reason[b] = why
        self.running[mask] = False

    def outcome(self):
        """``converged``, ``stop_reason`` and ``message`` of a ``BatchResult``."""
        return {"converged": np.array([r in self.CONVERGED for r in self.reason]),
                "stop_reason": list(self.reason),
                "message": [_MESSAGES[r] for r in self.reason]}


class _History:
    """Each problem's cost before the first iteration and after each of its own iterations,
    kept as one row of B costs per lockstep iteration (no Python per problem until the end)."""

    def __init__(self, costs):
        self.first = np.array(costs, dtype=np.float64)
        self._costs = [self.first]
        self._moved = [np.ones(len(self.first), dtype=bool)]

    def add(self, moved, costs):
        """After an iteration: the costs of the problems in ``moved`` (bool (B,))."""
        self._moved.append(np.array(moved, dtype=bool))
        self._costs.append(np.array(costs, dtype=np.float64))

    def arrays(self):
        """``BatchResult.history``: one array per problem."""
        costs, moved = np.stack(self._costs), np.stack(self._moved)
        return [costs[moved[:, b], b] for b in range(costs.shape[1])]


def _evaluate(model, X, active):
    costs, grads = model.value_and_grad(X, active=active)
    return np.asarray(costs, dtype=np.float64), np.asarray(grads, dtype=np.float64)


def _projected_gradient(X, G, bounds):
    if bounds is None:
        return G
    return X - np.clip(X - G, *bounds)


def _direction(G, S, Y, rho, count, pos, maxcor, fixed, rows):
    """The two-loop recursion of the problems ``rows`` (each with its own memory of
    ``count`` pairs, newest at ``pos - 1``), on the free variables (``fixed`` components 0).

    G, count, pos and fixed hold those problems' rows only; S, Y and rho are every problem's
    memories, from which the pairs in use are gathered once, (used, rows, n) newest first (a
    stopped problem costs nothing).
    """
    q = np.where(fixed, 0.0, G)
    used = int(count.max(initial=0))
    alpha = np.zeros((used, len(q)))
    slots = (pos - 1 - np.arange(used)[:, None]) % maxcor  # (used, rows), newest first
    # pairs not (yet) stored drop out
    r = np.where(np.arange(used)[:, None] < count, rho[rows, slots], 0.0)
    s, y = S[rows, slots], Y[rows, slots]  # (used, rows, n): pair j of every problem in a row
    for j in range(used):
        alpha[j] = r[j] * np.einsum("ij,ij->i", s[j], q)
        q -= alpha[j, :, None] * y[j]
    if used:
        yy = np.einsum("ij,ij->i", y[0], y[0])
        gamma = np.where((count > 0) & (yy > 0),
                         np.einsum("ij,ij->i", s[0], y[0]) / np.where(yy > 0, yy, 1.0), 1.0)
        q *= gamma[:, None]
    for j in reversed(range(used)):
        beta = r[j] * np.einsum("ij,ij->i", y[j], q)
        q += (alpha[j] - beta)[:, None] * s[j]
    return np.where(fixed, 0.0, -q)


@single_threaded_blas()
def lbfgs_batch(model, x0, maxiter=200, callback=None, gtol=1e-12, ftol=1e-15, maxcor=10,
                maxls=40):
    """Minimise every problem of a batch with L-BFGS, in lockstep.

    Each problem's objective is divided by its initial magnitude ``|f_b(x0_b)|`` (as
    ``pg.optimize.lbfgs`` does) and minimised by L-BFGS (a two-loop recursion over its own
    ``maxcor`` pairs) with a backtracking Armijo line search, projected onto
    ``model.bounds`` (a variable at a bound whose gradient points out stays there). Every
    iteration evaluates the problems still running, and only those, in one batch call.

    Parameters
    ----------
    model : PhaseRetrievalBatch
        Or any batch: ``len(model)``, ``n_params``, ``value_and_grad(X, active=)`` returning
        (B,) costs and (B, n_params) gradients, optionally ``bounds`` (one problem's).
    x0 : array_like, (B, n_params)
        The starting points (moved inside the bounds first).
    maxiter : int
        Most iterations per problem (default 200).
    callback : callable, optional
        ``callback(iteration, X, costs)`` after each lockstep iteration (X (B, n_params) and
        costs (B,), copies; stopped problems keep their final values). Returning True stops
        every problem still running (stop_reason "callback").
    gtol, ftol : float
        Per problem: stop when the largest component of the scaled objective's projected
        gradient is <= gtol ("gtol"), or when an iteration's relative decrease
        ``(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1)`` of the scaled objective is <= ftol
        ("ftol"; also when the line search fails where the predicted decrease is below the
        cost's rounding). Defaults as ``pg.optimize.lbfgs``'s.
    maxcor, maxls : int
        Correction pairs kept (default 10) and most line-search trials per iteration
        (default 40).

    Returns
    -------
    BatchResult
        ``x`` (B, n_params), ``cost``, ``converged``, ``nit``, ``nfev``, ``stop_reason``,
        ``message`` and ``history`` per problem.

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> A = pg.circular_pupil(16)
    >>> Z = pg.zernike_basis(5, 16, first=2)
    >>> truth = pg.PhaseRetrieval(amplitude=A, basis=Z, data=np.zeros((32, 32)))
    >>> X = np.random.default_rng(2).normal(0, 0.05, (4, 5))
    >>> D = np.stack([truth.simulate(x) for x in X])
    >>> batch = pg.PhaseRetrievalBatch(amplitude=A, basis=Z, data=D)
    >>> result = pg.optimize.lbfgs(batch, X + 0.01)
    >>> result.x.shape, result.converged.shape
    ((4, 5), (4,))
    """
    X = _batch_start(model, x0)
    B, n = X.shape
    bounds = c.model_bounds(model, n)
    if bounds is not None:
        X = np.clip(X, *bounds)
    maxiter = c.positive_int(maxiter, "maxiter")
    maxcor = c.positive_int(maxcor, "maxcor")
    maxls = c.positive_int(maxls, "maxls")
    gtol = c.real_number(gtol, "gtol", low=0.0)
    ftol = c.real_number(ftol, "ftol", low=0.0)
    user_callback = c.callback(callback)

    stop = _Stops(B)
    running = stop.running
    F, G = _evaluate(model, X, running)
    nfev = np.ones(B, dtype=np.int64)
    scale = np.where(np.isfinite(F) & (F != 0.0), np.abs(F), 1.0)
    history = _History(F)
    nit = np.zeros(B, dtype=np.int64)
    stop(~np.isfinite(F), "not_finite")
    stop(F == 0.0, "zero_cost")
    Gs = G / scale[:, None]
    Fs = F / scale
    stop(np.max(np.abs(_projected_gradient(X, Gs, bounds)), axis=1, initial=0.0) <= gtol,
         "gtol")

    S = np.zeros((B, maxcor, n))
    Y = np.zeros((B, maxcor, n))
    rho = np.zeros((B, maxcor))
    count = np.zeros(B, dtype=np.int64)
    pos = np.zeros(B, dtype=np.int64)
    iteration = 0
    while running.any():
        iteration += 1
        stop(running & (nit >= maxiter), "maxiter")
        if not running.any():
            break
        rows = np.flatnonzero(running)
        fixed = np.zeros((len(rows), n), dtype=bool)
        if bounds is not None:
            x, g = X[rows], Gs[rows]
            fixed = ((x <= bounds[0]) & (g > 0)) | ((x >= bounds[1]) & (g < 0))
        D = np.zeros_like(X)
        D[rows] = _direction(Gs[rows], S, Y, rho, count[rows], pos[rows], maxcor, fixed, rows)
        slope = np.einsum("ij,ij->i", Gs, D)
        bad = running & ~(slope < 0)
        if bad.any():  # not a descent direction: forget the memory, steepest descent
            count[bad] = 0
            fixed_bad = fixed[bad[rows]]
            D[bad] = np.where(fixed_bad, 0.0, -Gs[bad])
            slope[bad] = np.einsum("ij,ij->i", Gs[bad], D[bad])
        step = np.where(count == 0, np.minimum(1.0, 1.0 / np.maximum(
            np.linalg.norm(D, axis=1), np.finfo(float).tiny)), 1.0)
        searching = running.copy()
        X_new, F_new, G_new = X.copy(), F.copy(), G.copy()
        for _ in range(maxls):
            if not searching.any():
                break
            trial = X + step[:, None] * D
            if bounds is not None:
                trial = np.clip(trial, *bounds)
            trial = np.where(searching[:, None], trial, X)
            f_try, g_try = _evaluate(model, trial, searching)
            nfev[searching] += 1
            fs_try = f_try / scale
            decrease = np.einsum("ij,ij->i", Gs, trial - X)
            ok = searching & np.isfinite(fs_try) & (fs_try <= Fs + _ARMIJO * decrease)
            X_new[ok], F_new[ok], G_new[ok] = trial[ok], f_try[ok], g_try[ok]
            searching &= ~ok
            # Shrink: a safeguarded quadratic interpolation of the step.
            denom = 2.0 * (fs_try - Fs - step * slope)
            quad = np.where(np.isfinite(denom) & (denom > 0), -slope * step**2 /
                            np.where(denom > 0, denom, 1.0), 0.5 * step)
            step = np.where(searching, np.clip(quad, 0.1 * step, 0.5 * step), step)
        failed = searching
        if failed.any():
            floor = -slope <= _FLOOR_EPSILONS * np.finfo(float).eps * np.maximum(np.abs(Fs), 1)
            retry = failed & ~floor & (count > 0)
            count[retry] = 0  # try steepest descent next iteration
            stop(failed & floor, "ftol")
            stop(failed & ~floor & ~retry, "line_search")
        moved = running & ~failed
        history.add(moved, F_new)
        nit[moved] += 1
        Gs_new = G_new / scale[:, None]
        Fs_new = F_new / scale
        s = X_new - X
        y = Gs_new - Gs
        sy = np.einsum("ij,ij->i", s, y)
        keep = moved & (sy > np.finfo(float).eps * np.einsum("ij,ij->i", y, y))
        kept = np.flatnonzero(keep)
        S[kept, pos[kept]] = s[kept]
        Y[kept, pos[kept]] = y[kept]
        rho[kept, pos[kept]] = 1.0 / sy[kept]
        pos[kept] = (pos[kept] + 1) % maxcor
        count[kept] = np.minimum(count[kept] + 1, maxcor)
        relative = (Fs - Fs_new) / np.maximum(np.maximum(np.abs(Fs), np.abs(Fs_new)), 1.0)
        X = np.where(moved[:, None], X_new, X)
        F = np.where(moved, F_new, F)
        G = np.where(moved[:, None], G_new, G)
        Gs, Fs = np.where(moved[:, None], Gs_new, Gs), np.where(moved, Fs_new, Fs)
        stop(moved & (F == 0.0), "zero_cost")
        stop(moved & (np.max(np.abs(_projected_gradient(X, Gs, bounds)), axis=1, initial=0.0)
                      <= gtol), "gtol")
        stop(moved & (relative <= ftol), "ftol")
        if user_callback is not None and running.any() and \
                user_callback(iteration, X.copy(), F.copy()):
            stop(running.copy(), "callback")
    return BatchResult(x=X, cost=F, nit=nit, nfev=nfev, **stop.outcome(),
                       history=history.arrays())


def _rows_dot(a, b):
    return np.einsum("ij,ij->i", a, b)


def _moving_mask(X, G, bounds):
    if bounds is None:
        return np.ones_like(X, dtype=bool)
    return ~(((X <= bounds[0]) & (G > 0)) | ((X >= bounds[1]) & (G < 0)))


def _damped_steps(hessian, scaling, gradient, damping, moving):
    """Each row's h of ``(J^T J + damping D) h = -g`` on its moving parameters (the others'
    h is 0), in Marquardt's scaled variables as the single solver's dense path."""
    inverse_root = 1.0 / np.sqrt(scaling)
    matrix = hessian * inverse_root[:, :, None] * inverse_root[:, None, :]
    k = matrix.shape[1]
    diagonal = np.arange(k)
    matrix[:, diagonal, diagonal] += damping[:, None]
    # A fixed parameter: its row and column out, 1 on the diagonal, no right-hand side.
    fixed = ~moving
    matrix = np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, matrix)
    matrix[:, diagonal, diagonal] = np.where(fixed, 1.0, matrix[:, diagonal, diagonal])
    rhs = np.where(moving, -inverse_root * gradient, 0.0)
    steps = np.empty_like(rhs)
    for b in range(rhs.shape[0]):
        try:
            steps[b] = np.linalg.solve(matrix[b], rhs[b])
        except np.linalg.LinAlgError:  # singular to rounding: the least-squares solution
            steps[b] = np.linalg.lstsq(matrix[b], rhs[b], rcond=None)[0]
    return np.where(moving, inverse_root * steps, 0.0)


@single_threaded_blas()
def levenberg_marquardt_batch(model, x0, maxiter=100, callback=None, gtol=0.0, xtol=1e-12,
                              ftol=1e-15, *, damping=1e-3):
    """Minimise every problem's ``||r_b||^2`` by Levenberg-Marquardt, in lockstep.

    The dense solver of ``pg.optimize.levenberg_marquardt`` per problem: the damped
    Gauss-Newton equations ``(J^T J + lambda D) h = -J^T r`` with Marquardt's scaling D, each
    problem with its own damping (Nielsen's gain-ratio rule), its own bounds projection and its
    own stopping tests ("gtol", "ftol", "xtol", "zero_cost"; "maxiter", "damping",
    "callback" are failures). Every iteration evaluates the residuals of the problems still
    running in one batch call and the Gauss-Newton systems of the problems whose step was
    accepted (``model.gauss_newton(X, active=)``).

    Parameters
    ----------
    model : PhaseRetrievalBatch
        Or any batch with ``len``, ``n_params``, ``residuals(X, active=)`` ((B, R)) and
        ``gauss_newton(X, active=)`` ((B, K, K), (B, K)); optionally ``bounds`` and
        ``dtype``.
    x0 : array_like, (B, n_params)
    maxiter, callback, gtol, xtol, ftol, damping
        As ``pg.optimize.levenberg_marquardt``'s; ``callback(iteration, X, costs)``.

    Returns
    -------
    BatchResult
        With ``njev`` and ``damping`` per problem.
    """
    X = _batch_start(model, x0)
    B, n = X.shape
    bounds = c.model_bounds(model, n)
    if bounds is not None:
        X = np.clip(X, *bounds)
    maxiter = c.positive_int(maxiter, "maxiter")
    gtol = c.real_number(gtol, "gtol", low=0.0)
    xtol = c.real_number(xtol, "xtol", low=0.0)
    ftol = c.real_number(ftol, "ftol", low=0.0)
    damping = c.real_number(damping, "damping", low=0.0)
    user_callback = c.callback(callback)
    precision = getattr(model, "dtype", np.float64)
    epsilon = max(float(np.finfo(precision).eps), float(np.finfo(np.float64).eps))

    stop = _Stops(B)
    running = stop.running
    R = np.asarray(model.residuals(X, active=running), dtype=np.float64)
    cost = np.einsum("ij,ij->i", R, R)
    if not np.all(np.isfinite(cost)):
        bad = np.flatnonzero(~np.isfinite(cost)).tolist()
        raise ValueError(f"the residuals of problems {bad} are not finite at x0: start from "
                         "points where they are")
    history = _History(cost)
    nfev = np.ones(B, dtype=np.int64)
    njev = np.zeros(B, dtype=np.int64)
    nit = np.zeros(B, dtype=np.int64)

    hessian = np.zeros((B, n, n))
    gradient = np.zeros((B, n))
    scaling = np.zeros((B, n))

    def linearize(mask):
        found_h, found_g = model.gauss_newton(X, active=mask)
        hessian[mask] = np.asarray(found_h, dtype=np.float64)[mask]
        gradient[mask] = np.asarray(found_g, dtype=np.float64)[mask]
        njev[mask] += 1
        scaling[mask] = np.maximum(scaling[mask], np.diagonal(hessian[mask], axis1=1, axis2=2))
        for b in np.flatnonzero(mask):
            positive = scaling[b] > 0
            if not positive.all():
                scaling[b] = np.where(positive, scaling[b],
                                      scaling[b][positive].min() if positive.any() else 1.0)

    def free_gradient_norm(mask):
        moving = _moving_mask(X, gradient, bounds)
        return np.max(np.abs(np.where(moving, gradient, 0.0)), axis=1, initial=0.0) * mask

    stop(cost == 0.0, "zero_cost")
    if running.any():
        linearize(running.copy())
        stop(running & (free_gradient_norm(running) <= gtol), "gtol")
    lam = np.full(B, max(damping, _MIN_DAMPING))
    nu = np.full(B, 2.0)
    iteration = 0
    while running.any():
        stop(running & (nit >= maxiter), "maxiter")
        if not running.any():
            break
        iteration += 1
        act = running.copy()
        moving = _moving_mask(X, gradient, bounds)
        steps = np.zeros_like(X)
        steps[act] = _damped_steps(hessian[act], scaling[act], gradient[act], lam[act],
                                   moving[act])
        if bounds is not None:
            steps = np.clip(X + steps, *bounds) - X
        predicted = -2.0 * _rows_dot(steps, gradient) - np.einsum("bi,bij,bj->b", steps,
                                                                  hessian, steps)
        nit[act] += 1
        small = np.sqrt(_rows_dot(steps, steps)) <= xtol * (np.sqrt(_rows_dot(X, X)) + xtol)
        trial = np.where(act[:, None], X + steps, X)
        trial_r = np.asarray(model.residuals(trial, active=act), dtype=np.float64)
        nfev[act] += 1
        finite = np.all(np.isfinite(trial_r), axis=1)
        trial_cost = np.where(finite, _rows_dot(trial_r, trial_r), np.inf)
        actual = np.where(finite, _rows_dot(R - trial_r, R + trial_r), -np.inf)
        accept = act & (actual > 0)
        reject = act & ~accept
        rho = np.where(predicted > 0, actual / np.where(predicted > 0, predicted, 1.0), 0.5)
        lam = np.where(accept, np.maximum(lam * np.maximum(
            _LEAST_DECREASE, 1.0 - (2.0 * rho - 1.0) ** 3), _MIN_DAMPING), lam)
        previous = cost.copy()
        X = np.where(accept[:, None], trial, X)
        R = np.where(accept[:, None], trial_r, R)
        cost = np.where(accept, trial_cost, cost)
        nu = np.where(accept, 2.0, nu)
        stop(accept & (cost == 0.0), "zero_cost")
        relinearize = accept & running
        if relinearize.any():
            linearize(relinearize)
            norm = free_gradient_norm(relinearize)
            stop(relinearize & (norm <= gtol), "gtol")
            stop(relinearize & (actual <= ftol * previous) & (predicted <= ftol * previous),
                 "ftol")
            stop(relinearize & small, "xtol")
        # Rejected steps: more damping; at the rounding floor, or blown up.
        lam = np.where(reject, lam * nu, lam)
        nu = np.where(reject, 2.0 * nu, nu)
        floor = np.isfinite(actual) & ((predicted <= _ROUNDING_EPSILONS * epsilon * cost) |
                                       (cost <= (_LM_FLOOR_EPSILONS * epsilon) ** 2 *
                                        history.first))
        stop(reject & small & floor & np.isfinite(trial_cost), "xtol")
        stop(reject & small, "damping")
        stop(reject & (lam > _MAX_DAMPING), "damping")
        history.add(act, cost)
        if user_callback is not None and running.any() and \
                user_callback(iteration, X.copy(), cost.copy()):
            stop(running.copy(), "callback")
    return BatchResult(x=X, cost=cost, nit=nit, nfev=nfev, **stop.outcome(),
                       history=history.arrays(), njev=njev, damping=lam)
