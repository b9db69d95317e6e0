"""``phasegrad retrieve``: phase retrieval from measured through-focus PSFs.

The model is the demo's: a circular (optionally obscured) pupil of ``n`` pixels, or the
user's own (``--pupil FILE``: grey values kept as amplitudes, the modes on its support, see
``cli.pupil``), ``modes`` Zernike modes from Noll index 2 (unit RMS, waves), one image per
plane at a known defocus given as the coefficient of the unit-RMS Noll-4 defocus mode in
waves, zero-padded ``pad`` times (so images are ``pad * n`` pixels square; ``pad`` = lambda F# /
pixel pitch need not be an integer, docs/conventions.md). The data are divided by their total flux
relative to the unaberrated model, so the parameters are of order one whatever the camera's
units (the median pixel is taken as the background and left out of the flux); the quadratic
detector's (a, b, c), started at (0, 1, background), are reported in those normalised units.
The fit starts from a flat wavefront: aberrations much beyond ~0.1 wave RMS can stop in a
local minimum, which shows as a final cost far above the noise.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..arguments.options import float_at_least, float_list, int_at_least
from ..pupils import noll_to_nm
from .io import DataError
from .options import add_output_options, add_quiet_option
from .solvers import METHODS, add_method_options, iteration_budget

OUTPUTS = ("coefficients.json", "coefficients.csv", "retrieve.png")


def register(commands):
    """Add ``retrieve`` to the sub-command parsers."""
    retrieve = commands.add_parser(
        "retrieve", help="recover Zernike coefficients from your through-focus PSFs",
        description="Read a stack of PSFs (one .npy (P, M, M), one .npz with 'psfs' and "
                    "optionally 'defocus', a multi-page TIFF, or one PNG/TIFF per plane), "
                    "model a circular pupil of M/pad pixels with a Zernike basis, and recover "
                    "the coefficients (waves, Noll 2..) and the detector with Levenberg-Marquardt "
                    "on the exact Jacobian (or L-BFGS-B: --method lbfgs). Writes "
                    "coefficients.json, coefficients.csv and retrieve.png.",
        epilog="example: phasegrad retrieve psfs.npy --defocus -0.5,0,0.5 --modes 14")
    retrieve.add_argument("psfs", nargs="+", type=Path, metavar="FILE",
                          help="the PSFs: .npy, .npz, multi-page .tif, or several .png/.tif")
    retrieve.add_argument("--defocus", type=float_list, metavar="D,D,...",
                          help="defocus of each plane: waves RMS of the Noll-4 mode (unit-RMS "
                               "Zernike defocus); default: 'defocus' in the .npz, or 0 for "
                               "one plane")
    retrieve.add_argument("--pupil-size", type=int_at_least(4), metavar="N",
                          help="pupil diameter in pixels (default M / pad, or the --pupil "
                               "file's size)")
    retrieve.add_argument("--pad", type=float_at_least(1.0), default=2.0, metavar="Q",
                          help="image size / pupil size, lambda F# / pixel pitch: the "
                               "sampling, 2 = Nyquist; need not be an integer (2.56), but "
                               "pupil size x Q must be (default 2)")
    shape = retrieve.add_mutually_exclusive_group()
    shape.add_argument("--pupil", type=Path, metavar="FILE",
                       help="your own pupil amplitude: a square .npy, an .npz ('pupil'), or "
                            "a PNG/TIFF; grey values are kept as amplitudes; the Zernike "
                            "modes cover its support (default: a computed circle)")
    shape.add_argument("--obscuration", type=float_at_least(0.0), default=0.0,
                       help="central obscuration of the computed circle, a fraction of the "
                            "diameter (default 0)")
    retrieve.add_argument("--modes", type=int_at_least(1), default=14,
                          help="Zernike modes from Noll index 2 (default 14)")
    retrieve.add_argument("--detector", choices=("quadratic", "linear"), default="quadratic",
                          help="detector model (default quadratic: gain, background and "
                               "non-linearity estimated)")
    add_method_options(retrieve)
    add_output_options(retrieve, "retrieve")
    add_quiet_option(retrieve, default=argparse.SUPPRESS)
    retrieve.set_defaults(run=run)


def run(args):
    """The command: the outputs are checked first, then the data are read and checked, then
    the fit runs; the output folder is made when there is something to write."""
    from ..arguments.outputs import OutputSet, check_outputs, make_output_folder
    from .io import read_pupil, read_stack, write_json
    from .plots import phase_retrieval_figure
    from .progress import Progress

    paths = check_outputs(args.out, OUTPUTS, args.force)
    stack, stored_defocus = read_stack(args.psfs)
    pupil = read_pupil(args.pupil) if args.pupil is not None else None
    defocus = args.defocus if args.defocus is not None else stored_defocus
    problem = build_model(stack, defocus, pupil_size=args.pupil_size, pad=args.pad,
                          obscuration=args.obscuration, modes=args.modes,
                          detector=args.detector, pupil=pupil)
    maxiter = iteration_budget(args.method, args.maxiter)
    with Progress(maxiter, METHODS[args.method][0], quiet=args.quiet) as progress:
        result = solve(problem, maxiter=maxiter, method=args.method, report=progress.line,
                       progress=progress)
    make_output_folder(args.out)
    summary = {
        "command": "retrieve", "inputs": [str(p) for p in args.psfs],
        "model": result.description,
        "options": {"defocus": defocus, "pupil_size": problem.pupil.shape[0],
                    "pad": args.pad, "pupil": None if args.pupil is None else str(args.pupil),
                    "obscuration": args.obscuration, "modes": args.modes,
                    "detector": args.detector, "method": args.method, "maxiter": maxiter},
        "noll": result.noll, "coefficients_waves": result.coefficients,
        "detector": result.detector, "flux_scale": result.flux_scale,
        "rms_wavefront_waves": result.rms_wavefront, "cost": result.cost,
        "initial_cost": result.initial_cost, "method": result.method,
        "converged": result.converged,
        "stop_reason": result.stop_reason, "iterations": result.iterations,
        "evaluations": result.evaluations, "seconds": result.seconds,
        "cost_history": result.cost_history}
    with OutputSet(paths) as outputs:
        with outputs.writing("coefficients.json") as target:
            write_json(target, summary)
        with outputs.writing("coefficients.csv") as target:
            target.write_text(coefficients_csv(result))
        with outputs.writing("retrieve.png") as target:
            phase_retrieval_figure(target, result.pupil, result.wavefront, result.data,
                                   result.model_images, result.cost_history,
                                   title=f"phasegrad retrieve: {result.description}",
                                   defocus=problem.defocus)
    progress.line(f"  done in {result.seconds:.2f} s: {result.iterations} iterations, cost "
                  f"{result.initial_cost:.3e} -> {result.cost:.3e}; wavefront "
                  f"{result.rms_wavefront:.4e} waves RMS")
    verdict = "converged" if result.converged else "did NOT converge"
    print(f"phasegrad retrieve: {result.method} {verdict} ({result.stop_reason})")
    print(f"phasegrad retrieve: wrote {paths['coefficients.json']}, "
          f"{paths['coefficients.csv']}, {paths['retrieve.png']}")
    return 0


@dataclass
class RetrievalResult:
    """Outcome of ``solve``."""

    coefficients: np.ndarray     # waves, Noll 2..modes+1
    noll: list
    detector: np.ndarray | None  # (a, b, c) in flux-normalised units, or None (linear)
    flux_scale: float            # the data were divided by this
    rms_wavefront: float         # waves, piston removed
    cost: float
    initial_cost: float
    method: str                  # "Levenberg-Marquardt" or "L-BFGS-B"
    converged: bool              # the solver's own verdict (a tolerance met, not the cap)
    stop_reason: str             # why it stopped, in the solver's words
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

    model: object  # a pg.PhaseRetrieval
    pupil: np.ndarray = field(repr=False)
    flux_scale: float
    x0: np.ndarray
    defocus: np.ndarray  # waves of the Noll-4 mode, one per plane


def build_model(stack, defocus, pupil_size=None, pad=2, obscuration=0.0, modes=14,
                detector="quadratic", pupil=None):
    """A ``RetrievalProblem`` for a (P, M, M) float64 stack; DataError when the data and the
    description disagree. ``pupil``: the user's (n, n) amplitude (``io.read_pupil``), or None
    for a computed circle of ``pupil_size`` pixels with ``obscuration``; ``pad`` may be any
    number >= 1 with ``pad * n`` = M."""
    from ..models import PhaseRetrieval
    from ..pupils import circular_pupil, zernike_basis
    from .pupil import zernike_on_support

    planes, size = stack.shape[0], stack.shape[1]
    if defocus is None:
        if planes > 1:
            raise DataError(f"the data have {planes} planes: give their defocus with "
                            "--defocus (waves of the Noll-4 mode, one value per plane)")
        defocus = np.zeros(1)
    defocus = np.asarray(defocus, dtype=np.float64)
    if defocus.shape != (planes,):
        raise DataError(f"{defocus.size} defocus value(s) for {planes} plane(s) of data")
    if pupil is not None:
        if pupil_size is not None and pupil_size != pupil.shape[0]:
            raise DataError(f"--pupil-size {pupil_size} but the --pupil file is "
                            f"{pupil.shape[0]}x{pupil.shape[1]} pixels")
        pupil_size = pupil.shape[0]
    if pupil_size is None:
        pupil_size = round(size / pad)
        if abs(pupil_size * pad - size) > 1e-9 * size:
            raise DataError(f"the images are {size} pixels wide, not a whole multiple of --pad "
                            f"{pad:g} ({size} / {pad:g} = {size / pad:.6g}); give --pupil-size "
                            "N with N x pad equal to the image size")
    if abs(pupil_size * pad - size) > 1e-9 * size:
        what = "the --pupil file's size" if pupil is not None else f"--pupil-size {pupil_size}"
        raise DataError(f"the images are {size}x{size} pixels but {what} x --pad {pad:g} = "
                        f"{pupil_size * pad:g}")
    if not np.any(stack):
        raise DataError("the PSFs are all zero")
    if pupil is not None:
        basis = zernike_on_support(pupil, modes, first=2)
        defocus_mode = zernike_on_support(pupil, 1, first=4)[0]
    else:
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


def solve(problem, maxiter=None, method="lm", report=print, progress=None):
    """Fit a ``RetrievalProblem`` from ``problem.x0`` with ``method`` ("lm" or "lbfgs", see
    ``cli.solvers``; ``maxiter`` None: the method's default budget); a ``RetrievalResult``."""
    from .solvers import fit

    model, pupil, flux_scale, x0 = problem.model, problem.pupil, problem.flux_scale, problem.x0
    modes = model.coefficient_shape[0]
    quadratic = model.detector == "quadratic"
    report(f"phasegrad retrieve: {model!r}; {METHODS[method][0]}")

    def callback(iteration, x, cost):
        report(f"  iter {iteration:4d}  cost {cost:12.5e}")
        if progress is not None:
            progress.update(cost=f"{cost:.3e}")

    found = fit(model, x0, method, iteration_budget(method, maxiter), callback)
    seconds = found.seconds
    parts = model.unpack(found.x)
    coefficients = np.array(parts[0], dtype=np.float64)
    wavefront = model.wavefront(coefficients)
    inside = wavefront[pupil > 0]
    rms = float(np.sqrt(np.mean((inside - inside.mean()) ** 2)))
    return RetrievalResult(
        coefficients=coefficients, noll=list(range(2, modes + 2)),
        detector=np.array(parts[1], dtype=np.float64) if quadratic else None,
        flux_scale=flux_scale, rms_wavefront=rms, cost=found.cost,
        initial_cost=float(found.history[0]), method=found.method, converged=found.converged,
        stop_reason=found.stop_reason, iterations=found.iterations,
        evaluations=found.evaluations,
        seconds=seconds, description=repr(model), cost_history=found.history, pupil=pupil,
        wavefront=wavefront, data=model.data.astype(np.float64),
        model_images=model.simulate(*parts).reshape(model.data.shape).astype(np.float64))


def coefficients_csv(result):
    """The CSV text: one row per mode (Noll index, radial order n, azimuthal m, waves)."""
    lines = ["noll,n,m,coefficient_waves"]
    for j, value in zip(result.noll, result.coefficients, strict=True):
        n, m = noll_to_nm(j)
        lines.append(f"{j},{n},{m},{value:.10e}")
    return "\n".join(lines) + "\n"
