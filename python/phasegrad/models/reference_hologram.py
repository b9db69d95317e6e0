"""The hologram model composed from reference ops: forward, then the reverse rules in reverse
order. The specification the fused hologram kernel is tested against."""

from __future__ import annotations

from .. import reference as ref


class ReferenceHologram:
    """Forward and reverse passes of ``Hologram`` op by op."""

    def __init__(self, target):
        self.target = target
        self.target_mean = float(target.mean(dtype=float))

    def _forward(self, phi):
        phasor = ref.expi(phi)
        field = ref.fftshift(ref.idft2(ref.ifftshift(phasor)))
        intensity = ref.abs2(field)
        normalised = ref.mean_normalize(intensity, self.target_mean)
        return phasor, field, intensity, normalised

    def simulate(self, phi):
        return self._forward(phi)[3]

    def value_and_grad(self, phi):
        phasor, field, intensity, normalised = self._forward(phi)
        count = normalised.size
        energy = ref.wsse(normalised, self.target) / count          # mean squared error
        normalised_bar = ref.wsse_vjp(1.0 / count, normalised, self.target)
        intensity_bar = ref.mean_normalize_vjp(normalised_bar, intensity, self.target_mean)
        field_bar = ref.abs2_vjp(intensity_bar, field)
        spectrum_bar = ref.idft2_vjp(ref.fftshift_vjp(field_bar))
        phasor_bar = ref.ifftshift_vjp(spectrum_bar)
        return energy, ref.expi_vjp(phasor_bar, phasor)
