"""Gerchberg-Saxton and weighted GS for holograms of several planes at distances.

The same propagation as ``pg.Hologram(distances=...)``: the modulator's field
``u = exp(i phi)`` reaches plane p as ``U_p = angular_spectrum(u, z_p, wavelength, pitch,
pad=pad)`` (the C++ op). Each iteration imposes each plane's target amplitude on its field,
keeping the phase, and propagates back (the op's reverse rule, which is the back-propagation):

- ``method="global"`` (the "global GS" of multi-plane holography): all P planes every
  iteration; the back-propagated fields are added and the modulator keeps the sum's phase.
- ``method="sequential"``: one plane per iteration, in turn (plane k mod P), the modulator
  keeping that plane's back-propagated phase.

The imposed amplitude of plane p is ``g_p sqrt(T_p)``, scaled to the energy of U_p, with the
weights g_p = 1 (GS) or, with ``weighted=True``, updated as in weighted GS (Di Leonardo, Ianni &
Ruocco 2007) over each plane's signal pixels (T_p > 0). The cost reported is the matching
``pg.Hologram``'s loss (the planes' normalised MSE, weights 1 / P), so runs compare directly
with the gradient methods.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..arguments import optimize as c
from ..arguments import validate as v
from ..arguments.hologram import hologram_setup
from ..models.hologram import Hologram
from ._result import OptimizeResult

__all__ = ["multiplane_gs"]

_METHODS = ("global", "sequential")


def multiplane_gs(target, distances, wavelength, pitch, iters=100, method="global",
                  weighted=False, phi0=None, seed=0, pad=1, callback=None):
    """(Weighted) Gerchberg-Saxton for a phase-only hologram of P planes at ``distances``.

    Parameters
    ----------
    target : array_like, (P, n, m), float32 or float64
        The target intensity of each plane (non-negative, no plane all zero).
    distances : sequence of float
        The P planes' distances (any sign), in the unit of ``wavelength`` and ``pitch``.
    wavelength, pitch : float
        The one wavelength and the modulator's pixel pitch.
    iters : int
        Iterations (default 100); with ``"sequential"`` each visits one plane.
    method : {"global", "sequential"}
        All planes per iteration, or one in turn.
    weighted : bool
        Weighted GS: per-plane amplitude weights that push each signal pixel toward its
        share of the light.
    phi0 : array_like, (n, m), optional
        Starting phase; default uniformly random in [0, 2 pi) from ``seed``.
    seed : int
        Seed of the random start.
    pad : int
        Zero-padding factor of the angular spectrum (as ``pg.Hologram``'s).
    callback : callable, optional
        ``callback(iteration, phi, cost)`` after each iteration; True stops the run.

    Returns
    -------
    OptimizeResult
        ``x`` (the phase, float64, in (-pi, pi]), ``fun``, ``nit``, ``nfev`` (evaluations of
        the cost), ``history`` (the cost at the start and after each iteration).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = np.zeros((2, 32, 32)); T[0, 8:12, 8:12] = 1; T[1, 20:24, 18:22] = 1
    >>> result = pg.optimize.multiplane_gs(T, [200.0, 400.0], 0.5, 2.0, iters=30)
    >>> bool(result.fun < 0.5 * result.history[0])
    True
    """
    setup = hologram_setup(target, distances=distances, wavelengths=wavelength, pitch=pitch,
                           pad=pad)
    if setup.colours != 1 or len(setup.shape) != 3:
        raise ValueError(f"target must be (P, n, m), one plane per distance; got shape "
                         f"{setup.shape}")
    iters = c.positive_int(iters, "iters")
    v.one_of(method, "method", _METHODS)
    if not isinstance(weighted, bool):
        raise TypeError(f"weighted must be True or False; got {weighted!r}")
    user_callback = c.callback(callback)
    model = Hologram(target=setup.target[0], distances=setup.distances,
                     wavelengths=setup.wavelengths[0], pitch=setup.pitch, pad=setup.pad)
    target = setup.target[0].astype(np.float64)
    if phi0 is None:
        if seed is not None and (isinstance(seed, bool)
                                 or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None; got {type(seed).__name__}")
        phi = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, setup.plane)
    else:
        phi = v.array(phi0, "phi0", kind="real")
        v.expect_shape(phi, "phi0", setup.plane, "the target's planes")
        v.finite(phi, "phi0")
        phi = phi.astype(np.float64)
    wavelength, pitch = float(setup.wavelengths[0]), setup.pitch
    amplitude = np.sqrt(target)
    signal = target > 0
    weights = np.ones_like(target)

    def cost_of(phase):
        r = model.residuals(phase.ravel())
        return float(r @ r)

    def propagate(field, p):
        return ops.angular_spectrum(field, float(setup.distances[p]), wavelength, pitch,
                                    pad=setup.pad)

    def back(field, p):
        return ops.angular_spectrum_vjp(field, float(setup.distances[p]), wavelength, pitch,
                                        pad=setup.pad)

    def imposed(field, p):
        modulus = np.abs(field)
        if weighted:
            inside = signal[p]
            current = modulus[inside] / max(modulus[inside].mean(), np.finfo(float).tiny)
            wanted = amplitude[p][inside] / amplitude[p][inside].mean()
            weights[p][inside] *= wanted / np.maximum(current, 1e-3)
            weights[p][inside] /= weights[p][inside].mean()
            # Sequential visits let the other planes undo a correction, which would then
            # compound without end: a pixel's weight stays within a factor 8 of the mean.
            np.clip(weights[p], 0.125, 8.0, out=weights[p])
        wanted = weights[p] * amplitude[p]
        energy = np.linalg.norm(field) / max(np.linalg.norm(wanted), np.finfo(float).tiny)
        phasor = np.divide(field, modulus, out=np.ones_like(field), where=modulus > 0)
        return energy * wanted * phasor

    history = [cost_of(phi)]
    planes = range(len(setup.distances))
    message = f"multiplane GS ({method}): done {iters} iterations"
    nit = 0
    for step in range(1, iters + 1):
        field = np.exp(1j * phi)
        visit = planes if method == "global" else [(step - 1) % len(setup.distances)]
        total = sum(back(imposed(propagate(field, p), p), p) for p in visit)
        phi = np.angle(total)
        cost = cost_of(phi)
        history.append(cost)
        nit = step
        if user_callback is not None and user_callback(step, phi.copy(), cost):
            message = f"multiplane GS ({method}): stopped by the callback at iteration {step}"
            break
    return OptimizeResult(x=phi, fun=history[-1], nit=nit, nfev=nit + 1,
                          history=np.asarray(history), message=message, success=True)
