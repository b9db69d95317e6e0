"""Chunks as Dask tasks: the model's options and this process's FFTW planning sent to every
worker once, a path sent as a path (each task reads its own chunk) and frames held here read
and sent a few chunks ahead of the workers, results handed to ``land`` in the order they
finish."""

from __future__ import annotations

from .solve import empty_result
from .tasks import solve_chunk

__all__ = ["run_on_cluster"]

#: Tasks in flight per Dask thread when frames are sent from here (bounds this process's
#: memory to a few chunks per thread, and keeps every worker busy).
AHEAD = 2
#: Retries of a task that raised (a worker lost is rescheduled by Dask without counting).
RETRIES = 2


def _message(error):
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def run_on_cluster(cluster, stack, bounds, options, start, common, land, planning=None):
    """Run chunk ``i`` (``bounds[i]`` = (start, stop)) of ``stack`` for every ``i`` on
    ``cluster``; ``land(result)`` for each as it finishes.

    ``planning`` (``plans.planning()``) goes with every task, so that the workers solve on
    this process's FFTW plans. A task that fails after its retries gives each of its problems
    the task's error, and its chunk is not committed (a resumed run tries it again).
    """
    from distributed import as_completed

    client = cluster.client
    shared, planned = client.scatter([options, planning], broadcast=True, hash=False)
    pending = list(bounds)
    by_path = stack.path is not None
    limit = len(pending) if by_path else max(1, AHEAD * cluster.slots)

    def submit(i):
        lo, hi = bounds[i]
        source = stack if by_path else stack.read(lo, hi)
        future = client.submit(solve_chunk, i, source, lo, hi, shared, start[lo:hi], *common,
                               cluster.threads, planned, pure=False, retries=RETRIES)
        index[future.key] = i
        return future

    index = {}
    running = as_completed([submit(i) for i in pending[:limit]])
    queue = pending[limit:]
    for future in running:
        i = index.pop(future.key)
        try:
            result = future.result()
        except Exception as error:  # noqa: BLE001 (recorded per problem; the run goes on)
            lo, hi = bounds[i]
            result = empty_result(hi - lo, start.shape[1])
            result["error"][:] = f"task failed: {_message(error)}"
            result.update(index=i, start=lo, stop=hi, seconds=0.0, failed=True)
        land(result)
        del future
        if queue:
            running.add(submit(queue.pop(0)))
    client.cancel([shared, planned])

