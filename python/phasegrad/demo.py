"""Deprecated alias: the demo is part of the command line now (``phasegrad.cli.demo``).

Its reusable pieces moved into the library: ``make_problem``, ``rms_wavefront_error`` and
``DEMO_DETECTOR`` to ``phasegrad.models.synthetic``; ``fit`` (restarted L-BFGS-B) became the
``restarts=`` option of ``phasegrad.optimize.lbfgs``. This module keeps the old names working
and warns (``DeprecationWarning``) when imported.
"""

from __future__ import annotations

import warnings

from .models.synthetic import DEMO_DETECTOR, make_problem, rms_wavefront_error
from .optimize import lbfgs

__all__ = ["DEMO_DETECTOR", "fit", "make_problem", "rms_wavefront_error"]

warnings.warn("phasegrad.demo is deprecated: use phasegrad.models.synthetic (make_problem, "
              "rms_wavefront_error) and phasegrad.optimize.lbfgs(..., restarts=4) (was fit)",
              DeprecationWarning, stacklevel=2)


def fit(model, x0, maxiter=500, callback=None, restarts=4):
    """``phasegrad.optimize.lbfgs(model, x0, maxiter=, callback=, restarts=)``, returned as
    the old tuple ``(x, cost, iterations, evaluations, history)``."""
    result = lbfgs(model, x0, maxiter=maxiter, callback=callback, restarts=restarts)
    return result.x, float(result.history[-1]), result.nit, result.nfev, result.history
