"""The hologram model as one fused C++/OpenMP/FFTW kernel (``Hologram(backend="fused")``).

Three passes over memory and two FFTs per gradient (``cpp/include/phasegrad/models/hologram.hpp``
derives them): the phasor ``exp(i phi)`` is written with the ``ifftshift`` folded into where
``phi`` is read and the ``fftshift`` folded into a phase ramp on the transform's input; one pass
after the backward FFT forms the intensity, the normalisation (``sum I`` from Parseval), the loss
and the field's cotangent in place; one pass after the forward FFT projects the phasor's
cotangent onto the phase. Where the plane's rows fill whole cache lines (columns a multiple of 4
in float64, 8 in float32), ``value_and_grad`` splits each transform into its row and column
stages and carries the passes along with them: three passes over memory in all, the same bits
on any number of threads. The work buffers live in the C++ object, allocated once; concurrent
calls on one model run one after another. The spec it is tested against is
``reference_hologram.py``.

The least-squares view runs in the same object, each method one C++ call: ``residuals`` (one
FFT), ``jvp`` (two: the primal and the tangent transform), ``vjp`` (two: the primal and the
adjoint transform), ``gauss_newton_product`` (three: primal, tangent, adjoint), ``jacobian``
(one FFT, then each column a plane wave in closed form) and ``gauss_newton`` (four FFTs, then
J^T J in closed form, J never formed). The header derives them.
"""

from __future__ import annotations

import numpy as np

from ..config import get_num_threads
from ..native import contiguous, core

_CORE_CLASSES = {np.dtype(np.float64): "FusedHologram64", np.dtype(np.float32): "FusedHologram32"}


class FusedHologram:
    """``value_and_grad``, ``simulate`` and the least-squares view of ``Hologram`` through the
    compiled core.

    ``target`` is the validated, C-contiguous (n, m) float32 or float64 target; ``phi`` at each
    call is already validated and of the target's dtype, and every vector (``v``, ``u``) is
    validated, flat and float64 (``Hologram`` sees to all of them), except that
    ``value_and_grad`` checks ``phi`` for NaN and infinity itself (a ``ValueError`` naming it,
    raised before the gradient is written; the kernel's own buffers may have been). The
    least-squares results are float64.
    """

    def __init__(self, target):
        core_class = getattr(core, _CORE_CLASSES[np.dtype(target.dtype)])
        self._model = core_class(contiguous(target))
        # The set-up the first call would otherwise pay, now (docs/threads-and-fftw.md, "The
        # first call"): the two transforms run once on the object's own buffers, which makes
        # their plans, starts the team and touches the buffers and each thread's scratch.
        # Every call overwrites those buffers, so the results are the same without it.
        self._model.transforms_only(get_num_threads())

    def value_and_grad(self, phi):
        """``(E, phi_bar)``: E a Python float (summed in double), ``phi_bar`` like ``phi``."""
        return self._model.value_and_grad(contiguous(phi), get_num_threads())

    def transforms_only(self):
        """``value_and_grad``'s two transforms alone, without its element-wise passes, on this
        object's buffers (for the benchmarks: the passes' share of a call). True when they ran
        as the blocked path's row and column stages, False as 2-D transforms."""
        return self._model.transforms_only(get_num_threads())

    def simulate(self, phi):
        """The normalised reconstruction ``I * mean(T) / mean(I)``, shaped like ``phi``."""
        return self._model.simulate(contiguous(phi), get_num_threads())

    def residuals(self, phi):
        """r = (I_r - T).ravel() / sqrt(n m), float64 (one FFT)."""
        return self._model.residuals(contiguous(phi), get_num_threads())

    def jvp(self, phi, v):
        """J v (two FFTs)."""
        return self._model.jvp(contiguous(phi), contiguous(v), get_num_threads())

    def vjp(self, phi, u):
        """J^T u (two FFTs)."""
        return self._model.vjp(contiguous(phi), contiguous(u), get_num_threads())

    def gauss_newton_product(self, phi, v):
        """J^T (J v) in one call (three FFTs)."""
        return self._model.gauss_newton_product(contiguous(phi), contiguous(v),
                                                get_num_threads())

    def jacobian(self, phi):
        """The dense (n m, n m) Jacobian (one FFT, then plane waves)."""
        return self._model.jacobian(contiguous(phi), get_num_threads())

    def gauss_newton(self, phi):
        """``(J^T J, J^T r)`` without forming J (four FFTs)."""
        return self._model.gauss_newton(contiguous(phi), get_num_threads())
