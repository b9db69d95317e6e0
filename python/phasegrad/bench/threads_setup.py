"""One thread count for every implementation in the run, and what it took to apply it.

phasegrad: ``pg.threads(n)`` around the run. pyFFTW: ``threads=n`` in its plans (``bench.floor``).
PyTorch: ``torch.set_num_threads(n)``. BLAS (only the basis contractions of the reference and
the floor, memory-bound matrix-vector products) runs on one thread, through threadpoolctl when
installed: OpenBLAS's idle workers busy-wait after each call and take the cores that the next
step's FFT threads need. Measured on 2 cores, 2 threads: the PR floor at n=128 took 28 ms with
2 BLAS threads and 1.1 ms with one; the reference backend 30 ms and 11.6 ms.

JAX/XLA has no setting after import and no flag for an exact count: XLA_FLAGS must be set
before jax is imported; for one thread the suite sets
``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`` (measured: the CPU time
per wall second of a JAX FFT drops from 1.8 to 1.0 on 2 cores); for more threads XLA uses all
cores, which the JSON records when that differs from the requested count.
"""

from __future__ import annotations

import contextlib
import os
import sys

XLA_SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def configure_xla(threads):
    """Set XLA_FLAGS for ``threads`` if jax is not imported yet; returns a note on the result."""
    cores = os.cpu_count() or 1
    if "jax" in sys.modules:
        return "jax was imported before the suite: XLA threads left as they were"
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        if XLA_SINGLE_THREAD not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} {XLA_SINGLE_THREAD}".strip()
        return f"XLA_FLAGS={os.environ['XLA_FLAGS']!r}"
    if threads >= cores:
        return f"XLA default: all {cores} cores"
    return f"XLA default: all {cores} cores (no XLA flag sets {threads} threads)"


@contextlib.contextmanager
def single_threaded_blas():
    """BLAS on one thread inside the block when threadpoolctl is installed; yields a note."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield ("BLAS threads not limited (threadpoolctl not installed): its idle workers may "
               "slow the reference and the floor")
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield "BLAS on 1 thread (threadpoolctl)"


def configure_torch(threads):
    """``torch.set_num_threads`` if torch imports; returns a note."""
    try:
        import torch
    except ImportError:
        return "torch not installed"
    torch.set_num_threads(threads)
    return f"torch.set_num_threads({threads})"
