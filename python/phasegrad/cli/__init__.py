"""The command line: ``phasegrad <command>`` (the console script) or ``python -m phasegrad``.

Commands, one module each: ``demo`` (synthetic phase retrieval), ``retrieve`` (your PSFs),
``retrieve-many`` (a stack of problems, on Dask: ``retrieve_many``), ``hologram`` (a
phase-only hologram), ``bench`` (the benchmark suite, ``phasegrad.bench``) and ``info``
(versions). ``options`` adds the options every command shares, ``io`` handles files,
``plots`` draws the figures, ``progress`` prints the per-iteration lines and the progress bar.
The parser (``Parser``: one-line errors) and the option value types are argument rules, shared
with the benchmark suite: ``phasegrad.arguments.options``.

Exit codes: 0 success (the demo: converged; ``retrieve``: a converged fit whose residual agrees
with the noise), 1 bad data, outputs that cannot be written, not enough memory or a demo fit
that did not converge, 2 bad arguments (or options that do not go together:
``options.UsageError``; ``retrieve``'s refusals of a problem that cannot give a right answer,
``cli.trust``), 3 a ``retrieve`` fit that did not converge or whose residual is far above the
noise, or a ``hologram`` design that failed: GS/WGS diverged, Adam's cost stopped being
finite, a ``--levels`` design no better than its start, a final PSNR that is not a number (its
outputs are written, GS/WGS's from the best iterate; one stderr line says why, docs/trust.md).
Every error is one line on stderr, ``phasegrad <command>: error: ...``. Arguments are checked
by the parser (exit 2); anything else that goes wrong -- a ValueError past parsing, a
TypeError -- is a bug and ends in its traceback.

The library never imports this package; importing it loads no compiled core, SciPy,
matplotlib, Pillow or tqdm (each command loads what it needs when it runs).
"""

from __future__ import annotations

import os
import sys

from ..arguments.options import Parser
from ..arguments.outputs import OutputError
from . import bench, demo, hologram, info, retrieve, retrieve_many
from .io import DataError
from .options import UsageError, add_quiet_option

__all__ = ["Parser", "build_parser", "main"]

COMMANDS = (demo, retrieve, retrieve_many, hologram, bench, info)
# The commands that compute: they run with BLAS on one thread (pg.config.single_threaded_blas),
# so that OpenBLAS's spinning workers do not take the cores from phasegrad's kernels. The
# benchmark suite is left as users run it: it times other libraries too.
_COMPUTING = frozenset({"demo", "retrieve", "retrieve-many", "hologram"})


def build_parser():
    """The ``phasegrad`` parser with every command's sub-parser."""
    from .. import __version__

    parser = Parser(
        prog="phasegrad",
        description="Optical forward models and their exact gradients (Jurling & Fienup 2014).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_quiet_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser,
                                     metavar="{demo,retrieve,retrieve-many,hologram,bench,info}")
    for command in COMMANDS:
        command.register(commands)
    parser.commands = commands.choices  # {name: its Parser}, for errors found after parsing
    return parser


def _error(command, message, code):
    print(f"phasegrad {command}: error: {message}", file=sys.stderr)
    return code


def _one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


def main(argv=None):
    """Run ``phasegrad`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "passthrough", False):
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(rest)}")
    args.passthrough_args = rest
    try:
        if args.command in _COMPUTING:
            from ..config import single_threaded_blas

            with single_threaded_blas():
                return args.run(args)
        return args.run(args)
    except UsageError as error:
        parser.commands[args.command].error(_one_line(error))
    except (DataError, OutputError) as error:
        return _error(args.command, _one_line(error), 1)
    except MemoryError as error:  # numpy's ArrayMemoryError included
        hint = "; try a smaller --size" if getattr(args, "size", None) is not None else ""
        return _error(args.command, f"not enough memory: {_one_line(error)}{hint}", 1)
    except BrokenPipeError:
        # The reader went away (``phasegrad demo | head``): stop quietly, as the Python docs
        # advise, pointing stdout at devnull so the interpreter's final flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        # The commands name the file for what they read and write (DataError); this is what
        # the operating system refused elsewhere (a full disk, a file that vanished).
        where = f" {error.filename}" if error.filename else ""
        return _error(args.command, f"cannot read or write{where}: "
                                    f"{_one_line(error.strerror or error)}", 1)
