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
A point source is fitted by ``pg.optimize.retrieve`` (its start from the data, the direct
and the coarse-to-fine fits) and judged by ``pg.optimize.assess``: refusals before the fit
(exit 2), warnings on stderr, exit 3 when the fit did not converge or its residual is far
above the noise (``cli.trust``, docs/trust.md).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..arguments.options import (
    choice_list,
    float_at_least,
    float_list,
    int_at_least,
    positive_float,
)
from ..pupils import noll_to_nm
from .io import DataError
from .options import UsageError, add_output_options, add_quiet_option
from .solvers import METHODS, add_method_options, iteration_budget
from .trust import NOISE_CHOICES, noise_spec

OUTPUTS = ("coefficients.json", "coefficients.csv", "retrieve.png")
SCENE_OUTPUT = "object.npy"  # --object extended, eliminated and auto
DEFAULT_SPREAD = 0.1  # --spread: waves RMS of the other starts' perturbation
OBJECTS = ("point", "binary", "extended", "eliminated", "auto")
FIT_BLOCKS = ("flux", "background", "shift", "jitter", "amplitude")
_SCENE_KINDS = {"binary": "points", "auto": "points", "extended": "free"}


def register(commands):
    """Add ``retrieve`` to the sub-command parsers."""
    retrieve = commands.add_parser(
        "retrieve", help="recover Zernike coefficients from your through-focus PSFs",
        description="Read a stack of PSFs (one .npy (P, M, M), one .npz with 'psfs' and "
                    "optionally 'defocus', a multi-page TIFF, or one PNG/TIFF per plane), "
                    "model a circular pupil of M/pad pixels (or your own: --pupil) with a "
                    "Zernike basis, and recover the coefficients (waves, Noll 2..) and the "
                    "detector with Levenberg-Marquardt on the exact Jacobian (or L-BFGS-B: "
                    "--method lbfgs). --object fits a pair of stars, an extended scene, or "
                    "chooses among them by BIC. Writes coefficients.json, coefficients.csv "
                    "and retrieve.png (and object.npy for a scene).",
        epilog="example: phasegrad retrieve psfs.npy --defocus -0.5,0,0.5 --modes 14")
    retrieve.add_argument("psfs", nargs="+", type=Path, metavar="FILE",
                          help="the PSFs: .npy, .npz, multi-page .tif, or several .png/.tif")
    retrieve.add_argument("--defocus", type=float_list, metavar="D,D,...",
                          help="defocus of each plane: waves RMS of the Noll-4 mode (unit-RMS "
                               "Zernike defocus); default: 'defocus' in the .npz, or 0 for "
                               "one plane")
    retrieve.add_argument("--pupil-size", type=int_at_least(4), metavar="N",
                          help="pupil diameter in pixels (default M x bin / pad, or the "
                               "--pupil file's size)")
    retrieve.add_argument("--pad", type=float_at_least(1.0), default=2.0, metavar="Q",
                          help="model grid / pupil size, bin x lambda F# / pixel pitch: the "
                               "sampling, 2 = Nyquist; need not be an integer (2.56), but "
                               "pupil size x Q must be (default 2)")
    retrieve.add_argument("--bin", type=int_at_least(1), default=1, metavar="B",
                          help="one detector pixel is B x B model pixels: undersampled data "
                               "(B = 2 with --pad 2: pixels twice too coarse for Nyquist; "
                               "default 1)")
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
    retrieve.add_argument("--detector", choices=("quadratic", "linear"), default=None,
                          help="detector model: quadratic (gain, background and "
                               "non-linearity estimated; the default with --object point) or "
                               "linear (the default for the other objects)")
    retrieve.add_argument("--object", choices=OBJECTS, default="point",
                          help="the scene: point (default), binary (two sources, positions "
                               "and fluxes free), extended (an unknown non-negative scene), "
                               "eliminated (phase diversity with the scene eliminated), auto "
                               "(point, binary, resolved and extended fitted, chosen by BIC)")
    retrieve.add_argument("--metric", choices=("sse", "poisson"), default="sse",
                          help="sse: sum of squared errors (default); poisson: the Poisson "
                               "likelihood of photon counts (the data must be counts)")
    retrieve.add_argument("--read-noise", type=float_at_least(0.0), default=0.0,
                          metavar="SIGMA",
                          help="Gaussian read noise in the data's units (--metric poisson "
                               "only; default 0)")
    retrieve.add_argument("--noise", type=noise_spec, default=None, metavar="MODEL",
                          help="the noise the fit is judged against (its reduced chi-square, "
                               f"exit code 3): {NOISE_CHOICES}. spectrum (the default): "
                               "measured in the images' spectrum beyond the optics' cut-off; "
                               "gaussian:SIGMA: each pixel's noise, in the data's units; "
                               "poisson[:READ_NOISE]: the data are photon counts. With "
                               "--metric poisson only poisson (its read noise is "
                               "--read-noise)")
    retrieve.add_argument("--starts", type=int_at_least(1), default=1, metavar="K",
                          help="--object point or eliminated: fit from K starts, the first "
                               "from the data, the others with the wavefront perturbed by "
                               "--spread waves RMS (a fixed seed: the same runs every time), "
                               "and keep the lowest cost (default 1)")
    retrieve.add_argument("--spread", type=float_at_least(0.0), default=None, metavar="W",
                          help="with --starts K > 1: the perturbation of the other starts, "
                               "waves RMS over the coefficients (default 0.1)")
    retrieve.add_argument("--fit", type=choice_list(FIT_BLOCKS), default=[],
                          metavar="BLOCK,...",
                          help="nuisance parameters fitted too: flux and background (per "
                               "plane), shift (per plane, registration), jitter (a Gaussian "
                               "blur), amplitude (the pupil's transmission, pixel by pixel "
                               "on its support); default none")
    retrieve.add_argument("--regularization", type=positive_float, default=None, metavar="G",
                          help="--object eliminated: the Wiener regularisation relative to "
                               "the planes' total light squared (default 1e-6)")
    add_method_options(retrieve)
    add_output_options(retrieve, "retrieve")
    add_quiet_option(retrieve, default=argparse.SUPPRESS)
    retrieve.set_defaults(run=run)


def settle_options(args):
    """The detector (by the object when not given), after refusing options that do not go
    together (``UsageError``: one line, exit code 2), before anything is read."""
    from ..arguments.imaging import identifiable

    kind = args.object
    if args.read_noise > 0 and args.metric != "poisson":
        raise UsageError("--read-noise is used only with --metric poisson (the sse metric "
                         "has no noise model)")
    if args.regularization is not None and kind != "eliminated":
        raise UsageError("--regularization is used only with --object eliminated")
    if args.metric == "poisson" and args.noise not in (None, ("poisson", None),
                                                       ("poisson", args.read_noise)):
        raise UsageError("with --metric poisson the noise is the likelihood's own: --noise "
                         "poisson, or poisson:R with R the --read-noise")
    if args.starts > 1 and kind not in ("point", "eliminated"):
        raise UsageError(f"--starts is used only with --object point or eliminated (--object "
                         f"{kind} has its own search)")
    if args.spread is not None and args.starts == 1:
        raise UsageError("--spread is used only with --starts K > 1")
    if args.spread == 0:
        raise UsageError("--spread 0 makes every start the first: give --spread W > 0")
    if args.starts > 1 and kind == "eliminated" and args.modes <= 2:
        raise UsageError("--starts with --object eliminated perturbs the modes beyond tip and "
                         "tilt (which only move the scene): it needs --modes 3 or more")
    if kind == "eliminated":
        given = [name for name, value in (("--metric poisson", args.metric == "poisson"),
                                          ("--fit", bool(args.fit)),
                                          ("--detector quadratic",
                                           args.detector == "quadratic"),
                                          ("--bin", args.bin != 1)) if value]
        if given:
            raise UsageError(f"--object eliminated has its own metric (the scene eliminated, "
                             f"Nyquist-sampled images, linear detector): {', '.join(given)} "
                             "cannot be used with it")
        return "linear"
    if kind == "auto" and args.metric != "poisson":
        raise UsageError("--object auto compares likelihoods: it needs --metric poisson and "
                         "photon counts (the sse metric's likelihood would assume pixels of "
                         "unit variance)")
    detector = args.detector or ("quadratic" if kind == "point" else "linear")
    if detector == "quadratic" and kind != "point":
        raise UsageError(f"--object {kind} needs --detector linear: the quadratic detector's "
                         "gain b is the scale of the sources' fluxes (or of the scene)")
    kinds = [_SCENE_KINDS[kind]] if kind in _SCENE_KINDS else [None]
    if kind == "auto":
        kinds.append("free")
    try:
        for scene in kinds:
            identifiable(frozenset(args.fit), scene, detector)
    except ValueError as error:
        message = str(error).replace("fit=", "--fit ")
        raise UsageError(f"--object {kind}: {message}") from None
    return detector


def run(args):
    """The command: the options and outputs are checked first, then the data are read and
    checked, then the fit runs; the output folder is made when there is something to
    write."""
    from ..arguments.outputs import OutputSet, check_outputs, make_output_folder
    from .io import read_pupil, read_stack, write_json
    from .plots import phase_retrieval_figure
    from .progress import Progress
    from .trust import assess_noise, emit_warnings, refusal, verdict

    detector = settle_options(args)
    kind = args.object
    scene_written = kind in ("extended", "eliminated", "auto")
    paths = check_outputs(args.out, OUTPUTS + ((SCENE_OUTPUT,) if scene_written else ()),
                          args.force)
    stack, stored_defocus = read_stack(args.psfs)
    pupil = read_pupil(args.pupil) if args.pupil is not None else None
    defocus = args.defocus if args.defocus is not None else stored_defocus
    # the object-eliminated metric has no residuals: always L-BFGS-B
    maxiter = iteration_budget("lbfgs" if kind == "eliminated" else args.method, args.maxiter)
    spread = DEFAULT_SPREAD if args.spread is None else args.spread
    if kind == "eliminated":
        from .eliminated import solve_eliminated

        with Progress(maxiter, "L-BFGS-B", quiet=args.quiet) as progress:
            result = solve_eliminated(
                stack, defocus, pupil_size=args.pupil_size, pad=args.pad,
                obscuration=args.obscuration, modes=args.modes, pupil=pupil,
                regularization=args.regularization, maxiter=maxiter, report=progress.line,
                progress=progress, scene_file=SCENE_OUTPUT,
                noise=assess_noise(args.noise, None), starts=args.starts, spread=spread)
        problem_defocus = np.asarray(defocus if defocus is not None else [0.0])
    else:
        problem = build_model(stack, defocus, pupil_size=args.pupil_size, pad=args.pad,
                              obscuration=args.obscuration, modes=args.modes,
                              detector=detector, pupil=pupil, bin=args.bin,
                              metric=args.metric, read_noise=args.read_noise, fit=args.fit)
        problem_defocus = problem.defocus
        refused = refusal(problem.model) if kind == "point" else None
        if refused is not None:
            raise UsageError(refused)
        with Progress(maxiter, METHODS[args.method][0], quiet=args.quiet) as progress:
            if kind == "point":
                result = solve(problem, maxiter=maxiter, method=args.method,
                               report=progress.line, progress=progress, noise=args.noise,
                               starts=args.starts, spread=spread)
            else:
                result = solve_object(problem, kind, args.method, maxiter, args.maxiter,
                                      report=progress.line, progress=progress,
                                      scene_file=SCENE_OUTPUT, noise=args.noise)
    make_output_folder(args.out)
    summary = {
        "command": "retrieve", "inputs": [str(p) for p in args.psfs],
        "model": result.description,
        "options": {"defocus": defocus, "pupil_size": result.pupil.shape[0],
                    "pad": args.pad, "bin": args.bin,
                    "pupil": None if args.pupil is None else str(args.pupil),
                    "obscuration": args.obscuration, "modes": args.modes,
                    "detector": detector, "object": kind, "metric": args.metric,
                    "read_noise": args.read_noise, "noise": noise_text(args.noise),
                    "starts": args.starts, "spread": spread if args.starts > 1 else None,
                    "fit": list(args.fit),
                    "regularization": args.regularization,
                    "method": "lbfgs" if kind == "eliminated" else args.method,
                    "maxiter": maxiter},
        "noll": result.noll, "coefficients_waves": result.coefficients,
        "detector": result.detector, "flux_scale": result.flux_scale,
        "rms_wavefront_waves": result.rms_wavefront, "cost": result.cost,
        "initial_cost": result.initial_cost, "method": result.method,
        "converged": result.converged,
        "stop_reason": result.stop_reason, "iterations": result.iterations,
        "evaluations": result.evaluations,
        "object": result.object, "nuisance": nuisance(result.blocks),
        "cost_history": result.cost_history}
    # The report (docs/trust.md); no wall time in the files: the same command on the same
    # data writes the same bytes.
    summary.update(result.trust or {"reduced_chi2": None, "deviance": None,
                                    "uncertainty_waves": None, "warnings": []})
    if result.comparison is not None:
        summary["model_comparison"] = {
            "criterion": result.comparison.criterion, "chosen": result.comparison.chosen,
            "table": result.comparison.table}
    written = [paths["coefficients.json"], paths["coefficients.csv"], paths["retrieve.png"]]
    with OutputSet(paths) as outputs:
        with outputs.writing("coefficients.json") as target:
            write_json(target, summary)
        with outputs.writing("coefficients.csv") as target:
            target.write_text(coefficients_csv(result))
        with outputs.writing("retrieve.png") as target:
            phase_retrieval_figure(target, result.pupil, result.wavefront, result.data,
                                   result.model_images, result.cost_history,
                                   title=f"phasegrad retrieve: {result.description}",
                                   defocus=problem_defocus)
        if scene_written:
            with outputs.writing(SCENE_OUTPUT) as target, open(target, "wb") as handle:
                np.save(handle, result.scene)
            written.append(paths[SCENE_OUTPUT])
    progress.line(f"  done in {result.seconds:.2f} s: {result.iterations} iterations, cost "
                  f"{result.initial_cost:.3e} -> {result.cost:.3e}; wavefront "
                  f"{result.rms_wavefront:.4e} waves RMS")
    if result.comparison is not None:
        for line in str(result.comparison).splitlines():
            print(f"  {line}")
    if kind not in ("point", "eliminated"):
        print(f"phasegrad retrieve: object {object_line(result.object)}")
    print(f"phasegrad retrieve: wrote {', '.join(str(path) for path in written)}")
    state = "converged" if result.converged else "did NOT converge"
    quality = ""
    if result.report is not None:
        emit_warnings(result.report)
        if result.report.reduced_chi2 is not None:
            name = "deviance ratio" if result.report.deviance is not None else \
                "reduced chi-square"
            quality = (f"; {name} {result.report.reduced_chi2:.4g} (noise: at most "
                       f"{result.report.threshold:.3g})")
        sigma = [s for s in (result.trust or {}).get("uncertainty_waves") or [] if s]
        if sigma:
            quality += f"; uncertainty up to {max(sigma):.2e} waves"
    print(f"phasegrad retrieve: {result.method} {state} ({result.stop_reason}){quality}")
    if result.report is None:
        return 0
    code, line = verdict(result.report)
    if line is not None:
        print(f"phasegrad retrieve: {line}", file=sys.stderr)
    return code


def noise_text(spec):
    """``--noise``'s value as written in the JSON (None: the default)."""
    if spec is None:
        return None
    kind, sigma = spec
    return kind if sigma is None else f"{kind}:{sigma!r}"


def object_line(description):
    """One line about a fitted scene, for the terminal."""
    kind = description["kind"]
    if kind == "binary":
        return (f"binary: separation {description['separation']:.4g} model pixels "
                f"({description['separation_detector_pixels']:.4g} detector pixels), flux "
                f"ratio {description['flux_ratio']:.4g}")
    if kind == "point":
        y, x = description["positions"][0]
        return f"point source at ({y:.4g}, {x:.4g}) model pixels from the centre"
    if kind == "resolved":
        return f"resolved: a Gaussian of RMS width {description['width']:.4g} model pixels"
    return (f"{kind} scene of total flux {description['total_flux']:.4g}"
            + (f", written to {description['file']}" if description.get("file") else ""))


def nuisance(blocks):
    """The fitted nuisance blocks (flux, background, shift, jitter, and the pupil's amplitude
    map, rows of numbers) for the JSON."""
    return {name: np.asarray(blocks[name]).tolist()
            for name in ("flux", "background", "shift", "jitter", "amplitude") if name in blocks}


def solve_object(problem, kind, method, maxiter, requested_maxiter, report=print,
                 progress=None, scene_file=SCENE_OUTPUT, noise=None):
    """Fit the scene ``kind`` (``cli.scenes``); a ``RetrievalResult`` of the fitted (or, with
    ``auto``, the chosen) hypothesis, with its description and the comparison, judged
    against ``noise`` (``--noise``'s pair, ``cli.trust.assess_noise``)."""
    from .scenes import fit_object

    report(f"phasegrad retrieve: --object {kind}, {problem.model.metric} metric; "
           f"{METHODS[method][0]} (L-BFGS-B for an extended scene)")
    result = fit_object(
        problem, kind, method, maxiter, iteration_budget("lbfgs", requested_maxiter),
        report, lambda name: iteration_lines(report, progress, prefix=f"{name}: "),
        scene_file=scene_file)
    summary = summarise(problem, result.model, result.found)
    summary.object, summary.scene = result.object, result.scene
    summary.comparison = result.comparison
    if hasattr(result.model, "fisher"):
        from ..optimize import assess
        from .trust import assess_noise, trust_fields

        summary.report = assess(result.model, result.found.x, result.found,
                                uncertainties=result.model.n_params <= 500,
                                **assess_noise(noise, result.model, problem.flux_scale))
        unseen = companion_finding(result.model, result.found.x, summary.report)
        if unseen is not None:
            summary.report = replace(summary.report,
                                     findings=summary.report.findings + (unseen,))
        summary.trust = trust_fields(summary.report, result.model)
    return summary


# A companion fainter than this many of its own standard deviations, or closer than one model
# pixel to the other source, is not a detection.
_DETECTION_SIGMAS = 3.0


def companion_finding(model, x, report):
    """A ``Finding`` when a fitted pair of sources is not two: the fainter one's flux within
    3 of its standard deviations of 0 (or undetermined), or the two closer than one model
    pixel; None otherwise (or for other scenes). A single star fitted as a binary gives the
    right wavefront and a companion made of noise."""
    from ..models.diagnostics import Finding

    blocks = {p.name: p for p in model.parameters}
    if "fluxes" not in blocks or blocks["fluxes"].size != 2:
        return None
    parts = model.unpack(x)
    fluxes = np.asarray(parts["fluxes"], dtype=np.float64)
    positions = np.asarray(parts["positions"], dtype=np.float64)
    block = blocks["fluxes"]
    sigma = np.asarray(report.uncertainties[block.offset:block.offset + block.size])
    faint = int(np.argmin(fluxes))
    separation = float(np.hypot(*(positions[1] - positions[0])))
    faint_sigma = float(sigma[faint])
    if np.isfinite(faint_sigma):
        undetected = fluxes[faint] < _DETECTION_SIGMAS * faint_sigma
    else:
        undetected = not np.isnan(faint_sigma)  # inf: undetermined; NaN: not computed
    if not (undetected or separation < 1.0):
        return None
    spread = f" +- {faint_sigma:.2g}" if np.isfinite(faint_sigma) else ""
    return Finding("companion", f"the second source is not detected (flux {fluxes[faint]:.3g}"
                                f"{spread} of the data's, {separation:.2f} model pixels from "
                                "the first): the data are consistent with one source; fit "
                                "--object point (or compare with --object auto)")


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
    blocks: dict = field(repr=False, default_factory=dict)  # the fitted blocks (unpack)
    object: dict | None = None          # the scene's description for the JSON
    scene: np.ndarray | None = field(repr=False, default=None)  # a fitted scene (object.npy)
    comparison: object = field(repr=False, default=None)  # --object auto's comparison
    report: object = field(repr=False, default=None)  # pg.optimize.assess's FitReport
    trust: dict | None = None  # the report's JSON fields (cli.trust.trust_fields)


@dataclass
class RetrievalProblem:
    """What ``build_model`` makes of the data: the point-source model, its pupil, the flux
    scale, and the parameter vector the fit starts from (a flat wavefront, and for the
    quadratic detector (a, b, c) = (0, 1, the background)); ``make`` builds the model of
    another scene on the same data, ``start`` its start vector."""

    model: object  # a pg.PhaseRetrieval of a point source (object=None)
    pupil: np.ndarray = field(repr=False)
    flux_scale: float  # sse: the data were divided by it; poisson: the model multiplied
    x0: np.ndarray
    defocus: np.ndarray  # waves of the Noll-4 mode, one per plane
    settings: dict = field(repr=False, default_factory=dict)  # PhaseRetrieval's arguments
    background: float = 0.0  # the start of the background (model's data units)

    def make(self, object=None, extra_fit=()):
        """A ``PhaseRetrieval`` of ``object`` on the same data, pupil and options, with the
        nuisance blocks ``extra_fit`` free besides ``--fit``'s."""
        settings = dict(self.settings)
        settings["fit"] = tuple(settings.get("fit", ())) + tuple(extra_fit)
        return phase_retrieval(object=object, **settings)

    def start(self, model, **blocks):
        """``model.pack(...)`` with the detector's and the background's starts."""
        if "detector" in model.free_blocks and "detector" not in blocks:
            blocks["detector"] = (0.0, 1.0, self.background)
        if "background" in model.free_blocks and "background" not in blocks:
            blocks["background"] = np.full(model.data.shape[0], self.background)
        return model.pack(**blocks)


def phase_retrieval(**settings):
    """``pg.PhaseRetrieval(**settings)`` on the fused backend, or on the reference one for
    the options the fused backend does not have yet (the model's repr says which)."""
    from ..models import PhaseRetrieval

    try:
        return PhaseRetrieval(**settings)
    except NotImplementedError:
        return PhaseRetrieval(backend="reference", **settings)


def defocus_values(defocus, planes):
    """Each plane's defocus (waves of the Noll-4 mode) as float64 (planes,); DataError when
    missing for several planes or of the wrong count."""
    if defocus is None:
        if planes > 1:
            raise DataError(f"the data have {planes} planes: give their defocus with "
                            "--defocus (waves of the Noll-4 mode, one value per plane)")
        defocus = np.zeros(1)
    defocus = np.asarray(defocus, dtype=np.float64)
    if defocus.shape != (planes,):
        raise DataError(f"{defocus.size} defocus value(s) for {planes} plane(s) of data")
    return defocus


def grid_pupil_size(size, pupil_size, pad, bin, pupil=None):
    """The pupil size n for M x M images: ``pupil_size``, the ``pupil`` file's size, or
    M x bin / pad. N = pad x n must be a whole number divisible by ``bin`` with N / bin >= M
    (larger: the images are the grid's central window); DataError otherwise."""
    if pupil is not None:
        if pupil_size is not None and pupil_size != pupil.shape[0]:
            raise DataError(f"--pupil-size {pupil_size} but the --pupil file is "
                            f"{pupil.shape[0]}x{pupil.shape[1]} pixels")
        pupil_size = pupil.shape[0]
    unbinned = size * bin
    if pupil_size is None:
        pupil_size = round(unbinned / pad)
        if abs(pupil_size * pad - unbinned) > 1e-9 * unbinned:
            what = f"{size} pixels wide" if bin == 1 else f"{size} x --bin {bin} = {unbinned}"
            raise DataError(f"the images are {what}, not a whole multiple of --pad {pad:g} "
                            f"({unbinned} / {pad:g} = {unbinned / pad:.6g}); give "
                            "--pupil-size N with N x pad a whole number (at least the image "
                            "size: the images are then the grid's central window)")
        return pupil_size
    grid = pupil_size * pad
    what = "the --pupil file's size" if pupil is not None else f"--pupil-size {pupil_size}"
    binned = "" if bin == 1 else f" x --bin {bin} = {unbinned}"
    if abs(grid - round(grid)) > 1e-9 or round(grid) % bin or round(grid) < unbinned:
        raise DataError(f"the images are {size}x{size} pixels{binned} but {what} x --pad "
                        f"{pad:g} = {grid:g}: the grid must be a whole number"
                        + (f" divisible by --bin {bin}" if bin > 1 else "")
                        + f", at least {unbinned}")
    return pupil_size


def pupil_and_modes(pupil, pupil_size, obscuration, modes):
    """``(pupil, basis, defocus mode)``: the user's pupil with the modes on its support
    (``cli.pupil``), or the computed circle of ``pupil_size`` with ``obscuration``."""
    from ..pupils import circular_pupil, zernike_basis
    from .pupil import zernike_on_support

    if pupil is not None:
        return (pupil, zernike_on_support(pupil, modes, first=2),
                zernike_on_support(pupil, 1, first=4)[0])
    try:
        return (circular_pupil(pupil_size, obscuration=obscuration),
                zernike_basis(modes, pupil_size, obscuration=obscuration, first=2),
                zernike_basis(1, pupil_size, obscuration=obscuration, first=4)[0])
    except ValueError as error:
        raise DataError(str(error)) from None


def build_model(stack, defocus, pupil_size=None, pad=2, obscuration=0.0, modes=14,
                detector="quadratic", pupil=None, bin=1, metric="sse", read_noise=0.0,
                fit=()):
    """A ``RetrievalProblem`` for a (P, M, M) float64 stack; DataError when the data and the
    description disagree. ``pupil``: the user's (n, n) amplitude (``io.read_pupil``), or None
    for a computed circle of ``pupil_size`` pixels with ``obscuration``; ``pad`` may be any
    number >= 1 with ``pad * n / bin`` >= M (``grid_pupil_size``). ``metric="sse"`` divides
    the data by their flux (parameters of order one whatever the camera's units);
    ``"poisson"`` keeps the counts, which its likelihood needs, and multiplies the pupil
    amplitude by the square root of the flux instead."""
    defocus = defocus_values(defocus, stack.shape[0])
    pupil_size = grid_pupil_size(stack.shape[1], pupil_size, pad, bin, pupil)
    if not np.any(stack):
        raise DataError("the PSFs are all zero")
    if metric == "poisson" and read_noise == 0 and np.any(stack < 0):
        raise DataError("--metric poisson needs counts >= 0 (the data have negative values): "
                        "give --read-noise (small negative counts are read noise)")
    pupil, basis, defocus_mode = pupil_and_modes(pupil, pupil_size, obscuration, modes)
    amplitude = pupil / pupil.sum()
    diversity = defocus[:, None, None] * defocus_mode
    unaberrated = phase_retrieval(amplitude=amplitude, basis=basis, data=stack, pad=pad,
                                  bin=bin, diversity=diversity).simulate(np.zeros(modes))
    # Most pixels of a PSF are dark: their median is the background, which must not count as
    # flux (on a 128x128 frame a background of 0.1% of the peak outweighs the PSF itself).
    # Only a model with an offset (the quadratic detector's c, a free background) can take
    # it; otherwise all the light counts.
    offset = detector == "quadratic" or "background" in fit
    background = float(np.median(stack)) if offset else 0.0
    flux_scale = float((stack - background).sum() / unaberrated.sum())
    if not np.isfinite(flux_scale) or flux_scale <= 0:
        raise DataError("the PSFs must have a positive total flux above their background")
    if metric == "poisson":
        data, amplitude = stack, amplitude * np.sqrt(flux_scale)
    else:
        data, background = stack / flux_scale, background / flux_scale
    settings = {"amplitude": amplitude, "basis": basis, "data": data, "pad": pad, "bin": bin,
                "diversity": diversity, "detector": detector, "metric": metric,
                "read_noise": read_noise, "fit": tuple(fit)}
    problem = RetrievalProblem(None, pupil, flux_scale, None, defocus, settings, background)
    problem.model = problem.make()
    problem.x0 = problem.start(problem.model)
    return problem


def solve(problem, maxiter=None, method="lm", report=print, progress=None, noise=None,
          starts=1, spread=None):
    """Fit a ``RetrievalProblem``'s point-source model from ``problem.x0`` with ``method``
    ("lm" or "lbfgs", see ``cli.solvers``; ``maxiter`` None: the method's default budget),
    from ``starts`` starts (the others perturbed by ``spread`` waves RMS) and judged against
    ``noise`` (``--noise``'s pair, ``cli.trust.assess_noise``); a ``RetrievalResult``."""
    from .solvers import check_start, retrieve_fit
    from .trust import assess_noise, trust_fields

    model = problem.model
    report(f"phasegrad retrieve: {model!r}; {METHODS[method][0]}")
    check_start(model, problem.x0)
    found, quality = retrieve_fit(model, method, iteration_budget(method, maxiter),
                                  iteration_lines(report, progress),
                                  assess_noise(noise, model, problem.flux_scale), starts=starts,
                                  spread=DEFAULT_SPREAD if spread is None else spread)
    result = summarise(problem, model, found)
    result.report, result.trust = quality, trust_fields(quality, model)
    return result


def iteration_lines(report, progress=None, prefix=""):
    """The per-iteration callback: a line ``iter k  cost E`` and the progress bar."""
    def callback(iteration, x, cost):
        report(f"  {prefix}iter {iteration:4d}  cost {cost:12.5e}")
        if progress is not None:
            progress.update(cost=f"{cost:.3e}")

    return callback


def summarise(problem, model, found):
    """The ``RetrievalResult`` of a fit ``found`` (``cli.solvers.Fit``) of ``model``."""
    pupil = problem.pupil
    modes = model.coefficient_shape[0]
    parts = model.unpack(found.x)
    coefficients = np.array(parts["wavefront"], dtype=np.float64)
    wavefront = model.wavefront(coefficients)
    inside = wavefront[pupil > 0]
    rms = float(np.sqrt(np.mean((inside - inside.mean()) ** 2)))
    quadratic = model.detector == "quadratic"
    return RetrievalResult(
        coefficients=coefficients, noll=list(range(2, modes + 2)),
        detector=np.array(parts["detector"], dtype=np.float64) if quadratic else None,
        flux_scale=problem.flux_scale, rms_wavefront=rms, cost=found.cost,
        initial_cost=float(found.history[0]), method=found.method, converged=found.converged,
        stop_reason=found.stop_reason, iterations=found.iterations,
        evaluations=found.evaluations,
        seconds=found.seconds, description=repr(model), cost_history=found.history,
        pupil=pupil, wavefront=wavefront, data=model.data.astype(np.float64),
        model_images=model.simulate(found.x).reshape(model.data.shape).astype(np.float64),
        blocks={name: np.asarray(value) for name, value in parts.items()})


def coefficients_csv(result):
    """The CSV text: one row per mode (Noll index, radial order n, azimuthal m, waves)."""
    lines = ["noll,n,m,coefficient_waves"]
    for j, value in zip(result.noll, result.coefficients, strict=True):
        n, m = noll_to_nm(j)
        lines.append(f"{j},{n},{m},{value:.10e}")
    return "\n".join(lines) + "\n"
