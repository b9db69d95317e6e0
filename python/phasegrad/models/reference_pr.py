"""The phase-retrieval model composed from reference ops: the forward steps of Eq. (99), then
their reverse rules in reverse order (Eq. 100-101), exactly as Sections 10 and 11 of Jurling &
Fienup (2014) lay them out; and, for the least-squares view, the same steps in forward mode
(each op's ``op_jvp``) for the residuals' tangents. This is the specification the fused
kernels are tested against.
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
        model_bar = ref.wsse_vjp(1.0, tape.model, cfg.data, cfg.weights)
        a_bar, params_bar = self._reverse(tape, model_bar, params)
        return energy, a_bar, params_bar

    def _reverse(self, tape, model_bar, params):
        """The reverse pass, step by step (Eq. 100), from the model images' cotangent."""
        cfg = self.cfg
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
        return a_bar, params_bar

    # -- the least-squares view: r = sqrt(w) (M - D) -------------------------------------------
    def _root_weights(self):
        cfg = self.cfg
        return None if cfg.weights is None else np.sqrt(cfg.weights)

    def residuals(self, a, params):
        cfg = self.cfg
        difference = ref.add(self.forward(a, params).model, -cfg.data)
        root = self._root_weights()
        r = difference if root is None else ref.mul(root, difference)
        return r.astype(np.float64).ravel()

    def _image_field_jvp(self, g, g_dot, lam):
        cfg = self.cfg
        if lam == cfg.wavelength:
            padded = ref.pad_jvp(g, g_dot, (cfg.grid, cfg.grid))
            return ref.fftshift_jvp(*ref.dft2_jvp(*padded))
        return ref.mft_jvp(g, g_dot, (cfg.grid, cfg.grid), cfg.wavelength / (lam * cfg.grid))

    def jvp(self, a, params, a_dot, params_dot):
        """J v, each step of Eq. (99) in forward mode; the constants' tangents are zero."""
        cfg = self.cfg
        if cfg.basis is not None:
            wavefront, wavefront_dot = ref.basis_jvp(a, a_dot, cfg.basis)
        else:
            wavefront, wavefront_dot = a, a_dot
        if cfg.diversity is not None:
            planes, planes_dot = ref.add_jvp(wavefront, cfg.diversity, wavefront_dot,
                                             np.zeros_like(cfg.diversity))
        else:
            planes, planes_dot = wavefront[None], wavefront_dot[None]
        intensity = intensity_dot = None
        for lam, weight in zip(cfg.wavelengths, cfg.spectral_weights, strict=True):
            theta = ref.mul_jvp(2 * np.pi / lam, planes, 0.0, planes_dot)
            phasor = ref.expi_jvp(*theta)
            g = ref.mul_jvp(cfg.amplitude, phasor[0], np.zeros_like(cfg.amplitude), phasor[1])
            field = self._image_field_jvp(*g, lam)
            power, power_dot = ref.abs2_jvp(*field)
            band = ref.mul_jvp(weight, power, 0.0, power_dot)
            if intensity is None:
                intensity, intensity_dot = band
            else:
                intensity, intensity_dot = ref.add_jvp(intensity, band[0], intensity_dot,
                                                       band[1])
        if cfg.bin > 1:
            intensity, intensity_dot = ref.bin_jvp(intensity, intensity_dot, cfg.bin)
        model, model_dot = intensity, intensity_dot
        if params is not None:
            model, model_dot = ref.poly_detector_jvp(intensity, *params, intensity_dot,
                                                     *params_dot)
        difference, r_dot = ref.add_jvp(model, -cfg.data, model_dot, np.zeros_like(cfg.data))
        root = self._root_weights()
        if root is not None:
            _, r_dot = ref.mul_jvp(root, difference, np.zeros_like(root), r_dot)
        return r_dot.astype(np.float64).ravel()

    def vjp(self, a, params, u):
        """J^T u: the residuals' cotangent back through r = sqrt(w) (M - D), then the reverse
        pass of value_and_grad."""
        cfg = self.cfg
        tape = self.forward(a, params)
        difference = ref.add(tape.model, -cfg.data)
        r_bar = u.reshape(cfg.data.shape).astype(cfg.dtype)
        root = self._root_weights()
        difference_bar = r_bar if root is None else ref.mul_vjp(r_bar, root, difference)[1]
        model_bar = ref.add_vjp(difference_bar, tape.model, -cfg.data)[0]
        return self._reverse(tape, model_bar, params)

    def gauss_newton_product(self, a, params, a_dot, params_dot):
        return self.vjp(a, params, self.jvp(a, params, a_dot, params_dot))

    def jacobian_planes(self, a, params, begin, end):
        """The transposed Jacobian of planes [begin, end): J v of every unit vector v."""
        cfg = self.cfg
        size = int(np.prod(cfg.data.shape[1:]))
        columns = []
        for k in range(a.size):
            a_dot = np.zeros(a.size, dtype=a.dtype)
            a_dot[k] = 1
            p_dot = None if params is None else (0.0, 0.0, 0.0)
            columns.append(self.jvp(a, params, a_dot.reshape(a.shape), p_dot))
        for k in range(3 if params is not None else 0):
            p_dot = [0.0, 0.0, 0.0]
            p_dot[k] = 1.0
            columns.append(self.jvp(a, params, np.zeros_like(a), tuple(p_dot)))
        return np.stack(columns)[:, begin * size:end * size]
