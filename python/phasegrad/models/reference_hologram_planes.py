"""The general hologram composed from reference ops: several planes at distances, several
colours, the modulator's physics (``hologram_modulator``) and two metrics. The specification
the fused kernel (``fused_hologram_planes.py``) is tested against.

Forward, for colour c and plane p (``docs/holography.md`` states the model):

1. ``s`` = the modulator's phase for ``phi`` (wrap, levels, crosstalk: ``hologram_modulator``);
2. ``u_c = A (expi(alpha_c s) + zero_order)``, or with the amplitude + phase modulator
   (``phi`` of two planes, the phases and beta) ``u_c = A (m expi(alpha_c s) + zero_order)``,
   ``m = (1 + imag(expi(beta))) / 2``;
3. ``U_cp = angular_spectrum(u_c, z_p, lambda_c, pitch, band_limit=True, pad=pad)``, or, with
   no distances, the far field ``fftshift(idft2(ifftshift(u_c)))``;
4. ``I_cp = abs2(U_cp)``;
5. the metric of each plane, weighted by ``w_cp`` and summed.

The reverse pass runs each op's ``_vjp`` in the opposite order (the cotangents of the planes of
one colour add up in ``u_c``'s), the least-squares view each op's ``_jvp`` in forward order.
"""

from __future__ import annotations

import math

import numpy as np

from .. import reference as ref
from .hologram_columns import ColumnJacobian
from .hologram_modulator import crosstalk_plane, modulator


class ReferenceHologramPlanes(ColumnJacobian):
    """Forward and reverse passes of the general ``Hologram`` op by op.

    ``setup`` is a validated ``phasegrad.arguments.hologram.HologramSetup``; ``phi`` at each
    call is validated and of the target's dtype.
    """

    def __init__(self, setup):
        self.setup = setup
        self.dtype = setup.target.dtype
        self.complex_dtype = np.result_type(self.dtype, np.complex64)
        self.kernel = (None if setup.crosstalk is None
                       else crosstalk_plane(setup.crosstalk, setup.plane))
        self.amplitude = setup.amplitude.astype(self.dtype)
        target = setup.target.astype(np.float64)
        self.target_means = target.mean(axis=(-2, -1))
        self.signals = target > 0

    # ---------------------------------------------------------------- the modulator

    def _modulation(self, phi):
        """(the phase plane, the amplitude m or None, beta's unit phasor or None): with the
        amplitude + phase modulator m = (1 + imag(expi(beta))) / 2 in the model's dtype."""
        if self.setup.modulator != "amplitude_phase":
            return phi, None, None
        turn = ref.expi(phi[1])
        return phi[0], 0.5 + 0.5 * ref.imag(turn), turn

    def _modulated(self, phasor, amplitude):
        """m expi(alpha_c s) (C, n, m), or the phasor unchanged without amplitudes."""
        return phasor if amplitude is None else ref.mul(amplitude, phasor)

    def _shown(self, phi):
        """(shown phase before crosstalk, its slope or None, the phase s after crosstalk)."""
        shown, slope = modulator(phi, self.setup.levels, self.setup.quantizer)
        effective = shown if self.kernel is None else ref.convolve(shown, self.kernel)
        return shown, slope, effective

    def _phases(self, effective):
        """(C, n, m) phases alpha_c s in the model's dtype."""
        alphas = self.setup.phase_response[:, None, None]
        return (alphas * effective[None]).astype(self.dtype)

    # ---------------------------------------------------------------- propagation

    def _propagate(self, field):
        """(C, n, m) fields -> (C, P, n, m) fields at the planes."""
        s = self.setup
        if s.distances is None:
            return ref.fftshift(ref.idft2(ref.ifftshift(field)))[:, None]
        return np.stack([np.stack([
            ref.angular_spectrum(field[c], z, s.wavelengths[c], s.pitch, pad=s.pad)
            for z in s.distances]) for c in range(s.colours)])

    def _propagate_vjp(self, planes_bar):
        """(C, P, n, m) cotangents -> (C, n, m): the planes of a colour summed."""
        s = self.setup
        if s.distances is None:
            return ref.ifftshift_vjp(ref.idft2_vjp(ref.fftshift_vjp(planes_bar[:, 0])))
        return np.stack([sum(
            ref.angular_spectrum_vjp(planes_bar[c, p], z, s.wavelengths[c], s.pitch, pad=s.pad)
            for p, z in enumerate(s.distances)) for c in range(s.colours)])

    def _propagate_jvp(self, field, field_dot):
        s = self.setup
        if s.distances is None:
            return ref.fftshift(ref.idft2(ref.ifftshift(field_dot)))[:, None]
        return np.stack([np.stack([
            ref.angular_spectrum_jvp(field[c], field_dot[c], z, s.wavelengths[c], s.pitch,
                                     pad=s.pad)[1]
            for z in s.distances]) for c in range(s.colours)])

    # ---------------------------------------------------------------- forward, reverse

    def forward(self, phi):
        """Every intermediate of the forward model, in a dict."""
        phi, modulation, turn = self._modulation(phi)
        shown, slope, effective = self._shown(phi)
        phasor = ref.expi(self._phases(effective))
        modulated = self._modulated(phasor, modulation)
        field = ref.mul(ref.add(self.setup.zero_order, modulated), self.amplitude)
        planes = self._propagate(field)
        intensity = ref.abs2(planes)
        return {"shown": shown, "slope": slope, "phasor": phasor, "field": field,
                "modulation": modulation, "turn": turn, "modulated": modulated,
                "planes": planes, "intensity": intensity}

    def _reverse(self, state, intensity_bar):
        """phi_bar from the intensities' cotangent, rule by rule."""
        planes_bar = ref.abs2_vjp(intensity_bar, state["planes"])
        field_bar = self._propagate_vjp(planes_bar)
        sum_bar, _ = ref.mul_vjp(field_bar, ref.add(self.setup.zero_order, state["modulated"]),
                                 self.amplitude)
        _, phasor_bar = ref.add_vjp(sum_bar, self.setup.zero_order, state["modulated"])
        beta_bar = None
        if state["modulation"] is not None:
            modulation_bar, phasor_bar = ref.mul_vjp(phasor_bar, state["modulation"],
                                                     state["phasor"])
            beta_bar = ref.expi_vjp(ref.imag_vjp(0.5 * modulation_bar), state["turn"])
        phases_bar = ref.expi_vjp(phasor_bar, state["phasor"]).astype(np.float64)
        effective_bar = np.tensordot(self.setup.phase_response, phases_bar, axes=1)
        shown_bar = (effective_bar if self.kernel is None
                     else ref.convolve_vjp(effective_bar, state["shown"], self.kernel)[0])
        if state["slope"] is not None:
            shown_bar = shown_bar * state["slope"]
        if beta_bar is not None:
            return np.stack([shown_bar, beta_bar]).astype(self.dtype)
        return shown_bar.astype(self.dtype)

    def _tangent(self, phi, phi_dot):
        """The intensities' tangent along phi_dot (float64 planes), op by op."""
        state = self.forward(phi)
        modulation_dot = None
        if state["modulation"] is not None:
            _, turn_dot = ref.expi_jvp(phi[1], phi_dot[1].astype(self.dtype))
            modulation_dot = 0.5 * ref.imag_jvp(state["turn"], turn_dot)[1]
            phi, phi_dot = phi[0], phi_dot[0]
        shown_dot = phi_dot if state["slope"] is None else phi_dot * state["slope"]
        effective_dot = (shown_dot if self.kernel is None
                         else ref.convolve_jvp(state["shown"], self.kernel, shown_dot,
                                               np.zeros_like(self.kernel))[1])
        _, phasor_dot = ref.expi_jvp(self._phases(self._shown(phi)[2]),
                                     self._phases(effective_dot))
        if modulation_dot is not None:
            phasor_dot = ref.mul_jvp(state["modulation"], state["phasor"], modulation_dot,
                                     phasor_dot)[1]
        field_dot = ref.mul(phasor_dot, self.amplitude)
        planes_dot = self._propagate_jvp(state["field"], field_dot)
        _, intensity_dot = ref.abs2_jvp(state["planes"], planes_dot)
        return state, intensity_dot

    # ---------------------------------------------------------------- the metrics

    def _plane_loss(self, c, p, intensity):
        """(E_cp unweighted, I_bar_cp for E_cp, normalised image) of one plane."""
        target = self.setup.target[c, p]
        mean = float(self.target_means[c, p])
        if self.setup.efficiency is None:
            normalised = ref.mean_normalize(intensity, mean)
            count = normalised.size
            energy = ref.wsse(normalised, target) / count
            normalised_bar = ref.wsse_vjp(1.0 / count, normalised, target)
            return energy, ref.mean_normalize_vjp(normalised_bar, intensity, mean), normalised
        signal = self.signals[c, p]
        count = int(signal.sum())
        inside = ref.take(intensity, signal)[None]                    # (1, k)
        target_inside = ref.take(target, signal)[None]
        signal_mean = float(target_inside.mean(dtype=np.float64))
        normalised_inside = ref.mean_normalize(inside, signal_mean)
        fit = ref.wsse(normalised_inside, target_inside) / count
        light, total = float(inside.sum(dtype=np.float64)), float(intensity.sum(dtype=np.float64))
        gamma = self.setup.efficiency * signal_mean ** 2
        energy = fit + gamma * (1.0 - light / total)
        inside_bar = ref.mean_normalize_vjp(
            ref.wsse_vjp(1.0 / count, normalised_inside, target_inside), inside, signal_mean)
        intensity_bar = ref.take_vjp(inside_bar[0], signal, intensity.shape)
        intensity_bar = intensity_bar - (gamma / total) * (signal - light / total)
        normalised = intensity * (signal_mean / float(inside.mean(dtype=np.float64)))
        return energy, intensity_bar.astype(self.dtype), normalised

    def _loss(self, intensity):
        """(E, I_bar, normalised images) over every colour and plane."""
        energy = 0.0
        intensity_bar = np.empty_like(intensity)
        normalised = np.empty_like(intensity)
        for c, p in np.ndindex(*self.setup.weights.shape):
            weight = float(self.setup.weights[c, p])
            e, bar, image = self._plane_loss(c, p, intensity[c, p])
            energy += weight * e
            intensity_bar[c, p] = weight * bar
            normalised[c, p] = image
        return energy, intensity_bar, normalised

    # ---------------------------------------------------------------- the public passes

    def value_and_grad(self, phi):
        state = self.forward(phi)
        energy, intensity_bar, _ = self._loss(state["intensity"])
        return float(energy), self._reverse(state, intensity_bar)

    def simulate(self, phi):
        """The normalised images of the metric, (C, P, n, m)."""
        return self._loss(self.forward(phi)["intensity"])[2]

    def reconstruct(self, phi):
        """The intensities I_cp, (C, P, n, m)."""
        return self.forward(phi)["intensity"]

    # ---------------------------------------------------------------- the least-squares view
    # The normalised MSE only: r_cp = sqrt(w_cp / (n m)) (I_r - T), stacked in C order.

    def _root_weights(self):
        count = math.prod(self.setup.plane)
        return np.sqrt(self.setup.weights / count)[:, :, None, None]

    def residuals(self, phi):
        normalised = self.simulate(phi).astype(np.float64)
        return ((normalised - self.setup.target) * self._root_weights()).ravel()

    def vjp(self, phi, u):
        state = self.forward(phi)
        normalised_bar = u.reshape(state["intensity"].shape) * self._root_weights()
        intensity_bar = np.empty_like(state["intensity"])
        for c, p in np.ndindex(*self.setup.weights.shape):
            intensity_bar[c, p] = ref.mean_normalize_vjp(
                normalised_bar[c, p].astype(self.dtype), state["intensity"][c, p],
                float(self.target_means[c, p]))
        return self._reverse(state, intensity_bar).astype(np.float64).ravel()

    def jvp(self, phi, v):
        state, intensity_dot = self._tangent(phi, v.reshape(phi.shape))
        out = np.empty(intensity_dot.shape)
        for c, p in np.ndindex(*self.setup.weights.shape):
            _, out[c, p] = ref.mean_normalize_jvp(state["intensity"][c, p],
                                                  intensity_dot[c, p],
                                                  float(self.target_means[c, p]))
        return (out * self._root_weights()).ravel()
