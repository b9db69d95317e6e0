"""The object-eliminated phase-diversity metric as fused C++ kernels (``backend="fused"``).

``phasegrad.native.core.FusedPhaseDiversity64/32`` owns a fused phase-retrieval engine for the
K PSFs and the frequency part (the OTFs, the Wiener object, E and the OTFs' cotangents), with
the data's spectra computed once (``cpp/include/phasegrad/models/phase_diversity.hpp``). This
wrapper only hands it the validated configuration and the thread count of the call.
"""

from __future__ import annotations

import numpy as np

from ..config import get_num_threads
from ..native import core


class FusedPhaseDiversity:
    """Forward and reverse passes of a ``PhaseDiversity`` configuration in C++."""

    def __init__(self, config):
        kind = core.FusedPhaseDiversity64 if config.dtype == np.float64 else \
            core.FusedPhaseDiversity32
        self._model = kind(config.amplitude, config.basis, config.diversity, config.data,
                           config.grid, config.wavelength, list(config.wavelengths),
                           list(config.band_weights), config.regularization)
        # Plans, the team's start and the first touch of the buffers now, not in the first
        # call (docs/threads-and-fftw.md, "The first call").
        self._model.prepare(get_num_threads())

    @property
    def workspace_bytes(self):
        """Bytes of the work buffers the C++ model holds (its PSF engine's included)."""
        return self._model.workspace_bytes

    def value_and_grad(self, a):
        return self._model.value_and_grad(a, get_num_threads())  # a: C-contiguous (a cast)

    def estimate_object(self, a):
        return self._model.estimate_object(np.ascontiguousarray(a), get_num_threads())
