"""The compiled core: FFTW is linked, and its 2-D transform is right in both precisions."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import relative_error
from phasegrad.fft import dft2_unnormalized
from phasegrad.native import core as _core


def test_fftw_version_names_fftw3():
    version = pg.fftw_version()
    assert version.startswith("fftw-3."), version


@pytest.mark.parametrize("dtype, tol", [(np.complex64, 1e-6), (np.complex128, 1e-14)])
@pytest.mark.parametrize("shape", [(8, 8), (9, 12), (3, 7, 5), (2, 2, 6, 4)])
@pytest.mark.parametrize("inverse", [False, True])
def test_dft2_matches_numpy(dtype, tol, shape, inverse):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    y = dft2_unnormalized(x, inverse=inverse)
    plane = shape[-1] * shape[-2]
    expected = np.fft.ifft2(x) * plane if inverse else np.fft.fft2(x)
    assert y.dtype == dtype and y.shape == x.shape
    assert relative_error(y, expected) < tol


def test_dft2_handles_strided_views_and_leaves_input_alone():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((10, 12)) + 1j * rng.standard_normal((10, 12))
    view = base[::2, ::-3]
    before = view.copy()
    assert relative_error(dft2_unnormalized(view), np.fft.fft2(before)) < 1e-14
    np.testing.assert_array_equal(view, before)


@pytest.mark.parametrize("x, error", [
    (np.ones((4, 4)), TypeError),
    (np.ones((4, 4), dtype=np.clongdouble), TypeError),
    (np.ones(4, dtype=complex), ValueError),
    (np.ones((0, 4), dtype=complex), ValueError),
])
def test_dft2_rejects_bad_input(x, error):
    with pytest.raises(error, match="x"):
        dft2_unnormalized(x)


def test_core_boundary_is_strict_without_the_python_checks():
    with pytest.raises(TypeError, match="complex64 or complex128"):
        _core.dft2(np.ones((4, 4)), 1.0, False, 1)
    with pytest.raises(ValueError, match="at least 2 axes"):
        _core.dft2(np.ones(4, dtype=complex), 1.0, False, 1)


def test_core_boundary_refuses_misaligned_arrays():
    # A C-contiguous array at an odd address is undefined behaviour to read through a typed
    # pointer (and vectorised loops may fault on it): the core refuses it, never reads it.
    buffer = np.zeros(16 * 16 + 16, dtype=np.uint8)
    x = np.frombuffer(buffer, dtype=np.complex128, count=16, offset=1).reshape(4, 4)
    assert x.flags.c_contiguous and not x.flags.aligned
    with pytest.raises(ValueError, match="x must be aligned"):
        _core.dft2(x, 1.0, False, 1)
    with pytest.raises(ValueError, match="x must be aligned"):
        _core.abs2(x, 1)
    np.testing.assert_allclose(dft2_unnormalized(x), np.fft.fft2(x), rtol=1e-12, atol=1e-12)
