"""Tests of phasegrad.reference.fourier: dft2, idft2, mft, convolve and their reverse rules."""

import numpy as np
import pytest

from phasegrad.check import check_adjoint, check_vjp
from phasegrad.reference import (
    convolve,
    convolve_vjp,
    dft2,
    dft2_vjp,
    fftshift,
    idft2,
    idft2_vjp,
    mft,
    mft_vjp,
    pad,
)

COMPLEX = [np.complex64, np.complex128]
SHAPES = [(2, 9, 12), (2, 8, 8), (3, 7, 5)]  # odd and even planes, each with a batch axis
NORMS = ["backward", "ortho", "forward", 0.37]
TOL = {np.complex64: 1e-5, np.complex128: 1e-12, np.float32: 1e-5, np.float64: 1e-12}


def random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    draw = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        draw = draw + 1j * rng.standard_normal(shape)
    return draw.astype(dtype)


def explicit_dft_matrix(n, sign):
    """The n x n matrix exp(sign 2 pi i k p / n), written out (no FFT)."""
    k = np.arange(n)
    return np.exp(sign * 2j * np.pi * np.outer(k, k) / n)


def assert_close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected, rtol=0,
                               atol=10 * TOL[dtype] * np.max(np.abs(expected)))


# ---------------------------------------------------------------- dft2 / idft2: values

@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_dft2_idft2_match_numpy(norm, shape, dtype):
    x = random(shape, dtype)
    y = dft2(x, norm)
    z = idft2(x, norm)
    assert y.dtype == dtype and z.dtype == dtype
    assert y.shape == shape and z.shape == shape
    x128 = x.astype(np.complex128)
    assert_close(y, np.fft.fft2(x128, norm=norm), dtype)
    assert_close(z, np.fft.ifft2(x128, norm=norm), dtype)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_numeric_norm_is_the_scale_of_the_unnormalised_transform(dtype):
    # Eq. 75 and 78 written as explicit matrix products: y = a F x F^T, z = b F* x F*^T.
    x = random((2, 7, 5), dtype)
    rows, cols = explicit_dft_matrix(7, -1), explicit_dft_matrix(5, -1)
    unnormalised = rows @ x.astype(np.complex128) @ cols.T
    inverse = rows.conj() @ x.astype(np.complex128) @ cols.conj().T
    assert_close(dft2(x, 2.5), 2.5 * unnormalised, dtype)
    assert_close(idft2(x, -0.75), -0.75 * inverse, dtype)
    assert dft2(x, 2.5).dtype == dtype


# ---------------------------------------------------------------- dft2 / idft2: reverse rules

@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm", NORMS)
def test_dft2_adjoint(norm, shape, dtype):
    result = check_adjoint(lambda x: dft2(x, norm), lambda y: dft2_vjp(y, norm),
                           np.empty(shape, dtype))
    assert result.tolerance == TOL[dtype]
    assert result, str(result)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm", NORMS)
def test_idft2_adjoint(norm, shape, dtype):
    result = check_adjoint(lambda x: idft2(x, norm), lambda y: idft2_vjp(y, norm),
                           np.empty(shape, dtype))
    assert result.tolerance == TOL[dtype]
    assert result, str(result)


@pytest.mark.parametrize("norm", NORMS)
def test_dft2_and_idft2_vjps_by_finite_differences(norm):
    x = random((2, 6, 5), np.complex128)
    result = check_vjp(lambda v: dft2(v, norm), lambda y_bar: dft2_vjp(y_bar, norm), x)
    assert result, str(result)
    result = check_vjp(lambda v: idft2(v, norm), lambda y_bar: idft2_vjp(y_bar, norm), x)
    assert result, str(result)


def test_dft2_vjp_is_scaled_unnormalised_inverse():
    # Eq. 79 with a = 1, b = 1/N: the gradient is N * ifft2, not the inverse transform.
    y_bar = random((2, 9, 12), np.complex128)
    np.testing.assert_allclose(dft2_vjp(y_bar), 108 * np.fft.ifft2(y_bar), atol=1e-12)
    np.testing.assert_allclose(idft2_vjp(y_bar), np.fft.fft2(y_bar) / 108, atol=1e-12)
    # Only the unitary normalisation makes the gradient the inverse.
    np.testing.assert_allclose(dft2_vjp(y_bar, "ortho"), idft2(y_bar, "ortho"), atol=1e-12)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_dft2_vjp_keeps_precision(dtype):
    y_bar = random((8, 8), dtype)
    for vjp in (dft2_vjp, idft2_vjp):
        for norm in NORMS:
            assert vjp(y_bar, norm).dtype == dtype


# ---------------------------------------------------------------- mft

MFT_CASES = [  # (x shape, output plane, scale)
    ((2, 7, 5), (9, 12), (0.13, 0.071)),
    ((2, 8, 8), (6, 11), (0.05, 0.2)),
    ((3, 9, 12), (8, 8), 0.09),
]


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize(("x_shape", "plane", "scale"), MFT_CASES)
def test_mft_adjoint(x_shape, plane, scale, dtype):
    result = check_adjoint(lambda x: mft(x, plane, scale),
                           lambda y: mft_vjp(y, x_shape, scale), np.empty(x_shape, dtype))
    assert result, str(result)


def test_mft_vjp_by_finite_differences():
    x = random((2, 5, 4), np.complex128)
    result = check_vjp(lambda v: mft(v, (7, 6), (0.11, 0.3)),
                       lambda y_bar: mft_vjp(y_bar, x.shape, (0.11, 0.3)), x)
    assert result, str(result)


def test_mft_matches_its_definition():
    # y[k, l] = sum_{p,q} x[p, q] exp(-2 pi i (sr p (k - K//2) + sc q (l - L//2))), as loops.
    x = random((3, 4), np.complex128)
    big_k, big_l, sr, sc = 5, 2, 0.17, 0.41
    expected = np.zeros((big_k, big_l), complex)
    for k in range(big_k):
        for m in range(big_l):
            for p in range(3):
                for q in range(4):
                    phase = sr * p * (k - big_k // 2) + sc * q * (m - big_l // 2)
                    expected[k, m] += x[p, q] * np.exp(-2j * np.pi * phase)
    np.testing.assert_allclose(mft(x, (big_k, big_l), (sr, sc)), expected, atol=1e-12)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("n", [16, 15])
def test_mft_with_scale_one_over_n_is_shifted_padded_dft(n, dtype):
    x = random((2, 7, 5), dtype)
    y = mft(x, (n, n), 1 / n)
    assert y.dtype == dtype and y.shape == (2, n, n)
    assert_close(y, fftshift(dft2(pad(x, (n, n)))), dtype)


def test_mft_single_scale_is_both_axes():
    x = random((6, 4), np.complex128)
    np.testing.assert_array_equal(mft(x, (5, 7), 0.2), mft(x, (5, 7), (0.2, 0.2)))
    y_bar = random((5, 7), np.complex128)
    np.testing.assert_array_equal(mft_vjp(y_bar, (6, 4), 0.2), mft_vjp(y_bar, (6, 4), [0.2, 0.2]))


def test_mft_accepts_full_shapes():
    x = random((2, 6, 4), np.complex128)
    np.testing.assert_array_equal(mft(x, (2, 5, 7), 0.2), mft(x, (5, 7), 0.2))
    y_bar = random((2, 5, 7), np.complex128)
    assert mft_vjp(y_bar, (2, 6, 4), 0.2).shape == (2, 6, 4)


# ---------------------------------------------------------------- convolve

def explicit_circular_convolution(x, h):
    n, m = x.shape
    y = np.zeros((n, m), np.result_type(x, h, np.float64))
    for k in range(n):
        for m_out in range(m):
            for p in range(n):
                for q in range(m):
                    y[k, m_out] += x[p, q] * h[(k - p) % n, (m_out - q) % m]
    return y


@pytest.mark.parametrize(("x_dtype", "h_dtype"), [
    (np.complex128, np.complex128), (np.float64, np.float64), (np.float64, np.complex128),
    (np.complex64, np.float32), (np.float32, np.float32),
])
def test_convolve_matches_explicit_sum(x_dtype, h_dtype):
    x = random((4, 5), x_dtype, seed=1)
    h = random((4, 5), h_dtype, seed=2)
    y = convolve(x, h)
    assert y.dtype == np.result_type(x_dtype, h_dtype)
    assert_close(y, explicit_circular_convolution(x.astype(np.complex128), h), x_dtype)


def test_convolve_of_real_inputs_is_real():
    for dtype in (np.float32, np.float64):
        x, h = random((2, 6, 5), dtype), random((6, 5), dtype, seed=3)
        assert convolve(x, h).dtype == dtype
        x_bar, h_bar = convolve_vjp(random((2, 6, 5), dtype, seed=4), x, h)
        assert x_bar.dtype == dtype and h_bar.dtype == dtype


def test_convolve_with_delta_is_identity_and_shift():
    x = random((2, 7, 6), np.complex128)
    delta = np.zeros((7, 6), np.complex128)
    delta[0, 0] = 1
    np.testing.assert_allclose(convolve(x, delta), x, atol=1e-14)
    delta = np.roll(delta, (2, 1), axis=(0, 1))
    np.testing.assert_allclose(convolve(x, delta), np.roll(x, (2, 1), axis=(-2, -1)), atol=1e-14)


@pytest.mark.parametrize(("x_shape", "h_shape"), [
    ((2, 6, 5), (2, 6, 5)),
    ((3, 6, 5), (6, 5)),     # batched x, one kernel: h_bar summed over the batch
    ((6, 5), (2, 6, 5)),     # one x, batched kernels: x_bar summed
    ((1, 6, 5), (3, 6, 5)),  # broadcast along a length-1 axis
])
@pytest.mark.parametrize(("x_dtype", "h_dtype"), [
    (np.complex128, np.complex128), (np.float64, np.float64),
    (np.float64, np.complex128), (np.complex128, np.float64),
])
def test_convolve_vjp_by_finite_differences(x_shape, h_shape, x_dtype, h_dtype):
    x = random(x_shape, x_dtype, seed=5)
    h = random(h_shape, h_dtype, seed=6)
    x_bar, h_bar = convolve_vjp(random(np.broadcast_shapes(x_shape, h_shape),
                                       np.result_type(x, h), seed=7), x, h)
    assert x_bar.shape == x_shape and h_bar.shape == h_shape
    assert np.iscomplexobj(x_bar) == np.iscomplexobj(x)  # real input, real gradient (Eq. 67)
    assert np.iscomplexobj(h_bar) == np.iscomplexobj(h)
    result = check_vjp(convolve, lambda y_bar: convolve_vjp(y_bar, x, h), (x, h))
    assert result, str(result)


def test_convolve_h_bar_is_sum_over_batch():
    x = random((3, 6, 5), np.complex128)
    h = random((6, 5), np.complex128, seed=1)
    y_bar = random((3, 6, 5), np.complex128, seed=2)
    _, h_bar = convolve_vjp(y_bar, x, h)
    per_plane = [convolve_vjp(y_bar[b], x[b], h)[1] for b in range(3)]
    np.testing.assert_allclose(h_bar, sum(per_plane), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_convolve_adjoint_in_x_and_in_h(shape, dtype):
    x0 = random(shape, dtype, seed=1)
    h0 = random(shape[-2:], dtype, seed=2)
    in_x = check_adjoint(lambda x: convolve(x, h0), lambda y: convolve_vjp(y, x0, h0)[0], x0)
    assert in_x.tolerance == TOL[dtype]
    assert in_x, str(in_x)
    in_h = check_adjoint(lambda h: convolve(x0, h), lambda y: convolve_vjp(y, x0, h0)[1], h0)
    assert in_h, str(in_h)


@pytest.mark.parametrize("dtype", [np.complex64, np.float32])
def test_single_precision_stays_single(dtype):
    x = random((2, 8, 8), dtype)
    assert convolve(x, x[0]).dtype == dtype
    assert all(g.dtype == dtype for g in convolve_vjp(x, x, x[0]))
    if dtype == np.complex64:
        assert mft(x, (5, 6), 0.1).dtype == dtype
        assert mft_vjp(random((2, 5, 6), dtype), (8, 8), 0.1).dtype == dtype


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("op", [dft2, idft2, dft2_vjp, idft2_vjp])
def test_transforms_refuse_real_and_other_dtypes(op):
    with pytest.raises(TypeError, match="to_complex"):
        op(np.ones((4, 4)))
    for dtype in (np.int64, np.bool_, np.float16, np.longdouble, np.clongdouble):
        with pytest.raises(TypeError, match="complex64 or complex128"):
            op(np.ones((4, 4), dtype))


@pytest.mark.parametrize("op", [dft2, idft2, dft2_vjp, idft2_vjp])
@pytest.mark.parametrize("norm", ["unitary", "BACKWARD", None, True, 1j, [1.0]])
def test_bad_norm_lists_the_choices(op, norm):
    with pytest.raises(ValueError, match="norm must be one of 'backward', 'ortho', 'forward'"):
        op(np.ones((4, 4), complex), norm)


def test_non_finite_norm():
    with pytest.raises(ValueError, match="norm"):
        dft2(np.ones((4, 4), complex), np.inf)


def test_transforms_need_a_plane():
    with pytest.raises(ValueError, match="x must have at least 2 axes"):
        dft2(np.ones(4, complex))
    with pytest.raises(ValueError, match="empty"):
        idft2(np.ones((0, 4), complex))


def test_mft_bad_input():
    x = np.ones((2, 4, 4), complex)
    with pytest.raises(TypeError, match="to_complex"):
        mft(np.ones((4, 4)), (4, 4), 0.1)
    with pytest.raises(ValueError, match=r"^shape \(3, 4, 4\) has leading axes"):
        mft(x, (3, 4, 4), 0.1)  # leading entry is not the batch
    with pytest.raises(ValueError, match="^shape must have at least two entries"):
        mft(x, (4,), 0.1)
    with pytest.raises(ValueError, match="^shape must be a positive integer"):
        mft(x, (0, 4), 0.1)
    with pytest.raises(ValueError, match="^scale must be a number or a pair"):
        mft(x, (4, 4), (0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="^scale must be finite"):
        mft(x, (4, 4), np.nan)
    with pytest.raises(TypeError, match="^scale must be a real number"):
        mft(x, (4, 4), "0.1")
    with pytest.raises(ValueError, match=r"^x_shape \(3, 4, 4\) has leading axes"):
        mft_vjp(x, (3, 4, 4), 0.1)
    with pytest.raises(TypeError, match="^y_bar must have dtype complex64 or complex128"):
        mft_vjp(np.ones((4, 4), np.float32), (4, 4), 0.1)


def test_convolve_bad_input():
    x = np.ones((2, 4, 5), complex)
    with pytest.raises(ValueError, match="^x and h must have the same plane shape"):
        convolve(x, np.ones((4, 4), complex))
    with pytest.raises(ValueError, match=r"broadcast together: x \(2, 4, 5\), h \(3, 4, 5\)"):
        convolve(x, np.ones((3, 4, 5), complex))
    with pytest.raises(TypeError, match="x .* and h .* same precision"):
        convolve(x.astype(np.complex64), np.ones((4, 5)))
    with pytest.raises(TypeError, match="^h must have dtype .* got int32"):
        convolve(x, np.ones((4, 5), np.int32))
    with pytest.raises(ValueError, match=r"^y_bar must have shape \(2, 4, 5\)"):
        convolve_vjp(np.ones((4, 5), complex), x, x[0])
    with pytest.raises(TypeError, match=r"x \(complex128\) and y_bar \(complex64\)"):
        convolve_vjp(np.ones((2, 4, 5), np.complex64), x, x[0])
