"""phasegrad.ops and phasegrad.reference are one catalogue: the same names and signatures, the
same results on a valid call of every function, and the same error (type and message) when
any array argument has a dtype the catalogue refuses."""

import inspect

import catalogue_calls as calls  # tests/ops is on sys.path: see conftest.py
import numpy as np
import pytest

from phasegrad import ops, reference

EXAMPLES, NAMES = calls.EXAMPLES, calls.NAMES
DOUBLE_TOLERANCE = 1e-12


def test_examples_cover_the_catalogue():
    assert sorted(EXAMPLES) == sorted(NAMES)


def test_same_names():
    assert sorted(ops.__all__) == sorted(reference.__all__) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_same_signature(name):
    assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))


def _flatten(value):
    return value if isinstance(value, tuple) else (value,)


def _assert_same(ours, theirs):
    ours, theirs = _flatten(ours), _flatten(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert type(a) is type(b)
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        scale = max(float(np.linalg.norm(b.ravel())), 1e-300)
        assert float(np.linalg.norm((a - b).ravel())) <= DOUBLE_TOLERANCE * scale


@pytest.mark.parametrize("name", NAMES)
def test_same_result(name):
    args = EXAMPLES[name]
    _assert_same(getattr(ops, name)(*args), getattr(reference, name)(*args))


def _misaligned(a):
    """A C-contiguous copy of ``a`` whose data starts one byte past an aligned address."""
    buffer = np.empty(a.nbytes + a.itemsize, dtype=np.uint8)
    out = np.frombuffer(buffer, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert out.flags.c_contiguous and not out.flags.aligned
    return out


@pytest.mark.parametrize("name", NAMES)
def test_same_result_for_misaligned_arrays(name):
    # np.ascontiguousarray passes a misaligned array through; the core refuses one, so every
    # op must hand it an aligned copy and still give the reference's answer.
    args = [_misaligned(a) if isinstance(a, np.ndarray) and a.dtype.kind in "fc" else a
            for a in EXAMPLES[name]]
    _assert_same(getattr(ops, name)(*args), getattr(reference, name)(*EXAMPLES[name]))


BAD_DTYPES = [np.int64, np.float16, np.longdouble, np.bool_]


def _bad_calls():
    for name in NAMES:
        args = EXAMPLES[name]
        for position, value in enumerate(args):
            if isinstance(value, np.ndarray) and value.dtype.kind in "fc" and value.ndim:
                for dtype in BAD_DTYPES:
                    yield pytest.param(name, position, dtype,
                                       id=f"{name}-arg{position}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("name, position, dtype", list(_bad_calls()))
def test_same_error_for_a_refused_dtype(name, position, dtype):
    args = list(EXAMPLES[name])
    args[position] = np.real(args[position]).astype(dtype)
    with pytest.raises((TypeError, ValueError)) as expected:
        getattr(reference, name)(*args)
    with pytest.raises(expected.type) as got:
        getattr(ops, name)(*args)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("name", NAMES)
def test_docstring_is_the_references_with_a_note_after_its_summary(name):
    summary, _, _ = getattr(reference, name).__doc__.partition("\n\n")
    doc = getattr(ops, name).__doc__
    assert doc.startswith(summary + "\n\n")
    assert "C++ core" in doc[len(summary):].split("\n\n")[1]
