"""Gradient methods on a model's exact gradient: L-BFGS-B (SciPy) and Adam.

Both take any object with ``fun_and_jac(x) -> (cost, gradient)`` for a flat float64 ``x``
(``pg.PhaseRetrieval``, ``pg.Hologram`` or your own), keep their state in float64 whatever the
model's precision (L-BFGS-B misbehaves on float32 gradients, scipy#18730), and call
``callback(iteration, x, cost)`` after every iteration with the new estimate and its unscaled
cost. A callback that returns True stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, minimize

from ..arguments import optimize as c
from ..config import single_threaded_blas
from ._result import OptimizeResult
from .batch import is_batch, lbfgs_batch

__all__ = ["LBFGSResult", "adam", "lbfgs"]

# A restart earns another while it lowers the cost by more than this factor.
_RESTART_GAIN = 1e3


@dataclass
class LBFGSResult(OptimizeResult):
    """``lbfgs``'s result: an ``OptimizeResult`` that also says how many restarts ran.

    Attributes
    ----------
    restarts : int
        Fresh L-BFGS-B runs started after the first one (0 with ``restarts=0``).
    """

    restarts: int = 0


class _ScaledObjective:
    """``f / scale`` and ``g / scale`` with ``scale = |f(x0)|``, remembering the last call.

    L-BFGS-B's stopping tests are absolute once the cost is below 1 (``ftol`` compares the
    decrease with ``max(|f|, 1)``), so an objective whose values are 1e-20 would stop at once.
    Dividing by the initial cost makes every run start at 1 whatever the units of the data.
    """

    def __init__(self, model, x0):
        self.model = model
        self.nfev = 0
        cost, grad = self._raw(x0)
        self.scale = abs(cost) if np.isfinite(cost) and cost != 0.0 else 1.0
        self.initial = cost
        self._first = (x0.copy(), cost, grad)
        self.last_x, self.last_cost = x0.copy(), cost

    def _raw(self, x):
        self.nfev += 1
        cost, grad = c.evaluate(self.model, x)
        return cost, grad

    def __call__(self, x):
        first = self._first
        if first is not None and np.array_equal(x, first[0]):  # SciPy starts at x0: reuse it
            self._first = None
            cost, grad = first[1], first[2]
        else:
            cost, grad = self._raw(x)
        self.last_x, self.last_cost = np.array(x, dtype=np.float64), cost
        return cost / self.scale, grad / self.scale

    def unscaled(self, x, scaled_cost):
        """The model's own cost at ``x`` (exact when ``x`` was the last point evaluated)."""
        if np.array_equal(x, self.last_x):
            return self.last_cost
        return float(scaled_cost) * self.scale


@single_threaded_blas()
def lbfgs(model, x0, maxiter=200, callback=None, gtol=1e-12, ftol=1e-15, maxcor=10,
          maxls=40, *, restarts=0):
    """Minimise ``model``'s cost with SciPy's L-BFGS-B on its exact gradient.

    The objective is divided internally by its initial magnitude ``|f(x0)|``, so that the
    stopping tolerances are relative to where the run started: a model whose data (and so
    whose cost) is 1e-12 times smaller converges the same way. Costs reported (``fun``,
    ``history``, the callback) are the model's own, unscaled.

    Parameters
    ----------
    model : object
        Anything with ``fun_and_jac(x) -> (cost, gradient)`` for a flat float64 ``x``, e.g.
        ``pg.PhaseRetrieval`` or ``pg.Hologram``; its ``n_params``, when present, is checked
        against ``x0``. A model with a ``bounds`` attribute (``(lower, upper)``, e.g. an
        imaging model's non-negative fluxes, jitter and object) is minimised within them:
        L-BFGS-B's bounds, ``x0`` moved inside them first.
    x0 : array_like, float32 or float64
        Starting point, any shape with ``model.n_params`` values (a hologram's (n, m) phase
        map, say). Copied to float64; ``result.x`` has the same shape.
    maxiter : int
        Most L-BFGS-B iterations (default 200).
    callback : callable, optional
        ``callback(iteration, x, cost)`` after each iteration (iteration counts from 1, ``x``
        a float64 copy shaped like ``x0``, ``cost`` unscaled). Returning True stops the run
        (no restart follows).
    gtol : float
        Stop when the largest gradient component of the *scaled* objective is below this
        (default 1e-12).
    ftol : float
        Stop when the relative decrease of the scaled objective, ``(f_k - f_k+1) /
        max(|f_k|, |f_k+1|, 1)``, is below this (default 1e-15: the scaled objective starts at
        1, so this asks for about 15 digits of decrease before stopping on it).
    maxcor, maxls : int
        Stored correction pairs (default 10) and line-search steps (default 40) of L-BFGS-B.
    restarts : int, keyword-only
        Most fresh L-BFGS-B runs after the first (default 0: one run). L-BFGS-B stops on
        ``ftol`` once the cost has fallen by about 12 orders of magnitude; on a problem that
        mixes parameters of different scales (Zernike coefficients with a detector's gain and
        offset) it then still sits at ~1e-6 relative error. A restart from where it stopped
        rescales the objective by the cost there and starts a new curvature memory: each run
        that lowers the cost by more than a factor 1000 earns another, up to ``restarts``,
        within ``maxiter`` iterations in all. A run that stops by the callback, reaches a cost
        of 0 or uses up ``maxiter`` ends the whole minimisation.

    A batch of problems (``pg.PhaseRetrievalBatch``) runs in lockstep instead
    (``phasegrad.optimize.batch.lbfgs_batch``: ``x0`` (B, n_params), a ``BatchResult`` with
    ``x``, ``cost``, ``converged``, ``nit`` per problem; ``restarts`` must be 0).

    Returns
    -------
    LBFGSResult
        ``x`` (float64), ``fun`` (the model's cost at ``x``), ``nit``, ``nfev``, ``history``
        (cost at ``x0`` and after each iteration), ``message``, ``success`` (those of the last
        run), and ``restarts`` (how many restarts ran). Across restarts ``nit`` and ``nfev``
        are summed, ``history`` runs on (``nit + 1`` values) and the callback's iteration
        numbers continue where the previous run stopped.

    Notes
    -----
    With many parameters (a 256x256 hologram) L-BFGS-B's own vector work runs in BLAS; on a
    2-core machine OpenBLAS's threads made 100 iterations take 1-9 s instead of 0.6 s with
    ``OPENBLAS_NUM_THREADS=1`` (they compete with phasegrad's OpenMP threads).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> from phasegrad.models.synthetic import make_problem
    >>> model, truth, _, _ = make_problem(size=16, modes=5, planes=2)
    >>> result = pg.optimize.lbfgs(model, np.zeros(model.n_params))
    >>> bool(np.linalg.norm(result.x - truth) < 1e-6 * np.linalg.norm(truth))
    True
    >>> bool(result.history[0] > result.fun)
    True

    Restarted, the same start gets closer on a problem with a quadratic detector:

    >>> model, truth, _, _ = make_problem(size=16, modes=6, detector="quadratic")
    >>> x0 = model.pack(np.zeros(6), (0.0, 1.0, 0.0))
    >>> once = pg.optimize.lbfgs(model, x0, maxiter=500)
    >>> restarted = pg.optimize.lbfgs(model, x0, maxiter=500, restarts=4)
    >>> bool(restarted.restarts >= 1 and restarted.fun < 1e-6 * once.fun)
    True
    """
    if is_batch(model):  # B problems in lockstep (optimize/batch.py)
        if restarts:
            raise ValueError("restarts is not supported for a batch of problems")
        return lbfgs_batch(model, x0, maxiter=maxiter, callback=callback, gtol=gtol, ftol=ftol,
                           maxcor=maxcor, maxls=maxls)
    x0, shape = c.model_and_start(model, x0)
    bounds = c.model_bounds(model, x0.size)
    if bounds is not None:
        x0 = np.clip(x0, *bounds)
    maxiter = c.positive_int(maxiter, "maxiter")
    maxcor = c.positive_int(maxcor, "maxcor")
    maxls = c.positive_int(maxls, "maxls")
    gtol = c.real_number(gtol, "gtol", low=0.0)
    ftol = c.real_number(ftol, "ftol", low=0.0)
    restarts = c.positive_int(restarts, "restarts", minimum=0)
    user_callback = c.callback(callback)
    options = {"gtol": gtol, "ftol": ftol, "maxcor": maxcor, "maxls": maxls,
               "bounds": None if bounds is None else Bounds(*bounds)}

    result, stopped = _lbfgs_run(model, x0, shape, maxiter, options, user_callback, 0)
    improved = result.history[0] > _RESTART_GAIN * result.fun
    while (improved and not stopped and result.restarts < restarts
           and result.nit < maxiter and result.fun != 0.0):
        run, stopped = _lbfgs_run(model, result.x.ravel(), shape, maxiter - result.nit,
                                  options, user_callback, result.nit)
        improved = run.history[0] > _RESTART_GAIN * run.fun
        ran = result.restarts + 1
        result = LBFGSResult(
            x=run.x, fun=run.fun, nit=result.nit + run.nit, nfev=result.nfev + run.nfev,
            history=np.concatenate([result.history, run.history[1:]]),
            message=f"{run.message} (after {ran} restart(s))", success=run.success,
            restarts=ran)
    return result


def _lbfgs_run(model, x0, shape, maxiter, options, user_callback, offset):
    """One L-BFGS-B run from the flat float64 ``x0``: ``(LBFGSResult, stopped by the
    callback)``; the callback's iteration numbers start after ``offset``."""
    objective = _ScaledObjective(model, x0)
    stopped = False
    history = [objective.initial]

    def scipy_callback(intermediate_result):  # this parameter name gets an OptimizeResult
        nonlocal stopped
        x = np.array(intermediate_result.x, dtype=np.float64)
        cost = objective.unscaled(x, intermediate_result.fun)
        history.append(cost)
        if user_callback is not None and user_callback(offset + len(history) - 1,
                                                       x.reshape(shape), cost):
            stopped = True
            raise StopIteration

    bounds = options["bounds"]
    options = {"maxiter": maxiter, **{k: v for k, v in options.items() if k != "bounds"},
               "maxfun": 20 * maxiter + 20}
    found = minimize(objective, x0, jac=True, method="L-BFGS-B", callback=scipy_callback,
                     options=options, bounds=bounds)
    x = np.array(found.x, dtype=np.float64)
    cost = objective.unscaled(x, found.fun)
    nit = len(history) - 1
    if nit:
        history[-1] = cost  # the same point; keep the value of its own evaluation
    message = found.message if isinstance(found.message, str) else str(found.message)
    return LBFGSResult(x=x.reshape(shape), fun=cost, nit=nit, nfev=objective.nfev,
                       history=np.asarray(history, dtype=np.float64), message=message,
                       success=bool(found.success)), stopped


@single_threaded_blas()
def adam(model, x0, lr=0.3, iters=100, betas=(0.9, 0.999), eps=1e-8, callback=None):
    """Minimise ``model``'s cost with Adam (Kingma & Ba 2015) on its exact gradient.

    Each iteration takes one Adam step from the gradient at the current point, then evaluates
    the model at the new point (``iters + 1`` evaluations in all). The gradient is divided by
    the initial cost ``|f(x0)|`` before it enters the moments, so that ``eps`` means the same
    whatever the units of the data; Adam's steps are otherwise invariant to that scale. The
    state (x and both moments) is float64.

    Parameters
    ----------
    model : object
        Anything with ``fun_and_jac(x) -> (cost, gradient)`` for a flat float64 ``x``
        (``pg.Hologram``, ``pg.PhaseRetrieval``, ...).
    x0 : array_like, float32 or float64
        Starting point, any shape with ``model.n_params`` values; ``result.x`` has its shape.
        For a hologram start from a random phase: a flat phase focuses all light on one pixel.
    lr : float
        Step size (default 0.3). Adam's early steps are about ``lr`` per parameter: radians
        for a hologram's phase. Tuned on the built-in hologram target
        (``pg.optimize.default_target``, random start, 100 iterations): 0.3 gives 26.7 dB at
        64, 128 and 256 pixels; larger steps gain up to 1 dB until about 0.8 and fail (under
        17 dB) from 1.0 on, so the default keeps well clear of that edge. For Zernike
        coefficients in waves use a much smaller step (e.g. 0.01).
    iters : int
        Number of Adam steps (default 100).
    betas : (float, float)
        Decay rates of the first and second moment estimates, each in [0, 1) (default
        (0.9, 0.999)).
    eps : float
        Added to the root of the second moment of the scaled gradient (default 1e-8).
    callback : callable, optional
        ``callback(iteration, x, cost)`` after each step with the new point (float64, shaped
        like ``x0``) and its unscaled cost. Returning True stops the run.

    Returns
    -------
    OptimizeResult
        ``x`` (the last point, float64), ``fun`` (its cost), ``nit``, ``nfev``, ``history``
        (cost at ``x0`` and after each step).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = pg.optimize.spot_array_target(32, rows=3, cols=3)
    >>> phi0 = np.random.default_rng(0).uniform(0, 2 * np.pi, T.shape)
    >>> result = pg.optimize.adam(pg.Hologram(target=T), phi0, lr=0.1, iters=30)
    >>> result.x.shape, result.nit, result.nfev
    ((32, 32), 30, 31)
    >>> bool(result.fun < 0.5 * result.history[0])
    True
    """
    x, shape = c.model_and_start(model, x0)
    lr = c.real_number(lr, "lr", low=0.0, low_open=True)
    iters = c.positive_int(iters, "iters")
    eps = c.real_number(eps, "eps", low=0.0, low_open=True)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r}")
    beta1 = c.real_number(betas[0], "betas[0]", low=0.0, high=1.0, high_open=True)
    beta2 = c.real_number(betas[1], "betas[1]", low=0.0, high=1.0, high_open=True)
    user_callback = c.callback(callback)

    cost, grad = c.evaluate(model, x)
    scale = abs(cost) if np.isfinite(cost) and cost != 0.0 else 1.0
    history = [cost]
    first_moment = np.zeros_like(x)
    second_moment = np.zeros_like(x)
    message = f"done {iters} iterations"
    nit = 0
    for step in range(1, iters + 1):
        grad = grad / scale
        first_moment = beta1 * first_moment + (1.0 - beta1) * grad
        second_moment = beta2 * second_moment + (1.0 - beta2) * (grad * grad)
        corrected_first = first_moment / (1.0 - beta1 ** step)
        corrected_second = second_moment / (1.0 - beta2 ** step)
        x = x - lr * corrected_first / (np.sqrt(corrected_second) + eps)
        cost, grad = c.evaluate(model, x)
        history.append(cost)
        nit = step
        if not np.isfinite(cost):
            message = f"the cost became {cost} at iteration {step}"
            break
        if user_callback is not None and user_callback(step, x.reshape(shape).copy(), cost):
            message = f"stopped by the callback at iteration {step}"
            break
    return OptimizeResult(x=x.reshape(shape), fun=cost, nit=nit, nfev=nit + 1,
                          history=np.asarray(history, dtype=np.float64), message=message,
                          success=bool(np.isfinite(cost)))
