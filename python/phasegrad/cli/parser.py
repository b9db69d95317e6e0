"""The command line: ``python -m phasegrad <command>`` (also installed as ``phasegrad``)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

import numpy as np


def _float_at_least(low):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not np.isfinite(value) or value < low:
            raise argparse.ArgumentTypeError(f"must be a finite number >= {low}, got {text}")
        return value

    return parse


def _float_list(text):
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}") from None
    if not values or not all(np.isfinite(values)):
        raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers, got "
                                         f"{text!r}")
    return values


def _progress(total, description):
    from .io import Progress

    return Progress(total, description)


def _demo(args):
    from .demo import run_demo
    from .io import prepare_outputs, write_json
    from .plots import phase_retrieval_figure

    paths = prepare_outputs(args.out, ["demo.png", "demo.json"], args.force)
    progress = _progress(args.maxiter, "L-BFGS-B")
    try:
        result = run_demo(size=args.size, modes=args.modes, planes=args.planes, seed=args.seed,
                          maxiter=args.maxiter, dtype=np.dtype(args.dtype),
                          detector=args.detector, noise=args.noise, report=progress.line,
                          progress=progress)
    finally:
        progress.close()
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
    phase_retrieval_figure(
        paths["demo.png"], result.pupil, result.wavefront, result.data, result.model_images,
        result.cost_history, truth=result.true_wavefront, rms=result.rms_history,
        title=f"phasegrad demo: {result.description}")
    write_json(paths["demo.json"], {
        "command": "demo", "converged": converged, "criterion": criterion,
        "model": result.description,
        "options": {"size": args.size, "modes": args.modes, "planes": args.planes,
                    "seed": args.seed, "maxiter": args.maxiter, "dtype": args.dtype,
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
        "files": {"figure": paths["demo.png"], "summary": paths["demo.json"]}})
    print(f"  wrote {paths['demo.png']} and {paths['demo.json']}")
    if not converged:
        print(f"phasegrad demo: did not converge (RMS wavefront error {result.rms_error:.3e} "
              f"waves, coefficient relative error {result.relative_error:.2e}; wanted "
              f"{criterion})", file=sys.stderr)
        return 1
    print(f"phasegrad demo: converged (RMS wavefront error {result.rms_error:.3e} waves, "
          f"coefficient relative error {result.relative_error:.2e})")
    return 0


def _retrieve(args):
    from .io import prepare_outputs, read_stack, write_json
    from .plots import phase_retrieval_figure
    from .retrieve import build_model, coefficients_csv, solve

    stack, stored_defocus = read_stack(args.psfs)
    defocus = args.defocus if args.defocus is not None else stored_defocus
    problem = build_model(stack, defocus, pupil_size=args.pupil_size, pad=args.pad,
                          obscuration=args.obscuration, modes=args.modes,
                          detector=args.detector)
    names = ["coefficients.json", "coefficients.csv", "retrieve.png"]
    paths = prepare_outputs(args.out, names, args.force)
    progress = _progress(args.maxiter, "L-BFGS-B")
    try:
        result = solve(problem, maxiter=args.maxiter, report=progress.line,
                       progress=progress)
    finally:
        progress.close()
    write_json(paths["coefficients.json"], {
        "command": "retrieve", "inputs": [str(p) for p in args.psfs],
        "model": result.description,
        "options": {"defocus": defocus, "pupil_size": args.pupil_size, "pad": args.pad,
                    "obscuration": args.obscuration, "modes": args.modes,
                    "detector": args.detector, "maxiter": args.maxiter},
        "noll": result.noll, "coefficients_waves": result.coefficients,
        "detector": result.detector, "flux_scale": result.flux_scale,
        "rms_wavefront_waves": result.rms_wavefront, "cost": result.cost,
        "initial_cost": result.initial_cost, "iterations": result.iterations,
        "evaluations": result.evaluations, "seconds": result.seconds,
        "cost_history": result.cost_history})
    paths["coefficients.csv"].write_text(coefficients_csv(result))
    phase_retrieval_figure(paths["retrieve.png"], result.pupil, result.wavefront, result.data,
                           result.model_images, result.cost_history,
                           title=f"phasegrad retrieve: {result.description}")
    print(f"  done in {result.seconds:.2f} s: {result.iterations} iterations, cost "
          f"{result.initial_cost:.3e} -> {result.cost:.3e}; wavefront {result.rms_wavefront:.4e} "
          f"waves RMS")
    print(f"phasegrad retrieve: wrote {paths['coefficients.json']}, "
          f"{paths['coefficients.csv']}, {paths['retrieve.png']}")
    return 0


HOLOGRAM_METHODS = ("adam", "lbfgs", "gs", "wgs")


def _hologram_target(args):
    from ..optimize import default_target
    from .io import read_image

    if args.target is None:
        return default_target(args.size), "built-in"
    image = read_image(args.target)
    if args.size is not None and image.shape != (args.size, args.size):
        from PIL import Image

        image = np.asarray(Image.fromarray(image.astype(np.float32)).resize(
            (args.size, args.size), Image.Resampling.BILINEAR), dtype=np.float64)
    image = image - min(float(image.min()), 0.0)
    if not np.any(image > 0):
        from .io import DataError

        raise DataError(f"{args.target}: the target image is all zero")
    return image / image.max(), str(args.target)


def _hologram(args):
    from ..models import Hologram
    from ..optimize import adam, gs, lbfgs, psnr, reconstruct, wgs
    from .io import prepare_outputs, write_json
    from .plots import image_png, psnr_figure

    if args.target is None and args.size is None:
        args.size = 256
    target, source = _hologram_target(args)
    names = ["hologram_phase.png", "reconstruction.png", "convergence.png", "hologram.json",
             "hologram_phase.npy"]
    paths = prepare_outputs(args.out, names, args.force)
    peak = float(target.max())
    phi0 = np.random.default_rng(args.seed).uniform(0.0, 2.0 * np.pi, target.shape)
    print(f"phasegrad hologram: {args.method}, target {source} {target.shape[0]}x"
          f"{target.shape[1]}, {args.iters} iterations from a random phase (seed {args.seed})")
    progress = _progress(args.iters, args.method)

    def db(cost):
        return float("inf") if cost == 0 else float(10 * np.log10(peak ** 2 / cost))

    def callback(iteration, x, cost):
        progress.line(f"  iter {iteration:4d}  PSNR {db(cost):6.2f} dB")
        progress.update(psnr=f"{db(cost):.2f} dB")

    start = time.perf_counter()
    try:
        if args.method in ("adam", "lbfgs"):
            model = Hologram(target=target)
            if args.method == "adam":
                result = adam(model, phi0, lr=args.lr, iters=args.iters, callback=callback)
            else:
                result = lbfgs(model, phi0, maxiter=args.iters, callback=callback)
        else:
            solver = gs if args.method == "gs" else wgs
            result = solver(target, iters=args.iters, phi0=phi0, callback=callback)
    finally:
        progress.close()
    seconds = time.perf_counter() - start
    phase = np.mod(result.x, 2 * np.pi)
    reconstruction = reconstruct(phase)
    final = psnr(reconstruction, target)
    history = [db(cost) for cost in result.history]
    image_png(paths["hologram_phase.png"], phase, cmap="twilight", vmin=0, vmax=2 * np.pi)
    image_png(paths["reconstruction.png"], reconstruction * (target.mean()
                                                             / reconstruction.mean()),
              vmin=0, vmax=peak)
    psnr_figure(paths["convergence.png"], history,
                f"phasegrad hologram: {args.method}, {target.shape[0]}x{target.shape[1]}")
    np.save(paths["hologram_phase.npy"], phase)
    write_json(paths["hologram.json"], {
        "command": "hologram", "method": args.method, "target": source,
        "shape": list(target.shape), "iterations": result.nit, "seed": args.seed,
        "psnr_db": final, "psnr_history_db": history, "loss": result.fun,
        "seconds": seconds, "message": result.message,
        "files": {name: paths[name] for name in names}})
    print(f"  wrote {', '.join(str(paths[name]) for name in names)}")
    print(f"phasegrad hologram: {args.method} PSNR {final:.2f} dB after {result.nit} iterations "
          f"({seconds:.2f} s)")
    return 0


def _info(args):
    import phasegrad

    print(f"phasegrad {phasegrad.__version__}, FFTW {phasegrad.fftw_version()}, "
          f"NumPy {np.__version__}")
    return 0


def _find_bench_suite():
    """``bench/bench_models.py`` of the source tree this package runs from, else of the
    current directory; None when neither has it (an installed wheel ships no ``bench/``)."""
    from .. import __file__ as package_file

    for root in (Path(package_file).resolve().parents[2], Path.cwd()):
        script = root / "bench" / "bench_models.py"
        if script.is_file():
            return script
    return None


def _bench(args):
    from . import _find_bench_suite as find  # the package's name, as tests patch it

    script = find()
    if script is None:
        print("phasegrad bench: the benchmark suite ships with the source tree (bench/); run "
              "this from a phasegrad checkout", file=sys.stderr)
        return 1
    spec = importlib.util.spec_from_file_location("phasegrad_bench_models", script)
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    return suite.run(args)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2.

    It also reads ``--defocus -0.5,0,0.5`` as a value rather than an unknown option: argparse
    recognises only single negative numbers, so the pattern is widened to comma-separated
    lists (an argparse internal; where it is missing, ``--defocus=-0.5,0,0.5`` still works).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if hasattr(self, "_negative_number_matcher"):
            self._negative_number_matcher = re.compile(
                r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(,-?[\d.eE+-]*)*$")

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def _int_list(low):
    parse_one = _int_at_least(low)

    def parse(text):
        values = [parse_one(part.strip()) for part in text.split(",") if part.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
        return values

    return parse


def _choice_list(choices):
    def parse(text):
        values = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [value for value in values if value not in choices]
        if unknown or not values:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated subset of {','.join(choices)}, got {text!r}")
        return values

    return parse


BENCH_WORKLOADS = ("pr", "hologram", "memory")
BENCH_IMPLS = ("floor", "fused", "reference", "jax", "torch")


def add_bench_arguments(parser):
    """The options of ``phasegrad bench`` (shared with ``bench/bench_models.py``)."""
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: smallest sizes (PR n=128, hologram n=256, memory at "
                             "those), few repeats")
    parser.add_argument("--out", metavar="DIR", default="bench-results",
                        help="where bench_models.json and bench_models.png go "
                             "(default bench-results/)")
    parser.add_argument("--sizes", type=_int_list(4), metavar="N,N,...",
                        help="pupil sizes n for every workload (default: PR 128,256,512,1024; "
                             "hologram 256,512,1024)")
    parser.add_argument("--workloads", type=_choice_list(BENCH_WORKLOADS),
                        metavar="W,W,...",
                        help="any of pr,hologram,memory (default: all three)")
    parser.add_argument("--impls", type=_choice_list(BENCH_IMPLS), metavar="I,I,...",
                        help="any of floor,fused,reference,jax,torch (default: all; those not "
                             "installed or not built are reported as unavailable)")
    parser.add_argument("--threads", type=_int_at_least(1),
                        help="threads for phasegrad, pyFFTW, BLAS, PyTorch and (one thread "
                             "only) XLA (default: phasegrad.get_num_threads())")


def build_parser():
    parser = _Parser(
        prog="phasegrad",
        description="Optical forward models and their exact gradients (Jurling & Fienup 2014).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def outputs(sub, command):
        sub.add_argument("--out", metavar="DIR", default=f"phasegrad-out/{command}",
                         help=f"folder for the output files (default phasegrad-out/{command})")
        sub.add_argument("--force", action="store_true",
                         help="overwrite output files that exist (otherwise: an error)")

    demo = commands.add_parser(
        "demo", help="synthetic through-focus Zernike phase retrieval with L-BFGS-B",
        description="Make a pupil, a Zernike aberration and through-focus PSFs seen by a "
                    "quadratic detector (with read noise) in code, then recover the aberration "
                    "and the detector's (a, b, c) with L-BFGS-B (pg.optimize.lbfgs) on the fused "
                    "model's exact gradient. Prints cost and RMS wavefront error per "
                    "iteration; writes demo.png (true vs recovered wavefront, residual, PSFs, "
                    "convergence) and demo.json. Exit code 0 when it converged.")
    demo.add_argument("--size", type=_int_at_least(4), default=64,
                      help="pupil size in pixels (default 64)")
    demo.add_argument("--modes", type=_int_at_least(1), default=14,
                      help="Zernike modes from Noll index 2 (default 14)")
    demo.add_argument("--planes", type=_int_at_least(1), default=3,
                      help="through-focus planes, 0.5 wave of defocus apart (default 3)")
    demo.add_argument("--noise", type=_float_at_least(0.0), default=1e-3,
                      help="Gaussian read noise, relative to the brightest pixel (default "
                           "1e-3; 0: noiseless, recovered to ~1e-12)")
    demo.add_argument("--detector", choices=("quadratic", "linear"), default="quadratic",
                      help="detector model, estimated along with the wavefront (default "
                           "quadratic: M = a I^2 + b I + c)")
    demo.add_argument("--seed", type=_int_at_least(0), default=1,
                      help="seed of the true aberration and the noise (default 1)")
    demo.add_argument("--maxiter", type=_int_at_least(1), default=500,
                      help="L-BFGS-B iterations in all (default 500)")
    demo.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                      help="precision of the model (default float64)")
    outputs(demo, "demo")
    demo.set_defaults(run=_demo)

    retrieve = commands.add_parser(
        "retrieve", help="recover Zernike coefficients from your through-focus PSFs",
        description="Read a stack of PSFs (one .npy (P, M, M), one .npz with 'psfs' and "
                    "optionally 'defocus', a multi-page TIFF, or one PNG/TIFF per plane), "
                    "model a circular pupil of M/pad pixels with a Zernike basis, and recover "
                    "the coefficients (waves, Noll 2..) and the detector with L-BFGS-B. "
                    "Writes coefficients.json, coefficients.csv and retrieve.png.",
        epilog="example: phasegrad retrieve psfs.npy --defocus -0.5,0,0.5 --modes 14")
    retrieve.add_argument("psfs", nargs="+", type=Path, metavar="FILE",
                          help="the PSFs: .npy, .npz, multi-page .tif, or several .png/.tif")
    retrieve.add_argument("--defocus", type=_float_list, metavar="D,D,...",
                          help="defocus of each plane: waves RMS of the Noll-4 mode (unit-RMS "
                               "Zernike defocus); default: 'defocus' in the .npz, or 0 for "
                               "one plane")
    retrieve.add_argument("--pupil-size", type=_int_at_least(4), metavar="N",
                          help="pupil diameter in pixels (default M / pad)")
    retrieve.add_argument("--pad", type=_int_at_least(1), default=2,
                          help="image size / pupil size: the sampling, 2 = Nyquist (default 2)")
    retrieve.add_argument("--obscuration", type=_float_at_least(0.0), default=0.0,
                          help="central obscuration as a fraction of the diameter (default 0)")
    retrieve.add_argument("--modes", type=_int_at_least(1), default=14,
                          help="Zernike modes from Noll index 2 (default 14)")
    retrieve.add_argument("--detector", choices=("quadratic", "linear"), default="quadratic",
                          help="detector model (default quadratic: gain, background and "
                               "non-linearity estimated)")
    retrieve.add_argument("--maxiter", type=_int_at_least(1), default=500,
                          help="L-BFGS-B iterations in all (default 500)")
    outputs(retrieve, "retrieve")
    retrieve.set_defaults(run=_retrieve)

    hologram = commands.add_parser(
        "hologram", help="phase-only hologram of a target image (Adam, L-BFGS-B, GS, WGS)",
        description="Find a phase phi whose reconstruction |fftshift(ifft2(ifftshift("
                    "exp(i phi))))|^2 matches a target image (pg.Hologram's loss), from a "
                    "random phase. Prints the PSNR after every iteration and a final PSNR "
                    "line; writes hologram_phase.png/.npy, reconstruction.png, "
                    "convergence.png and hologram.json.")
    hologram.add_argument("--target", type=Path, metavar="IMAGE",
                          help="target intensity, a PNG/TIFF (grey, or RGB averaged); default: "
                               "the built-in target (pg.optimize.default_target)")
    hologram.add_argument("--method", choices=HOLOGRAM_METHODS, default="adam",
                          help="adam or lbfgs on the exact gradient, or Gerchberg-Saxton "
                               "(gs) / weighted GS (wgs) (default adam)")
    hologram.add_argument("--size", type=_int_at_least(16), metavar="N",
                          help="side in pixels (default 256 for the built-in target; a "
                               "target image is resized to N x N when given)")
    hologram.add_argument("--iters", type=_int_at_least(1), default=100,
                          help="iterations (default 100)")
    hologram.add_argument("--lr", type=_float_at_least(0.0), default=0.3,
                          help="Adam's step size in radians (default 0.3)")
    hologram.add_argument("--seed", type=_int_at_least(0), default=0,
                          help="seed of the random starting phase (default 0)")
    outputs(hologram, "hologram")
    hologram.set_defaults(run=_hologram)

    bench = commands.add_parser(
        "bench", help="benchmark the models: fused, reference, the FFTW floor, JAX, PyTorch",
        description="Time one value_and_grad of the phase-retrieval (Jurling Eq. 99) and "
                    "hologram models for every backend side by side, with ratios to the floor "
                    "(FFTW's transform pair plus the basis contractions), check JAX and PyTorch "
                    "against the reference, measure peak memory; print a table, write JSON "
                    "and a plot. Needs the source tree's bench/ directory.")
    add_bench_arguments(bench)
    bench.set_defaults(run=_bench)

    info = commands.add_parser("info", help="versions of phasegrad and the FFTW it links")
    info.set_defaults(run=_info)
    return parser


def main(argv=None):
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from .io import DataError

    try:
        return args.run(args)
    except DataError as error:
        print(f"phasegrad {args.command}: {error}", file=sys.stderr)
        return 1
    except (TypeError, ValueError) as error:
        print(f"phasegrad {args.command}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``phasegrad demo | head``): stop quietly, as the Python docs
        # advise, pointing stdout at devnull so the interpreter's final flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
