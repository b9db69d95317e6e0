"""PhaseDiversity, reference backend: the metric's identities (the reduced form equals the
residual form, the scene it eliminates is the one it returns), gradients against finite
differences over the configurations, the parameter layout, and bad input."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import check_vjp
from phasegrad.models.synthetic_pd import convolve_scene, extended_scene

# -- configurations -----------------------------------------------------------------------


def make_inputs(*, n=12, pad=2, modes=6, basis=True, images=2, wavelengths=None,
                spectral_weights=None, amplitude="circle", dtype=np.float64, seed=0,
                regularization=1e-3, data="random"):
    """Keyword arguments of ``pg.PhaseDiversity`` (without backend) for a small model."""
    rng = np.random.default_rng(seed)
    grid = int(round(pad * n))
    if amplitude == "circle":
        A = pg.circular_pupil(n)
    else:  # a grey, textured pupil with no symmetry
        A = pg.circular_pupil(n) * rng.uniform(0.3, 1.0, size=(n, n))
    A = A / np.sqrt(grid**2 * np.sum(A**2))  # each PSF sums to 1
    defocus = pg.zernike_basis(1, n, first=4)[0]
    coma = pg.zernike_basis(1, n, first=7)[0]
    diversity = np.stack([0.5 * (k - (images - 1) / 2) * defocus + 0.1 * k * coma
                          for k in range(images)])
    if data == "random":
        images_data = rng.uniform(0.0, 1.0, size=(images, grid, grid))
    else:  # a scene through the PSFs of a random wavefront
        truth = pg.PhaseRetrieval(amplitude=A, basis=pg.zernike_basis(modes, n, first=4),
                                  data=np.zeros((images, grid, grid)), pad=pad,
                                  diversity=diversity, wavelengths=wavelengths,
                                  spectral_weights=spectral_weights, backend="reference")
        psfs = truth.simulate(rng.normal(scale=0.1, size=modes))
        images_data = convolve_scene(psfs, extended_scene(grid, seed=seed))
    cast = (lambda x: None if x is None else np.asarray(x, dtype=dtype))  # noqa: E731
    return {"amplitude": cast(A),
            "basis": cast(pg.zernike_basis(modes, n, first=4)) if basis else None,
            "data": cast(images_data), "diversity": cast(diversity), "pad": pad,
            "wavelengths": wavelengths, "spectral_weights": spectral_weights,
            "regularization": regularization}


def point(model, seed=1, scale=0.1):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=scale, size=model.coefficient_shape)


CONFIGS = {
    "basis": {},
    "map": {"basis": False, "n": 8},
    "odd_grid": {"n": 9, "pad": 3},
    "float_pad": {"n": 10, "pad": 1.5},
    "three_images": {"images": 3},
    "four_images": {"images": 4, "n": 8},
    "grey": {"amplitude": "grey"},
    "broadband": {"wavelengths": [0.9, 1.0, 1.15], "spectral_weights": [0.2, 0.5, 0.3]},
    "scene": {"data": "scene", "regularization": 1e-6},
}


# -- the metric ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONFIGS)
def test_gradient_matches_finite_differences(name):
    m = pg.PhaseDiversity(backend="reference", **make_inputs(**CONFIGS[name]))
    a = point(m)
    _, a_bar = m.value_and_grad(a)
    result = check_vjp(lambda x: m.value_and_grad(x)[0], lambda e_bar: e_bar * a_bar, a,
                       eps=1e-6, rtol=1e-6)
    assert result, result


@pytest.mark.parametrize("name", ["basis", "odd_grid", "three_images", "broadband", "scene"])
def test_reduced_form_is_the_regularised_misfit_at_the_wiener_object(name):
    """E = (1/N^2) sum_f [sum_k |D_k|^2 - |U|^2/Q] = sum_k |d_k - o * I_k|^2 + gamma |o|^2
    with o = estimate_object(a): Parseval, and the Wiener object in closed form."""
    inputs = make_inputs(**CONFIGS[name])
    m = pg.PhaseDiversity(backend="reference", **inputs)
    a = point(m)
    energy, _ = m.value_and_grad(a)
    scene = m.estimate_object(a)
    psfs = m.psf_model.simulate(a)
    misfit = np.sum((m.data - convolve_scene(psfs, scene)) ** 2)
    assert np.isclose(energy, misfit + m.regularization * np.sum(scene**2), rtol=1e-10)


def test_the_wiener_object_minimises_the_misfit():
    """Perturbing the estimated scene only raises sum |d - o * I|^2 + gamma |o|^2."""
    m = pg.PhaseDiversity(backend="reference", **make_inputs(regularization=1e-2))
    a = point(m)
    psfs = m.psf_model.simulate(a)
    scene = m.estimate_object(a)

    def misfit(o):
        return np.sum((m.data - convolve_scene(psfs, o)) ** 2) + m.regularization * np.sum(o**2)

    best = misfit(scene)
    rng = np.random.default_rng(3)
    for _ in range(5):
        assert misfit(scene + 1e-3 * rng.standard_normal(scene.shape)) > best


def test_estimate_object_recovers_the_scene_at_the_true_wavefront():
    """A smooth scene through the true PSFs comes back from estimate_object(truth), centred
    like the data (its pixel N//2 on axis), to the precision the OTFs' support allows."""
    n, grid = 16, 32
    A = pg.circular_pupil(n)
    A = A / np.sqrt(grid**2 * np.sum(A**2))
    Z = pg.zernike_basis(8, n, first=4)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    diversity = np.stack([0.5 * defocus, -0.5 * defocus])
    truth = np.random.default_rng(0).normal(scale=0.1, size=8)
    psfs = pg.PhaseRetrieval(amplitude=A, basis=Z, data=np.zeros((2, grid, grid)),
                             diversity=diversity, backend="reference").simulate(truth)
    y, x = np.mgrid[:grid, :grid] - grid // 2
    scene = np.exp(-((y - 2) ** 2 + (x + 3) ** 2) / 8.0) + 0.5 * np.exp(-(y**2 + x**2) / 3.0)
    data = convolve_scene(psfs, scene)
    m = pg.PhaseDiversity(amplitude=A, basis=Z, data=data, diversity=diversity,
                          regularization=1e-12, backend="reference")
    estimate = m.estimate_object(truth)
    assert estimate.shape == (grid, grid) and estimate.dtype == np.float64
    assert np.abs(estimate - scene).max() < 1e-3 * scene.max()
    assert np.unravel_index(np.argmax(estimate), estimate.shape) == \
        np.unravel_index(np.argmax(scene), scene.shape)
    # At the truth the noise-free misfit vanishes (but for gamma): a minimum of E.
    energy, a_bar = m.value_and_grad(truth)
    assert energy < 1e-8 * m.value_and_grad(np.zeros(8))[0]


def test_a_point_scene_is_phase_retrieval():
    """A one-pixel scene at the centre: the images are the PSFs, and the Wiener object is
    that pixel."""
    inputs = make_inputs(regularization=1e-12)
    pr = pg.PhaseRetrieval(amplitude=inputs["amplitude"], basis=inputs["basis"],
                           data=np.zeros_like(inputs["data"]), diversity=inputs["diversity"],
                           backend="reference")
    a = np.random.default_rng(4).normal(scale=0.1, size=6)
    inputs["data"] = pr.simulate(a)
    m = pg.PhaseDiversity(backend="reference", **inputs)
    estimate = m.estimate_object(a)
    grid = m.grid
    expected = np.zeros((grid, grid))
    expected[grid // 2, grid // 2] = 1.0
    # Only the frequencies inside the OTFs' support are seen.
    support = np.sum(np.abs(np.fft.fft2(np.fft.ifftshift(pr.simulate(a)))) ** 2, axis=0) > 1e-8
    low_pass = np.real(np.fft.fftshift(np.fft.ifft2(support.astype(float))))
    assert np.abs(estimate - low_pass).max() < 1e-6


# -- parameters ------------------------------------------------------------------------------


def test_parameters_pack_and_unpack():
    m = pg.PhaseDiversity(backend="reference", **make_inputs())
    assert m.n_params == 6 and m.coefficient_shape == (6,)
    (block,) = m.parameters
    assert block.name == "wavefront" and block.shape == (6,) and block.size == 6
    a = point(m)
    x = m.pack(a)
    assert x.dtype == np.float64 and np.array_equal(x, a)
    assert np.array_equal(m.pack(wavefront=a), x)
    assert np.array_equal(m.unpack(x)["wavefront"], a)
    E, g = m.fun_and_jac(x)
    assert isinstance(E, float) and g.dtype == np.float64 and g.shape == (6,)


def test_point_by_point_map_takes_the_map_or_the_flat_vector():
    m = pg.PhaseDiversity(backend="reference", **make_inputs(basis=False, n=8))
    a = point(m)
    E_map, g_map = m.value_and_grad(a)
    E_flat, g_flat = m.value_and_grad(a.ravel())
    assert E_map == E_flat and g_map.shape == (8, 8) and g_flat.shape == (64,)
    assert np.array_equal(g_map.ravel(), g_flat)
    assert m.unpack(m.pack(a))["wavefront"].shape == (8, 8)


def test_repr_names_the_configuration():
    text = repr(pg.PhaseDiversity(backend="reference", **make_inputs()))
    assert "PhaseDiversity(" in text and "images=2" in text and "reference" in text


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, -1e-3])
def test_regularization_must_be_positive(value):
    with pytest.raises(ValueError, match="regularization"):
        pg.PhaseDiversity(backend="reference", **make_inputs(regularization=value))


@pytest.mark.parametrize("value, error", [(np.nan, ValueError), (np.inf, ValueError),
                                          ("1e-3", TypeError), (True, TypeError),
                                          (1e-3 + 1j, TypeError)])
def test_regularization_must_be_a_finite_real_number(value, error):
    with pytest.raises(error, match="regularization"):
        pg.PhaseDiversity(backend="reference", **make_inputs(regularization=value))


@pytest.mark.parametrize("change, match", [
    (lambda d: d[:1], "K >= 2"),
    (lambda d: d[0], r"\(K, M, M\)"),
    (lambda d: d[:, :, :-1], r"\(K, M, M\)"),
    (lambda d: d[:, :-2, :-2], "data must have shape"),
    (lambda d: d[None], r"\(K, M, M\)"),
])
def test_data_shapes_are_refused(change, match):
    inputs = make_inputs()
    inputs["data"] = change(inputs["data"])
    with pytest.raises(ValueError, match=match):
        pg.PhaseDiversity(backend="reference", **inputs)


def test_bad_data_values_and_types():
    inputs = make_inputs()
    inputs["data"] = inputs["data"].copy()
    inputs["data"][1, 3, 4] = np.nan
    with pytest.raises(ValueError, match="data must be finite"):
        pg.PhaseDiversity(backend="reference", **inputs)
    inputs["data"] = np.ones((2, 24, 24), dtype=np.int64)
    with pytest.raises(TypeError, match="data"):
        pg.PhaseDiversity(backend="reference", **inputs)
    inputs["data"] = np.ones((2, 24, 24), dtype=np.complex128)
    with pytest.raises(TypeError, match="data"):
        pg.PhaseDiversity(backend="reference", **inputs)


def test_diversity_must_match_the_images():
    inputs = make_inputs()
    inputs["diversity"] = inputs["diversity"][:1]
    with pytest.raises(ValueError, match="diversity has 1 planes but data has 2"):
        pg.PhaseDiversity(backend="reference", **inputs)
    inputs["diversity"] = None
    with pytest.raises(ValueError, match="diversity"):
        pg.PhaseDiversity(backend="reference", **inputs)


def test_backend_and_parameters_are_checked():
    with pytest.raises(ValueError, match="backend"):
        pg.PhaseDiversity(backend="gpu", **make_inputs())
    m = pg.PhaseDiversity(backend="reference", **make_inputs())
    with pytest.raises(ValueError, match="a must have shape"):
        m.value_and_grad(np.zeros(5))
    with pytest.raises(ValueError, match="a must be finite"):
        m.value_and_grad(np.full(6, np.nan))
    with pytest.raises(TypeError, match="a"):
        m.value_and_grad(np.zeros(6, dtype=np.int64))
    with pytest.raises(ValueError, match="x must be a flat vector"):
        m.fun_and_jac(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="estimate_object|a must have shape"):
        m.estimate_object(np.zeros(7))
    with pytest.raises(ValueError, match="wavefront once"):
        m.pack(np.zeros(6), wavefront=np.zeros(6))


@pytest.mark.parametrize("backend", ["reference", "fused"])
def test_images_of_phase_retrievals_object_model(backend):
    """PhaseRetrieval(object=scene) makes the images this model assumes (its object's
    centre convention is estimate_object's), and the scene comes back from them."""
    n, grid = 16, 32
    A = pg.circular_pupil(n)
    A = A / np.sqrt(grid**2 * np.sum(A**2))
    Z = pg.zernike_basis(8, n, first=4)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    diversity = np.stack([0.5 * defocus, -0.5 * defocus])
    truth = np.random.default_rng(0).normal(scale=0.1, size=8)
    y, x = np.mgrid[:grid, :grid] - grid // 2
    scene = np.exp(-((y - 2) ** 2 + (x + 3) ** 2) / 8.0) + 0.5 * np.exp(-(y**2 + x**2) / 3.0)
    images = pg.PhaseRetrieval(amplitude=A, basis=Z, data=np.zeros((2, grid, grid)),
                               diversity=diversity, object=scene,
                               backend=backend).simulate(truth)
    psfs = pg.PhaseRetrieval(amplitude=A, basis=Z, data=np.zeros((2, grid, grid)),
                             diversity=diversity, backend="reference").simulate(truth)
    assert np.abs(images - convolve_scene(psfs, scene)).max() < 1e-12 * images.max()
    m = pg.PhaseDiversity(amplitude=A, basis=Z, data=images, diversity=diversity,
                          regularization=1e-12, backend=backend)
    assert np.abs(m.estimate_object(truth) - scene).max() < 1e-3 * scene.max()
