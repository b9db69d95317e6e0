"""Phase retrieval from measured through-focus PSFs: what ``phasegrad retrieve`` runs.

The model is the demo's: a circular (optionally obscured) pupil of ``n`` pixels, ``modes``
Zernike modes from Noll index 2 (unit RMS, waves), one image per plane at a known defocus
given as the coefficient of the unit-RMS Noll-4 defocus mode in waves, zero-padded ``pad``
times (so images are ``pad * n`` pixels square). The data are divided by their total flux
relative to the unaberrated model, so the parameters are of order one whatever the camera's
units (the median pixel is taken as the background and left out of the flux); the quadratic
detector's (a, b, c), started at (0, 1, background), are reported in those normalised units.
The fit starts from a flat wavefront: aberrations much beyond ~0.1 wave RMS can stop in a
local minimum, which shows as a final cost far above the noise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..models import PhaseRetrieval
from ..optimize import lbfgs
from ..pupils import circular_pupil, noll_to_nm, zernike_basis
from .io import DataError


@dataclass
class RetrievalResult:
    """Outcome of ``retrieve``."""

    coefficients: np.ndarray     # waves, Noll 2..modes+1
    noll: list
    detector: np.ndarray | None  # (a, b, c) in flux-normalised units, or None (linear)
    flux_scale: float            # the data were divided by this
    rms_wavefront: float         # waves, piston removed
    cost: float
    initial_cost: float
    iterations: int
    evaluations: int
    seconds: float
    description: str
    cost_history: np.ndarray = field(repr=False)
    pupil: np.ndarray = field(repr=False)
    wavefront: np.ndarray = field(repr=False)
    data: np.ndarray = field(repr=False)
    model_images: np.ndarray = field(repr=False)


@dataclass
class RetrievalProblem:
    """What ``build_model`` makes of the data: the model, its pupil, the flux scale the data
    were divided by, and the parameter vector the fit starts from (a flat wavefront, and for
    the quadratic detector (a, b, c) = (0, 1, the background))."""

    model: PhaseRetrieval
    pupil: np.ndarray = field(repr=False)
    flux_scale: float
    x0: np.ndarray
    defocus: np.ndarray  # waves of the Noll-4 mode, one per plane


def build_model(stack, defocus, pupil_size=None, pad=2, obscuration=0.0, modes=14,
                detector="quadratic"):
    """A ``RetrievalProblem`` for a (P, M, M) float64 stack; DataError when the data and the
    description disagree."""
    planes, size = stack.shape[0], stack.shape[1]
    if defocus is None:
        if planes > 1:
            raise DataError(f"the data have {planes} planes: give their defocus with "
                            "--defocus (waves of the Noll-4 mode, one value per plane)")
        defocus = np.zeros(1)
    defocus = np.asarray(defocus, dtype=np.float64)
    if defocus.shape != (planes,):
        raise DataError(f"{defocus.size} defocus value(s) for {planes} plane(s) of data")
    if pupil_size is None:
        if size % pad:
            raise DataError(f"the images are {size} pixels wide, not a multiple of --pad "
                            f"{pad}; give --pupil-size")
        pupil_size = size // pad
    if pupil_size * pad != size:
        raise DataError(f"the images are {size}x{size} pixels but --pupil-size {pupil_size} "
                        f"x --pad {pad} = {pupil_size * pad}")
    if not np.any(stack):
        raise DataError("the PSFs are all zero")
    try:
        pupil = circular_pupil(pupil_size, obscuration=obscuration)
        basis = zernike_basis(modes, pupil_size, obscuration=obscuration, first=2)
        defocus_mode = zernike_basis(1, pupil_size, obscuration=obscuration, first=4)[0]
    except ValueError as error:
        raise DataError(str(error)) from None
    amplitude = pupil / pupil.sum()
    diversity = defocus[:, None, None] * defocus_mode
    unaberrated = PhaseRetrieval(amplitude=amplitude, basis=basis, data=stack, pad=pad,
                                 diversity=diversity).simulate(np.zeros(modes))
    # Most pixels of a PSF are dark: their median is the background, which must not count as
    # flux (on a 128x128 frame a background of 0.1% of the peak outweighs the PSF itself).
    # Only the quadratic detector has an offset c to model it; the linear one keeps all flux.
    background = float(np.median(stack)) if detector == "quadratic" else 0.0
    flux_scale = float((stack - background).sum() / unaberrated.sum())
    if not np.isfinite(flux_scale) or flux_scale <= 0:
        raise DataError("the PSFs must have a positive total flux above their background")
    model = PhaseRetrieval(amplitude=amplitude, basis=basis, data=stack / flux_scale, pad=pad,
                           diversity=diversity, detector=detector)
    start_p = (0.0, 1.0, background / flux_scale) if detector == "quadratic" else None
    return RetrievalProblem(model, pupil, flux_scale, model.pack(np.zeros(modes), start_p),
                            defocus)


def retrieve(stack, defocus, pupil_size=None, pad=2, obscuration=0.0, modes=14,
             detector="quadratic", maxiter=500, report=print, progress=None):
    """Recover the Zernike coefficients (and the detector) from ``stack``; see the module."""
    problem = build_model(stack, defocus, pupil_size, pad, obscuration, modes, detector)
    return solve(problem, maxiter=maxiter, report=report, progress=progress)


def solve(problem, maxiter=500, report=print, progress=None):
    """Run L-BFGS-B (restarted) on a ``RetrievalProblem`` from ``problem.x0``; a
    ``RetrievalResult``."""
    model, pupil, flux_scale, x0 = problem.model, problem.pupil, problem.flux_scale, problem.x0
    modes = model.coefficient_shape[0]
    quadratic = model.detector == "quadratic"
    report(f"phasegrad retrieve: {model!r}")

    def callback(iteration, x, cost):
        report(f"  iter {iteration:4d}  cost {cost:12.5e}")
        if progress is not None:
            progress.update(cost=f"{cost:.3e}")

    start = time.perf_counter()
    found = lbfgs(model, x0, maxiter=maxiter, callback=callback, restarts=4)
    x, cost, iterations, evaluations = found.x, found.fun, found.nit, found.nfev
    history = found.history
    seconds = time.perf_counter() - start
    parts = model.unpack(x)
    coefficients = np.array(parts[0], dtype=np.float64)
    wavefront = model.wavefront(coefficients)
    inside = wavefront[pupil > 0]
    rms = float(np.sqrt(np.mean((inside - inside.mean()) ** 2)))
    return RetrievalResult(
        coefficients, list(range(2, modes + 2)),
        np.array(parts[1], dtype=np.float64) if quadratic else None, flux_scale, rms, cost,
        float(history[0]), iterations, evaluations, seconds, repr(model), history, pupil,
        wavefront, model.data.astype(np.float64),
        model.simulate(*parts).reshape(model.data.shape).astype(np.float64))


def coefficients_csv(result):
    """The CSV text: one row per mode (Noll index, radial order n, azimuthal m, waves)."""
    lines = ["noll,n,m,coefficient_waves"]
    for j, value in zip(result.noll, result.coefficients, strict=True):
        n, m = noll_to_nm(j)
        lines.append(f"{j},{n},{m},{value:.10e}")
    return "\n".join(lines) + "\n"
