"""How many threads phasegrad's C++ kernels and FFTW plans use.

``set_num_threads(n)`` sets the process-wide default; ``with threads(n):`` overrides it for the
calling Python thread only (other threads keep theirs). The initial default comes from
``PHASEGRAD_NUM_THREADS``, else ``OMP_NUM_THREADS``, else the number of cores. ``n = -1``
means all cores, as SciPy's ``workers=-1``.

OpenMP (libgomp) is not fork-safe: a child forked after a parallel region can hang at its next
one. A forked child therefore starts serial (one thread); call ``set_num_threads`` in the child
to change that, at your own risk, or use the ``forkserver``/``spawn`` start methods.
"""

from __future__ import annotations

import contextlib
import operator
import os
import threading

__all__ = ["get_num_threads", "set_num_threads", "threads"]

_local = threading.local()


def _parse(n, name="n"):
    """A positive thread count from ``n`` (-1: all cores); ValueError otherwise."""
    if isinstance(n, bool):
        raise ValueError(f"{name} must be a positive integer or -1 (all cores); got {n!r}")
    try:
        value = operator.index(n)
    except TypeError:
        raise ValueError(f"{name} must be a positive integer or -1 (all cores); got {n!r}") \
            from None
    if value == -1:
        return os.cpu_count() or 1
    if value < 1:
        raise ValueError(f"{name} must be a positive integer or -1 (all cores); got {value}")
    return value


def _from_environment():
    for variable in ("PHASEGRAD_NUM_THREADS", "OMP_NUM_THREADS"):
        text = os.environ.get(variable, "").strip()
        if text:
            # OMP_NUM_THREADS may list one count per nesting level ("4,2"): take the first.
            first = text.split(",")[0].strip()
            try:
                return _parse(int(first), variable)
            except ValueError:
                raise ValueError(f"{variable} must be a positive integer; got {text!r}") \
                    from None
    return os.cpu_count() or 1


_default = _from_environment()


def get_num_threads():
    """The number of threads kernels started from this Python thread will use."""
    return getattr(_local, "count", None) or _default


def set_num_threads(n):
    """Set the process-wide default number of threads (``-1``: all cores).

    Raises
    ------
    ValueError
        If ``n`` is 0, negative (other than -1) or not an integer.
    """
    global _default
    _default = _parse(n)


@contextlib.contextmanager
def threads(n):
    """Use ``n`` threads inside the ``with`` block, in the calling Python thread only.

    Examples
    --------
    >>> import phasegrad as pg
    >>> with pg.threads(1):
    ...     pg.get_num_threads()
    1
    """
    count = _parse(n)
    previous = getattr(_local, "count", None)
    _local.count = count
    try:
        yield count
    finally:
        _local.count = previous


def _serial_after_fork():
    global _default
    _default = 1
    _local.count = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_serial_after_fork)
