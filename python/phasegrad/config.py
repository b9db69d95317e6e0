"""Every knob of phasegrad's compiled core in one place: threads, FFTW planning, wisdom, plans.

Threads. ``set_num_threads(n)`` sets the process-wide default; ``with threads(n):`` overrides it
for the calling Python thread only (other threads keep theirs). The initial default comes from
``PHASEGRAD_NUM_THREADS``, else ``OMP_NUM_THREADS``, else the number of cores. ``n = -1``
means all cores, as SciPy's ``workers=-1``. A count above ``MAX_THREADS`` (1024, or
``PHASEGRAD_MAX_THREADS``) is refused: libgomp aborts the interpreter or crashes when asked for
ten thousand threads or more.

OpenMP (libgomp) is not fork-safe: a child forked after a parallel region hangs at its next
one. A child forked from a process that had loaded the compiled core therefore runs serial (one
thread), and asking it for more (``set_num_threads``, ``threads``) is a ``RuntimeError``
rather than a hang; use the ``forkserver``/``spawn`` start methods for threaded children, or
set ``PHASEGRAD_THREADS_AFTER_FORK=1`` to allow it at your own risk.

FFTW. The core makes each FFTW plan once (per shape, batch, precision, direction, thread count,
planner effort and buffer alignment) and keeps it: ``set_planner_effort``,
``cached_plan_count``, ``clear_plan_cache``; ``export_wisdom``/``import_wisdom`` carry FFTW's
planning knowledge across processes, so ``"measure"`` planning is paid once; the per-user
wisdom cache (``wisdom_cache_path``) does that by itself: it is read when the core loads and
written at exit when new plans were made (``PHASEGRAD_WISDOM_CACHE=0`` turns it off).

Other libraries' thread pools. ``single_threaded_blas()`` (a context manager and decorator)
keeps BLAS on one thread while it is active: phasegrad's solvers and commands run under it, so
OpenBLAS's idle workers, which spin, do not take the cores from phasegrad's OpenMP threads. The
setting is restored on exit; ``PHASEGRAD_LIMIT_BLAS=0`` turns it off.

OpenMP. ``openmp_policy()`` says which OpenMP wait policy the core's threads run under (see
``phasegrad.native``: set with ``PHASEGRAD_OMP_POLICY``, ``OMP_WAIT_POLICY`` or
``GOMP_SPINCOUNT`` before the core first loads).

Importing this module loads nothing compiled; the FFTW and OpenMP knobs load the core when
first called.
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
import sys
import threading

from .arguments.validate import environment_count, positive_int

__all__ = [
    "MAX_THREADS", "WISDOM_MAX_BYTES", "cached_plan_count", "clear_plan_cache", "cpu_key",
    "export_wisdom", "get_num_threads", "get_planner_effort", "import_wisdom", "load_wisdom_cache",
    "openmp_policy", "save_wisdom_cache", "set_num_threads", "set_planner_effort",
    "single_threaded_blas", "threads", "wisdom_cache_path",
]

_local = threading.local()


#: The most threads a call may ask for (``PHASEGRAD_MAX_THREADS`` when set, else 1024).
MAX_THREADS = environment_count("PHASEGRAD_MAX_THREADS", 1024)


def _parse(n, name="n"):
    """A thread count from ``n`` in [1, MAX_THREADS] (-1: all cores); ValueError otherwise."""
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
    if value > MAX_THREADS:
        raise ValueError(f"{name} must be at most {MAX_THREADS} threads (set "
                         f"PHASEGRAD_MAX_THREADS to allow more); got {value}")
    return value


def _from_environment():
    for variable in ("PHASEGRAD_NUM_THREADS", "OMP_NUM_THREADS"):
        text = os.environ.get(variable, "").strip()
        if text:
            # OMP_NUM_THREADS may list one count per nesting level ("4,2"): take the first.
            first = text.split(",")[0].strip()
            try:
                count = int(first)
            except ValueError:
                raise ValueError(f"{variable} must be a positive integer; got {text!r}") \
                    from None
            return _parse(count, variable)
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
        If ``n`` is 0, negative (other than -1), above ``MAX_THREADS`` or not an integer.
    """
    global _default
    _default = _allowed(_parse(n))


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
    count = _allowed(_parse(n))
    previous = getattr(_local, "count", None)
    _local.count = count
    try:
        yield count
    finally:
        _local.count = previous


_forked_after_openmp = False  # this process was forked from one that had loaded the core


def _serial_after_fork():
    global _default, _forked_after_openmp
    _default = 1
    _local.count = None
    if "phasegrad._core" in sys.modules:
        _forked_after_openmp = os.environ.get("PHASEGRAD_THREADS_AFTER_FORK") != "1"


def _allowed(count):
    """``count``, unless this is a forked child where OpenMP threads would hang."""
    if count > 1 and _forked_after_openmp:
        raise RuntimeError(f"{count} threads in a process forked from one that had run "
                           "phasegrad's OpenMP kernels: libgomp would hang here. Use the "
                           "'forkserver' or 'spawn' start method, or set "
                           "PHASEGRAD_THREADS_AFTER_FORK=1 to try anyway")
    return count


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_serial_after_fork)


# ------------------------------------------------------------------------------- FFTW planning

_EFFORTS = ("estimate", "measure", "patient")


def _core():
    from .native import core

    return core


def set_planner_effort(effort):
    """FFTW planner effort for plans made from now on: ``"estimate"``, ``"measure"`` (the
    default) or ``"patient"``. Plans already made are kept (the effort is part of their key).

    Raises
    ------
    ValueError
        If ``effort`` is not one of the three.
    """
    from .arguments.validate import one_of

    _core().set_planner_effort(one_of(effort, "effort", _EFFORTS))


def get_planner_effort():
    """The current planner effort (``"estimate"``, ``"measure"`` or ``"patient"``)."""
    return _core().planner_effort()


def cached_plan_count():
    """Number of FFTW plans the core holds (both precisions)."""
    return _core().cached_plan_count()


def clear_plan_cache():
    """Drop every cached plan (plans in use by a running kernel are freed when it finishes)."""
    _core().clear_plan_cache()


def export_wisdom(path):
    """Write FFTW's accumulated wisdom (double and single precision) to the file ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (JSON holding FFTW's own wisdom texts and the FFTW version),
        atomically: a temporary file beside it is renamed over it once complete.
    """
    core = _core()
    double_text, float_text = core.export_wisdom()
    record = {"fftw_version": core.fftw_version(), "double": double_text.decode("ascii"),
              "float": float_text.decode("ascii")}
    # Written beside the file and renamed over it: an interrupt leaves the old file or none,
    # never half a file, and a symbolic link there is replaced, not written through.
    from .arguments.outputs import replacing

    with replacing(os.fspath(path)) as temporary, open(temporary, "w",
                                                         encoding="ascii") as handle:
        json.dump(record, handle)


#: The largest wisdom file ``import_wisdom`` reads by default (FFTW's wisdom is kilobytes).
WISDOM_MAX_BYTES = 16 << 20


def import_wisdom(path, max_bytes=None):
    """Load wisdom written by ``export_wisdom``, so later plans are made without measuring.

    The file is not trusted: it must be a regular file (not a directory, FIFO or device) of
    at most ``max_bytes`` bytes (default ``WISDOM_MAX_BYTES``, 16 MiB), holding a JSON object
    whose ``"double"`` and ``"float"`` entries are FFTW wisdom texts.

    Raises
    ------
    ValueError
        If the file is not phasegrad wisdom (not a regular file, too large, not JSON, nested
        too deep, entries of the wrong type), or FFTW rejects it (e.g. another FFTW version).
    OSError
        If the file cannot be opened (missing, no permission).
    """
    import stat

    name = os.fspath(path)
    limit = WISDOM_MAX_BYTES if max_bytes is None else positive_int(max_bytes, "max_bytes")
    # Opened without blocking (a FIFO would wait for a writer), then checked on the descriptor
    # itself, so that what is read is what was checked.
    descriptor = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ValueError(f"path {name!r} is not a regular file (a directory, FIFO or "
                         "device): not a phasegrad wisdom file")
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"path {name!r} is larger than {limit} bytes: not a phasegrad wisdom "
                         "file (give max_bytes= to read a larger one)")
    try:
        record = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"path {name!r} is not a phasegrad wisdom file: "
                         f"{type(error).__name__}: {str(error)[:200]}") from None
    if (not isinstance(record, dict) or not {"double", "float"} <= record.keys()
            or not all(isinstance(record[k], str) for k in ("double", "float"))):
        raise ValueError(f"path {name!r} is not a phasegrad wisdom file")
    core = _core()
    accepted = core.import_wisdom(record["double"], record["float"])
    if not all(accepted):
        raise ValueError(f"FFTW rejected the wisdom in {name!r} (written by "
                         f"{record.get('fftw_version', 'an unknown FFTW')}, this is "
                         f"{core.fftw_version()})")


# ---------------------------------------------------------------------------- the wisdom cache

_cache = {"loaded": None, "registered": False}


def cpu_key():
    """A short hash of what decides FFTW's timings: the machine type, the CPU model and its
    instruction-set flags (Linux's /proc/cpuinfo; the platform's processor name elsewhere)."""
    import hashlib
    import platform

    parts = [platform.machine(), platform.processor()]
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                key = line.split(":", 1)[0].strip()
                if key in ("model name", "flags", "Features", "CPU part"):
                    parts.append(line.strip())
                elif not line.strip() and len(parts) > 2:
                    break  # the first processor's block is enough
    except OSError:
        pass
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def wisdom_cache_path():
    """The per-user FFTW wisdom cache file, or None when the cache is switched off.

    ``$XDG_CACHE_HOME/phasegrad/`` (``~/.cache/phasegrad/`` by default), one file per FFTW
    version and CPU (model and instruction-set flags), e.g.
    ``fftw-wisdom-fftw-3.3.10-sse2-avx-1a2b3c4d5e6f.json``. FFTW's wisdom records each plan
    with its thread count, so one file serves every count. ``PHASEGRAD_WISDOM_CACHE=0`` (or
    ``off``) switches the cache off. Loads the core (for FFTW's version).
    """
    import pathlib
    import re

    setting = os.environ.get("PHASEGRAD_WISDOM_CACHE", "1").strip().lower()
    if setting in ("0", "off", "no", "false"):
        return None
    if setting not in ("1", "on", "yes", "true", ""):
        raise ValueError(f"PHASEGRAD_WISDOM_CACHE must be 1 or 0; got {setting!r}")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    version = re.sub(r"[^A-Za-z0-9.+-]", "_", _core().fftw_version())
    return pathlib.Path(base) / "phasegrad" / f"fftw-wisdom-{version}-{cpu_key()}.json"


def _cache_path():
    """``wisdom_cache_path()``, or None with a warning when its setting is not understood."""
    try:
        return wisdom_cache_path()
    except ValueError as error:
        _cache_warning(f"the FFTW wisdom cache is off: {error}")
        return None


def _cache_warning(message):
    import warnings

    warnings.warn(f"phasegrad: {message}", RuntimeWarning, stacklevel=3)


def _owned_regular_file(path):
    """Why ``path`` must not be read as this user's cache, or None when it may."""
    import stat

    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return "owned by another user"
    return None


def load_wisdom_cache():
    """Import the wisdom cache (``wisdom_cache_path()``) when it exists; returns whether it did.

    Called when the compiled core loads; with the cache on, new plans are also checked from
    then on (each new FFTW_MEASURE or FFTW_PATIENT plan is planned twice and the faster one kept
    with its wisdom). The file is not trusted blindly: it must be a regular
    file owned by this user, and passes ``import_wisdom``'s checks (size, JSON, FFTW's own
    parser); anything else is ignored with a ``RuntimeWarning`` naming it, never an error. At
    exit, ``save_wisdom_cache`` writes the cache back when plans were made meanwhile.
    """
    path = _cache_path()
    if path is None:
        return False
    # What goes into the cache is kept for good: each new FFTW_MEASURE plan is planned twice
    # and the faster kept (see docs/threads-and-fftw.md, "The per-user cache").
    _core().set_plan_check(True)
    if not _cache["registered"]:
        import atexit

        atexit.register(_save_at_exit)
        _cache["registered"] = True
    loaded = False
    try:
        refusal = _owned_regular_file(path)
        if refusal:
            _cache_warning(f"ignoring the FFTW wisdom cache {path}: {refusal}")
        else:
            import_wisdom(path)
            loaded = True
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as error:
        _cache_warning(f"ignoring the FFTW wisdom cache {path}: {error}")
    _cache["loaded"] = _core().export_wisdom()
    return loaded


def save_wisdom_cache():
    """Write FFTW's wisdom to the cache when it grew since the cache was read; returns whether
    it wrote. What another process added to the file meanwhile is read first and kept. The
    write is atomic (a temporary file renamed over the cache); the directory is made private
    (mode 0700) when it is created. Errors are ``RuntimeWarning``s, not exceptions."""
    path = _cache_path()
    if path is None or _core().export_wisdom() == _cache["loaded"]:
        return False
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.exists() and not _owned_regular_file(path):
            with contextlib.suppress(OSError, ValueError):
                import_wisdom(path)
        export_wisdom(path)
    except OSError as error:
        _cache_warning(f"could not write the FFTW wisdom cache {path}: {error}")
        return False
    _cache["loaded"] = _core().export_wisdom()
    return True


def _save_at_exit():
    with contextlib.suppress(Exception):  # never a traceback at interpreter exit
        save_wisdom_cache()


# -------------------------------------------------------------- other libraries' thread pools

_pools_lock = threading.Lock()
_pools = {"blas": None}


def _blas_limit_enabled():
    value = os.environ.get("PHASEGRAD_LIMIT_BLAS", "1").strip().lower()
    if value not in ("0", "1", "off", "on", "no", "yes", "false", "true", ""):
        raise ValueError(f"PHASEGRAD_LIMIT_BLAS must be 1 or 0; got {value!r}")
    return value not in ("0", "off", "no", "false")


def _blas_pools():
    """threadpoolctl's controller of each BLAS loaded in the process, found once and kept.

    threadpoolctl's own ``limit`` builds a limiter, selects the libraries and reads each one's
    full description at every entry; the solvers enter once per solve, and the retrieval
    pipeline's nested solvers many times, so the libraries are found once here and each later
    entry only reads and sets their thread counts through the handles kept
    (docs/threads-and-fftw.md).
    """
    with _pools_lock:
        if _pools["blas"] is None:
            import scipy.linalg  # noqa: F401 (SciPy's own BLAS, loaded with it)
            from threadpoolctl import ThreadpoolController

            found = ThreadpoolController().select(user_api="blas").lib_controllers
            _pools["blas"] = tuple(found)
        return _pools["blas"]


class single_threaded_blas(contextlib.ContextDecorator):  # noqa: N801 (a function to users)
    """Keep BLAS (OpenBLAS, MKL, BLIS: every BLAS loaded in the process) on one thread inside
    the block or the decorated function, and restore the previous setting afterwards.

    Why: OpenBLAS's idle workers spin for a while after each BLAS call, and SciPy's L-BFGS-B
    and ``numpy`` products call BLAS between phasegrad's OpenMP kernels. On a busy machine the
    two pools then take the cores from each other (measured figures:
    docs/threads-and-fftw.md). phasegrad's solvers (``pg.optimize``) and the computing CLI
    commands run under this; wrap your own loop around a model the same way::

        with pg.config.single_threaded_blas():
            scipy.optimize.minimize(model.fun_and_jac, x0, jac=True, method="L-BFGS-B")

    Blocks nest (each restores what it found; a library already on one thread is not touched).
    Run it in the thread that calls the solver: how OpenBLAS shares its thread count between
    Python threads differs between its versions (with 0.3.30 a count set in one thread was not
    seen by another, and here one set in a worker thread was not seen by the main thread), so
    blocks overlapping in two Python threads are not coordinated: the one closing first puts
    back what it found while the other is still open. It uses threadpoolctl; the libraries are
    found when it is first used and kept (a BLAS loaded later by another package is not
    limited). ``PHASEGRAD_LIMIT_BLAS=0`` makes it do nothing. Entering and leaving cost about
    9 us (threadpoolctl's own ``limit``, which builds a limiter and reads every library's full
    description each time: 12 us).
    """

    def __enter__(self):
        changed = []
        if _blas_limit_enabled():
            try:
                for pool in _blas_pools():
                    count = pool.get_num_threads()
                    if count != 1:
                        pool.set_num_threads(1)
                        changed.append((pool, count))
            except BaseException:  # a library that cannot be set: the others as they were
                _put_back(changed)
                raise
        stack = getattr(_local, "blas_limits", None)
        if stack is None:
            stack = _local.blas_limits = []
        stack.append(changed)
        return self

    def __exit__(self, *exc):
        _put_back(_local.blas_limits.pop())
        return False


def _put_back(counts):
    """Give each library the thread count it had (the last changed first)."""
    for pool, count in reversed(counts):
        pool.set_num_threads(count)


# ------------------------------------------------------------------------------------- OpenMP

def openmp_policy():
    """Which OpenMP wait policy the core's threads run under, as a sentence.

    phasegrad's own (``GOMP_SPINCOUNT=3000`` with ``OMP_WAIT_POLICY=PASSIVE``, set only while
    the core loads), the user's, OpenMP's defaults (``PHASEGRAD_OMP_POLICY=openmp``), or none
    when another library had loaded libgomp first. Loads the core.

    Examples
    --------
    >>> import phasegrad as pg
    >>> isinstance(pg.config.openmp_policy(), str)
    True
    """
    from .native import OPENMP_POLICY

    return OPENMP_POLICY
