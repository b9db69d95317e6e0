"""A synthetic through-focus phase-retrieval problem, made in code: for the demo, the
benchmarks, the tests and users who want a known answer to try things on."""

from __future__ import annotations

import numpy as np

from ..pupils import circular_pupil, zernike_basis
from .phase_retrieval import PhaseRetrieval

__all__ = ["DEMO_DETECTOR", "make_problem", "plane_defocus", "rms_wavefront_error"]

# The demo's detector: slightly sub-linear (saturating) with a small background.
DEMO_DETECTOR = (-0.1, 1.0, 0.002)


def make_problem(size=64, modes=14, planes=3, defocus=0.5, amplitude_rms=0.04, pad=2, seed=1,
                 dtype=np.float64, backend="fused", detector="linear", noise=0.0):
    """A synthetic through-focus problem: ``(model, true_coefficients, pupil, basis)``.

    ``modes`` Zernike modes from Noll index 2 (tip) on an ``size``-pixel circular pupil, with
    ``planes`` images at defocus ``defocus * k`` waves (k centred on 0), padded by ``pad``.
    The pupil amplitude is scaled so the in-focus peak intensity is 1. With
    ``detector="quadratic"`` the images pass through ``DEMO_DETECTOR`` and the model estimates
    (a, b, c) too. ``noise`` adds Gaussian read noise of that standard deviation, relative to
    the brightest pixel (the same seed draws it).
    """
    rng = np.random.default_rng(seed)
    pupil = circular_pupil(size, dtype=dtype)
    amplitude = pupil / pupil.sum()
    basis = zernike_basis(modes, size, first=2, dtype=dtype)
    defocus_mode = zernike_basis(1, size, first=4, dtype=dtype)[0]
    diversity = np.stack([d * defocus_mode for d in plane_defocus(planes, defocus)]).astype(dtype)
    truth = rng.normal(scale=amplitude_rms, size=modes)
    grid = int(pad * size)
    blank = np.zeros((planes, grid, grid), dtype=dtype)
    p = DEMO_DETECTOR if detector == "quadratic" else None
    data = PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank, pad=pad,
                          diversity=diversity, backend=backend,
                          detector=detector).simulate(truth, p)
    if noise > 0:
        sigma = noise * float(data.max())
        data = (data + rng.normal(scale=sigma, size=data.shape)).astype(dtype)
    model = PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, pad=pad,
                           diversity=diversity, backend=backend, detector=detector)
    return model, truth, pupil, basis


def plane_defocus(planes, defocus=0.5):
    """The defocus of each of ``planes`` planes in ``make_problem``: ``defocus * k`` waves of
    the unit-RMS Noll-4 mode, ``k`` centred on 0 (-1, 0, 1 for three planes)."""
    return defocus * (np.arange(planes) - (planes - 1) / 2)


def rms_wavefront_error(model, a, truth, pupil):
    """RMS over the pupil of the wavefront difference, piston removed (waves)."""
    diff = model.wavefront(a) - model.wavefront(truth)
    inside = pupil > 0
    values = diff[inside].astype(np.float64)
    return float(np.sqrt(np.mean((values - values.mean()) ** 2)))
