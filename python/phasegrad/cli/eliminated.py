"""``phasegrad retrieve --object eliminated``: phase diversity with the scene eliminated
(Gonsalves; Paxman, Schulz & Fienup 1992), through ``pg.PhaseDiversity``.

K >= 2 images of one unknown extended scene at known defocus; the metric is minimised over the
wavefront alone (the multi-frame Wiener scene solved for in closed form), by L-BFGS-B on its
exact gradient, and the scene is estimated afterwards (``estimate_object``) and written to
``object.npy``. The images must be Nyquist-sampled on the model grid (no ``--bin``, no window:
M = pad x n), the detector linear. ``--regularization`` is relative to K F^2, F the total light
of one PSF in the data's units (the zero frequency of every transfer function), so that one
number suits any camera.
"""

from __future__ import annotations

import numpy as np

from .io import DataError

__all__ = ["DEFAULT_REGULARIZATION", "solve_eliminated"]

#: Relative to K F^2; noise-free data take much less (1e-10), noisy data more.
DEFAULT_REGULARIZATION = 1e-6


def _phase_diversity():
    import phasegrad

    cls = getattr(phasegrad, "PhaseDiversity", None)
    if cls is None:
        raise DataError("--object eliminated needs pg.PhaseDiversity, which this build of "
                        "phasegrad does not have yet")
    return cls
