"""The imaging model's options against independent computations (docs/imaging-model.md):
a point source or a one-pixel scene is today's model, an integer shift is np.roll, jitter 0 is
none, flux and background are affine, photon fractions conserve the light; the parameter
blocks (pack, unpack, bounds); and bad input refused with messages that say why."""

import sys
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import relative_error

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared cases, imaging_cases.py

from imaging_cases import N_PUPIL, build, case, point, scene  # noqa: E402

A = np.random.default_rng(2).normal(scale=0.1, size=4)


def image_of(**options):
    model = build(**options)
    blocks = options.get("blocks", {})
    return model.simulate(model.pack(A, **blocks)) if blocks or not model._legacy else \
        model.simulate(A)


def plain(**options):
    return build(**options).simulate(A)


# -- the scene ----------------------------------------------------------------------------------
@pytest.mark.parametrize("planes", [1, 2])
def test_one_point_source_on_axis_is_the_point_source_model(planes):
    model = build(object=pg.PointSources(1), planes=planes)
    image = model.simulate(model.pack(A, positions=[[0.0, 0.0]], fluxes=[1.0]))
    assert relative_error(image, plain(planes=planes)) < 1e-13


def test_a_centred_one_pixel_scene_is_the_point_source_model():
    for size in (1, 4, 5, 16):
        o = np.zeros((size, size))
        o[size // 2, size // 2] = 1.0
        assert relative_error(build(object=o).simulate(A), plain()) < 1e-13


def test_a_source_at_an_integer_position_is_the_rolled_image():
    """+y moves the light to larger row indices (rows first); the grid is circular."""
    model = build(object=pg.PointSources(2), bin=1)
    image = model.simulate(model.pack(A, positions=[[2.0, 0.0], [0.0, -3.0]],
                                      fluxes=[1.0, 0.5]))
    psf = plain()
    expected = np.roll(psf, 2, axis=-2) + 0.5 * np.roll(psf, -3, axis=-1)
    assert relative_error(image, expected) < 1e-13


def test_a_known_scene_is_the_circular_convolution_with_the_psf():
    o = scene(5)
    image = build(object=o).simulate(A)
    psf = plain()
    expected = np.zeros_like(psf)
    for (i, j), value in np.ndenumerate(o):
        expected += value * np.roll(psf, (i - 2, j - 2), axis=(-2, -1))
    assert relative_error(image, expected) < 1e-13


def test_an_integer_shift_is_np_roll_and_any_shift_keeps_the_light():
    shifted = build(shift=[2.0, -1.0]).simulate(A)
    assert relative_error(shifted, np.roll(plain(), (2, -1), axis=(-2, -1))) < 1e-13
    half = build(shift=[0.5, 0.25]).simulate(A)
    assert half.sum() == pytest.approx(plain().sum(), rel=1e-12)
    # The Fourier shift theorem, with numpy.fft: Re ifft2(fft2(I) exp(-2 pi i f . s)).
    f = np.fft.fftfreq(16)
    phase = np.exp(-2j * np.pi * (f[:, None] * 0.5 + f[None, :] * 0.25))
    expected = np.real(np.fft.ifft2(np.fft.fft2(plain()) * phase))
    assert relative_error(half, expected) < 1e-13


def test_jitter_zero_is_no_blur_and_a_blur_keeps_the_light_and_spreads_it():
    model = build(fit=("jitter",))
    assert relative_error(model.simulate(model.pack(A, jitter=[0.0])), plain()) < 1e-13
    assert build(jitter=0.0).transfer is False
    blurred = build(jitter=1.0).simulate(A)
    assert blurred.sum() == pytest.approx(plain().sum(), rel=1e-12)
    assert blurred.max() < 0.8 * plain().max()


def test_flux_and_background_are_affine_per_plane():
    flux, background = [1.5, 0.5], [0.01, -0.002]
    image = build(planes=2, flux=flux, background=background).simulate(A)
    expected = plain(planes=2) * np.array(flux)[:, None, None] + \
        np.array(background)[:, None, None]
    assert relative_error(image, expected) < 1e-14
    free = build(planes=2, fit=("flux", "background"))
    image = free.simulate(free.pack(A, flux=flux, background=background))
    assert relative_error(image, expected) < 1e-14


def test_the_window_is_the_centred_crop_of_the_binned_grid():
    binned = plain(bin=2)  # 8 x 8
    for window in (8, 7, 6, 3):
        lo = 8 // 2 - window // 2
        image = build(bin=2, window=window).simulate(A)
        assert image.shape == (1, window, window)
        assert relative_error(image, binned[:, lo:lo + window, lo:lo + window]) < 1e-15
        # The binned grid's centre pixel is the data's pixel window // 2.
        assert image[0, window // 2, window // 2] == binned[0, 4, 4]


def test_broadband_photon_fractions_conserve_the_light():
    """Each wavelength's image carries its share s of the light: equal sums for equal s when
    the PSF fits on the grid (a Gaussian pupil, wavelengths >= the reference: no aliasing),
    N^2 sum |A|^2 sum s in all."""
    n, pad = 16, 2
    r2 = np.sum(np.square(np.indices((n, n)) - (n - 1) / 2), axis=0)
    amplitude = np.exp(-r2 / (2 * 2.5**2))
    data = np.zeros((n * pad, n * pad))

    def total(wavelengths, weights=None):
        model = pg.PhaseRetrieval(amplitude, None, data, pad=pad, wavelengths=wavelengths,
                                  spectral_weights=weights, backend="reference")
        return model.simulate(np.zeros((n, n))).sum()

    light = (n * pad) ** 2 * np.sum(amplitude**2)
    sums = [total([lam]) for lam in (1.0, 1.1, 1.25)]
    # (Equal-peak images would differ by (lam / lam0)^2: 21% and 56%.)
    np.testing.assert_allclose(sums, light, rtol=1e-5)
    assert total([1.0, 1.25], [0.2, 0.8]) == pytest.approx(light, rel=1e-5)
    assert total([1.0, 1.25], [0.5, 1.5]) == pytest.approx(2 * light, rel=1e-5)
    model = build(wavelengths=[0.8, 1.25], spectral_weights=[0.2, 0.8])
    assert model.band_weights == pytest.approx((0.2 / 0.64, 0.8 / 1.5625))


# -- the configuration attributes ---------------------------------------------------------------
def test_configuration_attributes():
    m = case("everything_poisson")
    assert m.band_weights == pytest.approx((1 / 0.81 * 0.5, 1 / 1.21 * 0.5))
    assert (m.window, m.window_offset) == (7, 8 // 2 - 7 // 2)
    assert (m.metric, m.read_noise, m.object_kind, m.object_size, m.n_sources) == \
        ("poisson", 0.02, "known", 4, 0)
    assert m.fit == frozenset({"flux", "background", "shift", "jitter", "amplitude"})
    assert m.free_blocks == ("wavefront", "flux", "background", "shift", "jitter", "amplitude")
    assert m.transfer and m.support.dtype == bool and m.support.shape == (N_PUPIL, N_PUPIL)
    offsets = [p.offset for p in m.parameters]
    assert offsets == [0, 4, 6, 8, 12, 13]
    assert m.n_params == 13 + N_PUPIL**2
    points = case("points")
    assert (points.object_kind, points.n_sources, points.object_size) == ("points", 2, None)
    assert [p.name for p in points.parameters] == ["wavefront", "positions", "fluxes"]
    assert points.parameters[1].shape == (2, 2) and points.parameters[1].units.startswith(
        "unbinned pixels")
    today = build()
    assert (today.object_kind, today.fit, today.transfer, today.free_blocks) == \
        (None, frozenset(), False, ("wavefront",))


def test_pack_unpack_round_trip_and_start_values():
    m = case("everything_poisson", detector="linear")
    x = point(m)
    blocks = m.unpack(x)
    assert list(blocks) == list(m.free_blocks)
    assert np.array_equal(m.pack(**blocks), x)
    assert np.array_equal(blocks[0], blocks["wavefront"])
    start = m.unpack(m.pack())
    assert np.array_equal(start["flux"], [1.0, 1.0]) and np.array_equal(start["jitter"], [0.5])
    assert np.array_equal(start["amplitude"], m.amplitude)
    basis = case("amplitude_basis")
    coefficients = basis.unpack(basis.pack())["amplitude"]
    synthesized = np.tensordot(coefficients, basis.amplitude_basis, axes=1) * basis.support
    assert relative_error(synthesized, basis.amplitude) < 0.5  # a 3-term fit of a disc
    free = build(object="free")
    o = free.unpack(free.pack())["object"]
    assert o.shape == (16, 16) and o.sum() == 1.0 and o[8, 8] == 1.0
    assert relative_error(free.simulate(free.pack(A)), plain()) < 1e-13
    q = build(detector="quadratic")
    assert np.array_equal(q.pack(A, (0.1, 1.0, 0.0)), np.r_[A, 0.1, 1.0, 0.0])
    a, p = q.unpack(q.pack(A, (0.1, 1.0, 0.0))).values()
    assert np.array_equal(a, A) and np.array_equal(p, [0.1, 1.0, 0.0])


def test_tuple_forms_keep_their_results():
    m = build(object=scene(3), fit=())
    energy, a_bar = m.value_and_grad(A)
    energy_flat, gradient = m.value_and_grad(m.pack(A))
    assert energy == energy_flat and np.array_equal(a_bar, gradient)
    q = build(detector="quadratic", jitter=0.3)
    e, a_bar, p_bar = q.value_and_grad(A, (0.1, 1.0, 0.0))
    e2, g = q.value_and_grad(q.pack(A, (0.1, 1.0, 0.0)))
    assert e == e2 and np.array_equal(np.r_[a_bar, p_bar], g)


def test_bounds():
    m = case("everything_poisson")
    lower, upper = m.bounds
    assert lower.shape == upper.shape == (m.n_params,) and np.all(np.isposinf(upper))
    names = {p.name: p for p in m.parameters}

    def part(name):
        p = names[name]
        return lower[p.offset:p.offset + p.size]

    assert np.all(np.isneginf(part("wavefront"))) and np.all(np.isneginf(part("background")))
    assert np.all(np.isneginf(part("shift")))
    assert np.all(part("flux") == 0) and np.all(part("jitter") == 0)
    assert np.all(part("amplitude") == 0)
    points = case("points")
    lo = points.bounds[0]
    assert np.all(lo[4:8] == -np.inf) and np.all(lo[8:10] == 0)
    assert np.all(case("free_object").bounds[0][4:] == 0)
    assert np.all(np.isneginf(case("amplitude_basis").bounds[0]))


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("options, error, match", [
    ({"object": np.ones((3, 4))}, ValueError, "square"),
    ({"object": np.ones((17, 17))}, ValueError, "S <= N"),
    ({"object": -np.ones((3, 3))}, ValueError, "non-negative"),
    ({"object": np.zeros((3, 3))}, ValueError, "all zero"),
    ({"object": np.ones((3, 3), dtype=int)}, TypeError, "object"),
    ({"object": "extended"}, ValueError, "PointSources"),
    ({"object": pg.PointSources(1, positions=[[9.0, 0.0]])}, ValueError, "inside the field"),
    ({"metric": "l2"}, ValueError, "metric"),
    ({"metric": "poisson", "read_noise": -1.0}, ValueError, "read_noise must be >= 0"),
    ({"read_noise": 1.0}, ValueError, "only used with metric='poisson'"),
    ({"metric": "poisson", "data": -np.ones((1, 16, 16))}, ValueError, "counts >= 0"),
    ({"fit": ("focus",)}, ValueError, "unknown block 'focus'"),
    ({"fit": (1,)}, TypeError, "fit"),
    ({"object": pg.PointSources(2), "fit": ("flux",)}, ValueError, "scale of point sources"),
    ({"object": "free", "fit": ("flux",)}, ValueError, "free object"),
    ({"object": pg.PointSources(2), "fit": ("shift",)}, ValueError, "own positions"),
    ({"object": "free", "fit": ("shift",)}, ValueError, "own position"),
    ({"detector": "quadratic", "fit": ("flux",)}, ValueError, "detector's b"),
    ({"detector": "quadratic", "fit": ("background",)}, ValueError, "detector's c"),
    ({"flux": -1.0}, ValueError, "flux must be >= 0"),
    ({"planes": 2, "flux": [1.0, 1.0, 1.0]}, ValueError, "flux must have shape"),
    ({"shift": [1.0]}, ValueError, "shift must have shape"),
    ({"jitter": -0.5}, ValueError, "jitter must be >= 0"),
    ({"jitter": 0.5, "fit": ("jitter",)}, ValueError, "in fit"),
    ({"amplitude_basis": np.ones((2, 8, 8))}, ValueError, "needs 'amplitude' in fit"),
    ({"fit": ("amplitude",), "amplitude_basis": np.ones((2, 7, 7))}, ValueError,
     "amplitude_basis must have shape"),
    ({"window": 17}, ValueError, "data must have shape"),
])
def test_bad_options_are_refused(options, error, match):
    with pytest.raises(error, match=match):
        build(**options)


def test_poisson_data_with_negative_counts_need_read_noise():
    data = np.full((1, 16, 16), 5.0)
    data[0, 0, 0] = -1.0
    build(metric="poisson", read_noise=1.0, data=data)  # read noise makes small negatives


def test_point_sources_check_their_arguments():
    with pytest.raises(ValueError, match="positive"):
        pg.PointSources(0)
    with pytest.raises(ValueError, match="fluxes must be non-negative"):
        pg.PointSources(2, fluxes=[-1.0, 1.0])
    with pytest.raises(ValueError, match=r"positions must have shape \(2, 2\)"):
        pg.PointSources(2, positions=[0.0, 1.0])
    with pytest.raises(ValueError, match="fluxes must be finite"):
        pg.PointSources(1, fluxes=[np.nan])


def test_pack_and_calls_check_their_arguments():
    m = build(object=pg.PointSources(2))
    with pytest.raises(ValueError, match="positions has no start value"):
        m.pack(A)
    with pytest.raises(ValueError, match="inside the field"):
        m.pack(A, positions=[[0.0, 0.0], [0.0, -9.0]])
    with pytest.raises(ValueError, match="fluxes must be non-negative"):
        m.pack(A, positions=np.zeros((2, 2)), fluxes=[1.0, -0.1])
    with pytest.raises(ValueError, match="'flux' is not a free block"):
        m.pack(A, positions=np.zeros((2, 2)), flux=[1.0])
    with pytest.raises(ValueError, match="flat vector of 10 parameters"):
        m.value_and_grad(A)
    with pytest.raises(ValueError, match=r"\(a, p\) is only for"):
        m.value_and_grad(A, (0.0, 1.0, 0.0))
    with pytest.raises(ValueError, match="flat vector of 10"):
        m.unpack(np.zeros(9))
    jitter = build(fit=("jitter",))
    with pytest.raises(ValueError, match="jitter must be non-negative"):
        jitter.pack(A, jitter=[-0.1])


def test_the_fused_backend_keeps_todays_options():
    # Today's options with the photon-fraction band weights: fused == reference (every other
    # option: tests/models/test_imaging_fused.py).
    options = {"wavelengths": [0.8, 1.0, 1.25], "spectral_weights": [0.3, 0.3, 0.4], "bin": 2,
               "planes": 2}
    fused, ref = build(backend="fused", **options), build(**options)
    assert relative_error(fused.simulate(A), ref.simulate(A)) < 1e-12
    e_f, g_f = fused.value_and_grad(A)
    e_r, g_r = ref.value_and_grad(A)
    assert e_f == pytest.approx(e_r, rel=1e-12) and relative_error(g_f, g_r) < 1e-10
