"""Which Dask cluster runs the tasks, and on how many threads each runs.

``client="local"`` starts a ``LocalCluster`` of worker processes, each running one task at a
time (one Dask thread) with ``threads`` OpenMP threads for phasegrad's kernels, so that
workers x threads never exceeds the cores this process may use (and Dask's profiler off); a
``dask.distributed.Client`` is used as it is, and a scheduler address (``"tcp://host:8786"``)
is connected to. Tasks on a cluster that was not started here run with ``threads`` (default
1) kernel threads per Dask thread: start such workers with ``--nthreads 1`` and more threads
per task, or ``--nthreads`` = the cores and ``threads=1``.
"""

from __future__ import annotations

import logging
import os

from ..arguments import validate as v

__all__ = ["Cluster", "available_cores", "connect"]


def available_cores():
    """The cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class Cluster:
    """A connected ``client``, the kernel ``threads`` of each task, the Dask threads in all
    (``slots``), and ``close()`` (which stops what was started here)."""

    def __init__(self, client, threads, owned=(), slots=1):
        self.client, self.threads, self.slots = client, threads, slots
        self._owned = owned

    def close(self):
        for thing in self._owned:
            thing.close()
        self._owned = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError("client= needs Dask: pip install 'phasegrad[distributed]' (dask"
                          "[distributed] and zarr)") from None
    return distributed


def connect(client, workers=None, threads=None):
    """A ``Cluster`` for ``client`` ("local", an address, or a ``Client``); ``workers`` and
    ``threads`` size a local one (default: ``threads`` 1 and as many workers as fit)."""
    cores = available_cores()
    if threads is not None:
        threads = v.positive_int(threads, "threads")
    if workers is not None:
        workers = v.positive_int(workers, "workers")
    distributed = _import_distributed()
    if isinstance(client, str) and client == "local":
        threads = threads or (max(1, cores // workers) if workers else 1)
        workers = workers or max(1, cores // threads)
        if workers * threads > cores:
            raise ValueError(f"workers x threads = {workers} x {threads} is more than the "
                             f"{cores} cores: the kernels would fight for them")
        import dask

        # Dask's statistical profiler samples each task thread's stack every 10 ms: Python
        # work that competes for the GIL with the lockstep solver's own (measured: the median
        # chunk's task 0.63 s without it, 0.79 s with it, on a loaded 2-core machine).
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                               processes=True, dashboard_address=None,
                                               silence_logs=logging.ERROR)
        connected = distributed.Client(cluster)
        return Cluster(connected, threads, owned=(connected, cluster), slots=workers)
    if workers is not None:
        raise ValueError("workers= sizes a local cluster only (client='local')")
    if isinstance(client, str):
        connected = distributed.Client(client, timeout="30s")
        owned = (connected,)
    elif isinstance(client, distributed.Client):
        connected, owned = client, ()
    else:
        raise TypeError(f"client must be None, 'local', a scheduler address or a "
                        f"dask.distributed.Client; got {type(client).__name__}")
    info = connected.scheduler_info()
    slots = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
    return Cluster(connected, threads or 1, owned=owned, slots=slots)
