"""Tests of phasegrad.reference.propagation: angular_spectrum and fresnel, their reverse and
forward-mode rules, against physics (a direct Rayleigh-Sommerfeld sum, energy conservation,
round trips) and bad physical parameters."""

import numpy as np
import pytest

from phasegrad.arguments.propagation import AliasingWarning
from phasegrad.check import check_adjoint, check_vjp
from phasegrad.reference import (
    angular_spectrum,
    angular_spectrum_jvp,
    angular_spectrum_vjp,
    fresnel,
    fresnel_jvp,
    fresnel_vjp,
)
from phasegrad.reference.propagation import impulse_chirps, transfer_function

COMPLEX = [np.complex64, np.complex128]
TOL = {np.complex64: 1e-5, np.complex128: 1e-12}
SHAPES = [(2, 9, 12), (8, 8), (3, 7, 5)]

# (op, its vjp, its jvp, physical arguments, keywords): every option, no aliasing.
OPTIONS = [
    (angular_spectrum, angular_spectrum_vjp, angular_spectrum_jvp, (30.0, 0.5, 1.0), {}),
    (angular_spectrum, angular_spectrum_vjp, angular_spectrum_jvp, (-4.0, 0.5, 1.0),
     {"pad": 2}),
    (angular_spectrum, angular_spectrum_vjp, angular_spectrum_jvp, (2.0, 0.5, 0.6),
     {"band_limit": False}),
    (fresnel, fresnel_vjp, fresnel_jvp, (3.0, 0.5, 1.0), {}),
    (fresnel, fresnel_vjp, fresnel_jvp, (-2.0, 0.5, 1.0), {"method": "transfer"}),
    (fresnel, fresnel_vjp, fresnel_jvp, (300.0, 0.5, 1.0), {"method": "impulse"}),
]
IDS = ["as", "as-pad2-back", "as-no-limit", "fresnel-tf", "fresnel-tf-back", "impulse"]


def random(shape, dtype=np.complex128, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_dot_test(option, shape, dtype):
    op, vjp, _, args, keywords = option
    result = check_adjoint(lambda x: op(x, *args, **keywords),
                           lambda y: vjp(y, *args, **keywords), np.empty(shape, dtype))
    assert result.tolerance == TOL[dtype]
    assert result, str(result)


@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_vjp_matches_finite_differences(option):
    op, vjp, _, args, keywords = option
    x = random((2, 7, 6))
    result = check_vjp(lambda v: op(v, *args, **keywords),
                       lambda y_bar: vjp(y_bar, *args, **keywords), x)
    assert result, str(result)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_jvp_is_the_op_on_the_tangent_and_pairs_with_vjp(option, dtype):
    op, vjp, jvp, args, keywords = option
    x, x_dot, y_bar = (random((2, 7, 6), dtype, seed) for seed in (1, 2, 3))
    y, y_dot = jvp(x, x_dot, *args, **keywords)
    np.testing.assert_array_equal(y, op(x, *args, **keywords))
    np.testing.assert_array_equal(y_dot, op(x_dot, *args, **keywords))
    assert y.dtype == y_dot.dtype == dtype
    lhs = np.vdot(y_bar.astype(complex), y_dot.astype(complex)).real
    rhs = np.vdot(vjp(y_bar, *args, **keywords).astype(complex), x_dot.astype(complex)).real
    assert abs(lhs - rhs) <= TOL[dtype] * np.linalg.norm(y_bar) * np.linalg.norm(y_dot)


@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_single_precision_follows_double(option):
    op, _, _, args, keywords = option
    x = random((2, 9, 8))
    single = op(x.astype(np.complex64), *args, **keywords)
    double = op(x, *args, **keywords)
    assert single.dtype == np.complex64
    assert np.linalg.norm(single - double) <= 2e-6 * np.linalg.norm(double)


@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_batch_axes_are_independent_planes(option):
    op, _, _, args, keywords = option
    x = random((2, 3, 7, 6))
    y = op(x, *args, **keywords)
    for index in np.ndindex(2, 3):
        np.testing.assert_allclose(y[index], op(x[index], *args, **keywords), rtol=0,
                                   atol=1e-14 * np.abs(y).max())


# ---------------------------------------------------------------- physics

def rayleigh_sommerfeld(field, distance, wavelength, pitch):
    """The first Rayleigh-Sommerfeld integral as a direct sum over the samples, onto the same
    grid: U2 = 1/(2 pi) sum U1 (z / r) (1 / r - i k) exp(i k r) / r pitch^2."""
    n, m = field.shape
    k = 2 * np.pi / wavelength
    ys = (np.arange(n) - n // 2) * pitch
    xs = (np.arange(m) - m // 2) * pitch
    dy = ys[:, None, None, None] - ys[None, None, :, None]
    dx = xs[None, :, None, None] - xs[None, None, None, :]
    r = np.sqrt(dy * dy + dx * dx + distance * distance)
    kernel = (distance / r) * (1 / r - 1j * k) * np.exp(1j * k * r) / r
    return np.einsum("abij,ij->ab", kernel, field) * pitch ** 2 / (2 * np.pi)


def gaussian(n, m, pitch, width):
    ys = (np.arange(n) - n // 2) * pitch
    xs = (np.arange(m) - m // 2) * pitch
    return np.exp(-(ys[:, None] ** 2 + xs[None, :] ** 2) / (2 * width ** 2)) + 0j


@pytest.mark.parametrize("distance", [4.0, 10.0, -10.0])
def test_padded_angular_spectrum_is_the_rayleigh_sommerfeld_sum(distance):
    wavelength, pitch = 0.5, 0.25
    field = gaussian(48, 40, pitch, 1.0) * np.exp(0.3j * np.arange(40) * pitch)
    expected = rayleigh_sommerfeld(field, abs(distance), wavelength, pitch)
    if distance < 0:  # backwards: the conjugate field propagated forwards, conjugated
        expected = np.conj(rayleigh_sommerfeld(np.conj(field), -distance, wavelength, pitch))
    got = angular_spectrum(field, distance, wavelength, pitch, pad=2)
    assert np.linalg.norm(got - expected) <= 1e-6 * np.linalg.norm(expected)


def test_without_padding_the_wrap_around_shows():
    field = gaussian(32, 32, 0.25, 0.8)
    expected = rayleigh_sommerfeld(field, 10.0, 0.5, 0.25)
    got = angular_spectrum(field, 10.0, 0.5, 0.25)
    padded = angular_spectrum(field, 10.0, 0.5, 0.25, pad=2)
    error = np.linalg.norm(got - expected) / np.linalg.norm(expected)
    assert error > 100 * np.linalg.norm(padded - expected) / np.linalg.norm(expected)


def test_fresnel_methods_approach_rayleigh_sommerfeld_in_the_paraxial_regime():
    wavelength, pitch = 0.5, 0.5
    field = gaussian(32, 32, pitch, 1.5)
    # Transfer function on the same grid; the impulse method on its own output grid.
    padded = np.zeros((128, 128), complex)
    padded[:32, :32] = field
    tf = fresnel(padded, 40.0, wavelength, pitch)[:32, :32]
    exact = rayleigh_sommerfeld(field, 40.0, wavelength, pitch)
    assert np.linalg.norm(tf - exact) <= 1e-2 * np.linalg.norm(exact)
    # At critical sampling (wavelength distance = N pitch^2) the impulse method's output
    # pitch is the input's, and it is the transfer method on a grid large enough to hold the
    # spread field.
    distance = 32 * pitch ** 2 / wavelength
    y = fresnel(field, distance, wavelength, pitch, method="impulse")
    *_, out_pitch = impulse_chirps((32, 32), _params("impulse", distance, wavelength, pitch))
    assert out_pitch == (pitch, pitch)
    tf = fresnel(padded, distance, wavelength, pitch)[:32, :32]
    assert np.linalg.norm(y - tf) <= 1e-4 * np.linalg.norm(tf)


def _params(method, distance, wavelength, pitch, band_limit=False, pad=1):
    from phasegrad.arguments.propagation import Propagation

    return Propagation(method, distance, wavelength, pitch, band_limit, pad)


@pytest.mark.parametrize("distance", [0.7, -0.9, 0.3])
def test_unit_modulus_transfer_functions_conserve_energy(distance):
    x = random((2, 16, 12))
    energy = np.sum(np.abs(x) ** 2)
    # pitch > wavelength / sqrt(2): no evanescent frequency on the grid, |H| = 1 everywhere.
    h = transfer_function((16, 12), _params("angular_spectrum", distance, 0.5, 0.4))
    np.testing.assert_allclose(np.abs(h), 1.0, rtol=1e-14)
    y = angular_spectrum(x, distance, 0.5, 0.4, band_limit=False)
    assert abs(np.sum(np.abs(y) ** 2) - energy) <= 1e-12 * energy
    y = fresnel(x, 10 * distance, 0.5, 1.0)
    assert abs(np.sum(np.abs(y) ** 2) - energy) <= 1e-12 * energy


def test_impulse_method_conserves_energy_in_physical_units():
    x = random((12, 10))
    wavelength, pitch, distance = 0.6, 0.8, 200.0
    y = fresnel(x, distance, wavelength, pitch, method="impulse")
    out = (wavelength * distance / (12 * pitch), wavelength * distance / (10 * pitch))
    before = np.sum(np.abs(x) ** 2) * pitch ** 2
    after = np.sum(np.abs(y) ** 2) * out[0] * out[1]
    assert abs(after - before) <= 1e-12 * before


def test_band_limit_keeps_only_the_sampled_band():
    params = _params("angular_spectrum", 200.0, 0.5, 1.0, band_limit=True)
    h = transfer_function((32, 32), params)
    f = np.fft.fftfreq(32, 1.0)
    limit = 1 / (0.5 * np.sqrt((2 * 200.0 / 32) ** 2 + 1))
    kept = (np.abs(f)[:, None] < limit) & (np.abs(f)[None, :] < limit)
    assert np.array_equal(h != 0, kept) and 0 < kept.sum() < kept.size


def test_zero_distance_and_round_trips():
    x = random((2, 10, 9))
    np.testing.assert_allclose(angular_spectrum(x, 0.0, 0.5, 1.0), x, atol=1e-14)
    # Forward then back, each the other's reverse rule: identity on the propagating band.
    y = angular_spectrum(x, 7.0, 0.5, 1.0, band_limit=False)
    np.testing.assert_allclose(angular_spectrum(y, -7.0, 0.5, 1.0, band_limit=False), x,
                               atol=1e-13)
    np.testing.assert_allclose(fresnel(fresnel(x, 3.0, 0.5, 1.0), -3.0, 0.5, 1.0), x,
                               atol=1e-13)


# ---------------------------------------------------------------- bad physical parameters

X = random((6, 8))


@pytest.mark.parametrize("name, value", [("wavelength", 0.0), ("wavelength", -0.5),
                                         ("pitch", 0.0), ("pitch", -1.0)])
@pytest.mark.parametrize("op", [angular_spectrum, fresnel, fresnel_vjp, angular_spectrum_vjp])
def test_non_positive_lengths_are_refused(op, name, value):
    args = {"distance": 1.0, "wavelength": 0.5, "pitch": 1.0}
    args[name] = value
    with pytest.raises(ValueError, match=f"^{name} must be a positive length"):
        op(X, **args)


def test_impulse_needs_a_positive_distance():
    for distance in (0.0, -10.0):
        with pytest.raises(ValueError, match="^distance must be positive for method='impulse'"):
            fresnel(X, distance, 0.5, 1.0, method="impulse")


@pytest.mark.parametrize("keywords, error, match", [
    ({"method": "bogus"}, ValueError, "^method must be one of"),
    ({"method": None}, ValueError, "^method must be one of"),
])
def test_bad_method(keywords, error, match):
    with pytest.raises(error, match=match):
        fresnel(X, 1.0, 0.5, 1.0, **keywords)


@pytest.mark.parametrize("keywords, error, match", [
    ({"pad": 0}, ValueError, "^pad must be a positive integer"),
    ({"pad": 1.5}, TypeError, "^pad must be a positive integer"),
    ({"band_limit": 1}, TypeError, "^band_limit must be True or False"),
    ({"band_limit": None}, TypeError, "^band_limit must be True or False"),
])
def test_bad_angular_spectrum_options(keywords, error, match):
    with pytest.raises(error, match=match):
        angular_spectrum(X, 1.0, 0.5, 1.0, **keywords)


def test_real_fields_are_refused():
    with pytest.raises(TypeError, match="^x must have dtype complex64 or complex128"):
        angular_spectrum(X.real, 1.0, 0.5, 1.0)


def test_aliasing_warnings():
    with pytest.warns(AliasingWarning, match="band_limit=True"):
        angular_spectrum(X, 500.0, 0.5, 1.0, band_limit=False)
    with pytest.warns(AliasingWarning, match="method='impulse'"):
        fresnel(X, 500.0, 0.5, 1.0)
    with pytest.warns(AliasingWarning, match="method='transfer'"):
        fresnel(X, 1.0, 0.5, 1.0, method="impulse")
    with pytest.warns(AliasingWarning):
        fresnel_vjp(X, 500.0, 0.5, 1.0)
