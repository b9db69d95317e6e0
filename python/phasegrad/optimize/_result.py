"""The result every optimizer and projection algorithm in ``phasegrad.optimize`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class OptimizeResult:
    """Outcome of one run (the fields of ``scipy.optimize.OptimizeResult`` that matter here).

    Attributes
    ----------
    x : numpy.ndarray
        The final estimate, float64 (complex128 for a complex object of the Fourier phase
        retrieval algorithms), shaped like the starting point.
    fun : float
        The cost at ``x``, unscaled (the model's own E, or the algorithm's error metric).
    nit : int
        Iterations done.
    nfev : int
        Evaluations of the model (or forward/backward transform pairs for projections).
    history : numpy.ndarray
        The cost before the first iteration and after each iteration: ``nit + 1`` values,
        ``history[-1] == fun``.
    message : str
        Why it stopped.
    success : bool
        False only when the run failed (e.g. L-BFGS-B's line search gave up); running out of
        iterations is a success for the fixed-budget algorithms.
    """

    x: np.ndarray
    fun: float
    nit: int
    nfev: int
    history: np.ndarray = field(repr=False)
    message: str = ""
    success: bool = True
