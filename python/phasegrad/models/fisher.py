"""Fisher information and Cramer-Rao bounds from a model's Jacobian (every model shares these).

For data ``D ~ M(x) + noise`` with independent pixels of variance ``var_i``, the Fisher
information of the parameters is ``F = sum_i (dM_i/dx)(dM_i/dx)^T / var_i``; the covariance of
any unbiased estimate is at least ``F^-1`` (the Cramer-Rao bound). Shot noise has
``var = M`` (Poisson, in photons), read noise ``var = sigma^2``; their sum is the usual
Gaussian approximation of a Poisson-Gaussian pixel.
"""

from __future__ import annotations

import numpy as np

from ..arguments import validate as v

__all__ = ["NOISE_MODELS", "information", "pixel_variance", "standard_deviations"]

NOISE_MODELS = ("poisson", "gaussian")


def pixel_variance(model, noise, read_noise, data_shape, used=None):
    """The variance of each pixel of data whose expectation is ``model`` (float64).

    ``read_noise`` is a non-negative number or an array broadcasting to ``data_shape`` (the
    shape the user gave the data); ``noise="gaussian"`` needs it positive everywhere, and
    ``"poisson"`` needs ``model + read_noise^2 > 0`` wherever the variance is used: where
    ``used`` (a boolean array like ``model``; default everywhere) is True.
    """
    v.one_of(noise, "noise", NOISE_MODELS)
    if isinstance(read_noise, int | float) and not isinstance(read_noise, bool):
        sigma = np.asarray(v.scalar(read_noise, "read_noise", allow_complex=False))
    else:
        sigma = v.array(read_noise, "read_noise", kind="real")
        v.finite(sigma, "read_noise")
        try:
            sigma = np.broadcast_to(sigma, data_shape).reshape(model.shape)
        except ValueError:
            raise ValueError(f"read_noise must be a number or broadcast to the data's shape "
                             f"{data_shape}; got shape {sigma.shape}") from None
    if np.any(sigma < 0):
        raise ValueError("read_noise must be non-negative")
    sigma2 = np.square(sigma.astype(np.float64))
    if noise == "gaussian":
        if np.any(sigma2 == 0):
            raise ValueError("noise='gaussian' needs read_noise > 0 (the standard deviation "
                             "of each pixel's noise)")
        return np.broadcast_to(sigma2, model.shape)
    variance = model.astype(np.float64) + sigma2
    if np.any((variance <= 0) if used is None else (variance <= 0) & used):
        raise ValueError("noise='poisson' needs model images M > 0 where read_noise is 0 "
                         "(M is the expected number of photons; scale the data to photons, "
                         "or give read_noise)")
    return variance


def information(blocks, size):
    """``F = sum over blocks of (J_b * scale_b) @ J_b^T`` for transposed Jacobian blocks
    ``J_b`` (size, pixels) and per-pixel scales ``scale_b = 1 / var`` (0 where masked); the
    blocks may be a generator (one held at a time)."""
    fisher = np.zeros((size, size))
    for block, scale in blocks:
        fisher += (block * scale) @ block.T
    return 0.5 * (fisher + fisher.T)


def standard_deviations(fisher, rtol=None):
    """``sqrt(diag(F^-1))``, with ``inf`` for parameters in F's null space.

    A parameter whose information ``F_jj`` is below ``eps^2`` times the largest (a bound
    ``1/eps`` times the smallest one: a derivative that is rounding, as piston's) carries none.
    The rest of F is scaled to unit diagonal (``S F S`` with ``S = diag(F)^-1/2``), so that the
    parameters' units (a detector gain of 1e7 photons beside Zernike coefficients in waves)
    do not decide what counts as singular; eigenvalues of the scaled matrix below ``rtol``
    (default: size x float64 epsilon) times its largest count as zero, and a parameter with
    any weight on such a direction is not determined by the data either.
    """
    fisher = np.asarray(fisher, dtype=np.float64)
    size = fisher.shape[0]
    diagonal = np.diagonal(fisher).copy()
    eps = np.finfo(np.float64).eps
    informed = diagonal > eps**2 * max(diagonal.max(), 0.0)
    std = np.full(size, np.inf)
    if not informed.any():
        return std
    scale = 1.0 / np.sqrt(diagonal[informed])
    scaled = fisher[np.ix_(informed, informed)] * scale[:, None] * scale[None, :]
    values, vectors = np.linalg.eigh(0.5 * (scaled + scaled.T))
    rtol = size * eps if rtol is None else rtol
    null = values <= rtol * values[-1]
    weights = np.square(vectors)
    variance = weights[:, ~null] @ (1.0 / values[~null])
    undetermined = (weights[:, null] > 1e-12).any(axis=1)
    part = np.sqrt(variance) * scale
    part[undetermined] = np.inf
    std[informed] = part
    return std
