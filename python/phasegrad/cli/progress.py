"""Per-iteration lines and a progress bar for the commands that iterate."""

from __future__ import annotations

import sys

__all__ = ["Progress"]


class Progress:
    """A tqdm bar on stderr when both stdout and stderr are terminals, else nothing.

    ``line(text)`` prints a per-iteration line on stdout without breaking the bar. With
    ``quiet=True`` there is neither bar nor lines (a command's final line is printed by the
    command itself). tqdm is imported only when a bar is shown. Usable as a context manager,
    which closes the bar.
    """

    def __init__(self, total, description, enabled=None, quiet=False):
        if enabled is None:
            enabled = sys.stdout.isatty() and sys.stderr.isatty()
        self.quiet = bool(quiet)
        self._bar = None
        if enabled and not self.quiet:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, file=sys.stderr, leave=False,
                             dynamic_ncols=True)

    def line(self, text):
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.write(text, file=sys.stdout)
        else:
            print(text, flush=True)

    def update(self, steps=1, **postfix):
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(steps)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
