"""The imaging model and phase diversity (fused) give the same bits on any team of threads.

Their transforms run as fixed chunks of single-threaded plans (the imaging stage's real
transforms single-threaded), their parallel passes hand out fixed pieces dynamically and add
the pieces' sums in a fixed order, and each call kind may fall back to one thread when that
measures faster (core/team_choice.hpp, a core busy with another process): none of this may
change a result. Grids of 256^2 and more run threaded, so the models here are n = 128 at
pad 2 (and N = 264 for an odd binned window)."""

import numpy as np
import pytest

import phasegrad as pg

from .imaging_cases import point, scene
from .test_phase_diversity import make_inputs as diversity_inputs

N = 128
TEAMS = (2, 3, 4, 1, 2)


def imaging_model(*, planes=2, pad=2, bin=1, window=None, modes=6, detector="linear",
                  weights=False, dtype=np.float64, seed=0, backend="fused", **options):
    """An imaging model of pupil size 128 whose data are random (every gradient term
    non-zero)."""
    rng = np.random.default_rng(seed)
    amplitude = pg.circular_pupil(N, dtype=dtype)
    amplitude = amplitude / amplitude.sum()
    size = int(round(pad * N)) // bin if window is None else window
    data = rng.uniform(0.0, 2e-5, size=(planes, size, size)).astype(dtype)
    defocus = pg.zernike_basis(1, N, first=4, dtype=dtype)[0]
    diversity = np.stack([0.3 * k * defocus for k in range(planes)])
    w = rng.uniform(0.5, 1.5, size=data.shape).astype(dtype) if weights else None
    return pg.PhaseRetrieval(amplitude=amplitude, basis=pg.zernike_basis(modes, N, first=2,
                                                                         dtype=dtype),
                             data=data, pad=pad, bin=bin, detector=detector, weights=w,
                             diversity=diversity, backend=backend, **options)


def start(model, seed=1):
    """A flat parameter vector with every free block away from its start (a background at the
    scale of these data)."""
    return point(model, seed, background=(1e-6, 3e-6))


IMAGING = {
    "known_object_nuisance": {"object": scene(40), "fit": ("flux", "background", "shift",
                                                           "jitter"),
                              "weights": True},
    "points_poisson": {"object": pg.PointSources(2), "metric": "poisson", "read_noise": 1e-3},
    "free_object_window_bin": {"object": "free", "bin": 2, "window": 100, "jitter": 0.3},
    "point_source_amplitude": {"fit": ("amplitude",), "planes": 1},
    "odd_grid_points_window": {"pad": 2.0625, "object": pg.PointSources(1), "window": 201,
                               "weights": True, "detector": "quadratic"},
}


def every_output(model, x, v, u, jacobian):
    """Every fused call a team of threads runs, at flat x, tangent v and cotangent u."""
    energy, gradient = model.fun_and_jac(x)
    out = [np.asarray(energy), gradient.copy(), model.simulate(x).copy(),
           model.residuals(x).copy(), model.jvp(x, v).copy(), model.vjp(x, u).copy(),
           model.gauss_newton_product(x, v).copy()]
    if jacobian:
        out.append(model.jacobian(x).copy())
    return out


def assert_identical(first, second):
    assert len(first) == len(second)
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", IMAGING)
def test_imaging_results_do_not_depend_on_the_team(name, dtype):
    """Bit for bit the same on 1, 2, 3 and 4 threads, twice each, and on one thread again."""
    model = imaging_model(dtype=dtype, **IMAGING[name])
    assert model.grid >= 256  # the engine runs threaded
    rng = np.random.default_rng(6)
    x = start(model)
    v = rng.normal(size=model.n_params) * 1e-2
    u = rng.normal(size=model.residuals(x).size)
    jacobian = model.n_params <= 24
    with pg.threads(1):
        first = every_output(model, x, v, u, jacobian)
    assert all(np.all(np.isfinite(out)) for out in first)
    for count in TEAMS:
        with pg.threads(count):
            for _ in range(2):
                assert_identical(first, every_output(model, x, v, u, jacobian))


def test_imaging_many_calls_on_two_threads_repeat_the_first():
    """Enough calls on two threads that the measured fallback probes the other team (after
    eight calls at first) whatever the machine's load: every result repeats the first."""
    model = imaging_model(**IMAGING["known_object_nuisance"])
    x = start(model)
    with pg.threads(2):
        energy, gradient = model.fun_and_jac(x)
        for _ in range(40):
            again, again_gradient = model.fun_and_jac(x)
            assert again == energy
            np.testing.assert_array_equal(again_gradient, gradient)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", [
    {"modes": 10},
    {"modes": 6, "images": 3, "amplitude": "grey"},
    {"basis": False, "images": 2, "wavelengths": [0.9, 1.0], "spectral_weights": [0.4, 0.6]},
    {"modes": 6, "n": 129, "pad": 2},
], ids=["two_images", "three_images_grey", "map_broadband", "odd_grid"])
def test_phase_diversity_results_do_not_depend_on_the_team(options, dtype):
    """value_and_grad and estimate_object, bit for bit, on 1-4 threads and 1 again (and many
    calls on two threads, past the fallback's first probes)."""
    model = pg.PhaseDiversity(**diversity_inputs(n=options.pop("n", N), dtype=dtype, **options),
                              backend="fused")
    assert model.grid >= 256
    a = np.random.default_rng(2).normal(scale=0.1, size=model.coefficient_shape)
    with pg.threads(1):
        energy, gradient = model.value_and_grad(a)
        scene_estimate = model.estimate_object(a)
    assert np.isfinite(energy) and np.all(np.isfinite(gradient))
    for count in TEAMS:
        with pg.threads(count):
            for _ in range(2 if count != 2 else 12):
                again, again_gradient = model.value_and_grad(a)
                assert again == energy
                np.testing.assert_array_equal(again_gradient, gradient)
            np.testing.assert_array_equal(model.estimate_object(a), scene_estimate)


@pytest.mark.parametrize("name", ["known_object_nuisance", "free_object_window_bin",
                                  "odd_grid_points_window"])
def test_imaging_fused_equals_reference_on_a_threaded_grid(name):
    """The chunked real transforms (models/chunked_real_dft2.hpp) on a team of two: fused ==
    reference to 1e-10, value, gradient and the least-squares view."""
    fused = imaging_model(**IMAGING[name])
    reference = imaging_model(**IMAGING[name], backend="reference")
    x = start(fused)
    v = np.random.default_rng(6).normal(size=fused.n_params) * 1e-2
    with pg.threads(2):
        got = [*fused.fun_and_jac(x), fused.residuals(x), fused.jvp(x, v)]
    expected = [*reference.fun_and_jac(x), reference.residuals(x), reference.jvp(x, v)]
    for a, b in zip(got, expected, strict=True):
        b = np.asarray(b, dtype=np.float64)
        assert np.abs(np.asarray(a) - b).max() <= 1e-10 * np.abs(b).max()
