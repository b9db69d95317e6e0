"""The options every command shares (``--out``/``--force`` and ``--quiet``), and the value types
the commands need beyond ``phasegrad.arguments.options``'.

Every argument is checked by the parser (one line, exit code 2), not later by the code that
uses it: past parsing, a ValueError is a bug, not a bad argument, and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["UsageError", "add_output_options", "add_quiet_option"]


class UsageError(Exception):
    """Options that are each valid but do not go together (``--read-noise`` without
    ``--metric poisson``): reported like a parser error, one line and exit code 2. A command
    raises it before it reads or writes anything."""


def add_output_options(parser, command):
    """``--out DIR`` (default ``phasegrad-out/<command>``) and ``--force``."""
    parser.add_argument("--out", metavar="DIR", default=f"phasegrad-out/{command}",
                        help=f"folder for the output files (default phasegrad-out/{command}); "
                             "checked before anything runs")
    parser.add_argument("--force", action="store_true",
                        help="overwrite output files that exist (otherwise: an error)")


def add_quiet_option(parser, default=False):
    """``--quiet``: no per-iteration lines and no progress bar (the final line and errors
    still show). A command's parser gets ``default=argparse.SUPPRESS``, so that the global
    ``phasegrad --quiet <command>`` is not overwritten by the command's own default."""
    parser.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="print only the final line (and errors): no per-iteration lines, "
                             "no progress bar")
