"""Gerchberg-Saxton and weighted GS for holograms of several planes at distances, at one or
several wavelengths.

The same propagation as ``pg.Hologram(distances=..., wavelengths=...)``: the modulator showing
``phi`` (wrapped into [0, 2 pi)) gives colour c the field ``u_c = exp(i alpha_c phi)``
(``alpha_c`` the modulator's phase response, default ``wavelengths[0] / wavelengths``), which
reaches plane p as ``U_cp = angular_spectrum(u_c, z_p, lambda_c, pitch, pad=pad)`` (the C++
op). Each iteration imposes the target amplitude of the planes it visits on their fields,
keeping the phase, and propagates back (the op's reverse rule, which is the back-propagation);
the back-propagated fields of colour c add up to ``t_c``:

- ``method="global"`` (the "global GS" of multi-plane holography): every colour and plane every
  iteration.
- ``method="sequential"``: one (colour, plane) per iteration, in turn (colours outer).

The modulator then keeps the phase that agrees best with them all: the ``phi`` in [0, 2 pi) that
maximises ``sum_c Re(conj(t_c) exp(i alpha_c phi))`` pixel by pixel (GS's projection onto
the phase-only fields; for one colour of response 1 it is ``angle(t_c)``, and that is what is
kept). With several responses the maximum is found on a grid of ``_GRID`` phases refined by
Newton steps.

The imposed amplitude of plane (c, p) is ``g_cp sqrt(T_cp)``, scaled to the energy of U_cp,
with the weights g_cp = 1 (GS) or, with ``weighted=True``, updated as in weighted GS (Di
Leonardo, Ianni & Ruocco 2007) over each plane's signal pixels (T_cp > 0). The cost reported is
the matching ``pg.Hologram``'s loss (the planes' normalised MSE, weights 1 / (C P)), so runs
compare directly with the gradient methods. The run watches for divergence by the rule of
``gs``/``wgs`` (``holograms_divergence``): it stops and returns its best iterate with
``success=False``.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..arguments import optimize as c
from ..arguments import validate as v
from ..arguments.hologram import hologram_setup
from ..models.hologram import Hologram
from ..models.hologram_modulator import wrap
from .holograms_divergence import DivergenceWatch, weight_spread

__all__ = ["multiplane_gs"]

_METHODS = ("global", "sequential")
#: Candidate phases per pixel of the several-colour projection, before the Newton steps.
_GRID = 64
_NEWTON_STEPS = 3


def _best_phase(totals, alphas):
    """The phi in [0, 2 pi) maximising sum_c Re(conj(t_c) exp(i alpha_c phi)) per pixel.

    ``totals`` (k, n, m) complex, ``alphas`` (k,). One colour of response 1: ``angle(t)``.
    Else the best of ``_GRID`` candidates, refined by Newton steps (each within one grid step
    of the candidate, kept only where it does not lower the objective).
    """
    if len(alphas) == 1 and alphas[0] == 1.0:
        return np.angle(totals[0])
    moduli, angles = np.abs(totals), np.angle(totals)

    def objective(phi):
        return sum(moduli[k] * np.cos(alphas[k] * phi - angles[k]) for k in range(len(alphas)))

    step = 2.0 * np.pi / _GRID
    best = np.zeros(totals.shape[1:])
    best_value = objective(best)
    for j in range(1, _GRID):
        value = objective(np.full(best.shape, j * step))
        better = value > best_value
        best[better], best_value[better] = j * step, value[better]
    candidate = best.copy()
    for _ in range(_NEWTON_STEPS):
        slope = -sum(moduli[k] * alphas[k] * np.sin(alphas[k] * candidate - angles[k])
                     for k in range(len(alphas)))
        curvature = -sum(moduli[k] * alphas[k] ** 2 * np.cos(alphas[k] * candidate - angles[k])
                         for k in range(len(alphas)))
        move = np.divide(-slope, curvature, out=np.zeros_like(slope), where=curvature < 0)
        candidate = np.clip(candidate + np.clip(move, -step, step), best - step, best + step)
    candidate = np.clip(candidate, 0.0, np.nextafter(2.0 * np.pi, 0.0))
    keep = objective(candidate) >= best_value
    return np.where(keep, candidate, best)


def multiplane_gs(target, distances, wavelength, pitch, iters=100, method="global",
                  weighted=False, phi0=None, seed=0, pad=1, callback=None,
                  phase_response=None):
    """(Weighted) Gerchberg-Saxton for a phase-only hologram of P planes at ``distances``, at
    one wavelength or several.

    Parameters
    ----------
    target : array_like, (P, n, m) or (C, P, n, m), float32 or float64
        The target intensity of each plane (of each colour); non-negative, no plane all zero.
    distances : sequence of float
        The P planes' distances (any sign), in the unit of ``wavelength`` and ``pitch``.
    wavelength : float or sequence of float
        The one wavelength, or one per colour (C of them, with a (C, P, n, m) target).
    pitch : float
        The modulator's pixel pitch.
    iters : int
        Iterations (default 100); with ``"sequential"`` each visits one colour and plane.
    method : {"global", "sequential"}
        Every colour and plane per iteration, or one in turn.
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
    phase_response : sequence of float, optional
        alpha_c, the phase per unit of phi at each colour (as ``pg.Hologram``'s); default
        ``wavelengths[0] / wavelengths``.

    Returns
    -------
    OptimizeResult
        ``x`` (the phase, float64: in (-pi, pi] for one colour of response 1, else in
        [0, 2 pi)), ``fun``, ``nit``, ``nfev`` (evaluations of the cost), ``history`` (the
        cost at the start and after each iteration); after a divergence the best iterate,
        ``success=False`` and a message that says so.

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = np.zeros((2, 32, 32)); T[0, 8:12, 8:12] = 1; T[1, 20:24, 18:22] = 1
    >>> result = pg.optimize.multiplane_gs(T, [200.0, 400.0], 0.5, 2.0, iters=30)
    >>> bool(result.fun < 0.5 * result.history[0])
    True
    """
    setup = hologram_setup(target, distances=distances, wavelengths=wavelength, pitch=pitch,
                           pad=pad, phase_response=phase_response)
    if len(setup.shape) not in (3, 4):
        raise ValueError(f"target must be (P, n, m) or (C, P, n, m), one plane per distance; "
                         f"got shape {setup.shape}")
    iters = c.positive_int(iters, "iters")
    v.one_of(method, "method", _METHODS)
    if not isinstance(weighted, bool):
        raise TypeError(f"weighted must be True or False; got {weighted!r}")
    user_callback = c.callback(callback)
    model = Hologram(target=setup.target.reshape(setup.shape), distances=setup.distances,
                     wavelengths=setup.wavelengths, pitch=setup.pitch, pad=setup.pad,
                     phase_response=setup.phase_response)
    target = setup.target.astype(np.float64)            # (C, P, n, m)
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
    alphas = setup.phase_response
    amplitude = np.sqrt(target)
    signal = target > 0
    weights = np.ones_like(target)

    def cost_of(phase):
        r = model.residuals(phase.ravel())
        return float(r @ r)

    def propagate(field, colour, p):
        return ops.angular_spectrum(field, float(setup.distances[p]),
                                    float(setup.wavelengths[colour]), setup.pitch, pad=setup.pad)

    def back(field, colour, p):
        return ops.angular_spectrum_vjp(field, float(setup.distances[p]),
                                        float(setup.wavelengths[colour]), setup.pitch,
                                        pad=setup.pad)

    def imposed(field, colour, p):
        modulus = np.abs(field)
        g = weights[colour, p]
        if weighted:
            inside = signal[colour, p]
            current = modulus[inside] / max(modulus[inside].mean(), np.finfo(float).tiny)
            wanted = amplitude[colour, p][inside] / amplitude[colour, p][inside].mean()
            g[inside] *= wanted / np.maximum(current, 1e-3)
            g[inside] /= g[inside].mean()
            # Sequential visits let the other planes undo a correction, which would then
            # compound without end: a pixel's weight stays within a factor 8 of the mean.
            np.clip(g, 0.125, 8.0, out=g)
        wanted = g * amplitude[colour, p]
        energy = np.linalg.norm(field) / max(np.linalg.norm(wanted), np.finfo(float).tiny)
        phasor = np.divide(field, modulus, out=np.ones_like(field), where=modulus > 0)
        return energy * wanted * phasor

    name = f"multiplane {'WGS' if weighted else 'GS'} ({method})"
    watch = DivergenceWatch(name, cost_of(phi), phi)
    pairs = [(colour, p) for colour in range(setup.colours) for p in range(setup.planes)]
    message = f"{name}: done {iters} iterations"
    nit = 0
    for step in range(1, iters + 1):
        visit = pairs if method == "global" else [pairs[(step - 1) % len(pairs)]]
        colours = sorted({colour for colour, _ in visit})
        totals = []
        for colour in colours:
            field = np.exp(1j * alphas[colour] * wrap(phi))
            totals.append(sum(back(imposed(propagate(field, colour, p), colour, p), colour, p)
                              for k, p in visit if k == colour))
        phi = _best_phase(np.stack(totals), alphas[colours])
        cost = cost_of(phi)
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
