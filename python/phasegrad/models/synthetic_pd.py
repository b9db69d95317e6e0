"""A synthetic phase-diversity problem, made in code: an extended scene seen through an
aberrated pupil at +-defocus, for the benchmarks, the tests and users who want a known answer
(``phase_diversity_problem``)."""

from __future__ import annotations

import numpy as np

from ..pupils import circular_pupil, zernike_basis
from .phase_diversity import PhaseDiversity
from .phase_retrieval import PhaseRetrieval

__all__ = ["extended_scene", "phase_diversity_problem", "convolve_scene"]


def extended_scene(grid, seed=0, blobs=12):
    """A non-negative extended scene on an (grid, grid) grid, float64, summing to 1: ``blobs``
    Gaussian blobs of 0.7 to grid/10 pixels' width at random places within the central half
    of the field (so that circular convolution with a compact PSF wraps nothing around), with
    detail at every spatial frequency."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:grid, :grid] - grid // 2
    scene = np.zeros((grid, grid))
    for _ in range(blobs):
        cy, cx = rng.uniform(-grid / 4, grid / 4, size=2)
        width = rng.uniform(0.7, max(grid / 10, 1.0))
        scene += rng.uniform(0.2, 1.0) * np.exp(-((y - cy) ** 2 + (x - cx) ** 2)
                                                / (2 * width**2))
    return scene / scene.sum()


def convolve_scene(psfs, scene):
    """``scene`` seen through each PSF of ``psfs`` (K, N, N): the circular convolution
    ``Re(IDFT2(DFT2(I_k) DFT2(ifftshift(scene))))``, the scene's pixel (N//2, N//2) on axis
    (as ``PhaseRetrieval``'s ``object=``), float64."""
    spectrum = np.fft.fft2(np.fft.ifftshift(np.asarray(scene, dtype=np.float64)))
    return np.real(np.fft.ifft2(np.fft.fft2(np.asarray(psfs, dtype=np.float64)) * spectrum))


def phase_diversity_problem(size=32, modes=20, defocus=0.5, rms=0.1, pad=2, photons=None,
                            regularization=None, seed=1, dtype=np.float64, backend="fused"):
    """A two-image phase-diversity problem: ``(model, truth, scene)``.

    ``modes`` Zernike modes from Noll 4 (piston and tilt are not seen by phase diversity: the
    scene's position absorbs the tilt) on a ``size``-pixel circular pupil, a random truth of
    ``rms`` waves RMS (from ``seed``), images at +-``defocus`` waves RMS of the Noll-4 mode,
    the grid N = pad * size. The pupil is scaled so that each PSF sums to 1; the scene
    (``extended_scene``) holds ``photons`` photons (1 when None), so the images do too.
    ``photons`` given: Poisson noise. ``regularization`` None: 1e-10 for noise-free images
    (of the OTFs' peak, 1 here), else ``100 / photons``, the Wiener constant (noise power
    per frequency over the scene's) for a white noise of ``photons`` per frequency and a
    scene whose power at the frequencies that carry the aberrations is 1e-2 of its light
    squared (measured on this problem at n = 32: 1e-6 at 1e8 photons ends at 1.1e-3 waves RMS
    from the truth, 1e-4 at 4.5e-3, and 1e-4 stalls at 0.1 waves from a flat start).
    """
    rng = np.random.default_rng(seed)
    pupil = circular_pupil(size)
    grid = int(round(pad * size))
    amplitude = (pupil / np.sqrt(grid**2 * np.sum(pupil**2))).astype(dtype)
    basis = zernike_basis(modes, size, first=4, dtype=dtype)
    defocus_mode = zernike_basis(1, size, first=4, dtype=dtype)[0]
    diversity = np.stack([defocus * defocus_mode, -defocus * defocus_mode]).astype(dtype)
    truth = rng.normal(size=modes)
    wavefront = np.tensordot(truth, basis.astype(np.float64), axes=1)[pupil > 0]
    truth *= rms / np.sqrt(np.mean((wavefront - wavefront.mean()) ** 2))
    psfs = PhaseRetrieval(amplitude=amplitude, basis=basis, pad=pad, diversity=diversity,
                          data=np.zeros((2, grid, grid), dtype=dtype),
                          backend=backend).simulate(truth)
    scene = extended_scene(grid, seed=seed) * (1.0 if photons is None else photons)
    data = convolve_scene(psfs, scene)
    if photons is not None:
        data = rng.poisson(np.maximum(data, 0)).astype(np.float64)
    if regularization is None:
        if photons is None:
            regularization = 1e-10
        else:
            # Poisson noise: a power of sum_x d = photons per frequency; the scene's power
            # there ~1e-2 photons^2.
            regularization = 100.0 / photons
    model = PhaseDiversity(amplitude=amplitude, basis=basis, data=data.astype(dtype),
                           diversity=diversity, regularization=regularization, pad=pad,
                           backend=backend)
    return model, truth, scene
