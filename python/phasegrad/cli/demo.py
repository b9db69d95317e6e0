"""``phasegrad demo``: synthetic through-focus Zernike phase retrieval, solved by
Levenberg-Marquardt on the exact Jacobian (or L-BFGS-B).

Everything is made in code (pupil, aberration, data; ``phasegrad.models.synthetic``); no files
are read. Several defocused planes are imaged through a quadratic detector
``M = a I^2 + b I + c`` (Jurling & Fienup Eq. 98) with Gaussian read noise; the Zernike
coefficients and the detector's (a, b, c) are recovered together, from a zero wavefront and an
ideal detector (0, 1, 0), by ``pg.optimize.levenberg_marquardt`` on the fused model's exact
Jacobian (the default) or restarted ``pg.optimize.lbfgs`` on its exact gradient
(``--method lbfgs``); ``cli.solvers`` runs both.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

import numpy as np

from ..arguments.options import float_between, int_at_least
from .options import add_output_options, add_quiet_option
from .solvers import METHODS, add_method_options, iteration_budget

OUTPUTS = ("demo.png", "demo.json")
DEFOCUS_STEP = 0.5  # waves of the unit-RMS Noll-4 mode between planes


def register(commands):
    """Add ``demo`` to the sub-command parsers."""
    demo = commands.add_parser(
        "demo", help="synthetic through-focus Zernike phase retrieval (Levenberg-Marquardt)",
        description="Make a pupil, a Zernike aberration and through-focus PSFs seen by a "
                    "quadratic detector (with read noise) in code, then recover the aberration "
                    "and the detector's (a, b, c) with Levenberg-Marquardt on the fused model's "
                    "exact Jacobian (or --method lbfgs: restarted L-BFGS-B on its exact "
                    "gradient). Prints cost and RMS wavefront error "
                    "per iteration; writes demo.png (true vs recovered wavefront, residual, "
                    "convergence, data and model PSFs of each plane) and demo.json. Exit code 0 "
                    "when it converged.")
    demo.add_argument("--size", type=int_at_least(4), default=64,
                      help="pupil size in pixels (default 64)")
    demo.add_argument("--modes", type=int_at_least(1), default=14,
                      help="Zernike modes from Noll index 2 (default 14)")
    demo.add_argument("--planes", type=int_at_least(1), default=3,
                      help=f"through-focus planes, {DEFOCUS_STEP} wave of defocus apart "
                           "(default 3)")
    demo.add_argument("--noise", type=float_between(0.0, 1.0), default=1e-3,
                      help="Gaussian read noise, relative to the brightest pixel, from 0 to 1 "
                           "(default 1e-3; 0: noiseless, recovered to ~1e-12)")
    demo.add_argument("--detector", choices=("quadratic", "linear"), default="quadratic",
                      help="detector model, estimated along with the wavefront (default "
                           "quadratic: M = a I^2 + b I + c)")
    demo.add_argument("--seed", type=int_at_least(0), default=1,
                      help="seed of the true aberration and the noise (default 1)")
    add_method_options(demo)
    demo.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                      help="precision of the model (default float64)")
    add_output_options(demo, "demo")
    add_quiet_option(demo, default=argparse.SUPPRESS)
    demo.set_defaults(run=run)


def run(args):
    """The command: exit code 0 when the fit converged, 1 when it did not."""
    from ..arguments.outputs import OutputSet, check_outputs, make_output_folder
    from .io import write_json
    from .plots import phase_retrieval_figure
    from .progress import Progress

    paths = check_outputs(args.out, OUTPUTS, args.force)
    maxiter = iteration_budget(args.method, args.maxiter)
    with Progress(maxiter, METHODS[args.method][0], quiet=args.quiet) as progress:
        result = run_demo(size=args.size, modes=args.modes, planes=args.planes,
                          seed=args.seed, maxiter=maxiter, method=args.method,
                          dtype=np.dtype(args.dtype),
                          detector=args.detector, noise=args.noise, report=progress.line,
                          progress=progress)
    if args.noise == 0:
        # Noiseless: the exact answer is reachable; ask for it (to the precision's limit).
        tolerance = 1e-3 if args.dtype == "float32" else 1e-5
        converged = result.rms_error <= tolerance
        criterion = f"RMS wavefront error <= {tolerance:g} waves (noiseless data)"
    else:
        # Noisy: the truth is no longer the minimum. Converged means the fit is at least as
        # good as the true parameters' (the noise floor) and the wavefront is mostly found.
        converged = (result.cost <= 1.01 * result.cost_at_truth
                     and result.rms_error <= 0.1 * result.initial_rms_error)
        criterion = ("cost <= 1.01 x the cost of the true parameters (the noise floor) and "
                     "RMS wavefront error <= 0.1 x the initial one")
    make_output_folder(args.out)
    summary = {
        "command": "demo", "method": result.method, "converged": converged,
        "solver_converged": result.solver_converged, "stop_reason": result.stop_reason,
        "criterion": criterion,
        "model": result.description,
        "options": {"size": args.size, "modes": args.modes, "planes": args.planes,
                    "seed": args.seed, "method": args.method, "maxiter": maxiter,
                    "dtype": args.dtype,
                    "detector": args.detector, "noise": args.noise},
        "true_coefficients": result.true_coefficients, "coefficients": result.coefficients,
        "coefficient_relative_error": result.relative_error,
        "true_detector": result.true_detector, "detector": result.detector,
        "detector_relative_error": result.detector_relative_error,
        "rms_wavefront_error_waves": result.rms_error,
        "initial_rms_wavefront_error_waves": result.initial_rms_error,
        "cost": result.cost, "cost_at_truth": result.cost_at_truth,
        "iterations": result.iterations, "evaluations": result.evaluations,
        "seconds": result.seconds, "cost_history": result.cost_history,
        "rms_history": result.rms_history,
        "files": {"figure": paths["demo.png"], "summary": paths["demo.json"]}}
    with OutputSet(paths) as outputs:
        with outputs.writing("demo.png") as target:
            phase_retrieval_figure(
                target, result.pupil, result.wavefront, result.data,
                result.model_images, result.cost_history, truth=result.true_wavefront,
                rms=result.rms_history, title=f"phasegrad demo: {result.description}",
                defocus=result.defocus)
        with outputs.writing("demo.json") as target:
            write_json(target, summary)
    progress.line(f"  wrote {paths['demo.png']} and {paths['demo.json']}")
    if not converged:
        print(f"phasegrad demo: {result.method} did not converge (RMS wavefront error "
              f"{result.rms_error:.3e} waves, coefficient relative error "
              f"{result.relative_error:.2e}; wanted "
              f"{criterion})", file=sys.stderr)
        return 1
    print(f"phasegrad demo: {result.method} converged (RMS wavefront error "
          f"{result.rms_error:.3e} waves, "
          f"coefficient relative error {result.relative_error:.2e})")
    return 0


@dataclass
class DemoResult:
    """Outcome of ``run_demo`` (the arrays at the end are for the figure and the JSON)."""

    true_coefficients: np.ndarray
    coefficients: np.ndarray
    rms_error: float            # RMS wavefront error over the pupil, in waves
    initial_rms_error: float
    relative_error: float       # ||a - a_true|| / ||a_true|| (Zernike coefficients)
    iterations: int
    evaluations: int
    cost: float
    seconds: float
    true_detector: np.ndarray | None = None    # (a, b, c) of the quadratic detector
    detector: np.ndarray | None = None
    detector_relative_error: float | None = None
    cost_at_truth: float = 0.0  # the noise floor: the cost of the true parameters
    noise: float = 0.0
    cost_history: np.ndarray = field(default=None, repr=False)
    rms_history: np.ndarray = field(default=None, repr=False)
    pupil: np.ndarray = field(default=None, repr=False)
    true_wavefront: np.ndarray = field(default=None, repr=False)
    wavefront: np.ndarray = field(default=None, repr=False)
    data: np.ndarray = field(default=None, repr=False)
    model_images: np.ndarray = field(default=None, repr=False)
    description: str = ""
    defocus: np.ndarray = field(default=None, repr=False)  # of each plane, waves (Noll 4)
    method: str = ""              # "Levenberg-Marquardt" or "L-BFGS-B"
    solver_converged: bool = False  # the solver's own verdict
    stop_reason: str = ""


def run_demo(size=64, modes=14, planes=3, seed=1, maxiter=None, dtype=np.float64,
             detector="quadratic", noise=0.0, report=print, progress=None, method="lm"):
    """Solve the synthetic problem, reporting each iteration through ``report`` (a callable
    taking one line) and ``progress`` (an object with ``update(**postfix)``, or None)."""
    from ..models.synthetic import (
        DEMO_DETECTOR,
        make_problem,
        plane_defocus,
        rms_wavefront_error,
    )
    from .solvers import fit

    model, truth, pupil, _ = make_problem(size=size, modes=modes, planes=planes, seed=seed,
                                          defocus=DEFOCUS_STEP, dtype=dtype, detector=detector,
                                          noise=noise)
    quadratic = detector == "quadratic"
    true_p = np.array(DEMO_DETECTOR) if quadratic else None
    x_truth = model.pack(truth, true_p)
    cost_at_truth = model.fun_and_jac(x_truth)[0]
    x0 = model.pack(np.zeros(modes), (0.0, 1.0, 0.0) if quadratic else None)
    initial = rms_wavefront_error(model, np.zeros(modes), truth, pupil)
    noise_text = f"Gaussian read noise {noise:g} of the peak" if noise > 0 else "no noise"
    detector_text = (f"quadratic detector (a, b, c) = {DEMO_DETECTOR}" if quadratic
                     else "linear detector")
    report(f"phasegrad demo: {model!r}; {METHODS[method][0]}")
    report(f"  true aberration: {modes} Zernike modes (Noll 2..{modes + 1}), {initial:.4f} "
           f"waves RMS; {detector_text}; {noise_text}")
    rms_history = [initial]

    def callback(iteration, x, cost):
        rms = rms_wavefront_error(model, model.unpack(x)[0], truth, pupil)
        rms_history.append(rms)
        report(f"  iter {iteration:4d}  cost {cost:12.5e}  RMS wavefront error {rms:.3e} waves")
        if progress is not None:
            progress.update(cost=f"{cost:.3e}", rms=f"{rms:.2e}")

    found = fit(model, x0, method, iteration_budget(method, maxiter), callback)
    seconds = found.seconds
    cost, iterations, evaluations = found.cost, found.iterations, found.evaluations
    parts = model.unpack(found.x)
    estimate = np.array(parts[0], dtype=np.float64)
    p_estimate = np.array(parts[1], dtype=np.float64) if quadratic else None
    rms = rms_wavefront_error(model, estimate, truth, pupil)
    relative = float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))
    p_relative = (float(np.linalg.norm(p_estimate - true_p) / np.linalg.norm(true_p))
                  if quadratic else None)
    detector_line = ""
    if quadratic:
        detector_line = (f"; detector (a, b, c) = ({p_estimate[0]:.5f}, {p_estimate[1]:.5f}, "
                         f"{p_estimate[2]:.5f}), relative error {p_relative:.2e}")
    report(f"  done in {seconds:.2f} s: {iterations} iterations, {evaluations} evaluations, "
           f"cost {cost:.3e} (true parameters: {cost_at_truth:.3e}); RMS wavefront error "
           f"{initial:.3e} -> {rms:.3e} waves; coefficient relative error {relative:.2e}"
           f"{detector_line}")
    return DemoResult(
        truth, estimate, rms, initial, relative, iterations, evaluations, cost,
        seconds, true_detector=true_p, detector=p_estimate,
        detector_relative_error=p_relative, cost_at_truth=float(cost_at_truth), noise=noise,
        cost_history=found.history, rms_history=np.array(rms_history), pupil=pupil,
        true_wavefront=model.wavefront(truth), wavefront=model.wavefront(estimate),
        data=model.data.astype(np.float64),
        model_images=model.simulate(found.x).reshape(model.data.shape).astype(np.float64),
        description=repr(model),
        defocus=plane_defocus(planes, DEFOCUS_STEP), method=found.method,
        solver_converged=found.converged, stop_reason=found.stop_reason)
