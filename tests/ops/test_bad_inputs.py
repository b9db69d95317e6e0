"""Bad input to every public op of phasegrad.ops: the C++ twin raises exactly what the
reference raises (type and message, before any kernel runs), the message names an argument of
the op, and what the reference accepts (NaN data, say) the twin accepts with the same answer.

Each argument of each op's valid call (``catalogue_calls.EXAMPLES``) is replaced in turn by
values of the wrong kind: for an array, an empty one, a masked one, a ragged list, a string,
None, a 0-d array, an array of another precision, the long double that must never be cast
down, and one full of NaN; for anything else (a norm, a factor, a shape, a constant), None, a
string, NaN, -1, 1j, a 3-tuple and a 0-size array. Refused dtypes of every array argument
have their own test in test_catalogue_twins.py.
"""

import inspect
import re
import warnings

import catalogue_calls as calls  # tests/ops is on sys.path: see conftest.py
import numpy as np
import pytest

from phasegrad import ops, reference

_OTHER_PRECISION = {np.dtype(np.float64): np.float32, np.dtype(np.float32): np.float64,
                    np.dtype(np.complex128): np.complex64, np.dtype(np.complex64): np.complex128}

BAD_ARRAYS = {
    "empty": lambda a: np.empty((0,) * max(a.ndim, 1), a.dtype),
    "masked": lambda a: np.ma.masked_array(a, mask=np.zeros(a.shape, bool)),
    "ragged": lambda a: [[1.0], [1.0, 2.0]],
    "string": lambda a: "abc",
    "none": lambda a: None,
    "zero-d": lambda a: np.asarray(a.ravel()[0]),
    "other-precision": lambda a: a.astype(_OTHER_PRECISION[a.dtype]),
    "longdouble": lambda a: np.real(a).astype(np.longdouble),
    "nan": lambda a: np.full_like(a, np.nan),
}
BAD_OTHERS = {"none": None, "string": "bogus", "nan": float("nan"), "minus-one": -1,
              "imaginary": 1j, "three-tuple": (1, 2, 3), "empty": np.empty(0)}


def _bad_calls():
    for name, args in calls.EXAMPLES.items():
        for position, value in enumerate(args):
            is_array = isinstance(value, np.ndarray) and value.dtype.kind in "fc"
            for label, bad in (BAD_ARRAYS if is_array else BAD_OTHERS).items():
                replaced = list(args)
                replaced[position] = bad(value) if is_array else bad
                yield pytest.param(name, position, replaced, id=f"{name}-arg{position}-{label}")


def _outcome(function, args):
    """('ok', result) or (error type, message) of function(*args)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NaN inputs: NumPy may warn
            return "ok", function(*args)
    except (TypeError, ValueError) as error:
        return type(error), str(error)


def _parts(result):
    return result if isinstance(result, tuple) else (result,)


CASES = list(_bad_calls())


def test_every_public_op_is_covered():
    assert {case.values[0] for case in CASES} == set(ops.__all__)


@pytest.mark.parametrize("name, position, args", CASES)
def test_bad_input_gives_the_references_error_or_its_answer(name, position, args):
    kind, expected = _outcome(getattr(reference, name), args)
    got_kind, got = _outcome(getattr(ops, name), args)
    assert got_kind is kind if kind != "ok" else got_kind == "ok", (got_kind, got)
    if kind != "ok":
        assert got == expected
        parameters = inspect.signature(getattr(reference, name)).parameters
        assert re.match(r"\w+", expected)[0] in parameters, f"names no argument: {expected}"
        return
    for ours, theirs in zip(_parts(got), _parts(expected), strict=True):
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        rtol = 2e-6 if theirs.dtype in (np.float32, np.complex64) else 1e-12
        finite = np.abs(theirs[np.isfinite(theirs)])
        scale = float(finite.max()) if finite.size else 0.0
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, equal_nan=True)


@pytest.mark.parametrize("name", sorted(ops.__all__))
def test_long_double_is_refused_in_every_array_argument(name):
    args = calls.EXAMPLES[name]
    positions = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)
                 and a.dtype.kind in "fc"]
    assert positions
    for position in positions:
        bad = list(args)
        bad[position] = np.real(args[position]).astype(np.longdouble)
        with pytest.raises(TypeError, match="got float128|got longdouble"):
            getattr(ops, name)(*bad)
