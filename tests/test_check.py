"""phasegrad.check must catch wrong reverse rules, not only pass right ones."""

import numpy as np
import pytest

from phasegrad.check import check_adjoint, check_vjp, relative_error

rng = np.random.default_rng(0)
Z = rng.standard_normal((5, 6)) + 1j * rng.standard_normal((5, 6))


def test_adjoint_of_fft_passes_and_inverse_fails():
    x = np.zeros((6, 7), complex)
    assert check_adjoint(np.fft.fft2, lambda y: np.fft.ifft2(y) * 42, x)
    # The inverse is not the adjoint unless the transform is unitary (Sec. 8).
    assert not check_adjoint(np.fft.fft2, np.fft.ifft2, x)


def test_adjoint_missing_conjugate_fails():
    a = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))
    x = np.zeros((4, 3), complex)
    assert check_adjoint(lambda v: a @ v, lambda y: a.conj().T @ y, x)
    assert not check_adjoint(lambda v: a @ v, lambda y: a.T @ y, x)


def test_r_linear_ops_need_the_real_inner_product():
    x = np.zeros((3, 4))
    forward = lambda v: v.astype(complex)  # noqa: E731
    adjoint = lambda y: y.real  # noqa: E731
    assert check_adjoint(forward, adjoint, x, real_inner=True)
    assert not check_adjoint(np.real, lambda y: y.astype(complex) * 1j, Z, real_inner=True)


def test_vjp_catches_a_gradient_times_i():
    """The pitfall of a factor of 1j: an adjoint returning i x the right gradient."""
    right = check_vjp(lambda z: np.abs(z) ** 2, lambda y_bar: 2 * Z * y_bar, Z)
    wrong = check_vjp(lambda z: np.abs(z) ** 2, lambda y_bar: 2j * Z * y_bar, Z)
    assert right.ok, right
    assert not wrong.ok and wrong.error > 0.1


def test_vjp_catches_a_conjugated_gradient():
    """JAX's convention (the conjugate) is wrong in phasegrad's."""
    w = rng.standard_normal((5, 6)) + 1j * rng.standard_normal((5, 6))
    right = check_vjp(lambda z: w * z, lambda y_bar: np.conj(w) * y_bar, Z)
    wrong = check_vjp(lambda z: w * z, lambda y_bar: np.conj(np.conj(w) * y_bar), Z)
    assert right.ok and not wrong.ok


def test_vjp_requires_real_gradients_for_real_inputs():
    x = rng.standard_normal(5)
    result = check_vjp(lambda v: np.exp(1j * v), lambda y_bar: y_bar * np.exp(-1j * x), x)
    assert not result.ok and "Eq. 67" in result.detail
    fixed = check_vjp(lambda v: np.exp(1j * v), lambda y_bar: np.imag(y_bar * np.exp(-1j * x)),
                      x)
    assert fixed.ok, fixed


def test_vjp_with_several_inputs_and_a_scalar_output():
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    result = check_vjp(lambda a, b: float(np.sum(a * b)), lambda e: (e * y, e * x), (x, y))
    assert result.ok, result
    swapped = check_vjp(lambda a, b: float(np.sum(a * b)), lambda e: (e * x, e * y), (x, y))
    assert not swapped.ok


def test_vjp_refuses_single_precision():
    with pytest.raises(TypeError, match="float64 or complex128"):
        check_vjp(np.sin, np.cos, np.ones(3, dtype=np.float32))


def test_relative_error():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.array([3.0, 4.0]) * 1.01, np.array([3.0, 4.0])) == \
        pytest.approx(0.01)
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.ones(3), np.ones(4))


def test_adjoint_fails_a_complex_gradient_for_a_real_input():
    # Re<x, A^H y> cannot see the imaginary part of A^H y for a real x: the check must.
    x = np.zeros((3, 4))
    forward = lambda v: v.astype(complex)  # noqa: E731
    result = check_adjoint(forward, lambda y: y.copy(), x, real_inner=True)
    assert not result.ok and "Eq. 67" in result.detail
    assert check_adjoint(forward, lambda y: y.real.copy(), x, real_inner=True)
