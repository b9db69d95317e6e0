"""Model comparison: fit competing hypotheses to the same data and choose by an information
criterion ("one star, two stars or an extended object?", Jurling & Fienup 2014, Section 1).

``compare_hypotheses`` fits each model from its start, takes ``model.information_criteria(x)``
at the optimum (the minimised negative log-likelihood, the number of free parameters, AIC and
BIC) and returns them as a table with the hypothesis the criterion prefers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..arguments import validate as v

__all__ = ["CRITERIA", "HypothesisComparison", "compare_hypotheses"]

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
