"""The fitting methods of ``retrieve`` and ``demo``: ``--method`` and ``--maxiter``, and one
call that runs either and reports the same fields.

``lm`` (the default): ``pg.optimize.levenberg_marquardt`` on the model's exact Jacobian (the
fused multi-tangent pass). ``lbfgs``: ``pg.optimize.lbfgs``, SciPy's L-BFGS-B on the exact
gradient, restarted while a run lowers the cost 1000-fold. Measured on the demo's problem
(64-pixel pupil, 14 modes, 3 planes, quadratic detector, read noise 1e-3; seeds 1-3, one
2-core machine): Levenberg-Marquardt reached the noise floor in 8-13 iterations and
0.07-0.10 s, L-BFGS-B in 338-489 iterations and 0.38-0.71 s, to the same cost (docs/cli.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..arguments.options import int_at_least

__all__ = ["METHODS", "Fit", "add_method_options", "check_start", "fit", "iteration_budget",
           "retrieve_fit"]

#: name -> (what it is called in output, default iteration budget)
METHODS = {
    "lm": ("Levenberg-Marquardt", 100),
    "lbfgs": ("L-BFGS-B", 500),
}
LBFGS_RESTARTS = 4  # while a run lowers the cost 1000-fold


def add_method_options(parser):
    """``--method {lm,lbfgs}`` (default lm) and ``--maxiter N`` (default by method)."""
    parser.add_argument("--method", choices=tuple(METHODS), default="lm",
                        help="lm: Levenberg-Marquardt on the exact Jacobian (default); lbfgs: "
                             "L-BFGS-B on the exact gradient, restarted")
    parser.add_argument("--maxiter", type=int_at_least(1), default=None,
                        help="iterations in all (default: "
                             + ", ".join(f"{budget} for {name}" for name, (_, budget)
                                         in METHODS.items()) + ")")


def iteration_budget(method, maxiter):
    """``maxiter``, or the method's default budget when it is None."""
    return METHODS[method][1] if maxiter is None else maxiter


@dataclass
class Fit:
    """What both methods report."""

    x: np.ndarray
    cost: float
    history: np.ndarray
    iterations: int
    evaluations: int       # residual or cost evaluations
    converged: bool        # a convergence test passed (never the iteration cap)
    stop_reason: str
    method: str            # "Levenberg-Marquardt" or "L-BFGS-B"
    seconds: float         # the solver's wall time (imports not counted)

    @property
    def fun(self):
        """The cost, under the name the optimizers' results use."""
        return self.cost

    @property
    def nit(self):
        """The iterations, under the name the optimizers' results use."""
        return self.iterations


def check_start(model, x0):
    """A ``DataError`` when the cost is not finite at ``x0`` (the Poisson likelihood where
    the model is 0 and the data have counts)."""
    from .io import DataError

    with np.errstate(all="ignore"):  # a cost of inf is reported here, not warned about
        finite = np.isfinite(model.fun_and_jac(x0)[0])
    if not finite:
        hint = ""
        if getattr(model, "metric", "sse") == "poisson":
            hint = (": the model is 0 where the data have counts, which the Poisson "
                    "likelihood rules out; give --read-noise or --fit background")
        raise DataError(f"the cost is not finite at the start of the fit{hint}")


def fit(model, x0, method, maxiter, callback):
    """Run ``method`` on ``model`` from ``x0``; ``callback(iteration, x, cost)`` after each
    iteration. Returns a ``Fit``."""
    from ..optimize import lbfgs, levenberg_marquardt

    check_start(model, x0)
    start = time.perf_counter()
    if method == "lm":
        found = levenberg_marquardt(model, x0, maxiter=maxiter, callback=callback)
        reason = found.stop_reason
    else:
        found = lbfgs(model, x0, maxiter=maxiter, callback=callback, restarts=LBFGS_RESTARTS)
        reason = found.message
    seconds = time.perf_counter() - start
    return Fit(x=np.asarray(found.x, dtype=np.float64), cost=float(found.fun),
               history=np.asarray(found.history), iterations=int(found.nit),
               evaluations=int(found.nfev), converged=bool(found.success),
               stop_reason=str(reason), method=METHODS[method][0], seconds=seconds)


def retrieve_fit(model, method, maxiter, callback, noise=None, starts=1, spread=0.1):
    """``pg.optimize.retrieve`` on a phase-retrieval model (its start from the data:
    registration, flux, background, detector gain; the direct and the coarse-to-fine fits;
    ``maxiter`` per stage; ``starts`` starts, the others perturbed by ``spread`` waves RMS,
    the lowest cost kept) and its report (``pg.optimize.assess`` with the keywords ``noise``,
    a dict, or None: unknown noise). Returns ``(Fit, FitReport)``; the Fit's history is the
    winning run's stages joined."""
    from ..optimize import retrieve

    start = time.perf_counter()
    found = retrieve(model, method=method, maxiter=maxiter, callback=callback, starts=starts,
                     spread=spread, **(noise or {}))
    seconds = time.perf_counter() - start
    return Fit(x=np.asarray(found.x, dtype=np.float64), cost=float(found.fun),
               history=np.asarray(found.history), iterations=int(found.nit),
               evaluations=int(found.nfev), converged=bool(found.converged),
               stop_reason=str(found.stop_reason), method=METHODS[method][0],
               seconds=seconds), found.report
