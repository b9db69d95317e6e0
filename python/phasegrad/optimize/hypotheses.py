"""Model comparison: fit competing hypotheses to the same data and choose by an information
criterion ("one star, two stars or an extended object?", Jurling & Fienup 2014, Section 1).

``compare_hypotheses`` fits each model from its start, takes ``model.information_criteria(x)``
at the optimum (the minimised negative log-likelihood, the number of free parameters, AIC and
BIC) and returns them as a table with the hypothesis the criterion prefers. ``pair_starts``
places a pair of sources around a single source's fit and ``fit_pair`` fits the pair from all
of them: close pairs have local minima at wrong position angles and flux ratios.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..arguments import validate as v

__all__ = ["CRITERIA", "HypothesisComparison", "compare_hypotheses", "fit_pair", "pair_starts"]

#: The criteria a comparison can choose by: Schwarz's BIC = k log n + 2 nll (consistent: it
#: picks the true model among the candidates as the data grow) and Akaike's AIC = 2k + 2 nll.
CRITERIA = ("bic", "aic")
_METHODS = ("lm", "lbfgs")


@dataclass
class HypothesisComparison:
    """What ``compare_hypotheses`` returns.

    Attributes
    ----------
    table : list of dict
        One row per hypothesis, in the order given: ``name``, ``nll`` (the minimised negative
        log-likelihood, ``model.negative_log_likelihood``), ``n_params``, ``n_data``, ``aic``,
        ``bic``, ``delta`` (the criterion minus its smallest value), ``weight`` (the
        criterion's weights exp(-delta/2), normalised to sum to 1: approximate posterior
        probabilities of the hypotheses for BIC), ``cost`` (the model's E at the optimum),
        ``converged``, ``iterations`` and ``seconds``.
    chosen : str
        The name of the hypothesis with the smallest criterion.
    criterion : str
        ``"bic"`` or ``"aic"``.
    fits : dict
        ``{name: the optimizer's result}`` (``x`` is the optimum, a flat vector of the model's
        parameters: ``model.unpack(fit.x)``).
    models : dict
        ``{name: model}``.
    """

    table: list
    chosen: str
    criterion: str
    fits: dict = field(repr=False)
    models: dict = field(repr=False)

    def row(self, name):
        """The table's row of hypothesis ``name``."""
        for row in self.table:
            if row["name"] == name:
                return row
        raise KeyError(name)

    def __str__(self):
        width = max(10, *(len(row["name"]) for row in self.table))
        lines = [f"{'hypothesis':<{width}} {'nll':>13} {'n_params':>8} {'aic':>13} "
                 f"{'bic':>13} {'delta_' + self.criterion:>10} {'weight':>7}"]
        for row in self.table:
            mark = "  <- chosen" if row["name"] == self.chosen else ""
            lines.append(f"{row['name']:<{width}} {row['nll']:13.6g} {row['n_params']:8d} "
                         f"{row['aic']:13.6g} {row['bic']:13.6g} {row['delta']:10.4g} "
                         f"{row['weight']:7.3f}{mark}")
        return "\n".join(lines)


def _hypotheses(hypotheses):
    """``[(name, model, x0)]`` from a mapping ``{name: (model, x0)}`` or a sequence of
    ``(name, model, x0)``."""
    if isinstance(hypotheses, dict):
        items = [(name, *entry) if isinstance(entry, tuple | list) else (name, entry)
                 for name, entry in hypotheses.items()]
    else:
        try:
            items = [tuple(entry) for entry in hypotheses]
        except TypeError:
            raise TypeError("hypotheses must be a mapping {name: (model, x0)} or a sequence of "
                            f"(name, model, x0); got {type(hypotheses).__name__}") from None
    if len(items) < 1:
        raise ValueError("hypotheses must hold at least one (name, model, x0)")
    out, names = [], set()
    for item in items:
        if len(item) != 3:
            raise ValueError("each hypothesis must be (name, model, x0); got "
                             f"{len(item)} item(s)")
        name, model, x0 = item
        if not isinstance(name, str) or not name:
            raise TypeError(f"a hypothesis's name must be a non-empty str; got {name!r}")
        if name in names:
            raise ValueError(f"two hypotheses are named {name!r}")
        names.add(name)
        if not callable(getattr(model, "information_criteria", None)):
            raise TypeError(f"hypothesis {name!r}: the model must have information_criteria(x) "
                            f"(a pg.PhaseRetrieval); got {type(model).__name__}")
        x0 = v.finite(np.array(x0, dtype=np.float64).reshape(-1), f"x0 of {name!r}")
        if x0.size != model.n_params:
            raise ValueError(f"hypothesis {name!r}: x0 has {x0.size} values but the model has "
                             f"{model.n_params} parameters")
        out.append((name, model, x0))
    return out


def _fit(model, x0, method, maxiter):
    from .gradient import lbfgs
    from .least_squares import levenberg_marquardt

    if callable(method):
        found = method(model, x0)
        if not hasattr(found, "x") or not hasattr(found, "fun"):
            raise TypeError("a fitting function must return a result with x and fun (an "
                            f"optimizer's result); got {type(found).__name__}")
    elif method == "lm":
        found = levenberg_marquardt(model, x0, maxiter=100 if maxiter is None else maxiter)
    else:
        found = lbfgs(model, x0, maxiter=500 if maxiter is None else maxiter, restarts=4)
    converged = getattr(found, "converged", getattr(found, "success", True))
    return found, bool(converged)


def compare_hypotheses(hypotheses, method="lm", maxiter=None, criterion="bic", report=None):
    """Fit each hypothesis to its data and compare them by an information criterion.

    Every model must describe the same data with the same likelihood (the same ``data``,
    ``weights``, ``metric`` and ``read_noise``; only the scene and the free parameters differ),
    so that their negative log-likelihoods are comparable: with ``metric="poisson"`` they are
    exact likelihoods of photon counts; with ``metric="sse"`` they assume the weights are the
    pixels' inverse variances (``PhaseRetrieval.negative_log_likelihood``).

    Parameters
    ----------
    hypotheses : mapping or sequence
        ``{name: (model, x0)}`` or ``[(name, model, x0), ...]``: a ``pg.PhaseRetrieval`` (or
        any model with ``information_criteria(x)``, ``n_params`` and the optimizer's needs)
        and the flat start vector (``model.pack(...)``).
    method : {"lm", "lbfgs"}, callable or mapping
        ``"lm"``: ``levenberg_marquardt`` (default; few parameters), ``"lbfgs"``: ``lbfgs``
        restarted (many parameters: a free object; it keeps within ``model.bounds``), or a
        function ``fit(model, x0)`` returning an optimizer's result (``x``, ``fun``, ``nit``;
        several starts, your own solver); a mapping ``{name: method}`` chooses per
        hypothesis (missing names: ``"lm"``).
    maxiter : int or None
        Iterations per fit of ``"lm"`` and ``"lbfgs"`` (default 100 and 500).
    criterion : {"bic", "aic"}
        What ``chosen`` minimises.
    report : callable or None
        ``report(name, row)`` after each hypothesis is fitted (its table row without
        ``delta`` and ``weight``), for progress lines.

    Returns
    -------
    HypothesisComparison
        The table (nll, n_params, aic, bic per hypothesis), the chosen name and the fits.

    Raises
    ------
    TypeError, ValueError
        For a malformed hypothesis, a start of the wrong size, an unknown method or criterion,
        or models that do not see the same number of data.

    Examples
    --------
    Is a star's image blurred (a small resolved object, or jitter)? Photon counts of a
    sharp one, fitted with and without a free Gaussian blur:

    >>> import numpy as np, phasegrad as pg
    >>> A, Z = pg.circular_pupil(16), pg.zernike_basis(3, 16, first=2)
    >>> truth = pg.PhaseRetrieval(amplitude=A / A.sum(), basis=Z, data=np.zeros((32, 32)))
    >>> D = np.random.default_rng(0).poisson(1e3 * truth.simulate(np.array([0.1, 0, 0])))
    >>> def model(**options):   # the model in counts: the amplitude scaled by sqrt(1e3)
    ...     return pg.PhaseRetrieval(amplitude=A / A.sum() * np.sqrt(1e3), basis=Z,
    ...                              data=D.astype(float), metric="poisson", read_noise=1.0,
    ...                              backend="reference", **options)
    >>> sharp, blurred = model(), model(fit=("jitter",))
    >>> result = pg.optimize.compare_hypotheses(
    ...     {"sharp": (sharp, np.zeros(3)), "blurred": (blurred, blurred.pack(np.zeros(3)))},
    ...     method="lbfgs")
    >>> result.chosen, result.row("blurred")["n_params"] - result.row("sharp")["n_params"]
    ('sharp', 1)
    >>> bool(blurred.unpack(result.fits["blurred"].x)["jitter"][0] < 0.01)  # no blur found
    True
    """
    items = _hypotheses(hypotheses)
    criterion = v.one_of(criterion, "criterion", CRITERIA)
    if isinstance(method, dict):
        unknown = set(method) - {name for name, _, _ in items}
        if unknown:
            raise ValueError(f"method names hypotheses that are not given: {sorted(unknown)}")
        methods = {name: method.get(name, "lm") for name, _, _ in items}
    else:
        methods = {name: method for name, _, _ in items}
    for name, chosen in methods.items():
        if not callable(chosen):
            v.one_of(chosen, f"method of {name!r}", _METHODS)
    if maxiter is not None:
        maxiter = v.positive_int(maxiter, "maxiter")

    n_data = None
    for name, model, x0 in items:  # before any fit
        seen = model.information_criteria(x0)["n_data"]
        if n_data is None:
            n_data = seen
        elif seen != n_data:
            raise ValueError(f"hypothesis {name!r} sees {seen} data but the first sees "
                             f"{n_data}: compare models of the same data")

    table, fits, models = [], {}, {}
    for name, model, x0 in items:
        start = time.perf_counter()
        found, converged = _fit(model, x0, methods[name], maxiter)
        seconds = time.perf_counter() - start
        scores = model.information_criteria(found.x)
        table.append({"name": name, "nll": float(scores["nll"]),
                      "n_params": int(scores["n_params"]), "n_data": int(scores["n_data"]),
                      "aic": float(scores["aic"]), "bic": float(scores["bic"]),
                      "cost": float(found.fun), "converged": converged,
                      "iterations": int(getattr(found, "nit", 0)), "seconds": seconds})
        fits[name], models[name] = found, model
        if report is not None:
            report(name, dict(table[-1]))
    best = min(row[criterion] for row in table)
    weights = [math.exp(-0.5 * (row[criterion] - best)) for row in table]
    for row, weight in zip(table, weights, strict=True):
        row["delta"] = row[criterion] - best
        row["weight"] = weight / sum(weights)
    chosen = min(table, key=lambda row: row[criterion])["name"]
    return HypothesisComparison(table=table, chosen=chosen, criterion=criterion, fits=fits,
                                models=models)


def pair_starts(model, single, separations=None, angles=24, ratio=0.5):
    """Starting points for a pair of point sources around one source's fit: one per position
    angle, cheapest first.

    At each of ``angles`` position angles (evenly over 360 degrees: the brighter source on
    either side) and each separation, the pair is placed so that its light's centroid is the
    single source's position, with fluxes ``F / (1 + ratio)`` and ``F ratio / (1 + ratio)`` (F
    the single source's flux) and the other blocks (wavefront, background, ...) of the single
    fit; the cost is evaluated at every placement and the cheapest separation of each angle is
    kept.

    Parameters
    ----------
    model : PhaseRetrieval
        The pair's model, ``object=pg.PointSources(2)``.
    single : dict
        ``unpack`` of a one-source fit of the same data (``object=pg.PointSources(1)``): its
        ``"wavefront"``, ``"positions"`` (1, 2), ``"fluxes"`` (1,) and nuisance blocks.
    separations : sequence of float or None
        Separations in unbinned pixels; default 0.5, 1, 1.5 and 2 lambda/D (``model.pad``
        pixels at the reference wavelength).
    angles : int
        Position angles.
    ratio : float
        The fainter source's flux over the brighter's, in (0, 1].

    Returns
    -------
    list of numpy.ndarray
        Flat parameter vectors of ``model`` (``model.pack``), at most one per angle, cheapest
        first; placements with a source off the field or an infinite cost are skipped.
    """
    if getattr(model, "n_sources", 0) != 2:
        raise ValueError("pair_starts needs a model of two point sources "
                         "(object=pg.PointSources(2))")
    angles = v.positive_int(angles, "angles")
    ratio = v.scalar(ratio, "ratio", allow_complex=False)
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1]; got {ratio!r}")
    separations = model.pad * np.array([0.5, 1.0, 1.5, 2.0]) if separations is None else \
        v.finite(np.asarray(separations, dtype=np.float64).reshape(-1), "separations")
    try:
        centre = np.asarray(single["positions"], dtype=np.float64).reshape(2)
        flux = float(np.asarray(single["fluxes"]).reshape(-1)[0])
    except (KeyError, ValueError):
        raise ValueError("single must be the blocks of a one-source fit (unpack of a model "
                         "with object=pg.PointSources(1))") from None
    fluxes = flux * np.array([1.0, ratio]) / (1.0 + ratio)
    others = {name: value for name, value in single.items()
              if name in model.free_blocks and name not in ("positions", "fluxes")}
    best = []
    for angle in np.arange(angles) * (2 * np.pi / angles):
        direction = np.array([np.sin(angle), np.cos(angle)])
        found = None
        for separation in separations:
            positions = np.stack([centre - separation * ratio / (1 + ratio) * direction,
                                  centre + separation / (1 + ratio) * direction])
            try:
                x = model.pack(positions=positions, fluxes=fluxes, **others)
            except ValueError:  # a source off the field
                continue
            with np.errstate(all="ignore"):
                cost = model.fun_and_jac(x)[0]
            if np.isfinite(cost) and (found is None or cost < found[0]):
                found = (cost, x)
        if found is not None:
            best.append((found[0], len(best), found[1]))
    best.sort(key=lambda item: item[:2])
    return [x for _, _, x in best]


def fit_pair(model, single, maxiter=100, brief=8, keep=3, **starts):
    """Fit a pair of point sources from many starts: a few Levenberg-Marquardt iterations
    from each of ``pair_starts(model, single, **starts)``, then to convergence from the
    ``keep`` best; the result (``LevenbergMarquardtResult``) with the lowest cost.

    Close pairs have local minima at wrong position angles and flux ratios: on a 12-pixel
    pupil with two defocused images, the three cheapest starts all converged to one (a cost
    ten times the right one), while ``brief`` = 8 iterations from every angle's start found
    the right minimum among the cheapest two, over four noise draws.

    Parameters
    ----------
    model, single
        As for ``pair_starts``.
    maxiter : int
        Iterations of each final fit.
    brief : int
        Iterations from each start.
    keep : int
        Fits continued to convergence.
    **starts
        ``separations``, ``angles``, ``ratio`` for ``pair_starts``.
    """
    from .least_squares import levenberg_marquardt

    brief, keep = v.positive_int(brief, "brief"), v.positive_int(keep, "keep")
    maxiter = v.positive_int(maxiter, "maxiter")
    candidates = pair_starts(model, single, **starts)
    if not candidates:
        raise ValueError("no start of the pair has a finite cost inside the field")
    short = [levenberg_marquardt(model, x0, maxiter=brief) for x0 in candidates]
    short.sort(key=lambda fit: fit.fun)
    finals = [levenberg_marquardt(model, fit.x, maxiter=maxiter) for fit in short[:keep]]
    return min(finals, key=lambda fit: fit.fun)
