"""The command line: ``python -m phasegrad <command>`` (also installed as ``phasegrad``)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np


def _demo(args):
    from .demo import run_demo

    result = run_demo(size=args.size, modes=args.modes, planes=args.planes, seed=args.seed,
                      maxiter=args.maxiter, dtype=np.dtype(args.dtype))
    tolerance = 1e-3 if args.dtype == "float32" else 1e-5
    if result.rms_error > tolerance:
        print(f"phasegrad demo: did not converge (RMS wavefront error {result.rms_error:.3e} "
              f"waves > {tolerance:g})", file=sys.stderr)
        return 1
    print(f"phasegrad demo: converged (RMS wavefront error {result.rms_error:.3e} waves)")
    return 0


def _info(args):
    import phasegrad

    print(f"phasegrad {phasegrad.__version__}, FFTW {phasegrad.fftw_version()}, "
          f"NumPy {np.__version__}")
    return 0


def _find_bench_suite():
    """``bench/bench_models.py`` of the source tree this package runs from, else of the
    current directory; None when neither has it (an installed wheel ships no ``bench/``)."""
    from . import __file__ as package_file

    for root in (Path(package_file).resolve().parents[2], Path.cwd()):
        script = root / "bench" / "bench_models.py"
        if script.is_file():
            return script
    return None


def _bench(args):
    script = _find_bench_suite()
    if script is None:
        print("phasegrad bench: the benchmark suite ships with the source tree (bench/); run "
              "this from a phasegrad checkout", file=sys.stderr)
        return 1
    spec = importlib.util.spec_from_file_location("phasegrad_bench_models", script)
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    return suite.run(args)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2."""

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

    demo = commands.add_parser(
        "demo", help="synthetic through-focus Zernike phase retrieval with L-BFGS-B",
        description="Make a pupil, an aberration and through-focus PSFs in code, then recover "
                    "the aberration with SciPy's L-BFGS-B on phasegrad's exact gradient.")
    demo.add_argument("--size", type=_int_at_least(4), default=64,
                      help="pupil size in pixels (default 64)")
    demo.add_argument("--modes", type=_int_at_least(1), default=14,
                      help="Zernike modes from Noll index 2 (default 14)")
    demo.add_argument("--planes", type=_int_at_least(1), default=3,
                      help="through-focus planes, 0.5 wave of defocus apart (default 3)")
    demo.add_argument("--seed", type=_int_at_least(0), default=1,
                      help="seed of the true aberration (default 1)")
    demo.add_argument("--maxiter", type=_int_at_least(1), default=200,
                      help="L-BFGS-B iterations (default 200)")
    demo.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                      help="precision of the model (default float64)")
    demo.set_defaults(run=_demo)

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
    try:
        return args.run(args)
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
