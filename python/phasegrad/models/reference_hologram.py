"""The hologram model composed from reference ops: forward, then the reverse rules in reverse
order. The specification the fused hologram kernel is tested against.

Its least-squares view is composed the same way: the residuals from the forward ops, J v from
their forward-mode rules (``op_jvp``) in forward order, J^T u from their reverse rules
(``op_vjp``) in reverse order, and the dense J from batches of unit tangents through the same
``op_jvp`` chain (the ops take leading batch axes).
"""

from __future__ import annotations

import math

import numpy as np

from .. import reference as ref

# Unit tangents per batch of the reference Jacobian: the batch's planes take this many times
# the model's memory.
_JACOBIAN_BATCH = 64


class ReferenceHologram:
    """Forward and reverse passes of ``Hologram`` op by op, and its least-squares view.

    ``target`` is the validated (n, m) target; ``phi`` at each call is already validated and of
    the target's dtype, every vector validated, flat and float64 (``Hologram`` sees to all).
    """

    def __init__(self, target):
        self.target = target
        self.target_mean = float(target.mean(dtype=float))

    def _forward(self, phi):
        phasor = ref.expi(phi)
        field = ref.fftshift(ref.idft2(ref.ifftshift(phasor)))
        intensity = ref.abs2(field)
        normalised = ref.mean_normalize(intensity, self.target_mean)
        return phasor, field, intensity, normalised

    def _reverse(self, normalised_bar, phasor, field, intensity):
        """phi_bar from the cotangent of the normalised intensity, rule by rule."""
        intensity_bar = ref.mean_normalize_vjp(normalised_bar, intensity, self.target_mean)
        field_bar = ref.abs2_vjp(intensity_bar, field)
        spectrum_bar = ref.idft2_vjp(ref.fftshift_vjp(field_bar))
        phasor_bar = ref.ifftshift_vjp(spectrum_bar)
        return ref.expi_vjp(phasor_bar, phasor)

    def _tangent(self, phi, phi_dot):
        """The tangent of the normalised intensity along phi_dot (phi's shape and dtype; both
        may carry leading batch axes), rule by rule."""
        phasor, phasor_dot = ref.expi_jvp(phi, phi_dot)
        spectrum, spectrum_dot = ref.ifftshift_jvp(phasor, phasor_dot)
        image, image_dot = ref.idft2_jvp(spectrum, spectrum_dot)
        field, field_dot = ref.fftshift_jvp(image, image_dot)
        intensity, intensity_dot = ref.abs2_jvp(field, field_dot)
        _, normalised_dot = ref.mean_normalize_jvp(intensity, intensity_dot, self.target_mean)
        return normalised_dot

    def _plane(self, vector):
        """A flat float64 vector as a plane of the model's shape and dtype."""
        return vector.reshape(self.target.shape).astype(self.target.dtype)

    def simulate(self, phi):
        return self._forward(phi)[3]

    def value_and_grad(self, phi):
        phasor, field, intensity, normalised = self._forward(phi)
        count = normalised.size
        energy = ref.wsse(normalised, self.target) / count          # mean squared error
        normalised_bar = ref.wsse_vjp(1.0 / count, normalised, self.target)
        return energy, self._reverse(normalised_bar, phasor, field, intensity)

    def residuals(self, phi):
        """r = (I_r - T).ravel() / sqrt(n m), formed in float64."""
        normalised = self._forward(phi)[3]
        difference = normalised.astype(np.float64) - self.target.astype(np.float64)
        return difference.ravel() / math.sqrt(normalised.size)

    def jvp(self, phi, v):
        """J v: the tangent of I_r along v, over sqrt(n m)."""
        normalised_dot = self._tangent(phi, self._plane(v))
        return normalised_dot.astype(np.float64).ravel() / math.sqrt(phi.size)

    def vjp(self, phi, u):
        """J^T u: the reverse pass from I_r's cotangent u / sqrt(n m)."""
        phasor, field, intensity, _ = self._forward(phi)
        normalised_bar = self._plane(u / math.sqrt(phi.size))
        phi_bar = self._reverse(normalised_bar, phasor, field, intensity)
        return phi_bar.astype(np.float64).ravel()

    def gauss_newton_product(self, phi, v):
        """J^T (J v): ``jvp``, then ``vjp``."""
        return self.vjp(phi, self.jvp(phi, v))

    def jacobian(self, phi):
        """Column j is J e_j: batches of unit tangents through the ``op_jvp`` chain."""
        count = phi.size
        jac = np.empty((count, count))
        for first in range(0, count, _JACOBIAN_BATCH):
            last = min(count, first + _JACOBIAN_BATCH)
            units = np.zeros((last - first, count), dtype=phi.dtype)
            units[np.arange(last - first), np.arange(first, last)] = 1
            planes = units.reshape((last - first,) + phi.shape)
            phis = np.broadcast_to(phi, planes.shape)
            columns = self._tangent(phis, planes).reshape(last - first, count)
            jac[:, first:last] = columns.T.astype(np.float64) / math.sqrt(count)
        return jac

    def gauss_newton(self, phi):
        """``(J^T J, J^T r)`` from the dense J."""
        jac = self.jacobian(phi)
        return jac.T @ jac, jac.T @ self.residuals(phi)
