"""``retrieve_many``: phase retrieval of a stack of independent problems that share their
geometry, chunk by chunk, in this process or on a Dask cluster."""

from __future__ import annotations

import inspect
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..arguments import validate as v
from ..config import get_num_threads
from ..models import PhaseRetrieval
from .solve import METHODS, empty_result, start_vector
from .stack import open_stack
from .tasks import solve_chunk

__all__ = ["RetrieveManyResult", "retrieve_many"]

#: PhaseRetrieval's keyword arguments a stack run takes (all but ``data``).
MODEL_OPTIONS = tuple(name for name in inspect.signature(PhaseRetrieval).parameters
                      if name != "data")
_DEFAULT_MAXITER = {"lbfgs": 200, "lm": 100}


@dataclass
class RetrieveManyResult:
    """What ``retrieve_many`` returns: one row per problem.

    Attributes
    ----------
    x : numpy.ndarray, (B, n_params) float64
        The solutions (NaN for a problem that failed).
    cost : numpy.ndarray, (B,) float64
        The cost at ``x``.
    converged : numpy.ndarray, (B,) bool
        The solver's verdict (a tolerance met, not the iteration cap).
    nit : numpy.ndarray, (B,) int64
        Iterations.
    error : numpy.ndarray, (B,) str
        Why a problem could not be solved, ``""`` when it was.
    computed : list of int
        The chunks solved by this call (a resumed run skips those already in ``out``).
    chunk : int
        Problems per chunk (chunk ``i`` is problems ``i * chunk`` to ``(i + 1) * chunk``).
    seconds : float
        Wall time of the call.
    task_seconds : list of float
        Each computed chunk's own time in its task (reading and solving), in ``computed``'s
        order.
    """

    x: np.ndarray
    cost: np.ndarray
    converged: np.ndarray
    nit: np.ndarray
    error: np.ndarray
    computed: list = field(default_factory=list)
    chunk: int = 64
    seconds: float = 0.0
    task_seconds: list = field(default_factory=list, repr=False)

    @property
    def failed(self):
        """Indices of the problems with an error."""
        return np.flatnonzero(self.error != "")


def _start(x0, model, problems):
    """The (B, n_params) float64 start: ``x0`` (n_params,) for all, or (B, n_params)."""
    n = model.n_params
    if x0 is None:
        return np.broadcast_to(start_vector(model), (problems, n))
    x0 = v.array(x0, "x0", kind="real")
    if x0.shape not in ((n,), (problems, n)):
        raise ValueError(f"x0 must have shape ({n},) or ({problems}, {n}) (the model's "
                         f"n_params, for B = {problems} problems); got {x0.shape}")
    v.finite(x0, "x0")
    return np.broadcast_to(np.asarray(x0, np.float64), (problems, n))


def retrieve_many(data, *, client=None, chunk=64, out=None, method="lbfgs", maxiter=None,
                  x0=None, workers=None, threads=None, solver_options=None, progress=None,
                  **options):
    """Solve B phase-retrieval problems that share a geometry, each on its own data.

    Problem ``b`` is ``pg.PhaseRetrieval(data=data[b], **options)`` solved from ``x0`` (or
    ``x0[b]``) by ``method``. The stack is cut into chunks of ``chunk`` problems; each chunk
    is one task that runs the native batch (``pg.PhaseRetrievalBatch`` and the lockstep
    solver) -- in this process, one chunk after another, or on a Dask cluster, every chunk
    a task. Results come back as arrays and, with ``out``, are written into a Zarr store as
    each chunk finishes: a run that stops (a crash, Ctrl-C) resumes by calling again with the
    same ``out``, and only the chunks not committed there are solved. A worker lost in the
    middle loses nothing: Dask runs its tasks again elsewhere, and results are written here,
    by this process, as each task's result arrives (docs/distributed.md).

    Parameters
    ----------
    data : array_like, zarr.Array, h5py.Dataset, str or os.PathLike
        The images, (B, P, M, M) or (B, M, M): an array, anything that slices like one (read
        a chunk at a time), or the path of a Zarr array or ``.npy`` file (opened by each
        worker; it must be reachable from them). Integer data are solved in float64.
    client : None, "local", str or dask.distributed.Client
        None: this process. ``"local"``: a ``LocalCluster`` started (and stopped) here.
        An address (``"tcp://host:8786"``) or a ``Client``: that cluster.
    chunk : int
        Problems per task (default 64).
    out : str or os.PathLike, optional
        A Zarr group to write results into and resume from (``phasegrad.distributed.store``
        describes it). A store of another run (B, n_params, chunk or method) is refused.
    method : {"lbfgs", "lm"}
        ``pg.optimize.lbfgs`` (default) or ``pg.optimize.levenberg_marquardt``.
    maxiter : int, optional
        Iterations per problem (default 200 for lbfgs, 100 for lm).
    x0 : array_like, optional
        The start, (n_params,) for every problem or (B, n_params); default the model's
        ``pack()`` start (wavefront 0, a quadratic detector at (0, 1, 0)).
    workers, threads : int, optional
        A local cluster's worker processes and each task's kernel threads (default: 1 thread,
        as many workers as cores); ``workers x threads`` may not exceed the cores. With
        ``client=None`` ``threads`` defaults to ``pg.get_num_threads()``; with another
        cluster, to 1.
    solver_options : dict, optional
        More keyword arguments of the solver (``restarts=``, ``gtol=``, ...).
    progress : callable, optional
        ``progress(done, total)`` after each chunk lands (chunks committed, chunks in all).
    **options
        ``pg.PhaseRetrieval``'s arguments but ``data``: ``amplitude=`` and ``basis=``
        (required), ``diversity=``, ``pad=``, ``detector=``, ``wavelengths=``, ``object=``,
        ``metric=``, ``fit=``, ...

    Returns
    -------
    RetrieveManyResult
        ``x`` (B, n_params), ``cost``, ``converged``, ``nit`` and ``error`` (B,) (a problem
        whose data or solve failed has its message there; the run goes on), and which
        chunks this call computed.

    Raises
    ------
    TypeError, ValueError
        Bad arguments or a stack of the wrong shape, before anything is solved (the options
        are checked by building the model of the first problem).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> A, Z = pg.circular_pupil(16), pg.zernike_basis(4, 16, first=2)
    >>> truth = pg.PhaseRetrieval(amplitude=A, basis=Z, data=np.zeros((32, 32)))
    >>> stack = np.stack([truth.simulate(np.full(4, 0.02 * b)) for b in range(1, 4)])
    >>> found = pg.distributed.retrieve_many(stack, amplitude=A, basis=Z, chunk=2)
    >>> found.x.shape, found.computed, found.failed.size
    ((3, 4), [0, 1], 0)
    """
    began = time.perf_counter()
    unknown = sorted(set(options) - set(MODEL_OPTIONS))
    if unknown:
        raise TypeError(f"retrieve_many() got unexpected keyword argument(s) "
                        f"{', '.join(unknown)}; the model's are {', '.join(MODEL_OPTIONS)}")
    for required in ("amplitude", "basis"):
        if required not in options:
            raise TypeError(f"retrieve_many() needs {required}= (as pg.PhaseRetrieval does)")
    method = v.one_of(method, "method", METHODS)
    chunk = v.positive_int(chunk, "chunk")
    maxiter = _DEFAULT_MAXITER[method] if maxiter is None else v.positive_int(maxiter,
                                                                               "maxiter")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable; got {type(progress).__name__}")
    if not (client is None or isinstance(client, str) or hasattr(client, "submit")):
        raise TypeError(f"client must be None, 'local', a scheduler address or a "
                        f"dask.distributed.Client; got {type(client).__name__}")
    solver_options = dict(solver_options or {})
    stack = open_stack(data)
    problems = stack.problems
    # The options checked, and n_params found, on a model of one frame of the stack's shape.
    shape = stack.shape[2:] if stack.shape[1] == 1 else stack.shape[1:]
    model = PhaseRetrieval(data=np.zeros(shape, stack.dtype), **options)
    start = _start(x0, model, problems)
    n_params = model.n_params
    chunks = -(-problems // chunk)

    store = None
    if out is not None:
        from .store import ResultStore

        store = ResultStore(out, problems, n_params, chunk, method)
        todo = [i for i, done in enumerate(store.done()) if not done]
    else:
        todo = list(range(chunks))
        arrays = empty_result(problems, n_params)

    def land(result):
        i = result["index"]
        if store is not None:
            store.write(i, result, commit=not result.get("failed"))
        else:
            for name in ("x", "cost", "converged", "nit", "error"):
                arrays[name][result["start"]:result["stop"]] = result[name]
        computed.append(i)
        task_seconds.append(result["seconds"])
        if result.get("planning"):
            refused[i] = result["planning"]
        if progress is not None:
            progress(chunks - len(todo) + len(computed), chunks)

    computed, task_seconds, refused = [], [], {}
    bounds = {i: (i * chunk, min(problems, (i + 1) * chunk)) for i in todo}
    common = (method, maxiter, solver_options)
    if client is None:
        if workers is not None:
            raise ValueError("workers= sizes a local cluster only (client='local')")
        thread_count = get_num_threads() if threads is None else v.positive_int(threads,
                                                                                 "threads")
        for i in todo:
            lo, hi = bounds[i]
            land(solve_chunk(i, stack.read(lo, hi), lo, hi, options, start[lo:hi], *common,
                             thread_count))
    elif todo:  # (a store with every chunk done needs no cluster)
        from .cluster import connect
        from .plans import make_plans, planning
        from .submit import run_on_cluster

        with connect(client, workers=workers, threads=threads) as cluster:
            # The plans every task uses, made here and sent with the tasks (plans.py).
            make_plans(shape, stack.dtype, options, start[0], method, solver_options)
            run_on_cluster(cluster, stack, bounds, options, start, common, land, planning())
        if refused:
            reasons = sorted(set(refused.values()))
            warnings.warn(f"{len(refused)} of {len(computed)} chunks ran on workers that could "
                          f"not make this process's FFTW plans ({'; '.join(reasons)}): their "
                          "results agree with this process's to rounding, not bit for bit",
                          RuntimeWarning, stacklevel=2)

    if store is not None:
        arrays = store.read()
    return RetrieveManyResult(x=arrays["x"], cost=arrays["cost"],
                              converged=arrays["converged"], nit=arrays["nit"],
                              error=np.asarray(arrays["error"], dtype=str),
                              computed=computed, chunk=chunk,
                              seconds=time.perf_counter() - began, task_seconds=task_seconds)
