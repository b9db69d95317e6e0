"""C++ sampling ops (bin, tile and their reverse rules) against their reference twins; dot
tests; double accumulation; strided inputs; bad input; the strict core boundary."""

import inspect

import numpy as np
import pytest

from phasegrad import ops, reference
from phasegrad.check import check_adjoint, random_like
from phasegrad.native import core as _core

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
CASES = [  # (shape of the fine plane stack, factor)
    ((9, 12), (3, 4)), ((9, 12), (1, 2)), ((9, 12), (9, 1)), ((2, 8, 8), 2),
    ((2, 8, 8), (4, 8)), ((3, 7, 5), (7, 5)), ((3, 7, 5), 1), ((2, 2, 6, 4), (3, 2)),
]
LARGE = [  # every dtype on the small cases; one single and one double precision on these
    ((2, 150, 132), (3, 4)),  # 40k elements: beyond the parallel grain (32768)
    ((1, 192, 520), (2, 260)),  # more output columns than one stack of accumulators (256)
]
TWIN_CASES = [(shape, factor, dtype) for shape, factor in CASES for dtype in DTYPES] + [
    (shape, factor, dtype) for shape, factor in LARGE for dtype in (np.float32, np.complex128)]


def draw(shape, dtype, rng):
    return random_like(np.zeros(shape, dtype), rng)


def coarse(shape, factor):
    p, q = (factor, factor) if isinstance(factor, int) else factor
    return shape[:-2] + (shape[-2] // p, shape[-1] // q)


@pytest.mark.parametrize("name", ["bin", "bin_vjp", "tile", "tile_vjp"])
def test_signature_and_documentation_are_the_references(name):
    assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))
    assert getattr(ops, name).reference is getattr(reference, name)
    assert "C++ core" in getattr(ops, name).__doc__


@pytest.mark.parametrize(("shape", "factor", "dtype"), TWIN_CASES)
def test_bin_tile_and_their_vjps(shape, factor, dtype, rng, twins, thread_count):
    fine = draw(shape, dtype, rng)
    small = draw(coarse(shape, factor), dtype, rng)
    twins(ops.bin(fine, factor), reference.bin(fine, factor))
    twins(ops.bin_vjp(small, factor), reference.bin_vjp(small, factor))
    twins(ops.tile(small, factor), reference.tile(small, factor))
    twins(ops.tile_vjp(fine, factor), reference.tile_vjp(fine, factor))


def test_threads_give_identical_results(rng):
    import phasegrad as pg

    x = draw((2, 150, 132), np.complex128, rng)
    for call in (lambda: ops.bin(x, (3, 4)), lambda: ops.tile(x, (2, 3))):
        with pg.threads(1):
            one = call()
        with pg.threads(2):
            two = call()
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_bin_sums_in_double(dtype):
    # One term at a time in float32, 2**24 + 1 + 1 + 1 stays 2**24; in double it is 2**24 + 3,
    # which rounds to 2**24 + 4 in float32.
    x = np.array([[2.0**24, 1.0, 1.0, 1.0]], dtype)
    y = ops.bin(x, (1, 4))
    assert y.dtype == dtype and y[0, 0] == 2.0**24 + 4
    assert ops.tile_vjp(x.T, (4, 1))[0, 0] == 2.0**24 + 4


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float64])
@pytest.mark.parametrize(("shape", "factor"), CASES)
def test_dot_tests(shape, factor, dtype):
    result = check_adjoint(lambda x: ops.bin(x, factor), lambda y: ops.bin_vjp(y, factor),
                           np.zeros(shape, dtype))
    assert result, str(result)
    result = check_adjoint(lambda x: ops.tile(x, factor), lambda y: ops.tile_vjp(y, factor),
                           np.zeros(coarse(shape, factor), dtype))
    assert result, str(result)


def test_strided_and_negative_stride_inputs(rng, twins):
    base = draw((4, 12, 18), np.complex128, rng)
    for view in (base[::2, :, ::-1], base[::-1, ::2, 4:], base.transpose(0, 2, 1)):
        before = view.copy()
        for name in ("bin", "tile", "bin_vjp", "tile_vjp"):
            twins(getattr(ops, name)(view, (3, 2)), getattr(reference, name)(before, (3, 2)))
        np.testing.assert_array_equal(view, before)


# ---------------------------------------------------------------- bad input

BAD_DTYPES = [np.int64, np.bool_, np.float16, np.longdouble, np.clongdouble]
BAD_CALLS = [
    (name, x, factor)
    for name in ("bin", "bin_vjp", "tile", "tile_vjp")
    for x, factor in [
        (np.ones((4, 4)), 0),
        (np.ones((4, 4)), (2, -1)), (np.ones((4, 4)), (2, 2, 2)), (np.ones((4, 4)), 1.5),
        (np.ones((4, 4)), True), (np.ones((4, 4)), "2"), (np.ones((4, 4)), None),
        (np.ones(4), 2), (np.ones((0, 4)), 2), (np.ones((2, 3, 0)), 1),
        *((np.ones((4, 4), dtype), 2) for dtype in BAD_DTYPES),
        (np.ma.masked_array(np.ones((4, 4))), 2), ([[1.0, 2.0], [3.0]], 1),
    ]
] + [(name, x, factor)  # the factor must divide the fine plane
     for name in ("bin", "tile_vjp")
     for x, factor in [(np.ones((2, 9, 12)), (2, 2)), (np.ones((9, 12)), 5)]]


@pytest.mark.parametrize("call", BAD_CALLS, ids=lambda c: c[0] if isinstance(c, tuple) else "")
def test_bad_input_raises_the_references_errors(call, same_error):
    name, *args = call
    same_error(name, *args)


# ---------------------------------------------------------------- the core, called directly

def test_core_refuses_what_it_cannot_read_as_is():
    x = np.ones((2, 4, 6))
    for function in (_core.bin, _core.tile):
        with pytest.raises(TypeError, match="x must have dtype float32, float64, complex64"):
            function(x.astype(np.int32), 2, 2, 1)
        with pytest.raises(TypeError, match="x must have dtype"):
            function(x.astype(np.clongdouble), 2, 2, 1)
        with pytest.raises(ValueError, match="x must be C-contiguous"):
            function(x[:, :, ::-1], 2, 2, 1)
        with pytest.raises(ValueError, match="p must be positive"):
            function(x, 0, 2, 1)
        with pytest.raises(ValueError, match="at least 2 axes"):
            function(np.ones(4), 1, 1, 1)
    with pytest.raises(ValueError, match="must divide the plane"):
        _core.bin(x, 3, 2, 1)
    with pytest.raises(ValueError, match="too large"):
        _core.tile(x, 2**62, 1, 1)
