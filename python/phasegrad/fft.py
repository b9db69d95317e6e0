"""FFTW, as phasegrad's C++ core uses it: version, plans, planner effort, wisdom.

The core makes each FFTW plan once (per shape, batch, precision, direction, thread count,
planner effort and buffer alignment) and keeps it; ``export_wisdom``/``import_wisdom`` carry
FFTW's planning knowledge across processes, so ``"measure"`` planning is paid once.
"""

from __future__ import annotations

import json
import os

from . import _core
from ._validate import array, one_of
from .ops._arrays import ascontiguous
from .threads import get_num_threads

__all__ = [
    "cached_plan_count", "clear_plan_cache", "dft2_unnormalized", "export_wisdom",
    "fftw_version", "get_planner_effort", "import_wisdom", "set_planner_effort",
]

_EFFORTS = ("estimate", "measure", "patient")


def fftw_version():
    """The version string of the FFTW library phasegrad's core is linked against.

    Examples
    --------
    >>> import phasegrad as pg
    >>> pg.fftw_version().startswith("fftw-3")
    True
    """
    return _core.fftw_version()


def dft2_unnormalized(x, inverse=False):
    """Unnormalised 2-D DFT over the last two axes, computed by FFTW.

    ``y[k, l] = sum_{p, q} x[p, q] exp(-+2 pi i (k p / n + l q / m))`` with the minus sign for the
    forward transform and the plus sign when ``inverse`` is true (no 1/N factor either way).

    Parameters
    ----------
    x : ndarray, complex64 or complex128, at least 2-D
        Leading axes are a batch. Any strides (copied to a contiguous buffer first).
    inverse : bool
        Use the inverse kernel ``exp(+2 pi i ...)``.

    Returns
    -------
    ndarray
        A new array with the shape and dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from phasegrad.fft import dft2_unnormalized
    >>> dft2_unnormalized(np.ones((2, 2), dtype=np.complex64))
    array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]], dtype=complex64)
    """
    x = array(x, "x", kind="complex", min_ndim=2)
    return _core.dft2(ascontiguous(x), 1.0, bool(inverse), get_num_threads())


def set_planner_effort(effort):
    """FFTW planner effort for plans made from now on: ``"estimate"``, ``"measure"`` (the
    default) or ``"patient"``. Plans already made are kept (the effort is part of their key).
    """
    _core.set_planner_effort(one_of(effort, "effort", _EFFORTS))


def get_planner_effort():
    """The current planner effort (``"estimate"``, ``"measure"`` or ``"patient"``)."""
    return _core.planner_effort()


def cached_plan_count():
    """Number of FFTW plans the core holds (both precisions)."""
    return _core.cached_plan_count()


def clear_plan_cache():
    """Drop every cached plan (plans in use by a running kernel are freed when it finishes)."""
    _core.clear_plan_cache()


def export_wisdom(path):
    """Write FFTW's accumulated wisdom (double and single precision) to the file ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (JSON holding FFTW's own wisdom texts and the FFTW version).
    """
    double_text, float_text = _core.export_wisdom()
    record = {"fftw_version": fftw_version(), "double": double_text.decode("ascii"),
              "float": float_text.decode("ascii")}
    with open(os.fspath(path), "w", encoding="ascii") as handle:
        json.dump(record, handle)


def import_wisdom(path):
    """Load wisdom written by ``export_wisdom``, so later plans are made without measuring.

    Raises
    ------
    ValueError
        If the file is not phasegrad wisdom, or FFTW rejects it (e.g. another FFTW version).
    """
    with open(os.fspath(path), encoding="ascii") as handle:
        try:
            record = json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f"path {os.fspath(path)!r} is not a phasegrad wisdom file: "
                             f"{error}") from None
    if not isinstance(record, dict) or not {"double", "float"} <= record.keys():
        raise ValueError(f"path {os.fspath(path)!r} is not a phasegrad wisdom file")
    accepted = _core.import_wisdom(record["double"], record["float"])
    if not all(accepted):
        raise ValueError(f"FFTW rejected the wisdom in {os.fspath(path)!r} (written by "
                         f"{record.get('fftw_version', 'an unknown FFTW')}, this is "
                         f"{fftw_version()})")
