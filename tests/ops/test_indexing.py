"""C++ indexing ops (take, put, pad, crop, fftshift, ifftshift and their reverse rules) against
their reference twins; dot tests; strided inputs; bad input; the strict core boundary."""

import inspect

import numpy as np
import pytest

from phasegrad import ops, reference
from phasegrad.check import check_adjoint, random_like
from phasegrad.native import core as _core

NAMES = ["take", "put", "pad", "crop", "fftshift", "ifftshift"]
DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
COMPLEX = [np.complex64, np.complex128]
SHAPES = [(9, 12), (2, 8, 8), (3, 7, 5), (2, 2, 9, 12), (1, 16)]
LARGE = (2, 160, 163)  # 52k elements, 35k picked: beyond the parallel grain (32768)
# Every dtype on the small planes; one single and one double, real and complex, on LARGE.
CASES = [(shape, dtype) for shape in SHAPES for dtype in DTYPES] + [
    (LARGE, np.float32), (LARGE, np.complex128)]


def draw(shape, dtype, rng):
    return random_like(np.zeros(shape, dtype), rng)


def index_for(kind, plane, rng):
    """A boolean mask, or flat int indices: increasing, in any order, or with repeats."""
    size = plane[0] * plane[1]
    if kind == "mask":
        mask = rng.random(plane) < 0.67
        mask[0, 0] = True
        return mask
    some = rng.permutation(size)[: max(2, size * 2 // 3)]
    if kind == "increasing":
        return np.sort(some)
    if kind == "any order":
        return some.astype(np.int32)  # any integer dtype is accepted
    assert kind == "repeats"
    return np.concatenate([some, some[:5], [size - 1, 0, 0]])


@pytest.mark.parametrize("name", [n for op in NAMES for n in (op, f"{op}_vjp")])
def test_signature_and_documentation_are_the_references(name):
    assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))
    assert getattr(ops, name).reference is getattr(reference, name)
    assert "C++ core" in getattr(ops, name).__doc__


# ---------------------------------------------------------------- against the reference

@pytest.mark.parametrize(("shape", "dtype"), CASES)
def test_take_and_take_vjp(shape, dtype, rng, twins, thread_count):
    x = draw(shape, dtype, rng)
    for kind in ("mask", "increasing", "any order", "repeats"):
        index = index_for(kind, shape[-2:], rng)
        y = ops.take(x, index)
        twins(y, reference.take(x, index))
        y_bar = draw(y.shape, dtype, rng)
        twins(ops.take_vjp(y_bar, index, shape), reference.take_vjp(y_bar, index, shape))


@pytest.mark.parametrize(("shape", "dtype"), CASES)
def test_put_and_put_vjp(shape, dtype, rng, twins, thread_count):
    plane = shape[-2:]
    for kind in ("mask", "increasing", "any order"):
        index = index_for(kind, plane, rng)
        k = np.count_nonzero(index) if index.dtype == bool else index.size
        x = draw(shape[:-2] + (k,), dtype, rng)
        twins(ops.put(x, index, shape), reference.put(x, index, shape))
        y_bar = draw(shape, dtype, rng)
        twins(ops.put_vjp(y_bar, index, plane), reference.put_vjp(y_bar, index, plane))


@pytest.mark.parametrize(("shape", "dtype"), CASES)
def test_pad_crop_and_their_vjps(shape, dtype, rng, twins, thread_count):
    x = draw(shape, dtype, rng)
    n, m = shape[-2:]
    bigs = [(n + 3, m + 4), (n, m + 1), (n + 2, m), shape]
    smalls = [(max(1, n - 2), max(1, m - 3)), (n, 1), (1, m), shape]
    if shape == LARGE:  # one of each is enough for the parallel path
        bigs, smalls = bigs[:1], smalls[:1]
    for big in bigs:
        twins(ops.pad(x, big), reference.pad(x, big))
        y_bar = draw(shape[:-2] + big[-2:], dtype, rng)
        twins(ops.pad_vjp(y_bar, shape), reference.pad_vjp(y_bar, shape))
    for small in smalls:
        twins(ops.crop(x, small), reference.crop(x, small))
        y_bar = draw(shape[:-2] + small[-2:], dtype, rng)
        twins(ops.crop_vjp(y_bar, shape), reference.crop_vjp(y_bar, shape))


@pytest.mark.parametrize(("shape", "dtype"), CASES + [
    (shape, dtype) for shape in ((1, 1), (5, 1), (2, 3)) for dtype in DTYPES])
def test_shifts_and_their_vjps(shape, dtype, rng, twins, thread_count):
    x = draw(shape, dtype, rng)
    for name in ("fftshift", "fftshift_vjp", "ifftshift", "ifftshift_vjp"):
        twins(getattr(ops, name)(x), getattr(reference, name)(x))
    np.testing.assert_array_equal(ops.ifftshift(ops.fftshift(x)), x)  # exact: a permutation


def test_threads_give_identical_results(rng):
    import phasegrad as pg

    x = draw(LARGE, np.complex128, rng)
    index = index_for("repeats", LARGE[-2:], rng)
    y_bar = ops.take(x, index)
    calls = [lambda: ops.take(x, index), lambda: ops.take_vjp(y_bar, index, x.shape),
             lambda: ops.pad(x, (200, 211)), lambda: ops.crop(x, (90, 101)),
             lambda: ops.fftshift(x), lambda: ops.ifftshift(x)]
    for call in calls:
        with pg.threads(1):
            one = call()
        with pg.threads(2):
            two = call()
        np.testing.assert_array_equal(one, two)


# ---------------------------------------------------------------- values the reference fixes

def test_take_vjp_sums_repeated_indices_in_double():
    # 2**24 + 1 + 1 + 1 is 2**24 in float32 one term at a time; in double it is 2**24 + 3,
    # which rounds to 2**24 + 4 in float32.
    y_bar = np.array([[2.0**24, 1.0, 1.0, 1.0, 5.0]], np.float32)
    x_bar = ops.take_vjp(y_bar, np.array([7, 7, 7, 7, 0]), (1, 3, 4))
    assert x_bar.dtype == np.float32
    assert x_bar[0, 1, 3] == 2.0**24 + 4 and x_bar[0, 0, 0] == 5
    assert np.count_nonzero(x_bar) == 2


def test_results_never_share_memory_with_inputs(rng):
    x = draw((2, 8, 8), np.complex128, rng)
    for y in (ops.crop(x, (8, 8)), ops.pad(x, (8, 8)), ops.fftshift(x), ops.ifftshift(x),
              ops.take(x, np.array([1, 2])), ops.put_vjp(x, np.array([3]), (8, 8))):
        assert not np.shares_memory(x, y)


# ---------------------------------------------------------------- dot tests

DOT_SHAPES = [(9, 12), (2, 8, 8), (3, 7, 5)]


@pytest.mark.parametrize("dtype", COMPLEX + [np.float64])
@pytest.mark.parametrize("shape", DOT_SHAPES)
@pytest.mark.parametrize("kind", ["mask", "any order", "repeats"])
def test_take_and_put_dot_tests(kind, shape, dtype, rng):
    plane = shape[-2:]
    index = index_for(kind, plane, rng)
    result = check_adjoint(lambda x: ops.take(x, index),
                           lambda y: ops.take_vjp(y, index, shape), np.zeros(shape, dtype))
    assert result, str(result)
    if kind != "repeats":
        k = np.count_nonzero(index) if index.dtype == bool else index.size
        result = check_adjoint(lambda x: ops.put(x, index, plane),
                               lambda y: ops.put_vjp(y, index, plane),
                               np.zeros(shape[:-2] + (k,), dtype))
        assert result, str(result)


@pytest.mark.parametrize("dtype", COMPLEX + [np.float64])
@pytest.mark.parametrize("shape", DOT_SHAPES)
def test_pad_crop_and_shift_dot_tests(shape, dtype):
    n, m = shape[-2:]
    pairs = [(lambda x: ops.pad(x, (n + 5, m + 2)), lambda y: ops.pad_vjp(y, shape)),
             (lambda x: ops.crop(x, (n - 3, m - 1)), lambda y: ops.crop_vjp(y, shape)),
             (ops.fftshift, ops.fftshift_vjp), (ops.ifftshift, ops.ifftshift_vjp)]
    for forward, adjoint in pairs:
        result = check_adjoint(forward, adjoint, np.zeros(shape, dtype))
        assert result, str(result)


# ---------------------------------------------------------------- strided inputs

def test_strided_and_negative_stride_inputs(rng, twins):
    base = draw((3, 10, 12), np.complex128, rng)
    mask = rng.random((12, 12)) < 0.5
    index = np.arange(100)[::-3].copy()[::2]  # a strided integer index
    for view in (base[:, ::2, ::-1], base[::-1, 1:, :], base.transpose(0, 2, 1)):
        before = view.copy()
        n, m = view.shape[-2:]
        plane_mask = mask[:n, :m]
        calls = [("take", (plane_mask,)), ("take", (index % (n * m),)),
                 ("pad", ((n + 2, m + 3),)), ("crop", ((n - 1, m - 2),)),
                 ("fftshift", ()), ("ifftshift", ()), ("pad_vjp", ((n - 1, m),)),
                 ("crop_vjp", ((n, m + 1),)), ("fftshift_vjp", ()), ("ifftshift_vjp", ()),
                 ("put_vjp", (plane_mask, (n, m)))]
        for name, args in calls:
            twins(getattr(ops, name)(view, *args), getattr(reference, name)(before, *args))
        values = view[..., 0, :]  # a strided (..., k) stack for put and take_vjp
        k = values.shape[-1]
        flat = np.arange(k)[::-1] * 2
        twins(ops.put(values, flat, (n, m)), reference.put(values.copy(), flat, (n, m)))
        twins(ops.take_vjp(values, flat, view.shape),
              reference.take_vjp(values.copy(), flat, view.shape))
        np.testing.assert_array_equal(view, before)


# ---------------------------------------------------------------- bad input

BAD_DTYPES = [np.int64, np.bool_, np.float16, np.longdouble, np.clongdouble]


def _calls_with(dtype):
    x = np.ones((2, 4, 4), dtype)
    stack = np.ones((2, 3), dtype)
    return [("take", x, np.array([0])), ("take_vjp", stack, np.array([0, 1, 2]), (4, 4)),
            ("put", stack, np.array([0, 1, 2]), (4, 4)), ("put_vjp", x, np.array([0]), (4, 4)),
            ("pad", x, (5, 5)), ("pad_vjp", x, (2, 2)), ("crop", x, (2, 2)),
            ("crop_vjp", x, (5, 5)), ("fftshift", x), ("fftshift_vjp", x), ("ifftshift", x),
            ("ifftshift_vjp", x)]


@pytest.mark.parametrize("dtype", BAD_DTYPES)
def test_bad_dtypes_raise_the_references_errors(dtype, same_error):
    for name, *args in _calls_with(dtype):
        same_error(name, *args)


X = np.ones((2, 3, 4))
BAD_CALLS = [
    ("take", X, np.array([0, 12])), ("take", X, np.array([-1])),
    ("take", X, np.ones((4, 3), bool)), ("take", X, np.zeros((3, 4), bool)),
    ("take", X, np.array([], int)), ("take", X, np.array([[0, 1]])),
    ("take", X, np.array([0.0, 1.0])), ("take", X, [0, 1.5]),
    ("take_vjp", np.ones((2, 1)), np.array([12]), (3, 4)),
    ("take_vjp", np.ones((2, 3)), np.array([0, 1]), (3, 4)),
    ("take_vjp", np.ones((2, 1)), np.array([0]), (3, 3, 4)),
    ("take_vjp", np.ones((2, 1)), np.array([0]), (3, 0)),
    ("put", np.ones(3), np.array([1, 2, 1]), (3, 4)),
    ("put", np.ones((2, 3)), np.array([0, 1]), (3, 4)),
    ("put", np.ones((2, 2)), np.array([0, 1]), (3, 3, 4)),
    ("put_vjp", np.ones((3, 4)), np.array([1, 1]), (3, 4)),
    ("put_vjp", np.ones((3, 5)), np.array([0, 1]), (3, 4)),
    ("pad", X, (3, 3)), ("pad", X, (3, 5, 5)), ("pad", X, (5,)), ("pad", X, 3),
    ("pad", X, (4.0, 5)), ("pad", X, (True, 5)),
    ("crop", X, (4, 4)), ("crop", X, 3), ("crop", X, (2, -1)),
    ("pad_vjp", X, (4, 4)), ("crop_vjp", X, (3, 3)), ("crop_vjp", X, (3, 3, 5)),
    ("fftshift", np.ones(4)), ("ifftshift", np.ones(4)), ("fftshift_vjp", np.ones(4)),
    ("ifftshift_vjp", 1.0),
    ("fftshift", np.ones((0, 3))), ("pad", np.ones((2, 0, 4)), (3, 4)),
    ("crop", np.ones((3, 0)), (1, 1)), ("take", np.ones((0, 3, 4)), np.array([0])),
    ("put", np.ones((0, 2)), np.array([0, 1]), (3, 4)),
    ("take", np.ma.masked_array(X), np.array([0])), ("pad", [[1.0], [2.0, 3.0]], (3, 3)),
]


@pytest.mark.parametrize("call", BAD_CALLS, ids=lambda c: c[0] if isinstance(c, tuple) else "")
def test_bad_input_raises_the_references_errors(call, same_error):
    name, *args = call
    same_error(name, *args)


# ---------------------------------------------------------------- the core, called directly

def test_core_refuses_what_it_cannot_read_as_is():
    x = np.ones((2, 4, 6))
    flat = np.array([0, 5], np.int64)
    with pytest.raises(TypeError, match="x must have dtype float32, float64, complex64"):
        _core.take(x.astype(np.float16), flat, 1)
    with pytest.raises(TypeError, match="x must have dtype"):
        _core.take(x.astype(np.longdouble), flat, 1)
    with pytest.raises(ValueError, match="x must be C-contiguous"):
        _core.take(x[:, :, ::2], flat, 1)
    with pytest.raises(TypeError, match="index must have dtype int64"):
        _core.take(x, flat.astype(np.int32), 1)
    with pytest.raises(ValueError, match="index must be C-contiguous"):
        _core.take(x, np.arange(6, dtype=np.int64)[::2], 1)
    with pytest.raises(ValueError, match="index must be one-dimensional"):
        _core.take(x, flat.reshape(1, 2), 1)
    mask = np.zeros((4, 6), bool)
    mask[1, 2:5] = True
    with pytest.raises(ValueError, match="a boolean mask, must have the plane shape"):
        _core.take(x, mask.T.copy(), 1)
    with pytest.raises(ValueError, match="index must be C-contiguous"):
        _core.take(x, np.zeros((4, 12), bool)[:, ::2], 1)
    with pytest.raises(ValueError, match="the mask selects 3 pixels; the values have 2"):
        _core.put(np.ones((2, 2)), mask, 4, 6, 1)
    with pytest.raises(ValueError, match="the mask selects 3 pixels; the values have 4"):
        _core.take_vjp(np.ones((2, 4)), mask, 4, 6, 1)
    with pytest.raises(ValueError, match="a boolean mask, must have the plane shape"):
        _core.put(np.ones((2, 3)), mask, 6, 4, 1)
    with pytest.raises(ValueError, match="index out of range"):
        _core.take(x, np.array([24], np.int64), 1)
    with pytest.raises(ValueError, match="index out of range"):
        _core.take_vjp(np.ones((2, 1)), np.array([-1], np.int64), 4, 6, 1)
    with pytest.raises(ValueError, match="index must not repeat"):
        _core.put(np.ones((2, 2)), np.array([3, 3], np.int64), 4, 6, 1)
    with pytest.raises(ValueError, match="one entry per index"):
        _core.put(np.ones((2, 3)), flat, 4, 6, 1)
    with pytest.raises(ValueError, match="rows must be positive"):
        _core.put(np.ones((2, 2)), flat, 0, 6, 1)
    with pytest.raises(TypeError, match="y_bar must have dtype"):
        _core.take_vjp(np.ones((2, 2), np.int64), flat, 4, 6, 1)
    with pytest.raises(ValueError, match="at least 2 axes"):
        _core.copy_top_left(np.ones(4), 2, 2, 1)
    with pytest.raises(ValueError, match="must not be empty"):
        _core.fftshift(np.ones((2, 0)), False, 1)
    with pytest.raises(ValueError, match="x must be C-contiguous"):
        _core.fftshift(x.transpose(0, 2, 1), False, 1)
    with pytest.raises(ValueError, match="cols must be positive"):
        _core.copy_top_left(x, 2, -1, 1)
    with pytest.raises(TypeError, match="x must have dtype"):
        _core.copy_top_left(x.astype(np.int32), 2, 2, 1)
