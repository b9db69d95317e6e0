"""The scenes ``phasegrad retrieve --object`` fits besides a point source, and the choice
between them (``--object auto``).

Every scene is fitted on the same data, pupil and options (``RetrievalProblem.make``):

- ``point``: one source, ``pg.PointSources(1)`` (its position and flux free; in ``auto``, so
  that its likelihood is comparable with the others');
- ``binary``: ``pg.PointSources(2)``. Close pairs have local minima at wrong position angles
  and flux ratios, so the pair is fitted by ``pg.optimize.fit_pair`` around the single
  source's fit: at each of 24 position angles the cheapest of 4 separations (0.5 to 2
  lambda/D, that is 0.5 to 2 pad unbinned pixels; flux ratio 0.5), 8 Levenberg-Marquardt
  iterations from each, then to convergence from the best 3;
- ``resolved``: one source blurred by a Gaussian of free width (the jitter block): a small
  resolved object with one parameter more than a point (left out when ``--fit jitter``
  already frees the width);
- ``extended``: an unknown non-negative scene, pixel by pixel (``object="free"``, N x N
  parameters), started from the single source's fit (its flux in the pixel nearest its
  position) and fitted by L-BFGS-B within its bounds.

``auto`` fits all of them and chooses by BIC (``pg.optimize.compare_hypotheses``).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

__all__ = ["AUTO_HYPOTHESES", "ObjectFit", "fit_object"]

#: What ``--object auto`` compares, in this order.
AUTO_HYPOTHESES = ("point", "binary", "resolved", "extended")
_JITTER_START = 0.5                   # unbinned pixels


class ObjectFit:
    """A fitted scene: ``model``, its fit ``found`` (``cli.solvers.Fit``), the JSON
    description ``object``, the scene ``scene`` (an array for ``extended``, else None) and,
    for ``auto``, the ``comparison`` (``pg.optimize.HypothesisComparison``)."""

    def __init__(self, model, found, description, scene=None, comparison=None):
        self.model, self.found, self.object = model, found, description
        self.scene, self.comparison = scene, comparison


def _others(blocks):
    """The nuisance blocks of a fit (every block but the scene's and the wavefront's)."""
    skip = {"wavefront", "positions", "fluxes", "object", "jitter"}
    return {name: value for name, value in blocks.items() if name not in skip}


def describe(model, x, kind, scene_file=None):
    """The JSON description of the scene of ``model`` at ``x``."""
    blocks = model.unpack(x)
    description = {"kind": kind}
    if "positions" in blocks:
        positions, fluxes = np.asarray(blocks["positions"]), np.asarray(blocks["fluxes"])
        description["positions"] = positions.tolist()
        description["positions_detector_pixels"] = (positions / model.bin).tolist()
        description["fluxes"] = fluxes.tolist()
        if len(fluxes) == 2:
            separation = float(np.hypot(*(positions[1] - positions[0])))
            description["separation"] = separation
            description["separation_detector_pixels"] = separation / model.bin
            description["flux_ratio"] = float(fluxes.min() / fluxes.max()) \
                if fluxes.max() > 0 else 0.0
    if "jitter" in blocks and kind == "resolved":
        description["width"] = float(np.asarray(blocks["jitter"]).reshape(-1)[0])
    if "object" in blocks:
        scene = np.asarray(blocks["object"])
        description["file"] = scene_file
        description["shape"] = list(scene.shape)
        description["total_flux"] = float(scene.sum())
        rows, cols = np.indices(scene.shape) - model.grid // 2
        total = scene.sum()
        if total > 0:
            description["centroid"] = [float((rows * scene).sum() / total),
                                       float((cols * scene).sum() / total)]
    return description


def _fit_point(problem, method, maxiter, callback):
    from ..models import PointSources
    from .solvers import fit

    model = problem.make(PointSources(1, positions=[[0.0, 0.0]]))
    return model, fit(model, problem.start(model), method, maxiter, callback)


def _fit_binary(problem, single, method, maxiter, callback):
    from ..models import PointSources
    from ..optimize import fit_pair
    from .solvers import fit

    model = problem.make(PointSources(2))
    single_model, single_fit = single
    start = time.perf_counter()
    best = fit_pair(model, single_model.unpack(single_fit.x), maxiter=maxiter)
    seconds = time.perf_counter() - start
    # the best pair, polished by the chosen method (its lines as for the others); the
    # result counts fit_pair's final fit too
    polish = fit(model, best.x, method, maxiter, callback)
    return model, replace(polish, history=np.concatenate([best.history, polish.history[1:]]),
                          iterations=best.nit + polish.iterations,
                          evaluations=best.nfev + polish.evaluations,
                          seconds=seconds + polish.seconds)


def _fit_resolved(problem, single, method, maxiter, callback):
    from ..models import PointSources
    from .solvers import fit

    single_model, single_fit = single
    blocks = single_model.unpack(single_fit.x)
    model = problem.make(PointSources(1), extra_fit=("jitter",))
    x0 = model.pack(wavefront=blocks["wavefront"], positions=blocks["positions"],
                    fluxes=blocks["fluxes"], jitter=[_JITTER_START], **_others(blocks))
    return model, fit(model, x0, method, maxiter, callback)


def _fit_extended(problem, single, maxiter, callback):
    from .solvers import fit

    single_model, single_fit = single
    blocks = single_model.unpack(single_fit.x)
    model = problem.make("free")
    grid = model.grid
    pixel = np.clip(np.round(np.asarray(blocks["positions"])[0]).astype(int) + grid // 2,
                    0, grid - 1)
    scene = np.zeros((grid, grid))
    scene[pixel[0], pixel[1]] = float(np.asarray(blocks["fluxes"])[0])
    others = _others(blocks)
    if "jitter" in model.free_blocks:
        others["jitter"] = blocks["jitter"]
    x0 = model.pack(wavefront=blocks["wavefront"], object=scene, **others)
    return model, fit(model, x0, "lbfgs", maxiter, callback)


def fit_object(problem, kind, method, maxiter, lbfgs_maxiter, report, callback_for,
               scene_file="object.npy"):
    """Fit the scene ``kind`` ("binary", "extended" or "auto"; "point" in ``auto`` only).

    ``method``/``maxiter`` for the few-parameter fits, ``lbfgs_maxiter`` for the free scene;
    ``report(line)`` prints; ``callback_for(name)`` is the per-iteration callback of the
    hypothesis ``name``. Returns an ``ObjectFit``.
    """
    from ..optimize import compare_hypotheses

    report("  point: one source first")
    single = _fit_point(problem, method, maxiter, callback_for("point"))
    report(f"  point: {single[0]!r}, cost {single[1].cost:.6g}")
    fits = {"point": single}
    wanted = AUTO_HYPOTHESES if kind == "auto" else (kind,)
    for name in wanted:
        if name == "point":
            continue
        if name == "resolved" and "jitter" in problem.settings["fit"]:
            continue
        report(f"  {name}: fitting")
        if name == "binary":
            fits[name] = _fit_binary(problem, single, method, maxiter, callback_for(name))
        elif name == "resolved":
            fits[name] = _fit_resolved(problem, single, method, maxiter, callback_for(name))
        else:
            fits[name] = _fit_extended(problem, single, lbfgs_maxiter, callback_for(name))
        report(f"  {name}: {fits[name][0]!r}, cost {fits[name][1].cost:.6g}")
    if kind != "auto":
        model, found = fits[kind]
        scene = np.asarray(model.unpack(found.x)["object"]) if kind == "extended" else None
        return ObjectFit(model, found, describe(model, found.x, kind, scene_file), scene)

    # The fits are done; compare_hypotheses scores each at its optimum.
    comparison = compare_hypotheses(
        {name: (model, found.x) for name, (model, found) in fits.items()},
        method={name: (lambda _model, _x0, found=found: found)
                for name, (_, found) in fits.items()})
    model, found = fits[comparison.chosen]
    extended_model, extended_fit = fits["extended"]
    scene = np.asarray(extended_model.unpack(extended_fit.x)["object"])
    description = describe(model, found.x, comparison.chosen,
                           scene_file if comparison.chosen == "extended" else None)
    return ObjectFit(model, found, description, scene, comparison)
