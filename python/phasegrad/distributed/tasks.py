"""The task a worker runs: read a chunk (when the stack is a path), solve it on a fixed number
of threads with BLAS on one, and return its arrays with where they go."""

from __future__ import annotations

import time

import numpy as np

from ..config import single_threaded_blas, threads
from .solve import solve_frames
from .stack import Stack

__all__ = ["fresh", "solve_chunk"]


def fresh(value):
    """An array that arrived by pickle (Dask's transport) as a new array of NumPy's own dtype
    object, anything else as it is.

    An unpickled array carries a dtype *equal* to float64 but not NumPy's float64 object
    itself, and the compiled core checks dtypes by identity: a model built from it refuses
    its amplitude ("must have dtype float64; got float64"). A copy into an array made with
    the canonical dtype fixes that (``np.array(a, dtype=...)`` keeps the old dtype object).
    """
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufc":
        return value
    out = np.empty(value.shape, dtype=np.dtype(value.dtype.str))
    out[...] = value
    return out


def solve_chunk(index, source, start, stop, options, x0, method, maxiter, solver_options,
                thread_count):
    """Chunk ``index``: problems ``start:stop`` of ``source`` (a ``Stack`` opened by path, or
    the frames themselves) from ``x0`` (stop - start, n_params), solved under
    ``pg.threads(thread_count)`` and ``single_threaded_blas``. Returns the ``ChunkResult``
    with ``index``, ``start``, ``stop`` and ``seconds`` (the task's own time) added."""
    began = time.perf_counter()
    frames = fresh(source.read(start, stop) if isinstance(source, Stack) else source)
    options = {name: fresh(value) for name, value in options.items()}
    x0 = fresh(x0)
    with threads(thread_count), single_threaded_blas():
        result = solve_frames(frames, options, x0, method, maxiter, solver_options)
    result.update(index=index, start=start, stop=stop, seconds=time.perf_counter() - began)
    return result
