"""Tests of phasegrad.reference.indexing: take, put, pad, crop, fftshift, ifftshift."""

import numpy as np
import pytest

from phasegrad.check import check_adjoint, check_vjp
from phasegrad.reference import (
    crop,
    crop_vjp,
    fftshift,
    fftshift_vjp,
    ifftshift,
    ifftshift_vjp,
    pad,
    pad_vjp,
    put,
    put_vjp,
    take,
    take_vjp,
)

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
SHAPES = [(2, 9, 12), (2, 8, 8), (3, 7, 5)]  # odd and even planes, each with a batch axis
TOL = {np.complex64: 1e-5, np.complex128: 1e-12, np.float32: 1e-5, np.float64: 1e-12}


def random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    draw = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        draw = draw + 1j * rng.standard_normal(shape)
    return draw.astype(dtype)


def mask_for(plane, seed=0):
    mask = np.random.default_rng(seed).random(plane) < 0.4
    mask[0, 0] = True
    return mask


def indices_for(plane, seed=0, repeats=True):
    size = plane[0] * plane[1]
    rng = np.random.default_rng(seed)
    flat = rng.permutation(size)[: max(1, size // 3)]
    if repeats:  # repeated pixels must accumulate in the reverse rule (Eq. 62)
        flat = np.concatenate([flat, flat[:3], [size - 1, 0]])
    return flat


def assert_dot_test(forward, adjoint, shape, dtype):
    result = check_adjoint(forward, adjoint, np.empty(shape, dtype))
    assert result.tolerance == TOL[dtype]
    assert result, str(result)


# ---------------------------------------------------------------- take / put

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["mask", "indices"])
def test_take_adjoint(kind, shape, dtype):
    plane = shape[-2:]
    index = mask_for(plane) if kind == "mask" else indices_for(plane)
    assert_dot_test(lambda x: take(x, index), lambda y: take_vjp(y, index, shape), shape, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["mask", "indices"])
def test_put_adjoint(kind, shape, dtype):
    plane = shape[-2:]
    index = mask_for(plane) if kind == "mask" else indices_for(plane, repeats=False)
    k = np.count_nonzero(index) if kind == "mask" else index.size
    assert_dot_test(lambda x: put(x, index, plane), lambda y: put_vjp(y, index, plane),
                    shape[:-2] + (k,), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_values(dtype):
    x = random((2, 7, 5), dtype)
    mask = mask_for((7, 5))
    y = take(x, mask)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, x[:, mask])  # row-major order of the true pixels
    index = np.array([34, 0, 6, 6])
    expected = [[x[b, 6, 4], x[b, 0, 0], x[b, 1, 1], x[b, 1, 1]] for b in range(2)]
    np.testing.assert_array_equal(take(x, index), np.array(expected))


def test_take_vjp_accumulates_repeated_indices():
    index = np.array([3, 3, 3, 0, 7])
    y_bar = np.array([[1.0, 2.0, 4.0, 8.0, 16.0]])
    x_bar = take_vjp(y_bar, index, (1, 3, 4))
    expected = np.zeros((1, 12))
    for position, flat in enumerate(index):  # Eq. 62 as a loop
        expected[0, flat] += y_bar[0, position]
    np.testing.assert_array_equal(x_bar, expected.reshape(1, 3, 4))


def test_put_values_and_vjp_is_take():
    x = random((2, 3), np.complex128)
    index = np.array([5, 0, 9])
    y = put(x, index, (3, 4))
    expected = np.zeros((2, 12), complex)
    expected[:, [5, 0, 9]] = x
    np.testing.assert_array_equal(y, expected.reshape(2, 3, 4))
    y_bar = random((2, 3, 4), np.complex128, seed=1)
    np.testing.assert_array_equal(put_vjp(y_bar, index, (3, 4)), take(y_bar, index))
    mask = np.zeros((3, 4), bool)
    mask.flat[[0, 5, 9]] = True
    np.testing.assert_array_equal(put(x, mask, (2, 3, 4)).reshape(2, 12)[:, mask.ravel()], x)


def test_take_and_put_vjps_by_finite_differences():
    x = random((2, 5, 6), np.complex128)
    index = indices_for((5, 6))
    result = check_vjp(lambda v: take(v, index), lambda y_bar: take_vjp(y_bar, index, x.shape), x)
    assert result, str(result)
    values = random((2, 4), np.float64)
    index = np.array([29, 3, 11, 12])
    result = check_vjp(lambda v: put(v, index, (5, 6)),
                       lambda y_bar: put_vjp(y_bar, index, (5, 6)), values)
    assert result, str(result)


# ---------------------------------------------------------------- pad / crop

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_pad_and_crop_adjoint(shape, dtype):
    big = (shape[-2] + 5, shape[-1] + 2)
    assert_dot_test(lambda x: pad(x, big), lambda y: pad_vjp(y, shape), shape, dtype)
    small = (shape[-2] - 3, shape[-1] - 1)
    assert_dot_test(lambda x: crop(x, small), lambda y: crop_vjp(y, shape), shape, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_and_crop_values(dtype):
    x = random((2, 7, 5), dtype)
    y = pad(x, (10, 8))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (0, 3), (0, 3))))  # top-left placement
    np.testing.assert_array_equal(crop(y, (7, 5)), x)
    np.testing.assert_array_equal(crop(x, (2, 3, 4)), x[:, :3, :4])
    np.testing.assert_array_equal(pad(x, (2, 7, 5)), x)  # same size: a copy of x


def test_ops_never_return_views_of_their_input():
    x = random((2, 8, 8), np.complex128)
    for y in (crop(x, (5, 5)), pad(x, (8, 8)), fftshift(x), take(x, np.array([1, 2]))):
        assert not np.shares_memory(x, y)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_pad_and_crop_vjps_by_finite_differences(dtype):
    x = random((2, 7, 6), dtype)
    result = check_vjp(lambda v: pad(v, (9, 10)), lambda y_bar: pad_vjp(y_bar, x.shape), x)
    assert result, str(result)
    result = check_vjp(lambda v: crop(v, (4, 5)), lambda y_bar: crop_vjp(y_bar, x.shape), x)
    assert result, str(result)


def test_pad_vjp_is_crop_and_crop_vjp_is_pad():
    y_bar = random((2, 9, 12), np.complex128)
    np.testing.assert_array_equal(pad_vjp(y_bar, (2, 7, 5)), y_bar[:, :7, :5])
    small = random((2, 7, 5), np.complex128)
    np.testing.assert_array_equal(crop_vjp(small, (9, 12)), pad(small, (9, 12)))


# ---------------------------------------------------------------- fftshift / ifftshift

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_shift_adjoints(shape, dtype):
    assert_dot_test(fftshift, fftshift_vjp, shape, dtype)
    assert_dot_test(ifftshift, ifftshift_vjp, shape, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("shape", SHAPES)
def test_shift_vjps_by_finite_differences(shape, dtype):
    x = random(shape, dtype)
    for op, op_vjp in ((fftshift, fftshift_vjp), (ifftshift, ifftshift_vjp)):
        result = check_vjp(op, op_vjp, x)
        assert result, f"{op.__name__}: {result}"


@pytest.mark.parametrize("shape", SHAPES)
def test_shifts_match_numpy_on_last_two_axes(shape):
    x = random(shape, np.float32)
    assert fftshift(x).dtype == np.float32
    np.testing.assert_array_equal(fftshift(x), np.fft.fftshift(x, axes=(-2, -1)))
    np.testing.assert_array_equal(ifftshift(x), np.fft.ifftshift(x, axes=(-2, -1)))
    np.testing.assert_array_equal(ifftshift(fftshift(x)), x)
    np.testing.assert_array_equal(fftshift_vjp(x), ifftshift(x))
    np.testing.assert_array_equal(ifftshift_vjp(x), fftshift(x))


def test_fftshift_centres_the_zero_frequency():
    for n, m in ((7, 5), (8, 6)):
        x = np.zeros((n, m))
        x[0, 0] = 1
        assert fftshift(x)[n // 2, m // 2] == 1
        assert ifftshift(fftshift(x))[0, 0] == 1


# ---------------------------------------------------------------- bad input

BAD_DTYPES = [np.int64, np.bool_, np.float16, np.longdouble]


@pytest.mark.parametrize("dtype", BAD_DTYPES)
def test_bad_dtypes(dtype):
    x = np.ones((4, 4), dtype)
    for call in (lambda: take(x, np.array([0])), lambda: pad(x, (5, 5)),
                 lambda: crop(x, (2, 2)), lambda: fftshift(x), lambda: ifftshift(x)):
        with pytest.raises(TypeError, match="x must have dtype"):
            call()
    with pytest.raises(TypeError, match="x must have dtype"):
        put(np.ones(2, dtype), np.array([0, 1]), (2, 2))
    for call in (lambda: take_vjp(np.ones(1, dtype), np.array([0]), (4, 4)),
                 lambda: put_vjp(x, np.array([0]), (4, 4)), lambda: pad_vjp(x, (2, 2)),
                 lambda: crop_vjp(x, (5, 5)), lambda: fftshift_vjp(x),
                 lambda: ifftshift_vjp(x)):
        with pytest.raises(TypeError, match="y_bar must have dtype"):
            call()


def test_bad_index():
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="index out of range"):
        take(x, np.array([0, 12]))
    with pytest.raises(ValueError, match="index out of range"):
        take(x, np.array([-1]))
    with pytest.raises(ValueError, match="index out of range"):
        take_vjp(np.ones((2, 1)), np.array([12]), (3, 4))
    with pytest.raises(ValueError, match="index, a boolean mask, must have the plane shape"):
        take(x, np.ones((4, 3), bool))
    with pytest.raises(ValueError, match="^index, a boolean mask, must select at least one"):
        take(x, np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match="^index must select at least one pixel"):
        take(x, np.array([], int))
    with pytest.raises(ValueError, match="^index, integer flat indices, must be one-dim"):
        take(x, np.array([[0, 1]]))
    with pytest.raises(TypeError, match="^index must be a boolean mask or integer"):
        take(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="index must not repeat"):
        put(np.ones(3), np.array([1, 2, 1]), (3, 4))
    with pytest.raises(ValueError, match="index must not repeat"):
        put_vjp(np.ones((3, 4)), np.array([1, 1]), (3, 4))


def test_bad_shapes():
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="x must have 2 entries"):
        put(np.ones((2, 3)), np.array([0, 1]), (3, 4))
    with pytest.raises(ValueError, match="y_bar must have 2 entries"):
        take_vjp(np.ones((2, 3)), np.array([0, 1]), (3, 4))
    with pytest.raises(ValueError, match="y_bar must have the plane shape"):
        put_vjp(np.ones((3, 5)), np.array([0, 1]), (3, 4))
    with pytest.raises(ValueError, match="shape .* at least the plane of x"):
        pad(x, (3, 3))
    with pytest.raises(ValueError, match="shape .* at most the plane of x"):
        crop(x, (4, 4))
    with pytest.raises(ValueError, match="x_shape .* at most the plane of y_bar"):
        pad_vjp(x, (4, 4))
    with pytest.raises(ValueError, match="x_shape .* at least the plane of y_bar"):
        crop_vjp(x, (3, 3))
    with pytest.raises(ValueError, match="shape .* batch"):
        pad(x, (3, 5, 5))
    with pytest.raises(ValueError, match="x_shape .* batch"):
        take_vjp(np.ones((2, 1)), np.array([0]), (3, 3, 4))
    with pytest.raises(ValueError, match="^shape must have at least two entries"):
        pad(x, (5,))
    with pytest.raises(TypeError, match="^shape must be a tuple of ints"):
        crop(x, 3)
    with pytest.raises(ValueError, match="x must have at least 2 axes"):
        fftshift(np.ones(4))
