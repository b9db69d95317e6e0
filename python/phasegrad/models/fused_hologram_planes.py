"""The general hologram as one fused C++/OpenMP/FFTW kernel (``Hologram(backend="fused")`` with
planes at distances, colours, levels, crosstalk, a zero order or the efficiency metric).

Per colour the field's DFT is shared by its P planes, and the planes' cotangents are added in
the Fourier domain: 2 (P + 1) FFTs per colour for ``value_and_grad`` (far field: two). The
modulator's phase map (wrap, levels, crosstalk) is computed in double. ``value_and_grad`` of
the normalised MSE without padding runs each 2-D transform as its row and column stages with
the element-wise passes inside them, in fixed blocks and tiles, so any thread count gives the
same bits. The header ``cpp/include/phasegrad/models/hologram_planes.hpp`` states the passes;
the spec is ``reference_hologram_planes.py``.
"""

from __future__ import annotations

import numpy as np

from ..config import get_num_threads
from ..native import contiguous, core
from .hologram_columns import ColumnJacobian

_CORE_CLASSES = {np.dtype(np.float64): "FusedHologramPlanes64",
                 np.dtype(np.float32): "FusedHologramPlanes32"}


def native_planes(setup):
    """A new ``core.FusedHologramPlanes64/32`` of the validated ``HologramSetup``, not
    prepared (its plans are made by ``prepare(threads)`` or by its first call)."""
    core_class = getattr(core, _CORE_CLASSES[np.dtype(setup.target.dtype)])
    distances = np.zeros(0) if setup.distances is None else setup.distances
    crosstalk = np.zeros((0, 0)) if setup.crosstalk is None else setup.crosstalk
    return core_class(
        contiguous(setup.target), contiguous(setup.weights), contiguous(distances),
        contiguous(setup.wavelengths), float(setup.pitch or 0.0), setup.pad,
        contiguous(setup.phase_response), contiguous(setup.amplitude), setup.zero_order,
        setup.levels or 0, setup.quantizer == "soft", contiguous(crosstalk),
        -1.0 if setup.efficiency is None else setup.efficiency,
        setup.modulator == "amplitude_phase")


class FusedHologramPlanes(ColumnJacobian):
    """``value_and_grad``, ``simulate``, ``reconstruct`` and the least-squares view of the
    general ``Hologram`` through the compiled core. ``setup`` is a validated
    ``HologramSetup``; ``phi`` at each call is validated and of the target's dtype, every
    vector flat and float64."""

    def __init__(self, setup):
        self.setup = setup
        self._model = native_planes(setup)
        # Plans, buffers, the team's start and the first touch of the scratch now, not in the
        # first call (docs/threads-and-fftw.md, "The first call").
        self._model.prepare(get_num_threads())

    def value_and_grad(self, phi):
        return self._model.value_and_grad(contiguous(phi), get_num_threads())

    def simulate(self, phi):
        return self._model.images(contiguous(phi), True, get_num_threads())

    def reconstruct(self, phi):
        return self._model.images(contiguous(phi), False, get_num_threads())

    def residuals(self, phi):
        return self._model.residuals(contiguous(phi), get_num_threads())

    def jvp(self, phi, v):
        return self._model.jvp(contiguous(phi), contiguous(v), get_num_threads())

    def vjp(self, phi, u):
        return self._model.vjp(contiguous(phi), contiguous(u), get_num_threads())
