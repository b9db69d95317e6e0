"""The object-eliminated phase-diversity metric composed from reference ops: the
specification the fused kernels are tested against.

The PSFs and their reverse pass are ``pg.PhaseRetrieval``'s reference backend (a model with no
object, binning or detector: its images are the PSFs, and its ``vjp`` with a PSF cotangent is
the PSFs' reverse pass, Eq. 100). The frequency part is composed here, op by op, forward then
reverse (Sections 10 and 11 of Jurling & Fienup 2014), in Gonsalves' reduced form::

    S_k = DFT2(ifftshift(I_k)),  D_k = DFT2(ifftshift(d_k))
    U'  = sum_k conj(D_k) S_k    (= conj(U): |U'|^2 = |U|^2)
    Q   = gamma + sum_k |S_k|^2
    E   = (1 / N^2) sum_f [ sum_k |D_k|^2 - |U'|^2 / Q ]

and the reverse pass differentiates through the Wiener object's dependence on the OTFs (it
does not use the stationarity of the object that the fused backend relies on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import reference as ref


@dataclass
class _Tape:
    """What the forward pass keeps for the reverse pass."""

    otfs: np.ndarray         # S_k, (K, N, N) complex
    correlation: np.ndarray  # U' = sum_k conj(D_k) S_k, (N, N) complex
    power: np.ndarray        # |U'|^2, (N, N) real
    denominator: np.ndarray  # Q = gamma + sum_k |S_k|^2, (N, N) real
    inverse: np.ndarray      # 1 / Q
    energy: float            # E


class ReferencePhaseDiversity:
    """Forward and reverse passes of a ``PhaseDiversity`` configuration, op by op.

    ``config`` is the ``PhaseDiversity`` (data, regularization, grid); ``psf_model`` the
    reference ``PhaseRetrieval`` whose images are the K PSFs.
    """

    def __init__(self, config, psf_model):
        self.cfg = config
        self.psf_model = psf_model
        # The data's spectra, once: D_k = DFT2(ifftshift(d_k)) and sum_k |D_k|^2.
        self.spectra = self._otfs(config.data)
        self.conj_spectra = np.conj(self.spectra)
        self.data_power = np.sum(ref.abs2(self.spectra), axis=0)
        self.scale = 1.0 / config.grid**2

    # -- the transforms ------------------------------------------------------------------
    @staticmethod
    def _otfs(images):
        """(K, N, N) real images centred at N//2 -> their spectra DFT2(ifftshift(x))."""
        return ref.dft2(ref.to_complex(ref.ifftshift(images)))

    @staticmethod
    def _otfs_vjp(otf_bar):
        return ref.ifftshift_vjp(ref.to_complex_vjp(ref.dft2_vjp(otf_bar)))

    # -- forward -------------------------------------------------------------------------
    def forward(self, a):
        cfg = self.cfg
        otfs = self._otfs(self.psf_model.simulate(a))
        # The sums over the K images are plain sums; their reverse rule broadcasts (Eq. 61).
        correlation = np.sum(ref.mul(self.conj_spectra, otfs), axis=0)
        power = ref.abs2(correlation)
        denominator = ref.add(cfg.regularization, np.sum(ref.abs2(otfs), axis=0))
        inverse = ref.power(denominator, -1)
        reduced = ref.add(self.data_power, ref.mul(-1, ref.mul(power, inverse)))
        energy = self.scale * float(np.sum(reduced, dtype=np.float64))
        return _Tape(otfs, correlation, power, denominator, inverse, energy)

    def wiener_object(self, a):
        """O = U / Q, the multi-frame Wiener estimate of the object's spectrum (N, N)."""
        tape = self.forward(a)
        return ref.mul(np.conj(tape.correlation), tape.inverse)

    # -- forward and reverse ---------------------------------------------------------------
    def value_and_grad(self, a):
        tape = self.forward(a)
        shape = tape.otfs.shape
        reduced_bar = ref.broadcast(np.asarray(self.scale, dtype=tape.power.dtype),
                                    tape.power.shape)
        ratio_bar = ref.mul_vjp(reduced_bar, -1, ref.mul(tape.power, tape.inverse))[1]
        power_bar, inverse_bar = ref.mul_vjp(ratio_bar, tape.power, tape.inverse)
        denominator_bar = ref.power_vjp(inverse_bar, tape.denominator, -1)
        # Q = gamma + sum_k |S_k|^2: each |S_k|^2 gets Q_bar.
        otf_power_bar = ref.broadcast(denominator_bar, shape)
        otfs_bar = ref.abs2_vjp(otf_power_bar, tape.otfs)
        # |U'|^2, then U' = sum_k conj(D_k) S_k.
        correlation_bar = ref.broadcast(ref.abs2_vjp(power_bar, tape.correlation), shape)
        otfs_bar = otfs_bar + ref.mul_vjp(correlation_bar, self.conj_spectra, tape.otfs)[1]
        psf_bar = self._otfs_vjp(otfs_bar)
        model = self.psf_model
        a_bar = model.vjp(model.pack(a), psf_bar.astype(np.float64).ravel())
        return tape.energy, a_bar.reshape(a.shape).astype(a.dtype)

    def estimate_object(self, a):
        """The real scene fftshift(Re(IDFT2(O))), centred at (N//2, N//2) like the data."""
        spectrum = self.wiener_object(a)
        return ref.fftshift(ref.real(ref.idft2(spectrum)))
