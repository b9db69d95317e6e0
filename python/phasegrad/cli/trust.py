"""What ``retrieve`` says about its answer: refusals before the fit, the report's JSON fields,
its warnings on stderr and the exit code (``pg.optimize.assess``, docs/trust.md).

Exit codes: 2 when a check refuses the problem as posed (one line, before any fit: the data
sampled at another pad, more modes than the pupil can carry); 3 when the fit did not
converge or its residual is far above the noise (one line saying which); 0 otherwise. Each
warning is one stderr line ``phasegrad retrieve: warning: ...``.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["NOISE_CHOICES", "NOT_TRUSTED", "assess_noise", "emit_warnings", "noise_spec",
           "refusal", "trust_fields", "verdict", "warnings"]

#: What ``--noise`` takes (``noise_spec``).
NOISE_CHOICES = "spectrum | gaussian:SIGMA | poisson | poisson:READ_NOISE"

#: The exit code of a fit that did not converge or lies far above the noise.
NOT_TRUSTED = 3
# Findings the exit line states (and ``converged``/``reduced_chi2`` carry): not warnings too.
_VERDICT_KINDS = ("not-converged", "residual")


def warnings(report):
    """The report's warnings but those the exit line states."""
    return [f.message for f in report.findings if f.kind not in _VERDICT_KINDS]


def noise_spec(text):
    """``--noise``'s value as ``(kind, sigma)``: ``spectrum`` (measured in the images'
    spectrum beyond the optics' cut-off), ``gaussian:SIGMA`` (every pixel's noise standard
    deviation, SIGMA > 0, in the data's units), ``poisson`` or ``poisson:READ_NOISE`` (the
    data are photon counts, variance = counts + READ_NOISE^2, READ_NOISE >= 0 in counts);
    an ``argparse.ArgumentTypeError`` otherwise."""
    import argparse

    kind, colon, value = str(text).strip().partition(":")
    kind = kind.strip().lower()
    if kind == "spectrum" and not colon:
        return ("spectrum", None)
    if kind == "poisson" and not colon:
        return ("poisson", None)
    if kind in ("gaussian", "poisson") and colon:
        try:
            sigma = float(value)
        except ValueError:
            sigma = float("nan")
        if np.isfinite(sigma) and (sigma > 0 or (kind == "poisson" and sigma == 0)):
            return (kind, sigma)
        bound = "> 0" if kind == "gaussian" else ">= 0"
        raise argparse.ArgumentTypeError(f"{kind}:{value}: the noise level must be a finite "
                                         f"number {bound}")
    raise argparse.ArgumentTypeError(f"{text!r}: expected {NOISE_CHOICES}")


def assess_noise(spec, model, flux_scale=1.0):
    """``pg.optimize.assess``'s noise keywords for ``--noise``'s ``spec`` (``noise_spec``'s
    pair, or None: the default) on a model whose data were divided by ``flux_scale``.

    A ``metric="poisson"`` model's noise is its likelihood's own (its read noise is
    ``--read-noise``). Otherwise the default is the noise measured in the images' spectrum;
    ``gaussian:SIGMA`` is SIGMA / flux_scale in the model's units; ``poisson[:R]`` has the
    variance ``M / flux_scale + (R / flux_scale)^2`` of counts divided by the flux scale (the
    model images M in the model's units: gain 1 / flux_scale)."""
    if getattr(model, "metric", "sse") == "poisson":
        return {"noise": "poisson"}
    kind, sigma = spec if spec is not None else ("spectrum", None)
    if kind == "spectrum":
        return {"noise": "spectrum"}
    if kind == "gaussian":
        return {"noise": "gaussian", "read_noise": sigma / flux_scale}
    return {"noise": "poisson", "read_noise": (sigma or 0.0) / flux_scale,
            "gain": 1.0 / flux_scale}


def refusal(model):
    """The first refusing finding's message about ``model``'s data and configuration, or
    None (``pg.optimize.quality.problem_findings``)."""
    from ..optimize.quality import problem_findings

    for finding in problem_findings(model):
        if finding.refuse:
            return finding.message
    return None


def _number(value):
    return None if value is None or not np.isfinite(value) else float(value)


def trust_fields(report, model):
    """The JSON fields of a ``FitReport``: converged, stop_reason, reduced_chi2, deviance,
    noise (model, threshold, agrees, dof), gradient_norm, uncertainty_waves (one per
    coefficient; null where the data do not determine it), warnings (``warnings``)."""
    wave = next(p for p in model.parameters if p.name == "wavefront")
    sigma = report.uncertainties[wave.offset:wave.offset + wave.size]
    return {
        "converged": bool(report.converged), "stop_reason": report.stop_reason,
        "reduced_chi2": _number(report.reduced_chi2), "deviance": _number(report.deviance),
        "noise": {"model": report.noise, "threshold": _number(report.threshold),
                  "agrees": report.agrees, "dof": report.dof,
                  "uncertainties_from": report.uncertainty_source},
        "gradient_norm": _number(report.gradient_norm),
        "uncertainty_waves": [_number(s) for s in sigma],
        "warnings": warnings(report)}


def emit_warnings(report, command="retrieve", stream=None):
    """One stderr line per warning: ``phasegrad retrieve: warning: ...``."""
    stream = sys.stderr if stream is None else stream
    for message in warnings(report):
        print(f"phasegrad {command}: warning: {message}", file=stream)


def verdict(report):
    """``(exit code, line or None)``: NOT_TRUSTED with the reason when the fit did not
    converge or the residual is far above the noise, else 0."""
    if report.converged is False:
        return NOT_TRUSTED, f"the fit did not converge (it stopped: {report.stop_reason})"
    if report.agrees is False:
        name = "deviance per degree of freedom" if report.deviance is not None else \
            "reduced chi-square"
        return NOT_TRUSTED, (f"the residual is far above the noise ({name} "
                             f"{report.reduced_chi2:.4g} > {report.threshold:.4g})")
    return 0, None
