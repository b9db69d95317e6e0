"""PhaseDiversity, fused backend: the C++ model against the reference backend (the spec) over
the configurations, float32 against float64, determinism and threads, and recovery of the
aberrations (noise-free and noisy) with pg.optimize.lbfgs."""

import threading

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.models.synthetic_pd import phase_diversity_problem

from .test_phase_diversity import CONFIGS, make_inputs, point

TOL64 = 1e-10


def pair(**options):
    inputs = make_inputs(**options)
    return (pg.PhaseDiversity(backend="reference", **inputs),
            pg.PhaseDiversity(backend="fused", **inputs))


def relative(actual, expected):
    return float(np.abs(np.asarray(actual, dtype=np.float64) - expected).max()
                 / np.abs(expected).max())


@pytest.mark.parametrize("name", CONFIGS)
def test_fused_matches_reference(name):
    reference, fused = pair(**CONFIGS[name])
    for seed in (1, 2):
        a = point(reference, seed=seed)
        E_ref, g_ref = reference.value_and_grad(a)
        E_fused, g_fused = fused.value_and_grad(a)
        assert abs(E_fused - E_ref) <= TOL64 * abs(E_ref)
        assert g_fused.shape == g_ref.shape and g_fused.dtype == np.float64
        assert relative(g_fused, g_ref) <= TOL64


@pytest.mark.parametrize("options", [
    {"data": "scene", "regularization": 1e-6},
    {"data": "scene", "regularization": 1e-6, "n": 9, "pad": 3},
    {"data": "scene", "regularization": 1e-4, "images": 3},
    {"data": "scene", "regularization": 1e-6, "wavelengths": [0.9, 1.0, 1.15]},
    {"regularization": 1e3},  # random images: the Wiener object everywhere on the grid
])
def test_fused_estimate_object_matches_reference(options):
    reference, fused = pair(**options)
    a = point(reference)
    expected = reference.estimate_object(a)
    got = fused.estimate_object(a)
    assert got.shape == expected.shape == (reference.grid, reference.grid)
    assert relative(got, expected) <= TOL64


def test_fused_is_exact_near_the_minimum():
    """At the true wavefront of noise-free images E is ~1e-7 of its value elsewhere: the fused
    backend sums the residual form sum |D - O S|^2 + gamma |O|^2 (no cancellation), the
    reference the reduced form; both agree to the reference's rounding of sum |D|^2."""
    model, truth, _ = phase_diversity_problem(size=12, modes=6, regularization=1e-10)
    reference, _, _ = phase_diversity_problem(size=12, modes=6, regularization=1e-10,
                                              backend="reference")
    E_fused, g_fused = model.value_and_grad(truth)
    E_ref, g_ref = reference.value_and_grad(truth)
    far = reference.value_and_grad(np.zeros(6))[0]
    assert E_fused < 1e-4 * far
    assert abs(E_fused - E_ref) <= 1e-12 * far
    assert np.abs(g_fused - g_ref).max() <= 1e-9 * np.abs(reference.value_and_grad(
        np.zeros(6))[1]).max()


@pytest.mark.parametrize("backend", ["fused", "reference"])
@pytest.mark.parametrize("name", ["basis", "odd_grid", "three_images", "broadband"])
def test_float32_is_close_to_float64(name, backend):
    m64 = pg.PhaseDiversity(backend=backend, **make_inputs(**CONFIGS[name]))
    m32 = pg.PhaseDiversity(backend=backend, **make_inputs(dtype=np.float32, **CONFIGS[name]))
    assert m32.dtype == np.float32
    a = point(m64)
    E64, g64 = m64.value_and_grad(a)
    E32, g32 = m32.value_and_grad(a.astype(np.float32))
    assert g32.dtype == np.float32
    assert abs(E32 - E64) <= 1e-5 * abs(E64)
    assert relative(g32, g64) <= 1e-3
    o64 = m64.estimate_object(a)
    o32 = m32.estimate_object(a.astype(np.float32))
    assert o32.dtype == np.float32 and relative(o32, o64) <= 1e-3


def test_repeated_calls_are_bit_identical_and_leak_no_state():
    m = pg.PhaseDiversity(**make_inputs(images=3))
    a, b = point(m, seed=1), point(m, seed=2)
    first = m.value_and_grad(a)
    m.value_and_grad(b)
    m.estimate_object(b)
    again = m.value_and_grad(a)
    assert first[0] == again[0] and np.array_equal(first[1], again[1])


def test_threads_agree():
    """A grid large enough to run threaded (N = 256): 1 and 2 threads agree, and repeated
    threaded calls are bit-identical (row sums added in order)."""
    m = pg.PhaseDiversity(**make_inputs(n=128, modes=10))
    a = point(m)
    with pg.threads(1):
        E1, g1 = m.value_and_grad(a)
    with pg.threads(2):
        E2, g2 = m.value_and_grad(a)
        E2b, g2b = m.value_and_grad(a)
    assert E2 == E2b and np.array_equal(g2, g2b)
    assert abs(E2 - E1) <= 1e-12 * abs(E1) and relative(g2, g1) <= 1e-10


def test_python_threads_share_one_model():
    m = pg.PhaseDiversity(**make_inputs())
    points = [point(m, seed=s) for s in range(4)]
    expected = [m.value_and_grad(a) for a in points]
    results = [None] * 4

    def work(k):
        for _ in range(5):
            results[k] = m.value_and_grad(points[k])

    workers = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for (E, g), (E_expected, g_expected) in zip(results, expected, strict=True):
        assert E == E_expected and np.array_equal(g, g_expected)


def test_workspace_is_reported():
    m = pg.PhaseDiversity(**make_inputs())
    grid = m.grid
    # At least the data spectra (2 complex N x N) and the OTF pair and its cotangent.
    assert m._impl.workspace_bytes >= 4 * 16 * grid * grid


# -- recovery ---------------------------------------------------------------------------------


def rms_error(model, a, truth):
    difference = model.wavefront(a) - model.wavefront(truth)
    values = difference[model.amplitude > 0].astype(np.float64)
    return float(np.sqrt(np.mean((values - values.mean()) ** 2)))


@pytest.mark.parametrize("photons", [None, 1e8])
def test_lbfgs_recovers_the_aberrations(photons):
    """The issue's problem: 2 images at +-0.5 wave RMS of defocus, 20 Zernike modes (Noll
    4-23, 0.1 wave RMS), a 64 x 64 grid (n = 32, pad 2), an extended scene; noise-free, and
    with Poisson noise at 1e8 photons per image: L-BFGS from a flat wavefront ends within
    0.003 waves RMS, and the scene comes back."""
    model, truth, scene = phase_diversity_problem(size=32, modes=20, photons=photons)
    found = pg.optimize.lbfgs(model, np.zeros(model.n_params), maxiter=500)
    assert rms_error(model, found.x, truth) < 0.003
    if photons is None:
        assert rms_error(model, found.x, truth) < 1e-5
    # The scene comes back where it was (no tilt in the modes, Noll >= 4): its spectrum at
    # the lower frequencies (|f| < 1/8 cycle per pixel; above, the noise the weak
    # regularisation lets through), and its light.
    estimate = model.estimate_object(found.x)
    low = np.hypot(*np.meshgrid(np.fft.fftfreq(model.grid), np.fft.fftfreq(model.grid))) < 1 / 8
    spectrum, expected = np.fft.fft2(estimate), np.fft.fft2(scene)
    assert np.abs(spectrum - expected)[low].max() < 0.01 * np.abs(expected).max()
    assert abs(estimate.sum() - scene.sum()) < 1e-3 * scene.sum()


def test_benchmark_suite_runs(tmp_path, capsys):
    """python -m phasegrad.bench.phase_diversity --quick: its tables and its JSON (nothing
    here is timed)."""
    import json

    from phasegrad.bench import phase_diversity as suite

    assert suite.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PhaseDiversity" in out and "to_target_s" in out
    rows = json.loads((tmp_path / "bench_phase_diversity.json").read_text())["results"]
    solves = [row for row in rows if "lbfgs" in row]
    assert {row["lbfgs"] for row in solves} == {name for name, _ in suite.SETTINGS}
    assert all(float(row["final_error"]) < suite.TARGET for row in solves)
