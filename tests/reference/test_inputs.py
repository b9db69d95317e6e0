"""Inputs that every op of phasegrad.reference must handle: strided views, ndarray subclasses,
Python and NumPy numbers, and the bad inputs that must give a TypeError/ValueError naming the
argument rather than a crash or a silently different answer."""

import numpy as np
import pytest

from phasegrad import reference as ref

rng = np.random.default_rng(0)
_COMPLEX_BASE = rng.standard_normal((2, 12, 16)) + 1j * rng.standard_normal((2, 12, 16))
_REAL_BASE = rng.random((2, 12, 16)) + 0.5  # positive: power and mean_normalize
# Reversed batch, every other row, every other column backwards: (2, 6, 8), negative strides.
C = _COMPLEX_BASE[::-1, ::2, ::-2]
R = _REAL_BASE[::-1, ::2, ::-2]
INDEX = np.array([3, 0, 47, 3, 20])
UNIQUE = np.array([3, 0, 47, 20, 9])

# (label, op, arguments): each call sees non-contiguous, negative-stride views.
CALLS = [
    ("add", ref.add, (R, C)),
    ("add_vjp", ref.add_vjp, (C, R[:, :1], C)),
    ("mul", ref.mul, (C, R)),
    ("mul_vjp", ref.mul_vjp, (C, R, C)),
    ("matmul", ref.matmul, (C, R.swapaxes(-1, -2))),
    ("matmul_vjp", ref.matmul_vjp, (C[..., :6], C, R.swapaxes(-1, -2))),
    ("power", ref.power, (R, 2.5)),
    ("power_vjp", ref.power_vjp, (C, C, 3.0)),
    ("abs2", ref.abs2, (C,)),
    ("abs2_vjp", ref.abs2_vjp, (R, C)),
    ("real", ref.real, (C,)),
    ("imag_vjp", ref.imag_vjp, (R,)),
    ("exp_vjp", ref.exp_vjp, (C, C)),
    ("expi", ref.expi, (R,)),
    ("expi_vjp", ref.expi_vjp, (C, C)),
    ("basis", ref.basis, (R[:, 1, :2], R)),
    ("basis_vjp", ref.basis_vjp, (C, R)),
    ("take", ref.take, (C, INDEX)),
    ("take_vjp", ref.take_vjp, (C[:, 0, :5], INDEX, (6, 8))),
    ("put", ref.put, (C[:, 0, :5], UNIQUE, (6, 8))),
    ("broadcast", ref.broadcast, (R[:, :1, :], (3, 2, 6, 8))),
    ("broadcast_vjp", ref.broadcast_vjp, (C, (6, 1))),
    ("to_complex_vjp", ref.to_complex_vjp, (C,)),
    ("dft2", ref.dft2, (C, "ortho")),
    ("idft2_vjp", ref.idft2_vjp, (C, 0.3)),
    ("bin", ref.bin, (C, (3, 2))),
    ("tile_vjp", ref.tile_vjp, (C, 2)),
    ("tile", ref.tile, (R, (2, 3))),
    ("pad", ref.pad, (C, (9, 10))),
    ("crop", ref.crop, (C, (4, 5))),
    ("fftshift", ref.fftshift, (C,)),
    ("ifftshift_vjp", ref.ifftshift_vjp, (C,)),
    ("wsse", ref.wsse, (R, R[::-1], R[0, :1])),
    ("wsse_vjp", ref.wsse_vjp, (1.5, R, R[::-1], R[0])),
    ("poly_detector", ref.poly_detector, (R, 0.3, 1.2, 0.1)),
    ("poly_detector_vjp", ref.poly_detector_vjp, (R[::-1], R, 0.3, 1.2)),
    ("mft", ref.mft, (C, (5, 7), (0.1, 0.07))),
    ("mft_vjp", ref.mft_vjp, (C, (2, 4, 3), 0.1)),
    ("convolve", ref.convolve, (C, R[0])),
    ("convolve_vjp", ref.convolve_vjp, (C, R, C[0])),
    ("mean_normalize", ref.mean_normalize, (R, 2.0)),
    ("mean_normalize_vjp", ref.mean_normalize_vjp, (C, R, 2.0)),
]


def _contiguous(value):
    return np.ascontiguousarray(value) if isinstance(value, np.ndarray) else value


def _parts(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("label, op, args", CALLS, ids=[c[0] for c in CALLS])
def test_strided_views_give_the_answer_of_contiguous_copies(label, op, args):
    assert any(isinstance(a, np.ndarray) and not a.flags.c_contiguous for a in args)
    strided = _parts(op(*args))
    contiguous = _parts(op(*(_contiguous(a) for a in args)))
    assert len(strided) == len(contiguous)
    for got, want in zip(strided, contiguous, strict=True):
        assert type(got) is type(want)
        scale = float(np.max(np.abs(want)))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * max(scale, 1.0),
                                   err_msg=label)


def test_views_are_not_written_to():
    before_c, before_r = _COMPLEX_BASE.copy(), _REAL_BASE.copy()
    for _, op, args in CALLS:
        op(*args)
    np.testing.assert_array_equal(_COMPLEX_BASE, before_c)
    np.testing.assert_array_equal(_REAL_BASE, before_r)


# ----------------------------------------------------------------- ndarray subclasses


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_matrix_inputs_are_treated_element_wise():
    # np.matrix makes '*' a matrix product; the ops must still compute Eq. 53 element-wise.
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y_bar = np.array([[1.0, 1.0], [0.5, 2.0]])
    x_bar = ref.abs2_vjp(np.asmatrix(y_bar), np.asmatrix(x))
    assert type(x_bar) is np.ndarray
    np.testing.assert_array_equal(x_bar, 2 * x * y_bar)


def test_masked_arrays_are_refused():
    masked = np.ma.masked_array(np.ones((2, 3)), mask=np.eye(2, 3, dtype=bool))
    with pytest.raises(TypeError, match="^x must be an ndarray, not a masked array"):
        ref.abs2(masked)
    with pytest.raises(TypeError, match="^w must be an ndarray, not a masked array"):
        ref.wsse(np.ones((2, 3)), np.ones((2, 3)), masked)


def test_ragged_lists_name_the_argument():
    with pytest.raises(ValueError, match="^x must be an array"):
        ref.abs2([[1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="^w must be an array"):  # w may also be a number
        ref.wsse(np.ones((2, 3)), np.ones((2, 3)), [[1.0], [1.0, 2.0]])


# ----------------------------------------------------------------- Python and NumPy numbers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_only_x_may_be_a_python_number(dtype):
    y = np.ones((2, 3), dtype)
    for op in (ref.add, ref.mul):
        with pytest.raises(TypeError, match="^y must be an array; got float"):
            op(y, 2.0)
    with pytest.raises(TypeError, match="^y must be an array; got complex"):
        ref.mul_vjp(y, y, 1j)
    assert ref.mul(2.0, y).dtype == dtype  # the supported spelling


@pytest.mark.parametrize("c", [np.float64(2.5), np.float32(2.5), np.array(2.5), 2.5])
def test_power_exponent_is_any_real_number(c):
    x = rng.random((3, 4)).astype(np.float32) + 0.5
    y = ref.power(x, c)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, ref.power(x, 2.5))
    np.testing.assert_array_equal(ref.power_vjp(x, x, c), ref.power_vjp(x, x, 2.5))
    np.testing.assert_array_equal(ref.power(x, np.int64(3)), ref.power(x, 3))


def test_non_finite_array_exponent_is_refused():
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match="^c must be finite"):
        ref.power(x, np.array([1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(ValueError, match="^c must be finite"):
        ref.power_vjp(x, x, np.full(4, np.inf))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("w", [0.5, np.float64(0.5), np.array(0.5, np.float32)])
def test_wsse_weight_may_be_one_number(dtype, w):
    M = rng.standard_normal((3, 4)).astype(dtype)
    D = rng.standard_normal((3, 4)).astype(dtype)
    assert ref.wsse(M, D, w) == pytest.approx(0.5 * ref.wsse(M, D), rel=1e-14)
    M_bar = ref.wsse_vjp(1.0, M, D, w)
    assert M_bar.dtype == dtype
    np.testing.assert_array_equal(M_bar, ref.wsse_vjp(1.0, M, D, np.full((3, 4), 0.5, dtype)))
    with pytest.raises(ValueError, match="^w must be finite"):
        ref.wsse(M, D, np.full(4, np.nan, dtype))
    with pytest.raises(TypeError, match="^w must be a real number"):
        ref.wsse(M, D, 0.5j)


def test_ints_beyond_double_range_are_a_value_error():
    intensity = np.ones((3, 4))
    with pytest.raises(ValueError, match="^a must be finite"):
        ref.poly_detector(intensity, 10**400, 1.0, 0.0)
    with pytest.raises(ValueError, match="^c must be finite"):
        ref.mean_normalize(intensity, -(10**400))
    with pytest.raises(ValueError, match="^c must be finite"):
        ref.power(intensity, 10**400)


def test_zero_dimensional_factor():
    x = rng.standard_normal((4, 6))
    np.testing.assert_array_equal(ref.bin(x, np.array(2)), ref.bin(x, 2))
    np.testing.assert_array_equal(ref.tile(x, np.int64(2)), ref.tile(x, 2))
    with pytest.raises(ValueError, match="^factor must be a positive integer"):
        ref.bin(x, np.array(0))
