"""Command-line argument rules: the parser and the option value types that the command line
(``phasegrad.cli``) and the benchmark suite (``phasegrad.bench``) share.

``Parser`` is an ``argparse.ArgumentParser`` whose errors are one line on stderr and exit code
2; the ``*_at_least`` and ``*_list`` factories make ``type=`` functions whose errors say what
was expected. Nothing here imports more than argparse, re and NumPy.
"""

from __future__ import annotations

import argparse
import math
import re

import numpy as np

__all__ = ["Parser", "choice_list", "float_at_least", "float_between", "float_list", "int_at_least",
           "int_list", "positive_float"]


class Parser(argparse.ArgumentParser):
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


def float_at_least(low):
    """``type=`` for a finite float >= ``low``."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not np.isfinite(value) or value < low:
            raise argparse.ArgumentTypeError(f"must be a finite number >= {low}, got {text}")
        return value

    return parse


def float_list(text):
    """``type=`` for comma-separated finite floats (at least one)."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}") from None
    if not values or not all(np.isfinite(values)):
        raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers, got "
                                         f"{text!r}")
    return values


def int_at_least(low):
    """``type=`` for an integer >= ``low``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def int_list(low):
    """``type=`` for comma-separated integers, each >= ``low`` (at least one)."""
    parse_one = int_at_least(low)

    def parse(text):
        values = [parse_one(part.strip()) for part in text.split(",") if part.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
        return values

    return parse


def choice_list(choices):
    """``type=`` for a comma-separated, non-empty subset of ``choices``."""
    def parse(text):
        values = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [value for value in values if value not in choices]
        if unknown or not values:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated subset of {','.join(choices)}, got {text!r}")
        return values

    return parse


def _finite_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def positive_float(text):
    """``type=`` for a finite float > 0."""
    value = _finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def float_between(low, high):
    """``type=`` for a finite float in ``[low, high]``."""
    def parse(text):
        value = _finite_float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a number from {low:g} to {high:g}, "
                                             f"got {text}")
        return value

    return parse
