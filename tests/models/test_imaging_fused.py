"""The fused imaging model (cpp/src/models/imaging.cpp) against the reference backend
(docs/imaging-model.md): every option alone and combined, odd and even grids, the values, every
block's gradient, the least-squares view (residuals, jvp, vjp, Jacobian, Gauss-Newton products)
to 1e-10 in float64; float32 against float64; finite differences of the fused gradient; the
fast path kept for today's options; and the native model's own argument checks."""

import sys
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.native import core

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared cases, imaging_cases.py

from imaging_cases import CASES, build, case, point, scene  # noqa: E402

# The shared cases, plus odd grids (N = 15, 13) and options the shared ones leave out.
EXTRA = {
    "odd_grid_points_shift": {"pad": 1.875, "object": pg.PointSources(2), "planes": 2,
                              "shift": [[0.3, -0.6], [1.2, 0.4]], "fit": ("jitter",),
                              "weights": True},
    "odd_grid_known_object": {"pad": 1.625, "object": scene(5), "fit": ("jitter",)},
    "odd_grid_free_object_poisson": {"pad": 1.875, "object": "free", "metric": "poisson",
                                     "read_noise": 0.01},
    "pointwise_free_object": {"basis": False, "object": "free", "bin": 2},
    "binary_window_quadratic": {"object": pg.PointSources(2), "window": 10,
                                "detector": "quadratic", "planes": 2},
    "fixed_flux_only": {"flux": 1.3, "background": 0.002},
    "broadband_amplitude_poisson": {"wavelengths": [0.9, 1.0, 1.2], "metric": "poisson",
                                    "fit": ("amplitude", "flux"), "planes": 2},
    "half_pixel_shift_even": {"pad": 2, "shift": [[0.5, -1.5]], "jitter": 0.3},
}
NAMES = sorted(CASES) + sorted(EXTRA)


def pair(name, **extra):
    """(fused, reference) models of one case."""
    if name in CASES:
        return case(name, backend="fused", **extra), case(name, **extra)
    options = dict(EXTRA[name])
    options.update(extra)
    return build(backend="fused", **options), build(**options)


def relative(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


@pytest.mark.parametrize("name", NAMES)
def test_fused_equals_reference(name):
    fused, ref = pair(name)
    assert fused.free_blocks == ref.free_blocks
    x = point(ref)
    assert relative(fused.simulate(x), ref.simulate(x)) < 1e-12
    e_f, g_f = fused.value_and_grad(x)
    e_r, g_r = ref.value_and_grad(x)
    assert e_f == pytest.approx(e_r, rel=1e-12)
    for p in ref.parameters:  # block by block: a small block must not hide in a large one
        block = slice(p.offset, p.offset + p.size)
        assert relative(g_f[block], g_r[block]) < 1e-10, p.name
    assert relative(fused.residuals(x), ref.residuals(x)) < 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_fused_least_squares_view_equals_reference(name):
    fused, ref = pair(name)
    x = point(ref)
    rng = np.random.default_rng(4)
    v = rng.normal(size=ref.n_params)
    u = rng.normal(size=ref.n_residuals)
    assert relative(fused.jvp(x, v), ref.jvp(x, v)) < 1e-10
    assert relative(fused.vjp(x, u), ref.vjp(x, u)) < 1e-10
    product = fused.gauss_newton_product(x, v)
    expected = ref.vjp(x, ref.jvp(x, v))
    assert relative(product, expected) < 1e-10
    if ref.n_params * ref.n_residuals <= 40000:
        assert relative(fused.jacobian(x), ref.jacobian(x)) < 1e-10


@pytest.mark.parametrize("name", ["points", "nuisance", "free_object", "amplitude_map",
                                  "everything_poisson", "odd_grid_points_shift"])
def test_fused_gradient_matches_central_differences(name):
    fused, ref = pair(name)
    x = point(ref)
    energy, gradient = fused.value_and_grad(x)
    rng = np.random.default_rng(9)
    for p in fused.parameters:
        d = np.zeros(fused.n_params)
        d[p.offset:p.offset + p.size] = rng.normal(size=p.size)
        h = 1e-6
        fd = (fused.fun_and_jac(x + h * d)[0] - fused.fun_and_jac(x - h * d)[0]) / (2 * h)
        assert float(gradient @ d) == pytest.approx(fd, rel=2e-6, abs=1e-9 * energy), p.name


@pytest.mark.parametrize("name", ["points", "known_object", "nuisance", "amplitude_map",
                                  "poisson_points", "window_bin_broadband",
                                  "odd_grid_free_object_poisson"])
def test_fused_float32_agrees_with_float64(name):
    m64, _ = pair(name)
    m32, _ = pair(name, dtype=np.float32)
    x = point(m64)
    e64, g64 = m64.value_and_grad(x)
    e32, g32 = m32.value_and_grad(x)
    assert e32 == pytest.approx(e64, rel=2e-4)
    assert np.linalg.norm(g32 - g64) <= 2e-3 * np.linalg.norm(g64)
    image64, image32 = m64.simulate(x), m32.simulate(x)
    assert image32.dtype == np.float32
    assert np.abs(image32 - image64).max() <= 1e-5 * np.abs(image64).max()
    r64, r32 = m64.residuals(x), m32.residuals(x)
    assert np.abs(r32 - r64).max() <= 1e-4 * np.abs(r64).max()


def test_todays_options_keep_the_point_source_kernel():
    fused = build(backend="fused", planes=2)
    impl = fused._impl
    assert impl._fast is not None
    x = point(fused)
    fused.value_and_grad(x)
    fused.jacobian(x)
    assert impl._general is None  # the general model was never made
    # A fixed flux moves the call to the general path; both agree on a flux of one.
    fixed = build(backend="fused", planes=2, flux=[1.0, 2.0])
    ref = build(planes=2, flux=[1.0, 2.0])
    assert relative(fixed.value_and_grad(x)[1], ref.value_and_grad(x)[1]) < 1e-10
    assert fixed._impl._general is not None


def test_a_one_pixel_scene_and_a_zero_shift_reproduce_the_point_source():
    # The general path (transfer by real transforms) against the point-source kernel itself.
    point_model = build(backend="fused", planes=2, pad=1.875)
    pixel = np.zeros((5, 5))
    pixel[2, 2] = 1.0
    for options in ({"object": pixel}, {"fit": ("shift",)}):
        general = build(backend="fused", planes=2, pad=1.875, **options)
        x = point(point_model)
        blocks = {"a": point_model.unpack(x)["wavefront"]}
        if "fit" in options:
            blocks["shift"] = np.zeros((2, 2))
        y = general.pack(**blocks)
        assert relative(general.simulate(y), point_model.simulate(x)) < 1e-12
        g_general = general.value_and_grad(y)[1][:x.size]
        assert relative(g_general, point_model.value_and_grad(x)[1]) < 1e-10


def test_the_native_model_checks_its_blocks():
    model = build(backend="fused", object=pg.PointSources(2))
    x = point(model)
    blocks = model._blocks(x)
    native = model._impl._general_model()
    good = model._impl._native_blocks(blocks)
    native.value_and_grad(good, 1)
    wrong_shape = dict(good, positions=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="positions has the wrong shape"):
        native.value_and_grad(wrong_shape, 1)
    wrong_dtype = dict(good, fluxes=good["fluxes"].astype(np.float32))
    with pytest.raises(TypeError, match="fluxes"):
        native.value_and_grad(wrong_dtype, 1)
    with pytest.raises(ValueError, match="wavefront block is required"):
        native.value_and_grad({k: v for k, v in good.items() if k != "wavefront"}, 1)
    with pytest.raises(ValueError, match="positions and fluxes blocks are required"):
        native.value_and_grad({k: v for k, v in good.items() if k != "fluxes"}, 1)
    with pytest.raises(ValueError, match="one value per residual"):
        native.vjp(good, np.zeros(3), 1)
    with pytest.raises(ValueError, match="non-empty range"):
        native.jacobian(good, 1, 1, 1)
    amplitude = model.amplitude
    data = model.data
    with pytest.raises(ValueError, match="metric"):
        core.FusedImaging64(amplitude, None, None, data, None, 16, 1, 1.0, [1.0], [1.0], 0,
                            "l1", 0.0, "none", 0, 0, False, False, ["wavefront"])
    with pytest.raises(ValueError, match="window"):
        core.FusedImaging64(amplitude, None, None, data, None, 16, 1, 1.0, [1.0], [1.0], 9,
                            "sse", 0.0, "none", 0, 0, False, False, ["wavefront"])
    with pytest.raises(ValueError, match="first free block"):
        core.FusedImaging64(amplitude, None, None, data, None, 16, 1, 1.0, [1.0], [1.0], 0,
                            "sse", 0.0, "none", 0, 0, False, False, ["flux"])


def test_concurrent_calls_are_serialised():
    from concurrent.futures import ThreadPoolExecutor

    fused, _ = pair("everything_poisson")
    x = point(fused)
    expected = fused.value_and_grad(x)[1]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: fused.value_and_grad(x)[1], range(8)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("read_noise", [0.0, 0.05])
def test_poisson_over_a_wide_range_of_counts(read_noise):
    # Data from far below to far above the model, zeros, and (with read noise) negative counts,
    # some below -read_noise**2 (clipped: z_D = 0): the fused chunks' fast log and series, and
    # the pixels they leave to libm, against the reference.
    rng = np.random.default_rng(2)
    base = build(planes=1).simulate(np.zeros(4))
    factors = 10.0 ** rng.uniform(-4, 4, base.shape)
    factors[0, ::5, ::3] = 1.0 + rng.uniform(-0.06, 0.06, factors[0, ::5, ::3].shape)
    data = base * factors
    data[0, 1, :4] = 0.0
    if read_noise:
        data[0, 2, :3] = [-0.001, -0.002, -0.1]
    fused = build(backend="fused", metric="poisson", read_noise=read_noise, data=data)
    ref = build(metric="poisson", read_noise=read_noise, data=data)
    x = point(ref)
    e_f, g_f = fused.value_and_grad(x)
    e_r, g_r = ref.value_and_grad(x)
    assert e_f == pytest.approx(e_r, rel=1e-12)
    assert relative(g_f, g_r) < 1e-10
    assert relative(fused.residuals(x), ref.residuals(x)) < 1e-12
    v = rng.normal(size=ref.n_params)
    assert relative(fused.jvp(x, v), ref.jvp(x, v)) < 1e-10
