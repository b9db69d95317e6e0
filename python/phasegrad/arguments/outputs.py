"""The ``--out`` argument of the command line and the benchmark suite: checked before anything
runs, made once there are results, written atomically with errors that name the file.

``OutputError`` is one line for the user (exit code 1): an ``--out`` that is not a folder, an
output's name taken by a folder, outputs that exist (without ``force``; a symbolic link there
counts, dangling or not), or a place where no file can be created (a read-only file system,
``/proc``), found before any computation; a full disk or a file made read-only since then,
found while writing.

Every output is written to a hidden temporary file beside it and renamed over it only when
complete (``writing``), and a command's outputs are renamed together once all are written
(``OutputSet``): an interrupt or an error leaves no truncated file and no partial set, and
never writes through a symbolic link (the rename replaces the link itself).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

__all__ = ["OutputError", "OutputSet", "check_outputs", "make_output_folder", "replacing",
           "writing"]


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
        existing = [str(path) for path in paths.values() if os.path.lexists(path)]
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


def _temporary(path):
    """A hidden name beside ``path``, with its suffix (matplotlib and NumPy go by it)."""
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")


def _discard(path):
    with contextlib.suppress(OSError):
        path.unlink()


def _replace(temporary, path):
    try:
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {_strerror(error)}") from None


@contextlib.contextmanager
def replacing(path):
    """Write ``path`` atomically: the block writes the temporary path it is given (hidden,
    beside ``path``, with its suffix); at the block's end that file replaces ``path`` (a
    symbolic link there is replaced, not written through); on an error or an interrupt it is
    removed and ``path`` is left as it was. Errors stay OSErrors: the one mechanism under
    ``writing`` and ``phasegrad.config.export_wisdom``."""
    path = Path(path)
    temporary = _temporary(path)
    try:
        yield temporary
        if temporary.exists():  # a writer may decline to write (a plot without matplotlib)
            os.replace(temporary, path)
    finally:
        _discard(temporary)


@contextlib.contextmanager
def writing(path):
    """``replacing(path)`` for the command line and the benchmark suite: an OSError (a full
    disk, a read-only folder) becomes an OutputError that names ``path``:
    ``cannot write <path>: <reason>``."""
    try:
        with replacing(path) as temporary:
            yield temporary
    except OSError as error:
        raise OutputError(f"cannot write {path}: {_strerror(error)}") from None


class OutputSet:
    """A command's outputs, written together: ``with OutputSet(paths) as out:`` then, for each
    name, ``with out.writing(name) as target:`` writes its temporary file; when the ``with``
    block ends normally every output replaces its file, one rename each, in the order they
    were written; on an error or an interrupt none does and the temporary files are removed.
    """

    def __init__(self, paths):
        self.paths = {name: Path(path) for name, path in paths.items()}
        self._written = {}

    def __enter__(self):
        return self

    @contextlib.contextmanager
    def writing(self, name):
        """The temporary file of output ``name`` (OSError inside: OutputError naming it)."""
        path = self.paths[name]
        temporary = self._written.setdefault(name, _temporary(path))
        try:
            yield temporary
        except OSError as error:
            raise OutputError(f"cannot write {path}: {_strerror(error)}") from None

    def __exit__(self, kind, value, traceback):
        try:
            if kind is None:
                for name, temporary in self._written.items():
                    if temporary.exists():
                        _replace(temporary, self.paths[name])
        finally:
            for temporary in self._written.values():
                _discard(temporary)
        return False
