"""The compiled core, loaded once, and the arrays handed to it.

``core`` is the pybind11 module ``phasegrad._core``. Everything above this layer (``ops``, the
fused models, ``config``'s FFTW knobs) reaches the core through this module, so the OpenMP wait
policy below is applied exactly when the core first loads, and importing ``phasegrad`` or
``phasegrad.reference`` loads nothing compiled.

The OpenMP wait policy. Idle OpenMP workers that spin for long (libgomp's default: milliseconds)
steal the cores from the NumPy/BLAS work between kernel calls; workers that sleep at once
(``OMP_WAIT_POLICY=PASSIVE`` alone) pay a futex wake-up, ~60 us, at every parallel region.
phasegrad's policy, ``GOMP_SPINCOUNT=3000`` (workers spin ~50 us, then sleep) with
``OMP_WAIT_POLICY=PASSIVE``, keeps them awake between the regions of one call and asleep soon
after (measured figures: ``docs/threads-and-fftw.md``). libgomp reads these variables once, when
it loads; so they are set just for the moment the core (and with it libgomp) loads and then
restored: nothing stays in ``os.environ`` and child processes inherit the user's environment.
The policy is not applied when the user set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` (theirs
wins), when ``PHASEGRAD_OMP_POLICY=openmp`` (OpenMP's own defaults), or when the libgomp the
core binds to was already running (loaded by another library first: its settings are fixed by
then; a self-contained wheel bundles its own libgomp, which always loads fresh).
``OPENMP_POLICY`` says which happened: whether a libgomp file was newly mapped while the core
loaded is read from ``/proc/self/maps``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

__all__ = ["OPENMP_POLICY", "as_ufunc_result", "ascontiguous", "contiguous", "core",
           "wait_policy_variables"]

_POLICY = {"GOMP_SPINCOUNT": "3000", "OMP_WAIT_POLICY": "PASSIVE"}

_NOT_BUILT = ("phasegrad's compiled core (phasegrad._core) cannot be loaded: {error}. Build and "
              "install phasegrad (pip install . in a checkout, or bash scripts/dev-build.sh for "
              "a development tree); phasegrad.reference, the NumPy specification, works "
              "without it.")


def _libgomp_paths():
    """The libgomp files mapped into this process (a wheel's bundled copy has a hashed name)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return {line.split()[-1] for line in maps if "libgomp" in line.rsplit("/", 1)[-1]}
    except OSError:  # not Linux: no way to tell
        return None


def _requested():
    """The variables to set while the core loads, or a sentence saying why none are."""
    choice = os.environ.get("PHASEGRAD_OMP_POLICY", "phasegrad").strip().lower()
    if choice not in ("phasegrad", "openmp"):
        raise ValueError(f"PHASEGRAD_OMP_POLICY must be 'phasegrad' or 'openmp'; got {choice!r}")
    if choice == "openmp":
        return {}, "OpenMP's defaults (PHASEGRAD_OMP_POLICY=openmp)"
    user = [name for name in _POLICY if name in os.environ]
    if user:
        return {}, f"the user's ({', '.join(f'{n}={os.environ[n]}' for n in user)})"
    return dict(_POLICY), "phasegrad's (GOMP_SPINCOUNT=3000, OMP_WAIT_POLICY=PASSIVE)"


def wait_policy_variables():
    """The variables set while the core loads (empty when the user's or OpenMP's own policy is
    in force), for another library's OpenMP runtime to load under the same policy (the
    benchmarks' pyFFTW floor, whose wheel bundles its own libgomp)."""
    return _requested()[0]


def _load():
    """Import the core with the policy's variables set, then restore the environment; returns
    the module and the sentence ``OPENMP_POLICY`` keeps."""
    if __name__.rpartition(".")[0] + "._core" in sys.modules:
        from . import _core

        return _core, ("unknown: phasegrad._core was imported directly, before "
                       "phasegrad.native applied a policy")
    variables, description = _requested()
    before = _libgomp_paths()
    for name, value in variables.items():
        os.environ[name] = value
    try:
        from . import _core
    except ImportError as error:
        raise ImportError(_NOT_BUILT.format(error=error)) from error
    finally:
        for name, value in variables.items():
            if os.environ.get(name) == value:  # another thread may have set it meanwhile
                del os.environ[name]
    after = _libgomp_paths()
    if before is not None and after is not None and not after - before and after:
        # The core bound to a libgomp that was already running: its settings were read then.
        description = ("not applied: the core's libgomp was loaded before it (by another "
                       "library); that library's OpenMP settings are in force")
    return _core, description


core, OPENMP_POLICY = _load()


def _load_wisdom_cache():
    from .config import load_wisdom_cache

    load_wisdom_cache()


_load_wisdom_cache()


def contiguous(x):
    """``x`` itself when it is C-contiguous and aligned, else a C-contiguous, aligned copy.

    Unlike ``np.ascontiguousarray``, a 0-d array stays 0-d, so an op's result keeps its input's
    shape, and a misaligned array (``np.frombuffer`` at an odd offset, a field of a packed
    record), which the core refuses, is copied too. The copy is the only one an op makes of an
    input: a strided or reversed view reads correctly, and the caller's array is never written.
    """
    if x.flags.c_contiguous and x.flags.aligned:
        return x
    return np.array(x, order="C", copy=True)


def ascontiguous(x, dtype=None):
    """``np.ascontiguousarray(x, dtype)`` (at least 1-d), copied again if it is misaligned.

    ``np.ascontiguousarray`` returns a misaligned C-contiguous array as it is; the core refuses
    one (reading it through a typed pointer is undefined behaviour), so it gets an aligned copy.
    """
    arr = np.ascontiguousarray(x, dtype=dtype)
    return arr if arr.flags.aligned else arr.copy()


def as_ufunc_result(y):
    """``y``, or for a 0-d ``y`` its NumPy scalar: what a ufunc returns for 0-d input.

    The reference computes some ops with ufuncs (``np.square``, ``np.exp``, ``*``), which turn a
    0-d input into a NumPy scalar; the C++ twins of those ops return the same.
    """
    return y[()] if y.ndim == 0 else y
