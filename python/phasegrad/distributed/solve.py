"""One chunk of problems solved in the calling process.

One ``pg.PhaseRetrievalBatch`` of the chunk, solved in lockstep by ``pg.optimize.lbfgs``
(``lbfgs``: ``phasegrad.optimize.batch.lbfgs_batch``, L-BFGS per problem with its own memory,
line search and stopping test) or ``pg.optimize.levenberg_marquardt`` (``lm``:
``levenberg_marquardt_batch``, the dense solver per problem); a problem's result does not
depend on which others share its chunk. ``solver_options`` the batch solvers do not take
(``restarts`` of SciPy's L-BFGS-B, LM's ``method`` or ``cg_maxiter``): one
``pg.PhaseRetrieval`` and one solver run per problem instead.

A problem that cannot be solved does not stop the others: frames with a NaN or an infinity
are set aside before the batch is built, and when the batch itself fails (an error no frame
check foresaw) every problem is solved alone (a batch of one), each in its own ``try``, so
that the error is the failing problem's own. Its ``error`` is then ``"TypeName: message"``
(``""`` when fine), its ``x`` and ``cost`` NaN, ``converged`` False and ``nit`` 0.
"""

from __future__ import annotations

import numpy as np

from ..models import PhaseRetrieval

__all__ = ["BATCH_OPTIONS", "METHODS", "ChunkResult", "empty_result", "solve_frames",
           "start_vector", "uses_batch"]

#: The solvers: ``lbfgs`` (``pg.optimize.lbfgs``) and ``lm`` (``levenberg_marquardt``).
METHODS = ("lbfgs", "lm")


class ChunkResult(dict):
    """The arrays of a chunk of ``count`` problems: ``x`` (count, n_params) float64,
    ``cost`` float64, ``converged`` bool, ``nit`` int64 and ``error`` (str objects)."""


def empty_result(count, n_params):
    """A ``ChunkResult`` of ``count`` unsolved problems (NaN, False, 0, "")."""
    return ChunkResult(x=np.full((count, n_params), np.nan), cost=np.full(count, np.nan),
                       converged=np.zeros(count, dtype=bool), nit=np.zeros(count, np.int64),
                       error=np.full(count, "", dtype=object))


def start_vector(model):
    """The default start of a model: its ``pack()`` start values, the quadratic detector at
    (a, b, c) = (0, 1, 0) (a linear response without offset)."""
    if model.detector == "quadratic":
        return model.pack(p=(0.0, 1.0, 0.0))
    return model.pack()


def _message(error):
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def _solver(method):
    from ..optimize import lbfgs, levenberg_marquardt

    return lbfgs if method == "lbfgs" else levenberg_marquardt


#: The batch solvers' keyword arguments (``pg.optimize.lbfgs`` and ``levenberg_marquardt`` on
#: a batch).
BATCH_OPTIONS = {"lbfgs": frozenset({"gtol", "ftol", "maxcor", "maxls"}),
                 "lm": frozenset({"gtol", "xtol", "ftol", "damping"})}


def uses_batch(method, solver_options):
    """Whether a chunk runs as one ``PhaseRetrievalBatch`` (else one model per problem)."""
    return set(solver_options) <= BATCH_OPTIONS[method]


def _native_batch(frames, options, x0, method, maxiter, solver_options):
    """The lockstep batch's (x, cost, converged, nit)."""
    from ..models import PhaseRetrievalBatch

    found = _solver(method)(PhaseRetrievalBatch(data=frames, **options), x0, maxiter=maxiter,
                            **solver_options)
    return (np.asarray(found.x, np.float64).reshape(x0.shape),
            np.asarray(found.cost, np.float64), np.asarray(found.converged, bool),
            np.asarray(found.nit, np.int64))


def _one(frame, options, x0, method, maxiter, solver_options):
    if uses_batch(method, solver_options):  # the same solver, in a batch of one
        x, cost, converged, nit = _native_batch(frame[None], options, x0[None], method,
                                                maxiter, solver_options)
        return x[0], float(cost[0]), bool(converged[0]), int(nit[0])
    model = PhaseRetrieval(data=frame, **options)
    found = _solver(method)(model, x0, maxiter=maxiter, **solver_options)
    converged = getattr(found, "converged", found.success)
    return np.asarray(found.x, np.float64).ravel(), float(found.fun), bool(converged), \
        int(found.nit)


def solve_frames(frames, options, x0, method="lbfgs", maxiter=200, solver_options=None):
    """Solve the problems of ``frames`` (count, P, M, M) from ``x0`` (count, n_params).

    ``options`` are ``pg.PhaseRetrieval``'s keyword arguments but ``data`` (checked by the
    caller); ``solver_options`` go to the solver. Returns a ``ChunkResult``.
    """
    solver_options = dict(solver_options or {})
    count, n_params = x0.shape
    result = empty_result(count, n_params)
    finite = np.isfinite(frames.reshape(count, -1)).all(axis=1)
    for i in np.flatnonzero(~finite):
        result["error"][i] = "ValueError: data must be finite (the frame holds NaN or inf)"
    good = np.flatnonzero(finite)
    if good.size == 0:
        return result
    solved = None
    if uses_batch(method, solver_options):
        try:
            solved = _native_batch(frames[good], options, x0[good], method, maxiter,
                                   solver_options)
        except Exception:  # noqa: BLE001 (each problem alone below names its own error)
            solved = None
    if solved is not None:
        x, cost, converged, nit = solved
        result["x"][good], result["cost"][good] = x, cost
        result["converged"][good], result["nit"][good] = converged, nit
    else:
        for i in good:
            try:
                x, cost, converged, nit = _one(frames[i], options, x0[i], method, maxiter,
                                               solver_options)
            except Exception as error:  # noqa: BLE001 (the problem's error, not the run's)
                result["error"][i] = _message(error)
                continue
            result["x"][i], result["cost"][i] = x, cost
            result["converged"][i], result["nit"][i] = converged, nit
    for i in good:
        if not result["error"][i] and not np.isfinite(result["cost"][i]):
            result["error"][i] = "FloatingPointError: the cost is not finite"
            result["converged"][i] = False
    return result
