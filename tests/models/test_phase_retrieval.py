"""PhaseRetrieval (reference backend): gradients against finite differences and the paper's
closed forms, the conventions of docs/design.md, precision, and bad input."""

import numpy as np
import pytest
from scipy.optimize import minimize

import phasegrad as pg
from phasegrad.check import check_vjp, relative_error

N_PUPIL = 8


def pupil_and_basis(n=N_PUPIL, modes=5, dtype=np.float64):
    amplitude = pg.circular_pupil(n, dtype=dtype)
    return amplitude / amplitude.sum(), pg.zernike_basis(modes, n, first=2, dtype=dtype)


def make_model(*, modes=5, planes=1, pad=2, bin=1, wavelengths=None, spectral_weights=None,
               detector="linear", weights=False, basis=True, dtype=np.float64, seed=0):
    """A small model whose data are random (so every gradient term is non-zero)."""
    rng = np.random.default_rng(seed)
    amplitude, zernikes = pupil_and_basis(modes=modes, dtype=dtype)
    size = int(pad * N_PUPIL) // bin
    shape = (planes, size, size) if planes > 1 else (size, size)
    data = rng.uniform(0.0, 0.02, size=shape).astype(dtype)
    diversity = None
    if planes > 1:
        defocus = pg.zernike_basis(1, N_PUPIL, first=4, dtype=dtype)[0]
        diversity = np.stack([0.3 * k * defocus for k in range(planes)])
    w = rng.uniform(0.5, 1.5, size=shape).astype(dtype) if weights else None
    return pg.PhaseRetrieval(amplitude=amplitude, basis=zernikes if basis else None, data=data,
                             pad=pad, bin=bin, wavelengths=wavelengths,
                             spectral_weights=spectral_weights, detector=detector, weights=w,
                             diversity=diversity, backend="reference")


def random_params(model, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=0.1, size=model.coefficient_shape)


CONFIGS = {
    "zernike": {},
    "point_by_point": {"basis": False},
    "diversity": {"planes": 3},
    "broadband": {"wavelengths": [0.8, 1.0, 1.3], "spectral_weights": [0.2, 0.5, 0.3]},
    "binned": {"bin": 2},
    "weighted": {"weights": True},
    "quadratic": {"detector": "quadratic"},
    "odd_grid": {"pad": 1.5, "planes": 2},
    "everything": {"planes": 2, "wavelengths": [0.9, 1.1], "bin": 2, "weights": True,
                   "detector": "quadratic"},
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_gradient_matches_finite_differences(name):
    model = make_model(**CONFIGS[name])
    a = random_params(model)
    if model.detector == "quadratic":
        p = np.array([0.3, 1.1, 0.001])

        def energy(a_, p_):
            return model.value_and_grad(a_, p_)[0]

        _, a_bar, p_bar = model.value_and_grad(a, p)
        result = check_vjp(energy, lambda e_bar: (e_bar * a_bar, e_bar * p_bar), (a, p))
    else:
        _, a_bar = model.value_and_grad(a)
        result = check_vjp(lambda a_: model.value_and_grad(a_)[0], lambda e_bar: e_bar * a_bar,
                           a)
    assert result.ok, result


def test_gradient_equals_closed_form_of_eq9():
    """Eq. (9): W_bar = 2 pi / lambda Im{ g* o IFFT_u[4 w o (I - D) o G] } and
    dE/da_n = sum W_bar o Z_n, written out with NumPy (plus the centring shift and the
    zero-padding of docs/design.md's convention).

    Note: the paper's text as transcribed shows G* inside the IFFT; back-substituting its own
    Eq. (93)-(96) gives G, and only G agrees with finite differences (checked above)."""
    model = make_model(weights=True)
    a = random_params(model)
    energy, a_bar = model.value_and_grad(a)

    n, grid, lam = N_PUPIL, model.grid, model.wavelength
    wavefront = np.tensordot(a, model.basis, axes=1)
    g = model.amplitude * np.exp(2j * np.pi / lam * wavefront)
    padded = np.zeros((grid, grid), complex)
    padded[:n, :n] = g
    G = np.fft.fftshift(np.fft.fft2(padded))
    intensity = np.abs(G) ** 2
    w, data = model.weights[0], model.data[0]
    expected_energy = np.sum(w * (intensity - data) ** 2)
    inner = np.fft.ifftshift(4 * w * (intensity - data) * G)
    g_bar = (grid * grid * np.fft.ifft2(inner))[:n, :n]          # unnormalised IFFT
    w_bar = 2 * np.pi / lam * np.imag(np.conj(g) * g_bar)
    expected = np.tensordot(model.basis, w_bar, axes=([1, 2], [0, 1]))
    assert energy == pytest.approx(expected_energy, rel=1e-12)
    assert relative_error(a_bar, expected) < 1e-10


def test_quadratic_detector_reproduces_eq100_101():
    """Eq. (98)-(101) written out step by step with NumPy."""
    model = make_model(detector="quadratic", weights=True)
    a = random_params(model)
    p = (0.4, 0.9, 0.002)
    energy, a_bar, p_bar = model.value_and_grad(a, p)

    n, grid = N_PUPIL, model.grid
    theta = 2 * np.pi / model.wavelength * np.tensordot(a, model.basis, axes=1)
    g = model.amplitude * np.exp(1j * theta)
    padded = np.zeros((grid, grid), complex)
    padded[:n, :n] = g
    G = np.fft.fftshift(np.fft.fft2(padded))
    intensity = np.abs(G) ** 2
    model_image = p[0] * intensity**2 + p[1] * intensity + p[2]
    w, data = model.weights[0], model.data[0]
    m_bar = 2 * w * (model_image - data)                                    # Eq. 100, line 1
    i_bar = m_bar * (2 * p[0] * intensity + p[1])                            # line 2
    G_bar = 2 * G * i_bar                                                    # line 3
    g_bar = (grid * grid * np.fft.ifft2(np.fft.ifftshift(G_bar)))[:n, :n]    # line 4
    theta_bar = np.imag(np.conj(g) * g_bar)                                  # line 5
    w_bar = 2 * np.pi / model.wavelength * theta_bar                         # line 6
    expected_a_bar = np.tensordot(model.basis, w_bar, axes=([1, 2], [0, 1]))  # line 7
    expected_p_bar = [np.sum(m_bar * intensity**2), np.sum(m_bar * intensity),
                      np.sum(m_bar)]                                         # Eq. 101
    assert energy == pytest.approx(np.sum(w * (model_image - data) ** 2), rel=1e-12)
    assert relative_error(a_bar, expected_a_bar) < 1e-10
    assert relative_error(p_bar, expected_p_bar) < 1e-10
    assert p_bar.dtype == np.float64


def test_centred_image_convention():
    """Flat wavefront: the PSF peak sits at pixel (N//2, N//2) with value (sum A)^2."""
    model = make_model(pad=3)
    image = model.simulate(np.zeros(model.coefficient_shape))
    peak = np.unravel_index(np.argmax(image), image.shape)
    assert peak == (model.grid // 2, model.grid // 2)
    assert image[peak] == pytest.approx(model.amplitude.sum() ** 2, rel=1e-12)


def test_other_wavelength_scales_the_frequency_axis():
    """At lambda = 2 lambda0 the field is the centred N x N crop of the 2N-point FFT, with the
    phase scaled by lambda0 / lambda (independent computation with numpy.fft)."""
    model = make_model(wavelengths=[2.0])
    a = random_params(model)
    n, grid = N_PUPIL, model.grid
    g = model.amplitude * np.exp(2j * np.pi / 2.0 * np.tensordot(a, model.basis, axes=1))
    padded = np.zeros((2 * grid, 2 * grid), complex)
    padded[:n, :n] = g
    wide = np.fft.fftshift(np.fft.fft2(padded))
    start = grid - grid // 2
    # Photon fractions: the band's PSF is weighted by (lambda0 / lambda)^2 = 1/4, so that it
    # carries the same light as one at lambda0 (docs/imaging-model.md, step 2).
    expected = 0.25 * np.abs(wide[start:start + grid, start:start + grid]) ** 2
    assert relative_error(model.simulate(a), expected) < 1e-12


def test_binning_sums_pixels():
    fine = make_model(pad=2)
    coarse = make_model(pad=2, bin=2)
    a = random_params(fine)
    image = fine.simulate(a)
    expected = image.reshape(8, 2, 8, 2).sum(axis=(1, 3))
    assert relative_error(coarse.simulate(a), expected) < 1e-13


def test_spectral_weights_sum_bands():
    broadband = make_model(wavelengths=[1.0, 1.5], spectral_weights=[0.25, 0.75])
    a = random_params(broadband)
    bands = [make_model(wavelengths=[lam]).simulate(a) for lam in (1.0, 1.5)]
    assert relative_error(broadband.simulate(a), 0.25 * bands[0] + 0.75 * bands[1]) < 1e-13


def test_default_spectral_weights_are_equal_and_sum_to_one():
    broadband = make_model(wavelengths=[1.0, 1.5])
    a = random_params(broadband)
    bands = [make_model(wavelengths=[lam]).simulate(a) for lam in (1.0, 1.5)]
    assert relative_error(broadband.simulate(a), 0.5 * bands[0] + 0.5 * bands[1]) < 1e-13


@pytest.mark.parametrize("per_plane", [True, False])
def test_weights_given_are_the_weights_used(per_plane):
    """E = sum w (M - D)^2 with the caller's w: per plane (P, M, M) or shared (M, M)."""
    plain = make_model(planes=2)
    a = random_params(plain)
    shape = plain.data.shape if per_plane else plain.data.shape[1:]
    w = np.random.default_rng(5).uniform(0.0, 2.0, size=shape)
    weighted = pg.PhaseRetrieval(amplitude=plain.amplitude, basis=plain.basis, data=plain.data,
                                 diversity=plain.diversity, weights=w, backend="reference")
    residual = plain.simulate(a) - plain.data
    assert weighted.value_and_grad(a)[0] == pytest.approx(np.sum(w * residual**2), rel=1e-12)


def test_diversity_planes_are_shifted_wavefronts():
    model = make_model(planes=3)
    a = random_params(model)
    images = model.simulate(a)
    assert images.shape == model.data.shape
    for k in range(3):
        shifted = pg.PhaseRetrieval(amplitude=model.amplitude, basis=None,
                                    data=model.data[k], pad=2, backend="reference")
        w = np.tensordot(a, model.basis, axes=1) + model.diversity[k]
        assert relative_error(images[k], shifted.simulate(w)) < 1e-13


def test_simulate_has_the_shape_of_data():
    assert make_model().simulate(np.zeros(5)).shape == (16, 16)
    assert make_model(planes=2).simulate(np.zeros(5)).shape == (2, 16, 16)


@pytest.mark.parametrize("name", ["zernike", "point_by_point", "everything"])
def test_float32_agrees_with_float64(name):
    config = dict(CONFIGS[name])
    model64 = make_model(**config)
    model32 = make_model(**config, dtype=np.float32)
    a = random_params(model64)
    args = (a, (0.3, 1.1, 0.001)) if model64.detector == "quadratic" else (a,)
    result64 = model64.value_and_grad(*args)
    result32 = model32.value_and_grad(*args)
    assert result32[1].dtype == np.float32
    assert result32[0] == pytest.approx(result64[0], rel=1e-4)
    for g32, g64 in zip(result32[1:], result64[1:], strict=True):
        assert relative_error(g32, g64) < 1e-4


def test_fun_and_jac_is_float64_and_packs_parameters():
    model = make_model(detector="quadratic", dtype=np.float32)
    a = random_params(model)
    p = np.array([0.3, 1.1, 0.001])
    x = model.pack(a, p)
    assert x.shape == (model.n_params,) == (8,)
    f, g = model.fun_and_jac(x)
    energy, a_bar, p_bar = model.value_and_grad(a, p)
    assert isinstance(f, float) and g.dtype == np.float64
    assert f == energy
    np.testing.assert_array_equal(g, np.concatenate([a_bar.astype(np.float64), p_bar]))


def test_lbfgs_recovers_coefficients():
    """A small noiseless through-focus problem solved with SciPy on the model's gradient."""
    truth_model = make_model(planes=2)
    truth = random_params(truth_model, seed=3) * 0.5
    data = truth_model.simulate(truth)
    model = pg.PhaseRetrieval(amplitude=truth_model.amplitude, basis=truth_model.basis,
                              data=data, diversity=truth_model.diversity, backend="reference")
    result = minimize(model.fun_and_jac, np.zeros(model.n_params), jac=True,
                      method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-14,
                                                  "maxiter": 300})
    assert relative_error(result.x, truth) < 1e-5


# -- bad input ---------------------------------------------------------------------------

def base_kwargs():
    amplitude, basis = pupil_and_basis()
    return {"amplitude": amplitude, "basis": basis, "data": np.zeros((16, 16)),
            "backend": "reference"}


@pytest.mark.parametrize("change, error, match", [
    ({"data": np.zeros((17, 17))}, ValueError, "data must have shape"),
    ({"data": np.zeros((16, 16)), "bin": 2}, ValueError, "data must have shape"),
    ({"data": np.zeros((16, 15))}, ValueError, "data must have shape"),
    ({"data": np.zeros((16, 16), dtype=np.int64)}, TypeError, "data"),
    ({"data": np.full((16, 16), np.nan)}, ValueError, "data must be finite"),
    ({"amplitude": np.ones((8, 7))}, ValueError, "amplitude"),
    ({"amplitude": np.full((8, 8), np.inf)}, ValueError, "amplitude must be finite"),
    ({"amplitude": np.ones((8, 8), complex)}, TypeError, "amplitude"),
    ({"basis": np.ones((3, 7, 7))}, ValueError, "basis"),
    ({"basis": np.full((3, 8, 8), np.nan)}, ValueError, "basis must be finite"),
    ({"pad": 1.3}, ValueError, "pad"),
    ({"bin": 3}, ValueError, "bin"),
    ({"bin": 0}, ValueError, "bin"),
    ({"bin": 1.5}, TypeError, "bin"),
    ({"wavelength": -1.0}, ValueError, "wavelength"),
    ({"wavelength": float("nan")}, ValueError, "wavelength"),
    ({"wavelengths": [1.0, -2.0]}, ValueError, "wavelengths"),
    ({"wavelengths": [1.0, 2.0], "spectral_weights": [1.0]}, ValueError, "spectral_weights"),
    ({"wavelengths": [1.0, 2.0], "spectral_weights": [0.0, 0.0]}, ValueError,
     "spectral_weights must not all be zero"),
    ({"wavelengths": [1.0, 2.0], "spectral_weights": [True, False]}, TypeError,
     "spectral_weights"),
    ({"wavelengths": ["1.0"]}, TypeError, "wavelengths"),
    ({"wavelengths": [1.0, [2.0, 3.0]]}, ValueError, "wavelengths"),
    ({"pad": 1e308}, ValueError, "pad"),
    ({"amplitude": np.zeros((8, 8))}, ValueError, "amplitude must not be all zero"),
    ({"weights": np.zeros((16, 16))}, ValueError, "weights must not all be zero"),
    ({"weights": np.ones((8, 8))}, ValueError, "weights"),
    ({"weights": -np.ones((16, 16))}, ValueError, "weights"),
    ({"weights": np.full((16, 16), np.nan)}, ValueError, "weights must be finite"),
    ({"detector": "cubic"}, ValueError, "detector"),
    ({"backend": "gpu"}, ValueError, "backend"),
    ({"data": np.zeros((2, 16, 16))}, ValueError, "diversity"),
    ({"data": np.zeros((2, 16, 16)), "diversity": np.zeros((3, 8, 8))}, ValueError,
     "diversity"),
    ({"diversity": np.zeros((1, 8, 8)) + np.nan}, ValueError, "diversity must be finite"),
])
def test_bad_configuration_is_rejected(change, error, match):
    kwargs = base_kwargs() | change
    with pytest.raises(error, match=match):
        pg.PhaseRetrieval(**kwargs)


def test_fused_is_the_default_backend():
    kwargs = base_kwargs()
    del kwargs["backend"]
    assert pg.PhaseRetrieval(**kwargs).backend == "fused"


@pytest.mark.parametrize("a, error, match", [
    (np.zeros(4), ValueError, "a must have shape"),
    (np.zeros((5, 1)), ValueError, "a must have shape"),
    (np.array([0.0, 0.0, np.nan, 0.0, 0.0]), ValueError, "a must be finite"),
    (np.zeros(5, dtype=np.int32), TypeError, "a must have dtype"),
    (np.zeros(5, dtype=complex), TypeError, "a must have dtype"),
])
def test_bad_coefficients_are_rejected(a, error, match):
    model = pg.PhaseRetrieval(**base_kwargs())
    with pytest.raises(error, match=match):
        model.value_and_grad(a)


def test_detector_parameters_are_checked():
    linear = pg.PhaseRetrieval(**base_kwargs())
    with pytest.raises(ValueError, match="quadratic"):
        linear.value_and_grad(np.zeros(5), (1.0, 0.0, 0.0))
    quadratic = pg.PhaseRetrieval(**(base_kwargs() | {"detector": "quadratic"}))
    with pytest.raises(ValueError, match="p = "):
        quadratic.value_and_grad(np.zeros(5))
    with pytest.raises(ValueError, match="p must be three numbers"):
        quadratic.value_and_grad(np.zeros(5), (1.0, 0.0))
    with pytest.raises(ValueError, match="p must be finite"):
        quadratic.value_and_grad(np.zeros(5), (1.0, np.inf, 0.0))
    with pytest.raises(TypeError, match="p must be three numbers"):
        quadratic.value_and_grad(np.zeros(5), (1.0, 1j, 0.0))
    with pytest.raises(ValueError, match="p must be three numbers"):
        quadratic.value_and_grad(np.zeros(5), (1.0, [0.0, 1.0], 0.0))
    with pytest.raises(ValueError, match="x must be finite"):
        quadratic.fun_and_jac(np.array([0.0] * 7 + [np.nan]))
    with pytest.raises(ValueError, match="x must be a flat vector of 8"):
        quadratic.fun_and_jac(np.zeros(5))
