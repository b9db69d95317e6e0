"""Gerchberg-Saxton and weighted Gerchberg-Saxton for phase-only holograms.

The same convention as ``pg.Hologram``: a phase ``phi`` (n, m) reconstructs the field
``E = fftshift(ifft2(ifftshift(exp(i phi))))`` and the intensity ``I = |E|^2``, to be matched to
a target T (after scaling I to T's mean). Both algorithms alternate between the two planes with
the C++ transforms of ``phasegrad.ops``::

    E       = fftshift(idft2(ifftshift(exp(i phi))))       reconstruction plane
    E'      = w sqrt(T) E / |E|                            impose the target amplitude
    phi     = angle(fftshift(dft2(ifftshift(E'))))         back to the hologram, keep the phase

Gerchberg-Saxton uses w = 1. Weighted GS (Di Leonardo, Ianni & Ruocco, Opt. Express 15, 1913
(2007)) updates the weights where T > 0 so that pixels reconstructed too dim get more amplitude
next time: ``w <- w * (sqrt(T) / mean sqrt(T)) / (|E| / mean |E|)`` (means over T > 0),
renormalised to mean 1. The cost reported is ``pg.Hologram``'s loss
``mean((I mean(T) / mean(I) - T)^2)``, so runs compare directly with the gradient methods (and
``pg.optimize.psnr`` gives ``10 log10(max(T)^2 / cost)``).

Divergence. WGS can run away on smooth, photo-like targets (its weights chase pixels that no
phase-only hologram can light: measured on a 128^2 sinusoidal target, 5.1 dB at the start and
-15.6 dB after 100 iterations). Both algorithms watch for it (``holograms_divergence``, the rule
``multiplane_gs`` shares): the loss above ``DIVERGENCE`` times the best so far (3 dB of PSNR
lost) for ``PATIENCE`` iterations in a row, or WGS's weights spread beyond ``WEIGHT_SPREAD``
(largest over smallest). Then the run stops and returns the best iterate (``x``, ``fun``,
``nit`` and ``history`` up to it) with ``success=False`` and a message that says where it
diverged.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..arguments import optimize as c
from ..arguments import validate as v
from ..arguments.docstrings import amend
from ..arguments.hologram import hologram_target
from ..config import single_threaded_blas
from .holograms_divergence import (
    DIVERGENCE,
    PATIENCE,
    WEIGHT_SPREAD,
    DivergenceWatch,
    weight_spread,
)

__all__ = ["DIVERGENCE", "PATIENCE", "WEIGHT_SPREAD", "gs", "reconstruct", "wgs"]


def _target(target):
    return hologram_target(target).astype(np.float64)


def _field(phi):
    return ops.fftshift(ops.idft2(ops.ifftshift(np.exp(1j * phi))))


def reconstruct(phi):
    """The reconstructed intensity ``|fftshift(ifft2(ifftshift(exp(i phi))))|^2`` (float64).

    Unnormalised; ``pg.optimize.psnr`` scales it to the target's mean.

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> I = pg.optimize.reconstruct(np.zeros((8, 8)))      # a flat phase: one bright pixel
    >>> float(I[4, 4]), float(I.sum())
    (1.0, 1.0)
    """
    phi = v.array(phi, "phi", kind="real")
    if phi.ndim != 2:
        raise ValueError(f"phi must be a 2-D phase map; got shape {phi.shape}")
    v.finite(phi, "phi")
    return np.abs(_field(phi.astype(np.float64))) ** 2


def _loss(intensity, target, target_mean):
    normalised = intensity * (target_mean / intensity.mean())
    return float(np.mean((normalised - target) ** 2))


def _iterate(target, iters, phi0, seed, callback, weighted, name):
    target = _target(target)
    iters = c.positive_int(iters, "iters")
    user_callback = c.callback(callback)
    if phi0 is None:
        if seed is not None and (isinstance(seed, bool)
                                 or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None; got {type(seed).__name__}")
        phi = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, target.shape)
    else:
        phi = v.array(phi0, "phi0", kind="real")
        if phi.shape != target.shape:
            raise ValueError(f"phi0 must have the target's shape {target.shape}; got "
                             f"{phi.shape}")
        v.finite(phi, "phi0")
        phi = phi.astype(np.float64)

    amplitude = np.sqrt(target)
    signal = target > 0
    amplitude_mean = amplitude[signal].mean()
    target_mean = target.mean()
    weights = np.ones_like(target)
    field = _field(phi)
    modulus = np.abs(field)
    watch = DivergenceWatch(name, _loss(modulus ** 2, target, target_mean), phi)
    message = f"{name}: done {iters} iterations"
    nit = 0
    for step in range(1, iters + 1):
        if weighted:
            reconstructed = modulus[signal] / max(modulus[signal].mean(), np.finfo(float).tiny)
            floor = 1e-3  # a pixel that is dark now gets at most 1000x more weight at once
            weights[signal] *= (amplitude[signal] / amplitude_mean) / np.maximum(
                reconstructed, floor)
            weights[signal] /= weights[signal].mean()
        phasor = np.divide(field, modulus, out=np.ones_like(field), where=modulus > 0)
        hologram = ops.fftshift(ops.dft2(ops.ifftshift(weights * amplitude * phasor)))
        phi = np.angle(hologram)
        field = _field(phi)
        modulus = np.abs(field)
        cost = _loss(modulus ** 2, target, target_mean)
        nit = step
        if user_callback is not None and user_callback(step, phi.copy(), cost):
            watch.history.append(cost)
            message = f"{name}: stopped by the callback at iteration {step}"
            break
        diverged = watch.diverged(step, cost, phi,
                                  weight_spread(weights[signal]) if weighted else 1.0)
        if diverged is not None:
            return diverged
    return watch.finish(nit, phi, message)


_DOC = """
    Parameters
    ----------
    target : array_like, (n, m), float32 or float64
        The target intensity T (non-negative, not all zero).
    iters : int
        Number of iterations (default 100).
    phi0 : array_like, (n, m), optional
        Starting phase; default uniformly random in [0, 2 pi) from ``seed``.
    seed : int or None
        Seed of the random starting phase (default 0).
    callback : callable, optional
        ``callback(iteration, phi, cost)`` after each iteration with the new phase and its
        ``pg.Hologram`` loss. Returning True stops the run.

    Returns
    -------
    OptimizeResult
        ``x`` (the phase, float64, in (-pi, pi]), ``fun`` (its loss), ``nit``, ``nfev``
        (forward transforms), ``history`` (the loss at the start and after each iteration);
        after a divergence (see the module's docstring) the best iterate with
        ``success=False`` and a message that says so.

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = pg.optimize.spot_array_target(32, rows=3, cols=3)
    >>> result = pg.optimize.{name}(T, iters=20)
    >>> bool(pg.optimize.psnr(pg.optimize.reconstruct(result.x), T) > 20)
    True
"""


@amend(append=_DOC)
@single_threaded_blas()
def gs(target, iters=100, phi0=None, seed=0, callback=None):
    """Gerchberg-Saxton for a phase-only hologram: impose sqrt(T) in the reconstruction
    plane, unit amplitude in the hologram plane, keep the phases."""
    return _iterate(target, iters, phi0, seed, callback, weighted=False, name="GS")


@amend(append=_DOC)
@single_threaded_blas()
def wgs(target, iters=100, phi0=None, seed=0, callback=None):
    """Weighted Gerchberg-Saxton: GS with amplitude weights that push every target pixel
    toward its share of the light (uniform spot arrays, optical tweezers)."""
    return _iterate(target, iters, phi0, seed, callback, weighted=True, name="WGS")
