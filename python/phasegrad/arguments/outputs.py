"""The ``--out`` argument of the command line and the benchmark suite: checked before anything
runs, made once there are results, written with errors that name the file.

``OutputError`` is one line for the user (exit code 1): an ``--out`` that is not a folder, an
output's name taken by a folder, outputs that exist (without ``force``), or a place where no
file can be created (a read-only file system, ``/proc``), found before any computation; a full
disk or a file made read-only since then, found while writing.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

__all__ = ["OutputError", "check_outputs", "make_output_folder", "writing"]


class OutputError(Exception):
    """An output folder or file that cannot be written: one line, exit code 1."""


def _strerror(error):
    return error.strerror or str(error) or type(error).__name__


def check_outputs(out_dir, names, force=True):
    """``{name: Path}`` for ``names`` under ``out_dir``, checked before anything runs.

    OutputError when ``out_dir`` is not a folder, when an output's name is taken by a folder
    (``force`` or not: it cannot be overwritten), when one of the outputs exists and ``force``
    is False (the benchmark suite overwrites its own outputs: it keeps the default True), or
    when nothing can be written there: the folder, or where it does not exist yet the nearest
    folder above it, must take a file (tried with an anonymous temporary file, so that
    read-only file systems and ``/proc`` are caught whoever runs it). Nothing is created:
    ``make_output_folder`` does that once there are results to write.
    """
    out = Path(out_dir)
    try:
        if out.exists() and not out.is_dir():
            raise OutputError(f"--out {out} exists and is not a directory")
        paths = {name: out / name for name in names}
        for path in paths.values():
            if path.is_dir():
                raise OutputError(f"cannot write {path}: it is a directory")
        existing = [str(path) for path in paths.values() if path.exists()]
        nearest = out.absolute()
        while not nearest.exists():
            nearest = nearest.parent
    except OSError as error:  # e.g. a folder on the way that may not be searched
        raise OutputError(f"cannot use --out {out}: {_strerror(error)}") from None
    if existing and not force:
        raise OutputError(f"{existing[0]} exists (and {len(existing) - 1} more output(s)); "
                        "use --force to overwrite" if len(existing) > 1 else
                        f"{existing[0]} exists; use --force to overwrite")
    if not nearest.is_dir():
        raise OutputError(f"cannot create --out {out}: {nearest} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=nearest):
            pass
    except OSError as error:
        where = "" if nearest == out.absolute() else f" (in {nearest}, where it would go)"
        raise OutputError(f"cannot write to --out {out}{where}: no file can be created there "
                        f"({_strerror(error)})") from None
    return paths


def make_output_folder(out_dir):
    """Create ``out_dir`` (and its parents); OutputError when that fails."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create --out {out}: {_strerror(error)}") from None


@contextlib.contextmanager
def writing(path):
    """Turn an OSError inside the block (a full disk, a read-only file overwritten with
    ``--force``) into a OutputError that names ``path``: ``cannot write <path>: <reason>``."""
    try:
        yield path
    except OSError as error:
        raise OutputError(f"cannot write {path}: {_strerror(error)}") from None
