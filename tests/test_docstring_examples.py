"""Every Examples section in the public modules runs and prints what it says."""

import doctest
import importlib

import pytest

MODULES = [
    "phasegrad.arguments.docstrings", "phasegrad.arrays", "phasegrad.check", "phasegrad.pupils",
    "phasegrad.models.phase_retrieval", "phasegrad.models.hologram", "phasegrad.models.snapping",
    "phasegrad.fft",
    *(f"phasegrad.optimize.{name}" for name in (
        "gradient", "holograms", "least_squares", "projections", "targets")),
    *(f"phasegrad.reference.{name}" for name in (
        "arithmetic", "complex_parts", "expansion", "fourier", "indexing", "metrics",
        "sampling")),
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
