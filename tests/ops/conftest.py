"""Shared fixtures of the C++ op tests: agreement with the reference, thread counts."""

import sys
from pathlib import Path

import numpy as np
import pytest

# The test modules here import their shared valid calls (catalogue_calls.py) by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phasegrad.check import relative_error

#: Relative L2 error allowed between a C++ op and its reference twin, by real precision.
TWIN_RTOL = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-13}


def _precision(value):
    dtype = np.asarray(value).dtype
    return np.dtype(np.float32) if dtype in (np.float32, np.complex64) else np.dtype(np.float64)


def assert_twins(actual, expected, rtol=None):
    """C++ result == reference result: same structure, shapes, dtypes; values within rtol."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_twins(a, e, rtol)
        return
    if isinstance(expected, float | complex | int):
        assert type(actual) is type(expected), (type(actual), type(expected))
        assert abs(actual - expected) <= (rtol or 1e-12) * max(abs(expected), 1e-300)
        return
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, \
        (actual.shape, actual.dtype, expected.shape, expected.dtype)
    tol = rtol if rtol is not None else TWIN_RTOL[_precision(expected)]
    assert relative_error(actual, expected) <= tol


@pytest.fixture
def twins():
    """``twins(actual, expected, rtol=None)``: assert a C++ result equals the reference's."""
    return assert_twins


def assert_same_error(name, *args):
    """ops.<name>(*args) raises what reference.<name>(*args) raises: type and message."""
    from phasegrad import ops, reference

    with pytest.raises((TypeError, ValueError)) as expected:
        getattr(reference, name)(*args)
    with pytest.raises(expected.type) as actual:
        getattr(ops, name)(*args)
    assert actual.type is expected.type
    assert str(actual.value) == str(expected.value)


@pytest.fixture
def same_error():
    """``same_error(name, *args)``: the C++ op raises exactly the reference's error."""
    return assert_same_error


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def thread_count(request):
    """Runs the test with 1 and with 2 threads."""
    import phasegrad as pg

    with pg.threads(request.param):
        yield request.param
