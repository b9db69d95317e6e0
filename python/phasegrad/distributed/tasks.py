"""The task a worker runs: take in the sending process's planning (``plans``), read a chunk
(when the stack is a path), solve it on a fixed number of threads with BLAS on one, and return
its arrays with where they go."""

from __future__ import annotations

import time

from ..config import single_threaded_blas, threads
from .plans import adopt
from .solve import solve_frames
from .stack import Stack

__all__ = ["solve_chunk"]


def solve_chunk(index, source, start, stop, options, x0, method, maxiter, solver_options,
                thread_count, planning=None):
    """Chunk ``index``: problems ``start:stop`` of ``source`` (a ``Stack`` opened by path, or
    the frames themselves) from ``x0`` (stop - start, n_params), solved under
    ``pg.threads(thread_count)`` and ``single_threaded_blas``. Returns the ``ChunkResult``
    with ``index``, ``start``, ``stop`` and ``seconds`` (the task's own time) added.
    ``planning`` (``plans.planning()`` of the sending process), when given, is taken in
    first, so that the chunk is solved on that process's FFTW plans; ``planning`` in the
    result is ``""``, or why it could not be (``plans.adopt``)."""
    began = time.perf_counter()
    refusal = adopt(planning) if planning is not None else ""
    frames = source.read(start, stop) if isinstance(source, Stack) else source
    with threads(thread_count), single_threaded_blas():
        result = solve_frames(frames, options, x0, method, maxiter, solver_options)
    result.update(index=index, start=start, stop=stop, seconds=time.perf_counter() - began,
                  planning=refusal)
    return result
