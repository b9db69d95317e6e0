"""C++ Fourier ops against their reference twins; dot tests of the C++ linear ops."""

import numpy as np
import pytest

from phasegrad import ops, reference
from phasegrad.check import check_adjoint, random_like

DTYPES = [np.complex64, np.complex128]
SHAPES = [(8, 8), (9, 12), (3, 7, 5), (2, 2, 6, 4), (1, 16)]
NORMS = ["backward", "ortho", "forward", 0.25]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ["dft2", "dft2_vjp", "idft2", "idft2_vjp"])
def test_matches_reference(name, norm, shape, dtype, rng, twins, thread_count):
    x = random_like(np.zeros(shape, dtype), rng)
    twins(getattr(ops, name)(x, norm=norm), getattr(reference, name)(x, norm=norm))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 8), (9, 12), (3, 7, 5)])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ["dft2", "idft2"])
def test_dot_test(name, norm, shape, dtype):
    forward = getattr(ops, name)
    adjoint = getattr(ops, f"{name}_vjp")
    result = check_adjoint(lambda v: forward(v, norm=norm), lambda w: adjoint(w, norm=norm),
                           np.zeros(shape, dtype))
    assert result.ok, result


def test_strided_and_negative_stride_inputs(rng, twins):
    base = random_like(np.zeros((3, 10, 12), np.complex128), rng)
    for view in (base[:, ::2, ::-3], base[::-1, 1:, :], base.transpose(0, 2, 1)):
        before = view.copy()
        twins(ops.dft2(view, norm="ortho"), reference.dft2(before, norm="ortho"))
        np.testing.assert_array_equal(view, before)


def test_large_batch_uses_threads_and_agrees(rng, twins):
    x = random_like(np.zeros((4, 128, 128), np.complex128), rng)
    import phasegrad as pg

    with pg.threads(1):
        one = ops.dft2(x)
    with pg.threads(2):
        two = ops.dft2(x)
    twins(two, one, rtol=1e-14)
    twins(one, reference.dft2(x))


@pytest.mark.parametrize("name", ["dft2", "idft2", "dft2_vjp", "idft2_vjp"])
@pytest.mark.parametrize("x, error, match", [
    (np.ones((4, 4)), TypeError, "complex64 or complex128"),
    (np.ones((4, 4), dtype=np.clongdouble), TypeError, "complex64 or complex128"),
    (np.ones(4, dtype=complex), ValueError, "at least 2 axes"),
    (np.ones((0, 4), dtype=complex), ValueError, "must not be empty"),
])
def test_bad_input(name, x, error, match):
    with pytest.raises(error, match=match):
        getattr(ops, name)(x)
    with pytest.raises(ValueError, match="norm"):
        getattr(ops, name)(np.ones((4, 4), complex), norm="sideways")
