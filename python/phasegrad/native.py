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
wins), when ``PHASEGRAD_OMP_POLICY=openmp`` (OpenMP's own defaults), or when libgomp was
already loaded by another library (its settings are fixed by then). ``OPENMP_POLICY`` says
which happened.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["OPENMP_POLICY", "as_ufunc_result", "ascontiguous", "contiguous", "core"]

_POLICY = {"GOMP_SPINCOUNT": "3000", "OMP_WAIT_POLICY": "PASSIVE"}


def _libgomp_loaded():
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return any("libgomp" in line for line in maps)
    except OSError:  # not Linux: no way to tell, assume it is not
        return False


def _policy_to_apply():
    """The variables to set while the core loads, and the sentence that ``OPENMP_POLICY`` keeps."""
    choice = os.environ.get("PHASEGRAD_OMP_POLICY", "phasegrad").strip().lower()
    if choice not in ("phasegrad", "openmp"):
        raise ValueError(f"PHASEGRAD_OMP_POLICY must be 'phasegrad' or 'openmp'; got {choice!r}")
    if choice == "openmp":
        return {}, "OpenMP's defaults (PHASEGRAD_OMP_POLICY=openmp)"
    user = [name for name in _POLICY if name in os.environ]
    if user:
        return {}, f"the user's ({', '.join(f'{n}={os.environ[n]}' for n in user)})"
    if _libgomp_loaded():
        return {}, "not applied: libgomp was loaded by another library before phasegrad's core"
    return dict(_POLICY), "phasegrad's (GOMP_SPINCOUNT=3000, OMP_WAIT_POLICY=PASSIVE)"


def _load():
    variables, description = _policy_to_apply()
    for name, value in variables.items():
        os.environ[name] = value
    try:
        from . import _core
    finally:
        for name in variables:
            del os.environ[name]
    return _core, description


core, OPENMP_POLICY = _load()


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
