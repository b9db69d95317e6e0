"""``phasegrad bench [options]``: the benchmark suite, ``phasegrad.bench``.

The suite parses its own options (``--quick``, ``--out``, ``--quiet``, ...): everything after
``bench`` is handed to ``phasegrad.bench.main(argv)`` unchanged, ``--help`` included, and its
exit code is the command's. The global ``phasegrad --quiet bench`` hands ``--quiet`` on. The
suite is imported only when the command runs.
"""

from __future__ import annotations

import importlib

from .io import DataError

SUITE = "phasegrad.bench"


def register(commands):
    """Add ``bench`` to the sub-command parsers: no options of its own (not even ``-h``), so
    that ``main`` passes every argument after it through (``passthrough``)."""
    bench = commands.add_parser(
        "bench", add_help=False,
        help="benchmark the models: fused, reference, the FFTW floor, JAX, PyTorch "
             "(options: phasegrad bench --help)",
        description="Run the benchmark suite (phasegrad.bench) with the arguments given.")
    bench.set_defaults(run=run, passthrough=True)


def run(args):
    try:
        suite = importlib.import_module(SUITE)
    except ModuleNotFoundError as error:
        if error.name != SUITE:
            raise
        raise DataError(f"the benchmark suite ({SUITE}) is not installed with this "
                        "phasegrad") from None
    quiet = ["--quiet"] if getattr(args, "quiet", False) else []
    return suite.main([*quiet, *args.passthrough_args])
