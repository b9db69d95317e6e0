"""The command line: ``python -m phasegrad <command>`` (also installed as ``phasegrad``)."""

from __future__ import annotations

import argparse
import os
import sys

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
