"""The hologram model as one fused C++/OpenMP/FFTW kernel (``Hologram(backend="fused")``).

Three passes over memory and two FFTs per gradient (``cpp/include/phasegrad/models/hologram.hpp``
derives them): the phasor ``exp(i phi)`` is written with the ``ifftshift`` folded into where
``phi`` is read and the ``fftshift`` folded into a phase ramp on the transform's input; one pass
after the backward FFT forms the intensity, the normalisation (``sum I`` from Parseval), the loss
and the field's cotangent in place; one pass after the forward FFT projects the phasor's
cotangent onto the phase. The work buffers live in the C++ object, allocated once; concurrent
calls on one model run one after another. The spec it is tested against is
``reference_hologram.py``.
"""

from __future__ import annotations

import numpy as np

from ..config import get_num_threads
from ..native import contiguous, core

_CORE_CLASSES = {np.dtype(np.float64): "FusedHologram64", np.dtype(np.float32): "FusedHologram32"}


class FusedHologram:
    """``value_and_grad`` and ``simulate`` of ``Hologram`` through the compiled core.

    ``target`` is the validated, C-contiguous (n, m) float32 or float64 target; ``phi`` at each
    call is already validated and of the target's dtype (``Hologram`` sees to both).
    """

    def __init__(self, target):
        core_class = getattr(core, _CORE_CLASSES[np.dtype(target.dtype)])
        self._model = core_class(contiguous(target))

    def value_and_grad(self, phi):
        """``(E, phi_bar)``: E a Python float (summed in double), ``phi_bar`` like ``phi``."""
        return self._model.value_and_grad(contiguous(phi), get_num_threads())

    def simulate(self, phi):
        """The normalised reconstruction ``I * mean(T) / mean(I)``, shaped like ``phi``."""
        return self._model.simulate(contiguous(phi), get_num_threads())
