"""``retrieve``: a phase-retrieval fit that starts in the right basin and says how good it is.

A local solver started from a flat wavefront on raw data finds the answer only when the start
lies in its basin. ``retrieve`` builds the start from the data first: the nuisance blocks'
values (flux and background from the images' sums and border, the detector's gain and offset),
the registration (the light's centroid against the model's), and then fits in stages, the
smoothest wavefront modes first with the others held at 0, adding modes until all are free;
optionally from several starts, keeping the lowest cost. The result carries ``assess``'s
report: converged or not, the cost against the noise, uncertainties and warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..arguments import validate as v
from ..models import diagnostics as dx
from ._result import OptimizeResult
from .gradient import lbfgs
from .least_squares import levenberg_marquardt
from .quality import NOISE, FitReport, assess

__all__ = ["RetrievalResult", "retrieve", "stage_sizes"]

_METHODS = ("lm", "lbfgs")
# Coarse-to-fine: the numbers of modes freed at each stage (tip, tilt, defocus, astigmatism;
# then up to radial order 3, 5, 7 for a Zernike basis from Noll index 2), then all of them.
_STAGES = (5, 9, 20, 35)
# A centroid offset (unbinned pixels) below this is not worth a start or a warning.
_OFFSET_LIMIT = 0.5


@dataclass
class RetrievalResult(OptimizeResult):
    """``retrieve``'s result: an ``OptimizeResult`` of the last stage of the best start, with
    the whole run's counts and the report.

    Attributes
    ----------
    converged : bool
        The last stage's solver converged (a tolerance met, not the iteration cap).
    stop_reason : str
        Why that stage stopped.
    report : FitReport
        ``assess`` at ``x`` (with the registration's finding, if any).
    x_start : numpy.ndarray
        The start the data gave (before any stage), flat.
    offset : numpy.ndarray
        The data's centroid less the start model's, (P, 2) unbinned pixels (rows, columns).
    start_costs : numpy.ndarray
        The final cost of each start (the first is the data's start, the others perturbed),
        the lower of its direct and staged fits.
    stages : tuple of int
        The number of free wavefront modes in each stage of the winning fit (one stage:
        the direct fit).
    """

    converged: bool = False
    stop_reason: str = ""
    report: FitReport | None = field(default=None, repr=False)
    x_start: np.ndarray | None = field(default=None, repr=False)
    offset: np.ndarray | None = field(default=None, repr=False)
    start_costs: np.ndarray | None = field(default=None, repr=False)
    stages: tuple = ()


class _Subset:
    """A model with only the parameters ``free`` moving, the rest held at ``base``'s values:
    every view (cost, residuals, Gauss-Newton, products) restricted to them."""

    def __init__(self, model, free, base):
        self.model, self.free, self.base = model, free, base
        self.n_params = int(free.sum())
        self.dtype = model.dtype
        self.n_residuals = model.n_residuals
        lower, upper = model.bounds
        self.bounds = (lower[free], upper[free])

    def full(self, xs):
        x = self.base.copy()
        x[self.free] = np.asarray(xs, dtype=np.float64).reshape(-1)
        return x

    def residuals(self, xs):
        return self.model.residuals(self.full(xs))

    def fun_and_jac(self, xs):
        cost, gradient = self.model.fun_and_jac(self.full(xs))
        return cost, gradient[self.free]

    def gauss_newton(self, xs):
        jtj, jtr = self.model.gauss_newton(self.full(xs))
        return jtj[np.ix_(self.free, self.free)], jtr[self.free]

    def gauss_newton_product(self, xs, vs):
        vector = np.zeros(self.free.size)
        vector[self.free] = vs
        return self.model.gauss_newton_product(self.full(xs), vector)[self.free]

    def vjp(self, xs, u):
        return self.model.vjp(self.full(xs), u)[self.free]


def stage_sizes(modes, coarse_to_fine=True):
    """The numbers of free wavefront modes, stage by stage: ``_STAGES`` below ``modes``, then
    ``modes`` (just ``(modes,)`` without coarse-to-fine)."""
    if not coarse_to_fine:
        return (modes,)
    return tuple(k for k in _STAGES if k < modes) + (modes,)


def _mode_order(model):
    """The basis modes from smoothest to roughest: by mean squared gradient over the pupil per
    mean square (radial order first for Zernike modes); a stable sort keeps ties in order."""
    basis = model.basis.astype(np.float64)
    support = model.support if hasattr(model, "support") else model.amplitude != 0
    gy, gx = np.gradient(basis, axis=(1, 2))
    inner = support & np.roll(support, 1, 0) & np.roll(support, -1, 0) & \
        np.roll(support, 1, 1) & np.roll(support, -1, 1)
    rough = np.array([np.sum((a**2 + b**2)[inner]) / max(np.sum(z[support] ** 2), 1e-300)
                      for a, b, z in zip(gy, gx, basis, strict=True)])
    return np.argsort(np.round(rough, 6), kind="stable")


def _tilt_coefficients(model, shift):
    """The wavefront coefficients of the tilt that moves the image by ``shift`` (unbinned
    pixels, (y, x)), or None when the basis cannot make it (its least-squares residual on the
    pupil is above 1 % of the tilt). A pupil phase ramp 2 pi (s_y y + s_x x) / N moves the
    image by (s_y, s_x): W = wavelength (s_y y + s_x x) / N."""
    if model.basis is None:
        y, x = np.indices((model.n, model.n), dtype=np.float64)
        return model.wavelength * (shift[0] * y + shift[1] * x) / model.grid
    support = model.amplitude != 0
    y, x = np.indices((model.n, model.n), dtype=np.float64)
    ramp = model.wavelength * (shift[0] * y + shift[1] * x) / model.grid
    target = ramp[support] - ramp[support].mean()
    modes = model.basis.astype(np.float64)[:, support].T
    coefficients, *_ = np.linalg.lstsq(modes, target, rcond=None)
    if np.linalg.norm(modes @ coefficients - target) > 1e-2 * np.linalg.norm(target):
        return None
    return coefficients


def _kick(model, rng, size, spread):
    """A random wavefront of ``spread`` waves RMS: normal coefficients scaled to that norm
    (an orthonormal basis's norm is the wavefront's RMS), or with a point-by-point map (no
    basis) normal values on the pupil's pixels scaled to that RMS over them."""
    kick = rng.normal(size=size)
    if model.basis is not None:
        return spread * kick / np.sqrt(max(np.sum(kick**2), 1e-300))
    support = np.asarray(model.amplitude != 0).reshape(-1)
    kick = np.where(support, kick, 0.0)
    return spread * kick / np.sqrt(max(np.mean(kick[support] ** 2), 1e-300))


def _data_start(model, register, estimate_flux):
    """The start the data give, its centroid offset and any finding about it."""
    p = (0.0, 1.0, 0.0) if model.detector == "quadratic" else None
    x = model.pack(None, p)
    parts = model.unpack(x)
    data = model.data.astype(np.float64)
    images = model.simulate(x).reshape(data.shape).astype(np.float64)
    level = dx.background_level(data)
    if estimate_flux:
        signal = (data - level[:, None, None]).sum(axis=(1, 2))
        total = images.sum(axis=(1, 2))
        gain = np.where(total > 0, signal / np.where(total > 0, total, 1.0), 1.0)
        gain = np.where(gain > 0, gain, 1.0)
        if "flux" in parts:
            parts["flux"] = gain
        if "background" in parts:
            parts["background"] = level
        if "detector" in parts:
            parts["detector"] = np.array([0.0, float(np.median(gain)), float(np.mean(level))])
        x = model.pack(**parts)
        images = model.simulate(x).reshape(data.shape).astype(np.float64)
    offset = (dx.centroids(data) - dx.centroids(images)) * model.bin
    offset = np.nan_to_num(offset)
    findings = []
    if register and np.abs(offset).max() > _OFFSET_LIMIT:
        if "shift" in parts:
            parts["shift"] = parts["shift"] + offset
            x = model.pack(**parts)
        else:
            tilt = _tilt_coefficients(model, offset.mean(axis=0))
            if tilt is not None:
                parts["wavefront"] = parts["wavefront"] + tilt.reshape(model.coefficient_shape)
                x = model.pack(**parts)
            else:
                mean = offset.mean(axis=0)
                findings.append(dx.Finding("off-centre", f"the light's centroid is "
                                                         f"({mean[0]:+.2f}, {mean[1]:+.2f}) "
                                                         "pixels from the model's and neither "
                                                         "a shift nor a tilt mode can follow "
                                                         "it: register the data"))
    elif not register and np.abs(offset).max() > 1.0:
        findings += dx.off_centre(model.data)
    return x, offset, findings


def _solve(model, x, method, maxiter, callback):
    if method == "lm":
        return levenberg_marquardt(model, x, maxiter=maxiter, callback=callback)
    found = lbfgs(model, x, maxiter=maxiter, callback=callback)
    found.converged, found.stop_reason = bool(found.success), found.message
    return found


def _schedule(model, x, method, maxiter, sizes, order, callback=None):
    """Run the stages from ``x``: (the last stage's result, nit, nfev, history)."""
    offset = next(p.offset for p in model.parameters if p.name == "wavefront")
    nit = nfev = 0
    history = []
    found = None
    for size in sizes:
        free = np.ones(model.n_params, bool)
        if model.basis is not None and size < model.basis.shape[0]:
            free[offset + order[size:]] = False
        target = model if free.all() else _Subset(model, free, x)
        found = _solve(target, x if free.all() else x[free], method, maxiter, callback)
        x = found.x if free.all() else target.full(found.x)
        nit += found.nit
        nfev += found.nfev
        history.append(np.asarray(found.history))
    found.x = x
    return found, nit, nfev, np.concatenate(history)


def retrieve(model, x0=None, *, method="lm", register=True, estimate_flux=True,
             coarse_to_fine=True, starts=1, spread=0.1, seed=0, maxiter=200, noise=None,
             read_noise=None, gain=1.0, callback=None):
    """Fit a phase-retrieval model from a start the data give, and report how good the fit is.

    Parameters
    ----------
    model : pg.PhaseRetrieval
        The model with its data.
    x0 : array_like, optional
        A start (flat, ``model.pack``'s layout). None (default): built from the data (see
        ``register`` and ``estimate_flux``); a given ``x0`` is used as it is.
    method : {"lm", "lbfgs"}, keyword-only
        Levenberg-Marquardt (default) or L-BFGS-B, in every stage.
    register : bool, keyword-only
        Compare the light's centroid in each plane with the start model's: with ``"shift"``
        free, the shifts start at the offset; otherwise the wavefront starts with the tilt
        that moves the image there (when the basis has tip and tilt); otherwise an offset
        above half a pixel is a finding.
    estimate_flux : bool, keyword-only
        Start a free ``flux`` at each plane's light above its border median over the model's,
        a free ``background`` at that median, and a quadratic detector at (0, gain, median).
    coarse_to_fine : bool, keyword-only
        Besides the direct fit of every parameter, fit in stages: the 5 smoothest modes
        first (the others held at their start), then 9, 20, 35, then all (``stage_sizes``;
        the other free blocks move in every stage); the lower final cost wins (the direct
        fit on a tie).
    starts : int, keyword-only
        Runs of the schedule: the data's start, then starts with the wavefront perturbed by
        normal coefficients of ``spread`` waves RMS in all (``seed``; with a point-by-point
        map, normal values on the pupil's pixels of ``spread`` waves RMS over them); the
        lowest final cost is kept. Deterministic for a given ``seed``.
    maxiter : int, keyword-only
        Iterations per stage.
    noise, read_noise, gain : keyword-only
        Passed to ``assess``.
    callback : callable, keyword-only
        The solver's ``callback(iteration, x, cost)``, in every stage of every start (the
        iteration count restarts with each; ``x`` is the stage's own vector).

    Returns
    -------
    RetrievalResult
        ``x`` (flat float64), ``fun``, ``nit``/``nfev`` over all stages and starts of the best
        run, ``history`` (its stages' histories joined), ``converged``/``stop_reason`` of its
        last stage, and ``report`` (``assess``'s ``FitReport``).
    """
    v.one_of(method, "method", _METHODS)
    if noise is not None:
        v.one_of(noise, "noise", NOISE)
    starts = v.positive_int(starts, "starts")
    maxiter = v.positive_int(maxiter, "maxiter")
    spread = v.scalar(spread, "spread", allow_complex=False)
    if spread < 0:
        raise ValueError(f"spread must be >= 0; got {spread!r}")
    findings = []
    offset = np.zeros((model.data.shape[0], 2))
    if x0 is None:
        x, offset, findings = _data_start(model, register, estimate_flux)
    else:
        x = np.asarray(x0, dtype=np.float64).reshape(-1)
        if x.shape != (model.n_params,):
            raise ValueError(f"x0 must hold model.n_params = {model.n_params} values; got "
                             f"{x.size}")
        v.finite(x, "x0")
    modes = model.basis.shape[0] if model.basis is not None else 0
    # The direct fit, and the coarse-to-fine stages too: each wins on some problems (on the
    # battery's 0.3-wave case the stages alone ended in a wrong basin for 2 of 6 seeds).
    schedules = [(modes,)] if modes else [(0,)]
    if modes and coarse_to_fine and stage_sizes(modes) != (modes,):
        schedules.append(stage_sizes(modes))
    order = _mode_order(model) if modes else None
    rng = np.random.default_rng(seed)
    wave = next(p for p in model.parameters if p.name == "wavefront")
    best = None
    costs = []
    for index in range(starts):
        start = x.copy()
        if index:
            start[wave.offset:wave.offset + wave.size] += _kick(model, rng, wave.size, spread)
        runs = [(_schedule(model, start, method, maxiter, schedule, order, callback),
                 schedule)
                for schedule in schedules]
        run = min(runs, key=lambda item: item[0][0].fun)  # the first of equal costs
        costs.append(float(run[0][0].fun))
        if best is None or run[0][0].fun < best[0][0].fun:
            best = run
    (found, nit, nfev, history), sizes = best
    report = assess(model, found.x, found, noise=noise, read_noise=read_noise, gain=gain)
    if findings:
        report = replace(report, findings=report.findings + tuple(findings))
    return RetrievalResult(x=np.asarray(found.x, dtype=np.float64), fun=float(found.fun),
                           nit=nit, nfev=nfev, history=history, message=found.message,
                           success=bool(found.converged), converged=bool(found.converged),
                           stop_reason=str(found.stop_reason), report=report, x_start=x,
                           offset=offset, start_costs=np.array(costs),
                           stages=tuple(sizes) if modes else ())
