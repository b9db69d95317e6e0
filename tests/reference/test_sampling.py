"""Tests of phasegrad.reference.sampling: bin, tile and their reverse rules (Section 9)."""

import numpy as np
import pytest

from phasegrad.check import check_adjoint, check_vjp
from phasegrad.reference import bin as bin_
from phasegrad.reference import bin_vjp, tile, tile_vjp

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
TOL = {np.complex64: 1e-5, np.complex128: 1e-12, np.float32: 1e-5, np.float64: 1e-12}
# (shape with a batch axis, factor): odd and even planes, square and unequal factors
CASES = [((2, 9, 12), (3, 2)), ((2, 9, 12), 3), ((2, 8, 8), (4, 1)), ((2, 8, 8), 2),
         ((3, 7, 5), (7, 5)), ((3, 7, 5), (1, 5))]


def random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    draw = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        draw = draw + 1j * rng.standard_normal(shape)
    return draw.astype(dtype)


def pair(factor):
    return factor if isinstance(factor, tuple) else (factor, factor)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "factor"), CASES)
def test_bin_adjoint(shape, factor, dtype):
    result = check_adjoint(lambda x: bin_(x, factor), lambda y: bin_vjp(y, factor),
                           np.empty(shape, dtype))
    assert result.tolerance == TOL[dtype]
    assert result, str(result)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "factor"), CASES)
def test_tile_adjoint(shape, factor, dtype):
    result = check_adjoint(lambda x: tile(x, factor), lambda y: tile_vjp(y, factor),
                           np.empty(shape, dtype))
    assert result, str(result)


def test_paper_example_6x4_to_2x2():
    # Eq. 82-83: a 6 x 4 image binned 3 x 2 into a 2 x 2 image; Eq. 86: its gradient tiles.
    a = np.arange(24.0).reshape(6, 4) ** 1.5
    b = bin_(a, (3, 2))
    expected = np.zeros((2, 2))
    for r in range(2):
        for s in range(2):
            for n in range(3 * r, 3 * r + 3):
                for m in range(2 * s, 2 * s + 2):
                    expected[r, s] += a[n, m]
    np.testing.assert_allclose(b, expected, rtol=1e-15)
    b_bar = np.array([[1.0, 2.0], [3.0, 4.0]])
    a_bar = bin_vjp(b_bar, (3, 2))
    assert a_bar.shape == (6, 4)
    for n in range(6):
        for m in range(4):
            assert a_bar[n, m] == b_bar[n // 3, m // 2]  # Eq. 88


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "factor"), CASES)
def test_values_against_loops(shape, factor, dtype):
    p, q = pair(factor)
    x = random(shape, dtype)
    binned = bin_(x, factor)
    tiled = tile(x, factor)
    assert binned.dtype == dtype and tiled.dtype == dtype
    batch, (n, m) = shape[:-2], shape[-2:]
    assert binned.shape == batch + (n // p, m // q)
    assert tiled.shape == batch + (n * p, m * q)
    expected = np.zeros(binned.shape, np.complex128)
    for r in range(n // p):
        for s in range(m // q):
            expected[..., r, s] = x[..., r * p:(r + 1) * p, s * q:(s + 1) * q].sum(
                axis=(-2, -1), dtype=np.complex128)
    np.testing.assert_allclose(binned, expected, rtol=10 * TOL[dtype], atol=10 * TOL[dtype])
    for k in range(n * p):
        for l_ in range(m * q):
            np.testing.assert_array_equal(tiled[..., k, l_], x[..., k // p, l_ // q])


@pytest.mark.parametrize(("shape", "factor"), CASES)
def test_bin_of_tile_is_pq_times_but_tile_of_bin_is_not(shape, factor):
    p, q = pair(factor)
    x = random(shape, np.float64)
    np.testing.assert_allclose(bin_(tile(x, factor), factor), p * q * x, rtol=1e-13)  # Eq. 91
    if p * q > 1:
        assert not np.allclose(tile(bin_(x, factor), factor), p * q * x)  # Eq. 92


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_vjps_by_finite_differences(dtype):
    x = random((2, 6, 4), dtype)
    result = check_vjp(lambda v: bin_(v, (3, 2)), lambda y_bar: bin_vjp(y_bar, (3, 2)), x)
    assert result, str(result)
    result = check_vjp(lambda v: tile(v, (2, 3)), lambda y_bar: tile_vjp(y_bar, (2, 3)), x)
    assert result, str(result)


def test_real_input_gets_real_gradient():
    for dtype in (np.float32, np.float64):
        y_bar = random((2, 3, 2), dtype)
        assert bin_vjp(y_bar, 2).dtype == dtype
        assert tile_vjp(random((2, 6, 4), dtype), 2).dtype == dtype


def test_bin_accumulates_in_double():
    # In float32, 1e8 + 1 rounds to 1e8 and the 1 is lost; a double accumulator keeps it.
    x = np.array([[1e8, 1.0, -1e8, 1.0]], np.float32)
    y = bin_(x, (1, 4))
    assert y.dtype == np.float32
    assert y[0, 0] == 2.0


def test_factor_forms_and_strided_input():
    x = random((4, 6, 8), np.complex128)
    np.testing.assert_array_equal(bin_(x, 2), bin_(x, (2, 2)))
    np.testing.assert_array_equal(bin_(x, [2, 4]), bin_(x, (2, 4)))
    np.testing.assert_array_equal(bin_(x, np.array([3, 2])), bin_(x, (3, 2)))
    strided = x[::2, :, ::-1]  # a non-contiguous view
    np.testing.assert_array_equal(bin_(strided, 2), bin_(strided.copy(), 2))
    np.testing.assert_array_equal(tile(strided, 2), tile(strided.copy(), 2))


# ---------------------------------------------------------------- bad input

def test_factor_must_divide():
    with pytest.raises(ValueError, match="factor"):
        bin_(np.ones((2, 9, 12)), (2, 2))
    with pytest.raises(ValueError, match="factor"):
        bin_(np.ones((9, 12)), 5)
    with pytest.raises(ValueError, match="factor .* y_bar"):
        tile_vjp(np.ones((9, 12)), (2, 3))


@pytest.mark.parametrize("op", [bin_, bin_vjp, tile, tile_vjp])
def test_bad_factor(op):
    x = np.ones((4, 4))
    with pytest.raises(ValueError, match="factor"):
        op(x, 0)
    with pytest.raises(ValueError, match="factor"):
        op(x, (2, -1))
    with pytest.raises(ValueError, match="factor"):
        op(x, (2, 2, 2))
    with pytest.raises(TypeError, match="factor"):
        op(x, 1.5)
    with pytest.raises(TypeError, match="factor"):
        op(x, True)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float16, np.longdouble])
def test_bad_dtypes(dtype):
    x = np.ones((4, 4), dtype)
    for op in (bin_, tile):
        with pytest.raises(TypeError, match="x must have dtype"):
            op(x, 2)
    for vjp in (bin_vjp, tile_vjp):
        with pytest.raises(TypeError, match="y_bar must have dtype"):
            vjp(x, 2)


def test_needs_a_plane():
    with pytest.raises(ValueError, match="x must have at least 2 axes"):
        bin_(np.ones(4), 2)
    with pytest.raises(ValueError, match="y_bar must have at least 2 axes"):
        tile_vjp(np.ones(4), 2)
