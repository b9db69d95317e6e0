"""A synthetic through-focus phase-retrieval problem, made in code: for the demo, the
benchmarks, the tests and users who want a known answer to try things on."""

from __future__ import annotations

import numpy as np

from ..pupils import circular_pupil, zernike_basis
from .phase_retrieval import PhaseRetrieval

__all__ = ["DEMO_DETECTOR", "correlated_modes", "ill_conditioned_problem", "make_problem",
           "photon_problem", "plane_defocus", "rms_wavefront_error"]

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


def correlated_modes(modes, n, condition=1e7, obscuration=0.0, seed=0, dtype=np.float64):
    """``modes`` mixtures of the Zernike modes Noll 2..modes+1 whose Gram matrix over the
    pupil has condition number ``condition``: a basis as correlated as high-order, segment
    or misfit modes can be, where first-order methods stall.

    The mixing matrix is ``U diag(s) V^T`` (random orthogonal U, V from ``seed``) with singular
    values ``s`` spaced geometrically from 1 to ``condition ** -0.5``; on the unobscured disk,
    where the Zernikes are orthonormal, the Gram matrix's condition number is exactly
    ``condition`` (up to the pixelisation of the disk).
    """
    rng = np.random.default_rng(seed)
    zernikes = zernike_basis(modes, n, obscuration=obscuration, first=2)
    u, _ = np.linalg.qr(rng.standard_normal((modes, modes)))
    w, _ = np.linalg.qr(rng.standard_normal((modes, modes)))
    mixing = u @ np.diag(np.geomspace(1.0, condition ** -0.5, modes)) @ w.T
    return np.tensordot(mixing, zernikes, axes=1).astype(dtype)


def ill_conditioned_problem(size=128, modes=100, obscuration=0.4, defocus=0.25, rms=0.08,
                            pad=2, seed=0, dtype=np.float64, basis=None):
    """The extreme retrieval of the second-order solvers' benchmark: ``(model, truth)``.

    Noll 2..modes+1 circular Zernikes (or ``basis``) on a pupil with central obscuration
    ``obscuration``, where they are no longer orthogonal; two planes, in focus and at
    ``defocus`` waves RMS of the unit-RMS Noll-4 mode; a truth of ``rms`` waves RMS over the
    pupil with a 1/j spectrum (random signs from ``seed``); noiseless data; unweighted least
    squares.
    """
    rng = np.random.default_rng(seed)
    pupil = circular_pupil(size, obscuration=obscuration, dtype=dtype)
    amplitude = pupil / pupil.sum()
    if basis is None:
        basis = zernike_basis(modes, size, first=2, dtype=dtype)
    basis = np.asarray(basis, dtype=dtype)
    modes = basis.shape[0]
    defocus_mode = zernike_basis(1, size, first=4, dtype=dtype)[0]
    diversity = np.stack([0 * defocus_mode, defocus * defocus_mode]).astype(dtype)
    truth = rng.choice([-1.0, 1.0], size=modes) / np.arange(2, modes + 2)
    wavefront = np.tensordot(truth, basis, axes=1)[pupil > 0]
    truth *= rms / np.sqrt(np.mean((wavefront - wavefront.mean()) ** 2))
    grid = int(pad * size)
    blank = np.zeros((2, grid, grid), dtype=dtype)
    data = PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank, pad=pad,
                          diversity=diversity).simulate(truth)
    model = PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, pad=pad,
                           diversity=diversity)
    return model, truth


def photon_problem(size=128, modes=36, photons=1e6, read_noise=3.0, rms=0.075, defocus=1.0,
                   pad=2, seed=0, dtype=np.float64):
    """A noisy two-plane retrieval as a camera records it: ``(model, truth)``.

    ``modes`` Zernike modes from Noll 2 on a ``size``-pixel circular pupil, ``rms`` waves RMS
    of aberration (random, from ``seed``), planes in focus and at ``defocus`` waves RMS of
    the Noll-4 mode; each image holds ``photons`` photons, with Poisson shot noise and
    Gaussian read noise of ``read_noise`` photons. The model weighs each pixel by the inverse
    of its variance estimated from the data, ``1 / (max(D, 0) + read_noise^2)``.
    """
    rng = np.random.default_rng(seed)
    pupil = circular_pupil(size, dtype=dtype)
    grid = int(pad * size)
    # |G|^2 sums to grid^2 sum A^2 (Parseval, unnormalised FFT): `photons` per image.
    amplitude = pupil * np.sqrt(photons / (grid**2 * np.sum(pupil**2)))
    basis = zernike_basis(modes, size, first=2, dtype=dtype)
    defocus_mode = zernike_basis(1, size, first=4, dtype=dtype)[0]
    diversity = np.stack([0 * defocus_mode, defocus * defocus_mode]).astype(dtype)
    truth = rng.normal(size=modes)
    wavefront = np.tensordot(truth, basis, axes=1)[pupil > 0]
    truth *= rms / np.sqrt(np.mean((wavefront - wavefront.mean()) ** 2))
    blank = np.zeros((2, grid, grid), dtype=dtype)
    expected = PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank, pad=pad,
                              diversity=diversity).simulate(truth)
    data = rng.poisson(expected) + rng.normal(scale=read_noise, size=expected.shape)
    weights = 1.0 / (np.maximum(data, 0) + read_noise**2)
    model = PhaseRetrieval(amplitude=amplitude.astype(dtype), basis=basis,
                           data=data.astype(dtype), pad=pad, diversity=diversity,
                           weights=weights.astype(dtype))
    return model, truth
