"""The modulator's own physics in the general hologram, in float64 NumPy: what the modulator
shows for a phase map ``phi`` (wrapping, quantisation to ``levels``, pixel crosstalk).

Both backends of ``pg.Hologram`` define the modulator this way (the fused one in C++, with the
same formulas in the same order):

1. **Wrap**: ``w = phi - 2 pi floor(phi / (2 pi))``, in [0, 2 pi): the modulator's range at the
   design wavelength. Its derivative is 1 (almost everywhere).
2. **Quantise** to L ``levels`` (optional), two rules:

   - ``"straight_through"``: ``q = (2 pi / L) (round(L w / (2 pi)) mod L)``, the levels the
     device shows, in the forward model; the reverse (and forward-mode) pass takes dq/dw = 1
     (the straight-through estimator). The loss is that of the quantised hologram; its
     "gradient" is the gradient of the unquantised model evaluated at the quantised phases.
   - ``"soft"``: the smooth staircase ``q = w - sin(L w) / L`` (the sawtooth ``w - q`` by its
     first Fourier term), flat at every level, with its exact derivative
     ``1 - cos(L w)``: a differentiable relaxation whose loss and gradient agree (finite
     differences hold). ``Hologram.quantize`` gives the hard levels to show at the end.
3. **Crosstalk** (optional): the fringing field of neighbouring pixels as a circular
   convolution with a small real kernel K (odd sides, centred): ``s = K * q`` over the plane.

The phase at colour c is then ``alpha_c s`` (``phase_response``), and the field
``A (exp(i alpha_c s) + zero_order)``.

4. **Amplitude** (``modulator="amplitude_phase"`` only): the parameters are two planes, the
   phase map phi and beta, and each pixel also transmits the amplitude
   ``m = (1 + sin beta) / 2``, so the field is ``A (m exp(i alpha_c s) + zero_order)``. The
   map keeps m physical (in [0, 1], reaching both ends) for every real beta, so any optimiser
   runs unconstrained; it is smooth, with dm/dbeta = cos(beta) / 2, largest at beta = 0
   (m = 1/2, the start of a zero parameter vector). The amplitude is the same at every colour
   and is neither quantised nor smoothed by the crosstalk (those act on the phase); the zero
   order is the unmodulated light and does not scale with m.
"""

from __future__ import annotations

import numpy as np

__all__ = ["crosstalk_plane", "modulation", "modulator", "quantize_hard", "wrap"]

TWO_PI = 2.0 * np.pi


def wrap(phi):
    """``phi - 2 pi floor(phi / (2 pi))`` in float64."""
    phi = np.asarray(phi, dtype=np.float64)
    return phi - TWO_PI * np.floor(phi / TWO_PI)


def quantize_hard(wrapped, levels):
    """The nearest of the L levels ``2 pi k / L`` (k = 0 .. L-1) to each wrapped phase."""
    return (TWO_PI / levels) * np.mod(np.round(wrapped * levels / TWO_PI), levels)


def crosstalk_plane(kernel, plane):
    """The (kr, kc) centred kernel as an (n, m) plane with its centre at index (0, 0), for a
    circular convolution over the plane."""
    full = np.zeros(plane)
    rows, cols = kernel.shape
    index_r = (np.arange(rows) - rows // 2) % plane[0]
    index_c = (np.arange(cols) - cols // 2) % plane[1]
    full[np.ix_(index_r, index_c)] = kernel
    return full


def modulator(phi, levels, quantizer):
    """``(shown, slope)``: the wrapped (and quantised) phase and its derivative along phi
    (None where it is 1), before crosstalk."""
    wrapped = wrap(phi)
    if levels is None:
        return wrapped, None
    if quantizer == "straight_through":
        return quantize_hard(wrapped, levels), None
    return wrapped - np.sin(levels * wrapped) / levels, 1.0 - np.cos(levels * wrapped)


def modulation(beta):
    """The amplitude ``m = (1 + sin beta) / 2`` a pixel transmits for ``beta`` (float64)."""
    return 0.5 * (1.0 + np.sin(np.asarray(beta, dtype=np.float64)))
