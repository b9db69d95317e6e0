"""The general hologram (planes at distances, colours, levels, crosstalk, zero order, the
efficiency metric): the fused kernel against the reference composition for every option alone
and combined, finite differences of the reference, the least-squares view, float32, threads,
the physics of the options and bad input."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import check_vjp, relative_error

N, M = 12, 10
KERNEL = [[0.05, 0.1, 0.05], [0.1, 0.4, 0.1], [0.05, 0.1, 0.05]]


def target(shape, seed=0):
    image = np.zeros(shape)
    image[..., 3:8, 2:6] = 1.0
    image[..., 5:10, 6:9] += 0.5
    return image * (1 + 0.1 * np.random.default_rng(seed).random(shape))


PLANES = {"distances": [5.0, 10.0], "wavelengths": 0.5, "pitch": 1.0}
COLOURS = {"distances": [5.0, 10.0], "wavelengths": [0.45, 0.53, 0.63], "pitch": 1.0}
CASES = {
    "far-zero-order": ((N, M), {"zero_order": 0.1}),
    "planes": ((3, N, M), {"distances": [5.0, 10.0, -7.0], "wavelengths": 0.5, "pitch": 1.0}),
    "colours": ((3, 2, N, M), COLOURS),
    "colours-far": ((3, 1, N, M), {"wavelengths": [0.45, 0.53, 0.63]}),
    "pad": ((2, N, M), {**PLANES, "pad": 2}),
    "levels-straight-through": ((N, M), {"levels": 8}),
    "levels-soft": ((2, N, M), {**PLANES, "levels": 8, "quantizer": "soft"}),
    "crosstalk": ((N, M), {"crosstalk": KERNEL}),
    "efficiency": ((2, N, M), {**PLANES, "efficiency": 0.5}),
    "weights-amplitude-response": ((2, 2, N, M), {
        "distances": [4.0, 9.0], "wavelengths": [0.5, 0.6], "pitch": 1.0,
        "plane_weights": [[1, 2], [0.5, 1]], "phase_response": [1.0, 0.7],
        "amplitude": 1 + 0.1 * np.random.default_rng(1).random((N, M))}),
    "all": ((2, 2, N, M), {
        "distances": [5.0, 10.0], "wavelengths": [0.5, 0.6], "pitch": 1.0, "pad": 2,
        "levels": 6, "quantizer": "soft", "crosstalk": np.ones((3, 5)) / 15,
        "zero_order": 0.05 + 0.02j, "plane_weights": [1.0, 2.0],
        "amplitude": 1 + 0.1 * np.random.default_rng(2).random((N, M)), "efficiency": 0.3}),
    "all-straight-through": ((2, 2, N, M), {
        "distances": [5.0, 10.0], "wavelengths": [0.5, 0.6], "pitch": 1.0, "levels": 4,
        "crosstalk": KERNEL, "zero_order": 0.1}),
}
IDS = list(CASES)


def models(name, dtype=np.float64):
    shape, options = CASES[name]
    t = target(shape).astype(dtype)
    return (pg.Hologram(target=t, backend="fused", **options),
            pg.Hologram(target=t, backend="reference", **options))


def phase(seed=0):
    return np.random.default_rng(seed).uniform(0.2, 6.0, (N, M))


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def thread_count(request):
    with pg.threads(request.param):
        yield request.param


@pytest.mark.parametrize("name", IDS)
def test_fused_equals_reference(name, thread_count):
    fused, reference = models(name)
    phi = phase()
    energy, grad = fused.value_and_grad(phi)
    expected_energy, expected_grad = reference.value_and_grad(phi)
    assert abs(energy - expected_energy) <= 1e-10 * expected_energy
    assert relative_error(grad, expected_grad) <= 1e-10
    assert relative_error(fused.reconstruct(phi), reference.reconstruct(phi)) <= 1e-10
    assert relative_error(fused.simulate(phi), reference.simulate(phi)) <= 1e-10
    assert fused.simulate(phi).shape == fused.target.shape
    assert fused.reconstruct(phi).shape == (fused.setup.colours, fused.setup.planes, N, M)


@pytest.mark.parametrize("name", [n for n in IDS if n != "levels-straight-through"
                                  and n != "all-straight-through"])
def test_reference_gradient_matches_finite_differences(name):
    _, reference = models(name)
    phi = phase(3)
    _, grad = reference.value_and_grad(phi)
    result = check_vjp(lambda p: reference.value_and_grad(p)[0], lambda e: e * grad, phi)
    assert result.ok, result


@pytest.mark.parametrize("name", ["levels-straight-through", "all-straight-through"])
def test_straight_through_gradient_is_the_unquantised_gradient_at_the_levels(name):
    shape, options = CASES[name]
    fused, _ = models(name)
    phi = phase(4)
    shown = fused.quantize(phi)
    assert len(np.unique(np.round(shown / (2 * np.pi / options["levels"]), 9))) <= \
        options["levels"]
    unquantised = pg.Hologram(target=target(shape), backend="reference",
                              **{k: v for k, v in options.items() if k != "levels"})
    energy, grad = fused.value_and_grad(phi)
    expected_energy, expected_grad = unquantised.value_and_grad(shown)
    assert abs(energy - expected_energy) <= 1e-10 * expected_energy
    assert relative_error(grad, expected_grad) <= 1e-10


@pytest.mark.parametrize("name", [n for n in IDS if "efficiency" not in CASES[n][1]])
def test_least_squares_view(name):
    fused, reference = models(name)
    rng = np.random.default_rng(5)
    x = phase(5).ravel()
    v, u = rng.standard_normal(x.size), rng.standard_normal(reference.n_residuals)
    r = reference.residuals(x)
    assert r @ r == pytest.approx(reference.value_and_grad(x.reshape(N, M))[0], rel=1e-12)
    assert relative_error(fused.residuals(x), r) <= 1e-10
    jv, jtu = reference.jvp(x, v), reference.vjp(x, u)
    assert relative_error(fused.jvp(x, v), jv) <= 1e-10
    assert relative_error(fused.vjp(x, u), jtu) <= 1e-10
    assert abs(u @ jv - v @ jtu) <= 1e-12 * np.linalg.norm(u) * np.linalg.norm(jv) * 10
    # The gradient is 2 J^T r.
    _, grad = fused.value_and_grad(x.reshape(N, M))
    assert relative_error(2 * fused.vjp(x, fused.residuals(x)), grad.ravel()) <= 1e-10


def test_dense_least_squares_on_a_small_plane():
    t = target((2, 6, 5))
    options = {"distances": [3.0, 6.0], "wavelengths": 0.5, "pitch": 1.0, "crosstalk": KERNEL}
    fused = pg.Hologram(target=t, **options)
    reference = pg.Hologram(target=t, backend="reference", **options)
    x = np.random.default_rng(6).uniform(0.2, 6.0, 30)
    jac = fused.jacobian(x)
    assert jac.shape == (60, 30)
    assert relative_error(jac, reference.jacobian(x)) <= 1e-10
    jtj, jtr = fused.gauss_newton(x)
    assert relative_error(jtr, jac.T @ fused.residuals(x)) <= 1e-12
    v = np.random.default_rng(7).standard_normal(30)
    assert relative_error(fused.gauss_newton_product(x, v), jtj @ v) <= 1e-10


@pytest.mark.parametrize("name", ["planes", "colours", "all"])
def test_float32_follows_float64(name):
    fused32, _ = models(name, np.float32)
    fused64, _ = models(name)
    phi = phase(8)
    energy32, grad32 = fused32.value_and_grad(phi.astype(np.float32))
    energy64, grad64 = fused64.value_and_grad(phi)
    assert grad32.dtype == np.float32 and fused32.reconstruct(phi).dtype == np.float32
    assert abs(energy32 - energy64) <= 1e-4 * energy64
    assert relative_error(grad32, grad64) <= 1e-3


def test_threads_give_the_same_bits():
    fused, _ = models("all")
    phi = phase(9)
    with pg.threads(1):
        one = fused.value_and_grad(phi)
    with pg.threads(2):
        two = fused.value_and_grad(phi)
    assert one[0] == two[0] and np.array_equal(one[1], two[1])


# ---------------------------------------------------------------- the physics of the options

def test_the_far_field_single_plane_case_is_todays_model():
    t = target((N, M))
    phi = phase(10)
    today = pg.Hologram(target=t)
    general = pg.Hologram(target=t[None], backend="fused")  # (1, n, m): the general kernel
    assert not today.general and general.general
    assert today.value_and_grad(phi)[0] == pytest.approx(general.value_and_grad(phi)[0],
                                                         rel=1e-12)
    assert relative_error(today.value_and_grad(phi)[1], general.value_and_grad(phi)[1]) < 1e-12
    intensity = today.reconstruct(phi)
    assert intensity.shape == (1, 1, N, M)
    assert intensity.sum() == pytest.approx(1.0, rel=1e-12)  # Parseval


def test_planes_are_the_propagated_field():
    t = target((2, N, M))
    h = pg.Hologram(target=t, backend="fused", distances=[5.0, 10.0], wavelengths=0.5,
                    pitch=1.0)
    phi = phase(11)
    field = np.exp(1j * (phi - 2 * np.pi * np.floor(phi / (2 * np.pi))))
    for p, z in enumerate((5.0, 10.0)):
        expected = np.abs(pg.reference.angular_spectrum(field, z, 0.5, 1.0)) ** 2
        assert relative_error(h.reconstruct(phi)[0, p], expected) < 1e-12


def test_phase_response_scales_the_phase_per_colour():
    t = target((2, 1, N, M))
    h = pg.Hologram(target=t, wavelengths=[0.5, 0.625])
    phi = phase(12)
    wrapped = phi % (2 * np.pi)
    for c, alpha in enumerate((1.0, 0.8)):  # default: wavelengths[0] / wavelength
        field = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(np.exp(1j * alpha * wrapped))))
        assert relative_error(h.reconstruct(phi)[c, 0], np.abs(field) ** 2) < 1e-12


def test_levels_show_l_values_and_crosstalk_smooths():
    t = target((N, M))
    h = pg.Hologram(target=t, levels=4, crosstalk=KERNEL)
    shown = h.quantize(phase(13))
    assert set(np.round(np.unique(shown) / (np.pi / 2), 12)) <= {0.0, 1.0, 2.0, 3.0}
    # A kernel that is a delta changes nothing.
    delta = np.zeros((3, 3))
    delta[1, 1] = 1
    with_delta = pg.Hologram(target=t, crosstalk=delta).value_and_grad(phase(13))
    plain = pg.Hologram(target=t[None]).value_and_grad(phase(13))
    assert with_delta[0] == pytest.approx(plain[0], rel=1e-12)


def test_the_zero_order_adds_a_central_spot():
    t = target((N, M))
    phi = phase(14)
    plain = pg.Hologram(target=t[None]).reconstruct(phi)[0, 0]
    with_zero = pg.Hologram(target=t, zero_order=0.5).reconstruct(phi)[0, 0]
    change = with_zero - plain
    assert np.unravel_index(np.argmax(np.abs(change)), change.shape) == (N // 2, M // 2)


def test_efficiency_metric_counts_the_light_outside():
    t = target((N, M))
    phi = phase(15)
    none = pg.Hologram(target=t, efficiency=0.0, backend="reference")
    some = pg.Hologram(target=t, efficiency=2.0, backend="reference")
    intensity = none.reconstruct(phi)[0, 0]
    signal = t > 0
    eta = intensity[signal].sum() / intensity.sum()
    mean_signal = t[signal].mean()
    expected = some.value_and_grad(phi)[0] - none.value_and_grad(phi)[0]
    assert expected == pytest.approx(2.0 * mean_signal ** 2 * (1 - eta), rel=1e-12)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("options, error, match", [
    ({"distances": [1.0]}, ValueError, "^wavelengths must be given with distances"),
    ({"distances": [1.0], "wavelengths": 0.5}, ValueError, "^pitch must be given"),
    ({"distances": [1.0], "wavelengths": 0.5, "pitch": 0.0}, ValueError, "^pitch must be"),
    ({"distances": [1.0, 2.0], "wavelengths": 0.5, "pitch": 1.0}, ValueError, "^distances must"),
    ({"wavelengths": [0.5, 0.6]}, ValueError, "^wavelengths of several colours"),
    ({"wavelengths": -0.5}, ValueError, "^wavelengths must be positive"),
    ({"levels": 1}, ValueError, "^levels must be at least 2"),
    ({"levels": 2.5}, TypeError, "^levels must be"),
    ({"crosstalk": np.ones((2, 3))}, ValueError, "^crosstalk must be a 2-D kernel of odd"),
    ({"crosstalk": np.ones((3, 3), int)}, TypeError, "^crosstalk must have dtype"),
    ({"plane_weights": [1.0, 2.0]}, ValueError, "^plane_weights must broadcast"),
    ({"plane_weights": -1.0}, ValueError, "^plane_weights must be non-negative"),
    ({"amplitude": np.ones((3, 3))}, ValueError, "^amplitude must have shape"),
    ({"quantizer": "round"}, ValueError, "^quantizer must be one of"),
    ({"efficiency": -1.0}, ValueError, "^efficiency must be a non-negative"),
    ({"pad": 2}, ValueError, "^pad applies to the propagation"),
    ({"zero_order": np.nan}, ValueError, "^zero_order must be finite"),
    ({"phase_response": [1.0, 2.0]}, ValueError, "^phase_response must hold 1 value"),
])
def test_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        pg.Hologram(target=target((N, M)), **options)


def test_bad_targets():
    with pytest.raises(ValueError, match="^distances must be given for a target of 3 planes"):
        pg.Hologram(target=target((3, N, M)))
    with pytest.raises(ValueError, match="^wavelengths must be given for a target of several"):
        pg.Hologram(target=target((2, 1, N, M)))
    bad = target((2, N, M))
    bad[1] = 0
    with pytest.raises(ValueError, match="^target must not have an all-zero plane"):
        pg.Hologram(target=bad, distances=[1.0, 2.0], wavelengths=0.5, pitch=1.0)
    with pytest.raises(ValueError, match="^target must be"):
        pg.Hologram(target=np.ones((1, 1, 1, N, M)))


def test_least_squares_view_refuses_the_efficiency_metric():
    h = pg.Hologram(target=target((N, M)), efficiency=1.0)
    with pytest.raises(ValueError, match="^the least-squares view needs the normalised MSE"):
        h.residuals(phase().ravel())


@pytest.mark.parametrize("shape", [(9, 7), (7, 10), (1, 11, 11)])
@pytest.mark.parametrize("options", [
    {"zero_order": 0.1, "crosstalk": np.ones((3, 5)) / 15, "levels": 5, "quantizer": "soft"},
    {"distances": [3.0], "wavelengths": 0.5, "pitch": 1.0, "pad": 3, "efficiency": 0.2},
], ids=["far", "near"])
def test_odd_planes(shape, options):
    t = np.random.default_rng(11).random(shape)
    fused = pg.Hologram(target=t, **options)
    reference = pg.Hologram(target=t, backend="reference", **options)
    phi = np.random.default_rng(12).uniform(0.2, 6.0, shape[-2:])
    energy, grad = fused.value_and_grad(phi)
    expected_energy, expected_grad = reference.value_and_grad(phi)
    assert abs(energy - expected_energy) <= 1e-10 * expected_energy
    assert relative_error(grad, expected_grad) <= 1e-10
    assert relative_error(fused.reconstruct(phi), reference.reconstruct(phi)) <= 1e-10
    result = check_vjp(lambda p: reference.value_and_grad(p)[0], lambda e: e * expected_grad,
                       phi)
    assert result.ok, result


def test_concurrent_calls_share_the_work_buffers_safely():
    from concurrent.futures import ThreadPoolExecutor

    fused, _ = models("all")
    phases = [phase(seed) for seed in range(6)]
    expected = [fused.value_and_grad(p) for p in phases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(fused.value_and_grad, phases * 2))
    for (energy, grad), (expected_energy, expected_grad) in zip(got, expected * 2, strict=True):
        assert energy == expected_energy and np.array_equal(grad, expected_grad)


# ---------------------------------------------------------------- the amplitude + phase modulator
# Every case above again with modulator="amplitude_phase": the parameters are (2, n, m), the
# phases and beta (the amplitude m = (1 + sin beta) / 2).

AMPLITUDE_CASES = {name: (shape, {**options, "modulator": "amplitude_phase"})
                   for name, (shape, options) in CASES.items()}


def amplitude_models(name, dtype=np.float64):
    shape, options = AMPLITUDE_CASES[name]
    t = target(shape).astype(dtype)
    return (pg.Hologram(target=t, backend="fused", **options),
            pg.Hologram(target=t, backend="reference", **options))


def parameters(seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(0.2, 6.0, (N, M)), rng.uniform(-3.0, 3.0, (N, M))])


@pytest.mark.parametrize("name", IDS)
def test_amplitude_phase_fused_equals_reference(name, thread_count):
    fused, reference = amplitude_models(name)
    x = parameters()
    energy, grad = fused.value_and_grad(x)
    expected_energy, expected_grad = reference.value_and_grad(x)
    assert grad.shape == (2, N, M) and expected_grad.shape == (2, N, M)
    assert abs(energy - expected_energy) <= 1e-10 * expected_energy
    assert relative_error(grad, expected_grad) <= 1e-10
    assert relative_error(grad[1], expected_grad[1]) <= 1e-10  # the amplitude part alone
    assert relative_error(fused.reconstruct(x), reference.reconstruct(x)) <= 1e-10
    assert relative_error(fused.simulate(x), reference.simulate(x)) <= 1e-10


@pytest.mark.parametrize("name", [n for n in IDS if "straight-through" not in n])
def test_amplitude_phase_gradient_matches_finite_differences(name):
    fused, reference = amplitude_models(name)
    x = parameters(3)
    for model in (reference, fused):
        _, grad = model.value_and_grad(x)
        result = check_vjp(lambda p, model=model: model.value_and_grad(p)[0],
                           lambda e, grad=grad: e * grad, x)
        assert result.ok, result


@pytest.mark.parametrize("name", [n for n in IDS if "efficiency" not in CASES[n][1]])
def test_amplitude_phase_least_squares_view(name):
    fused, reference = amplitude_models(name)
    rng = np.random.default_rng(5)
    x = parameters(5).ravel()
    assert fused.n_params == 2 * N * M
    v, u = rng.standard_normal(x.size), rng.standard_normal(reference.n_residuals)
    r = reference.residuals(x)
    assert r @ r == pytest.approx(reference.value_and_grad(x.reshape(2, N, M))[0], rel=1e-12)
    assert relative_error(fused.residuals(x), r) <= 1e-10
    jv, jtu = reference.jvp(x, v), reference.vjp(x, u)
    assert jv.shape == (reference.n_residuals,) and jtu.shape == (2 * N * M,)
    assert relative_error(fused.jvp(x, v), jv) <= 1e-10
    assert relative_error(fused.vjp(x, u), jtu) <= 1e-10
    assert abs(u @ jv - v @ jtu) <= 1e-12 * np.linalg.norm(u) * np.linalg.norm(jv) * 10
    _, grad = fused.value_and_grad(x.reshape(2, N, M))
    assert relative_error(2 * fused.vjp(x, fused.residuals(x)), grad.ravel()) <= 1e-10
    energy, flat = fused.fun_and_jac(x)
    assert energy == pytest.approx(r @ r, rel=1e-10) and flat.shape == x.shape
    if "straight-through" not in name:  # the tangent is the residuals' derivative
        step = 1e-6
        fd = (reference.residuals(x + step * v) - reference.residuals(x - step * v)) / (2 * step)
        assert relative_error(jv, fd) <= 1e-6


def test_amplitude_phase_dense_least_squares():
    t = target((2, 6, 5))
    options = {"distances": [3.0, 6.0], "wavelengths": 0.5, "pitch": 1.0, "crosstalk": KERNEL,
               "modulator": "amplitude_phase"}
    fused = pg.Hologram(target=t, **options)
    reference = pg.Hologram(target=t, backend="reference", **options)
    x = np.random.default_rng(6).uniform(-3.0, 6.0, 60)
    jac = fused.jacobian(x)
    assert jac.shape == (60, 60)
    assert relative_error(jac, reference.jacobian(x)) <= 1e-10
    jtj, jtr = fused.gauss_newton(x)
    assert relative_error(jtr, jac.T @ fused.residuals(x)) <= 1e-12
    v = np.random.default_rng(7).standard_normal(60)
    assert relative_error(fused.gauss_newton_product(x, v), jtj @ v) <= 1e-10


@pytest.mark.parametrize("name", ["planes", "colours", "all"])
def test_amplitude_phase_float32_follows_float64(name):
    fused32, _ = amplitude_models(name, np.float32)
    fused64, _ = amplitude_models(name)
    x = parameters(8)
    energy32, grad32 = fused32.value_and_grad(x.astype(np.float32))
    energy64, grad64 = fused64.value_and_grad(x)
    assert grad32.dtype == np.float32 and grad32.shape == (2, N, M)
    assert abs(energy32 - energy64) <= 1e-4 * energy64
    assert relative_error(grad32, grad64) <= 1e-3


@pytest.mark.parametrize("backend", ["fused", "reference"])
def test_the_amplitude_scales_each_pixel(backend):
    shape, options = CASES["colours"]
    t = target(shape)
    phase_only = pg.Hologram(target=t, backend=backend, **options)
    both = pg.Hologram(target=t, backend=backend, modulator="amplitude_phase", **options)
    phi = phase(1)
    # beta = pi / 2 everywhere: m = 1, the phase-only model.
    full = np.stack([phi, np.full((N, M), np.pi / 2)])
    assert relative_error(both.reconstruct(full), phase_only.reconstruct(phi)) <= 1e-12
    energy, grad = both.value_and_grad(full)
    expected_energy, expected_grad = phase_only.value_and_grad(phi)
    assert energy == pytest.approx(expected_energy, rel=1e-12)
    assert relative_error(grad[0], expected_grad) <= 1e-12
    assert np.max(np.abs(grad[1])) <= 1e-12 * np.max(np.abs(grad[0]))  # dm/dbeta = 0 there
    # m = 1/2 scales every intensity by 1/4.
    half = np.stack([phi, np.zeros((N, M))])
    assert relative_error(both.reconstruct(half), phase_only.reconstruct(phi) / 4) <= 1e-12
    # A dark pixel (m = 0) sends no light: one bright pixel gives a flat far field.
    beta = np.full((N, M), -np.pi / 2)
    beta[4, 3] = np.pi / 2
    shown = both.quantize(np.stack([phi, beta]))
    assert shown.shape == (2, N, M) and np.all((shown[1] >= 0) & (shown[1] <= 1))
    assert shown[1][4, 3] == 1.0 and np.max(shown[1][beta < 0]) <= 1e-15


def test_amplitude_phase_in_the_far_field_single_plane():
    t = target((N, M))
    fused = pg.Hologram(target=t, modulator="amplitude_phase")
    reference = pg.Hologram(target=t, backend="reference", modulator="amplitude_phase")
    assert fused.general and fused.shape == (2, N, M)
    beta = np.full((N, M), -np.pi / 2)
    beta[4, 3] = np.pi / 2
    image = fused.reconstruct(np.stack([phase(2), beta]))[0, 0]
    assert relative_error(image, np.full((N, M), image.mean())) <= 1e-12
    x = parameters(2)
    assert fused.value_and_grad(x)[0] == pytest.approx(reference.value_and_grad(x)[0],
                                                       rel=1e-12)


def test_amplitude_phase_bad_input():
    with pytest.raises(ValueError, match="^modulator must be one of"):
        pg.Hologram(target=target((N, M)), modulator="amplitude")
    with pytest.raises(ValueError, match="^modulator must be one of"):
        pg.Hologram(target=target((N, M)), modulator=None)
    h = pg.Hologram(target=target((N, M)), modulator="amplitude_phase", zero_order=0.1)
    with pytest.raises(ValueError, match=r"^phi must have \(2, n, m\)"):
        h.value_and_grad(phase())
    with pytest.raises(TypeError, match="^phi must"):
        h.value_and_grad(parameters().astype(complex))
    bad = parameters()
    bad[1, 0, 0] = np.inf
    with pytest.raises(ValueError, match="^phi must be finite"):
        h.value_and_grad(bad)
    with pytest.raises(ValueError, match=f"^x must be a flat vector of {2 * N * M}"):
        h.fun_and_jac(phase().ravel())
    with pytest.raises(ValueError, match="^v must"):
        h.jvp(parameters().ravel(), np.ones(N * M))


@pytest.mark.parametrize("distances", [[40.0, 8.0], [-25.0]], ids=["two-planes", "one-plane"])
def test_band_limit_zeros_in_the_one_pass_metric(distances, thread_count):
    # value_and_grad of the unpadded normalised MSE adds mean_normalize_vjp's constant term in
    # the Fourier domain, weighted by |H|^2: here the band limit zeroes most of H's frequencies,
    # so a weight of 1 in their place would change the gradient.
    from phasegrad.arguments.propagation import Propagation
    from phasegrad.reference.propagation import transfer_function

    options = {"distances": distances, "wavelengths": [0.5, 0.6], "pitch": 1.0,
               "zero_order": 0.05, "amplitude": 1 + 0.1 * np.random.default_rng(3).random((N, M))}
    shape = (2, len(distances), N, M)
    h = transfer_function((N, M), Propagation("angular_spectrum", distances[0], 0.5, 1.0, True, 1))
    assert np.mean(h == 0) > 0.3
    fused = pg.Hologram(target=target(shape), **options)
    reference = pg.Hologram(target=target(shape), backend="reference", **options)
    phi = phase(5)
    energy, grad = fused.value_and_grad(phi)
    expected_energy, expected_grad = reference.value_and_grad(phi)
    assert abs(energy - expected_energy) <= 1e-10 * expected_energy
    assert relative_error(grad, expected_grad) <= 1e-10
    assert relative_error(fused.vjp(phi.ravel(), 2 * fused.residuals(phi.ravel())),
                          grad.ravel()) <= 1e-10
