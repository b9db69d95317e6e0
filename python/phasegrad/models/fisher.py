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


def pixel_variance(model, noise, read_noise, data_shape):
    """The variance of each pixel of data whose expectation is ``model`` (float64).

    ``read_noise`` is a non-negative number or an array broadcasting to ``data_shape`` (the
    shape the user gave the data); ``noise="gaussian"`` needs it positive everywhere, and
    ``"poisson"`` needs ``model + read_noise^2 > 0`` wherever the variance is used.
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
    if np.any(variance <= 0):
        raise ValueError("noise='poisson' needs model images M > 0 where read_noise is 0 "
                         "(M is the expected number of photons; scale the data to photons, "
                         "or give read_noise)")
    return variance


def information(blocks, size):
    """``F = sum over blocks of (J_b * scale_b) @ J_b^T`` for transposed Jacobian blocks
    ``J_b`` (size, pixels) and per-pixel scales ``scale_b = 1 / var`` (0 where masked)."""
    fisher = np.zeros((size, size))
    for block, scale in blocks:
        fisher += (block * scale) @ block.T
    return 0.5 * (fisher + fisher.T)


def standard_deviations(fisher, rtol=None):
    """``sqrt(diag(F^-1))``, with ``inf`` for parameters in F's null space.

    Eigenvalues below ``rtol * max(eigenvalue)`` (default: size x float64 epsilon) count as
    zero: a parameter with any weight on such a direction is not determined by the data.
    """
    fisher = np.asarray(fisher, dtype=np.float64)
    values, vectors = np.linalg.eigh(fisher)
    top = values[-1] if values.size else 0.0
    if not top > 0:
        return np.full(fisher.shape[0], np.inf)
    rtol = fisher.shape[0] * np.finfo(np.float64).eps if rtol is None else rtol
    null = values <= rtol * top
    weights = np.square(vectors)
    variance = weights[:, ~null] @ (1.0 / values[~null])
    undetermined = (weights[:, null] > 1e-12).any(axis=1)
    std = np.sqrt(variance)
    std[undetermined] = np.inf
    return std
