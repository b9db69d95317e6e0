"""The phase-retrieval model composed from reference ops: the forward steps of Eq. (99), then
their reverse rules in reverse order (Eq. 100-101), exactly as Sections 10 and 11 of Jurling &
Fienup (2014) lay them out. This is the specification the fused kernels are tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import reference as ref


@dataclass
class _Tape:
    """What the forward pass keeps for the reverse pass."""

    wavefront: np.ndarray        # W, (n, n)
    plane_wavefronts: np.ndarray  # W + Phi_P, (P, n, n)
    pupil_phasors: list          # exp(i theta) per wavelength, (P, n, n) each
    fields: list                 # G per wavelength, (P, N, N) each
    binned_intensity: np.ndarray  # I_b, (P, M, M)
    model: np.ndarray            # M, (P, M, M)


class ReferencePhaseRetrieval:
    """Forward and reverse passes of a ``PhaseRetrieval`` configuration, op by op."""

    def __init__(self, config):
        self.cfg = config

    # -- forward -------------------------------------------------------------------------
    def _image_field(self, g, lam):
        """Pupil field g (P, n, n) -> centred image-plane field G (P, N, N) at wavelength lam."""
        cfg = self.cfg
        if lam == cfg.wavelength:
            # G = fftshift(fft2(pad(g))): zero frequency at pixel (N//2, N//2).
            return ref.fftshift(ref.dft2(ref.pad(g, (cfg.grid, cfg.grid))))
        # The same detector pixels at another wavelength: frequency axis scaled by lam0 / lam.
        return ref.mft(g, (cfg.grid, cfg.grid), cfg.wavelength / (lam * cfg.grid))

    def _image_field_vjp(self, field_bar, lam):
        cfg = self.cfg
        n = cfg.n
        if lam == cfg.wavelength:
            padded_bar = ref.dft2_vjp(ref.fftshift_vjp(field_bar))
            return ref.pad_vjp(padded_bar, (n, n))
        return ref.mft_vjp(field_bar, (n, n), cfg.wavelength / (lam * cfg.grid))

    def forward(self, a, params):
        cfg = self.cfg
        wavefront = ref.basis(a, cfg.basis) if cfg.basis is not None else a
        if cfg.diversity is not None:
            plane_wavefronts = ref.add(wavefront, cfg.diversity)
        else:
            plane_wavefronts = wavefront[None]
        phasors, fields = [], []
        intensity = None
        for lam, weight in zip(cfg.wavelengths, cfg.spectral_weights, strict=True):
            theta = ref.mul(2 * np.pi / lam, plane_wavefronts)
            phasor = ref.expi(theta)
            g = ref.mul(cfg.amplitude, phasor)
            field = self._image_field(g, lam)
            band = ref.mul(weight, ref.abs2(field))
            intensity = band if intensity is None else ref.add(intensity, band)
            phasors.append(phasor)
            fields.append(field)
        binned = ref.bin(intensity, cfg.bin) if cfg.bin > 1 else intensity
        model = ref.poly_detector(binned, *params) if params is not None else binned
        return _Tape(wavefront, plane_wavefronts, phasors, fields, binned, model)

    def simulate(self, a, params):
        return self.forward(a, params).model

    # -- forward and reverse ---------------------------------------------------------------
    def value_and_grad(self, a, params):
        cfg = self.cfg
        tape = self.forward(a, params)
        energy = ref.wsse(tape.model, cfg.data, cfg.weights)

        # Reverse, step by step (Eq. 100).
        model_bar = ref.wsse_vjp(1.0, tape.model, cfg.data, cfg.weights)
        params_bar = None
        if params is not None:
            binned_bar, *params_bar = ref.poly_detector_vjp(model_bar, tape.binned_intensity,
                                                            params[0], params[1])
        else:
            binned_bar = model_bar
        intensity_bar = ref.bin_vjp(binned_bar, cfg.bin) if cfg.bin > 1 else binned_bar

        plane_bar = None
        for lam, weight, phasor, field in zip(cfg.wavelengths, cfg.spectral_weights,
                                              tape.pupil_phasors, tape.fields, strict=True):
            # Eq. 51 for the constant spectral weight s: (s |G|^2)_bar -> |G|^2_bar = s I_bar.
            band_bar = ref.mul(weight, intensity_bar)
            field_bar = ref.abs2_vjp(band_bar, field)
            g_bar = self._image_field_vjp(field_bar, lam)
            phasor_bar = ref.mul_vjp(g_bar, cfg.amplitude, phasor)[1]
            theta_bar = ref.expi_vjp(phasor_bar, phasor)
            contribution = ref.mul_vjp(theta_bar, 2 * np.pi / lam, tape.plane_wavefronts)[1]
            plane_bar = contribution if plane_bar is None else plane_bar + contribution

        if cfg.diversity is not None:
            wavefront_bar = ref.add_vjp(plane_bar, tape.wavefront, cfg.diversity)[0]
        else:
            wavefront_bar = plane_bar[0]
        a_bar = ref.basis_vjp(wavefront_bar, cfg.basis) if cfg.basis is not None else \
            wavefront_bar
        return energy, a_bar, params_bar
