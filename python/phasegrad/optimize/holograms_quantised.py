"""Quantisation-aware hologram design: an annealed soft quantiser that ends at the hard levels.

A modulator of L levels shows the nearest level 2 pi k / L of the wrapped phase
(``pg.Hologram(levels=L)``). Designing with the hard levels in the loop (the straight-through
rule) makes Adam's steps of about ``lr`` per phase carry many phases across a level at once,
along a gradient taken at the levels; quantising an unquantised design afterwards breaks it
where crosstalk couples the pixels. ``quantised_adam`` runs Adam on a relaxed modulator instead,
whose staircase starts as the identity (the unquantised model) and sharpens to the hard levels
by a temperature schedule.

The relaxed modulator. With ``x = L w / (2 pi)`` (w the wrapped phase) cut at the boundary
between the top level and level 0, ``x~`` in [-1/2, L - 1/2), its nearest level ``k`` and
``t = x~ - k`` in [-1/2, 1/2]::

    h_tau(t) = sinh(t / tau) / (2 sinh(1 / (2 tau)))      a soft step: h(+-1/2) = +-1/2
    shown    = (2 pi / L) (k + h_tau(t) + 1/2)            in [0, 2 pi]

``h_tau`` is the identity as tau -> infinity (at tau = 2 within about 1 % of it) and flat at 0
inside the cell as tau -> 0 (at tau = 0.02 the middle half of a cell shows its level to within
2e-6 of a level's spacing), so the staircase goes from the unquantised phase to the levels.
It is continuous (the cell ends meet) and periodic with the wrap (0 and 2 pi at the cut), with
the exact derivative
``d shown / d w = h_tau'(t)``: the loss and gradient of every temperature agree (finite
differences hold). The half level ``pi / L`` keeps the shown phase in [0, 2 pi], where the
model's own wrap is the identity; it is a constant phase, which after the crosstalk K is
``alpha_c pi sum(K) / L`` per colour and changes no intensity without a zero order (with one,
the relaxed model's zero order is turned by that phase: one colour only).

The schedule (``free``, ``temperatures=(tau_0, tau_1)``, ``anneal_lr``): the first ``free``
fraction of the iterations runs at tau_0 (about the unquantised model, offset by half a level)
at Adam's step ``lr``: a continuous phase that shapes the hologram quickly; the rest anneal, tau
falling geometrically from tau_0 to tau_1 at the smaller step ``anneal_lr`` with fresh Adam
moments, so that the phases settle into their cells while the staircase sharpens. The run
returns the last point, scored by the model itself (the hard levels). Chosen by measurement
(docs/holography.md, ``python -m phasegrad.bench.hologram_targets``): on the built-in target at
256^2 with crosstalk, 200 iterations, the defaults (40 continuous steps at 0.8, then 160
annealing steps 2 -> 0.03 at 0.15) reach about 19.0 dB, within 0.6 dB of the best unquantised
design of as many evaluations (L-BFGS), against about 16 dB for the earlier schedule (annealing
at one step from the start, then straight-through steps on the hard levels) and 17.9 dB for the
best unquantised Adam. Straight-through steps after the annealing lowered the PSNR (18.3 ->
17.5 dB at step 0.1), and larger annealing steps lose (0.2: 18.5 dB; the earlier schedule's
0.3 to 0.8: 16 dB).
"""

from __future__ import annotations

import numpy as np

from ..arguments import optimize as c
from ..models.hologram import Hologram
from ..models.hologram_modulator import wrap
from ._result import OptimizeResult
from .gradient import adam

__all__ = ["quantised_adam", "soft_levels"]

TWO_PI = 2.0 * np.pi


def soft_levels(wrapped, levels, temperature):
    """``(shown, slope)``: the relaxed modulator's phase in [0, 2 pi] for wrapped phases in
    [0, 2 pi) and its derivative (float64), at ``temperature`` tau > 0 (see the module).

    Examples
    --------
    >>> import numpy as np
    >>> shown, slope = soft_levels(np.array([0.1, 3.0]), 4, 1e-3)   # nearly the hard levels
    >>> np.round(shown / (np.pi / 4), 6).tolist()                   # levels k + 1/2, in pi/4
    [1.0, 5.0]
    """
    x = levels * np.asarray(wrapped, dtype=np.float64) / TWO_PI
    x = np.where(x >= levels - 0.5, x - levels, x)
    k = np.clip(np.round(x), 0, levels - 1)
    t = np.clip(x - k, -0.5, 0.5)
    # h = (e^{(t - 1/2)/tau} - e^{(-t - 1/2)/tau}) / (2 (1 - e^{-1/tau})): no overflow.
    up, down = np.exp((t - 0.5) / temperature), np.exp((-t - 0.5) / temperature)
    norm = 2.0 * -np.expm1(-1.0 / temperature)
    step, slope = (up - down) / norm, (up + down) / (norm * temperature)
    return (TWO_PI / levels) * (k + step + 0.5), slope


class _Relaxed:
    """The objective of the annealed phase: the model without levels on the relaxed phases."""

    def __init__(self, model, levels):
        s = model.setup
        kernel_sum = 1.0 if s.crosstalk is None else float(np.sum(s.crosstalk))
        zero_order = s.zero_order
        if zero_order != 0:
            if s.colours != 1:
                raise ValueError("quantised_adam: a zero order with several colours is not "
                                 "supported (the relaxed levels' half-level offset turns each "
                                 "colour's phase differently)")
            turn = s.phase_response[0] * np.pi * kernel_sum / levels
            zero_order = zero_order * np.exp(1j * turn)
        self.model = Hologram(
            target=s.target.reshape(s.shape), backend=model.backend, distances=s.distances,
            wavelengths=s.wavelengths, pitch=s.pitch, crosstalk=s.crosstalk,
            plane_weights=s.weights, phase_response=s.phase_response, amplitude=s.amplitude,
            zero_order=zero_order, efficiency=s.efficiency, pad=s.pad, modulator=s.modulator)
        self.levels = levels
        self.shape = model.shape
        self.n_params = model.n_params
        self.temperature = 1.0

    def fun_and_jac(self, x):
        x = np.asarray(x, dtype=np.float64).reshape(self.shape)
        phases = x[0] if len(self.shape) == 3 else x
        shown, slope = soft_levels(wrap(phases), self.levels, self.temperature)
        relaxed = x.copy()
        if len(self.shape) == 3:
            relaxed[0] = shown
        else:
            relaxed = shown
        energy, grad = self.model.value_and_grad(relaxed)
        grad = np.asarray(grad, dtype=np.float64)
        if len(self.shape) == 3:
            grad[0] *= slope
        else:
            grad = grad * slope
        return float(energy), grad.ravel()


def quantised_adam(model, x0, lr=0.8, iters=200, temperatures=(2.0, 0.03), free=0.2,
                   anneal_lr=0.15, callback=None):
    """Quantisation-aware Adam for a hologram of L levels: a continuous phase, then the
    annealed soft quantiser down to the hard levels (see the module).

    Parameters
    ----------
    model : pg.Hologram
        A general hologram with ``levels`` (the result is scored on its hard levels).
    x0 : array_like
        The start: the model's parameters (a random phase for a hologram).
    lr : float
        Adam's step size in the continuous phase (default 0.8).
    iters : int
        Adam steps in all (default 200): model evaluations with gradient, plus one to score
        the start of each phase and one to score the result on the hard levels.
    temperatures : (float, float)
        tau_0 > tau_1 > 0, the temperature of the continuous phase and at the end of the
        annealing, in units of one level (default (2.0, 0.03)).
    free : float
        The fraction of the iterations, in [0, 1), at tau_0 (default 0.2); the rest anneal.
    anneal_lr : float
        Adam's step size while annealing (default 0.15).
    callback : callable, optional
        ``callback(iteration, x, cost)`` after each step (the cost of the relaxed objective at
        that step's temperature). Returning True stops the run.

    Returns
    -------
    OptimizeResult
        ``x`` (float64, shaped like ``x0``: the last point), ``fun`` (the model's loss at
        ``x``: the hard levels), ``nit``, ``nfev``, ``history`` (the relaxed objective at the
        start and after each step), ``success`` (False, with the ``message`` saying so, when
        ``fun`` is not finite or not below the hard-level loss of ``x0``: a fixed number of
        iterations has no convergence test, but a design no better than its start is a
        failure).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = pg.optimize.spot_array_target(32, rows=3, cols=3)
    >>> h = pg.Hologram(target=T, levels=4)
    >>> phi0 = np.random.default_rng(0).uniform(0, 2 * np.pi, T.shape)
    >>> result = pg.optimize.quantised_adam(h, phi0, lr=0.3, iters=40)
    >>> bool(result.fun < 0.5 * result.history[0])
    True
    """
    if not isinstance(model, Hologram):
        raise TypeError(f"model must be a pg.Hologram; got {type(model).__name__}")
    if not model.general or model.setup.levels is None:
        raise ValueError("model must have levels (pg.Hologram(target=T, levels=L))")
    iters = c.positive_int(iters, "iters")
    if not isinstance(temperatures, (tuple, list)) or len(temperatures) != 2:
        raise TypeError(f"temperatures must be a pair (tau_0, tau_1); got {temperatures!r}")
    first = c.real_number(temperatures[0], "temperatures[0]", low=0.0, low_open=True)
    last = c.real_number(temperatures[1], "temperatures[1]", low=0.0, low_open=True)
    if not last < first:
        raise ValueError(f"temperatures must fall: tau_1 < tau_0; got {temperatures!r}")
    free = c.real_number(free, "free", low=0.0, high=1.0, high_open=True)
    lr = c.real_number(lr, "lr", low=0.0, low_open=True)
    anneal_lr = c.real_number(anneal_lr, "anneal_lr", low=0.0, low_open=True)
    user_callback = c.callback(callback)
    relaxed = _Relaxed(model, model.setup.levels)
    continuous = min(int(round(free * iters)), iters - 1)
    annealing = iters - continuous
    schedule = first * (last / first) ** (np.arange(annealing + 1) / annealing)
    relaxed.temperature = first
    stopped = []

    def watch(offset, anneals):
        def advance(iteration, x, cost):
            if user_callback is not None and user_callback(offset + iteration, x, cost):
                stopped.append(offset + iteration)
                return True
            if anneals:
                relaxed.temperature = schedule[min(iteration, annealing)]
            return False
        return advance

    history, x, nit, nfev = [], x0, 0, 0
    if continuous:
        warm = adam(relaxed, x, lr=lr, iters=continuous, callback=watch(0, False))
        history, x, nit, nfev = list(warm.history), warm.x, warm.nit, warm.nfev
    if not stopped:
        relaxed.temperature = schedule[0]
        cooling = adam(relaxed, x, lr=anneal_lr, iters=annealing,
                       callback=watch(continuous, True))
        history += list(cooling.history[1:] if history else cooling.history)
        x, nit, nfev = cooling.x, nit + cooling.nit, nfev + cooling.nfev
    energy = model.fun_and_jac(np.ravel(x))[0]
    start = model.fun_and_jac(np.ravel(np.asarray(x0, dtype=np.float64)))[0]
    message = (f"quantised Adam: stopped by the callback at iteration {stopped[0]}" if stopped
               else f"quantised Adam: {continuous} continuous and {annealing} annealed "
                    "iterations")
    success = bool(np.isfinite(energy) and energy < start)
    if not success:
        message += (f"; its design on the levels ({energy:.6g}) is no better than the start's "
                    f"({start:.6g})")
    return OptimizeResult(x=np.reshape(x, np.shape(x0)), fun=energy, nit=nit, nfev=nfev + 2,
                          history=np.asarray(history), message=message, success=success)
