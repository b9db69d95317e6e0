"""``phasegrad info``: the versions of phasegrad, the FFTW it links and NumPy."""

from __future__ import annotations


def register(commands):
    """Add ``info`` to the sub-command parsers."""
    info = commands.add_parser("info", help="versions of phasegrad and the FFTW it links",
                               description="Print the versions of phasegrad, the FFTW its "
                                           "compiled core links and NumPy.")
    info.set_defaults(run=run)


def run(args):
    import numpy as np

    from .. import __version__
    from ..fft import fftw_version

    print(f"phasegrad {__version__}, FFTW {fftw_version()}, NumPy {np.__version__}")
    return 0
