"""PhaseRetrieval, fused backend: the C++ model against the reference backend (the spec) over a
matrix of configurations, float32 against float64, finite differences, determinism and state
leaks, threads (OpenMP inside a call, Python threads sharing one model), SciPy, bad input and
the work-buffer contract."""

import threading

import numpy as np
import pytest
from scipy.optimize import minimize

import phasegrad as pg
from phasegrad.check import relative_error
from phasegrad.native import core as _core

from .reference_checks import assert_gradient_matches_finite_differences

TOL64 = 1e-10
TOL32 = 1e-4
DETECTOR_P = (0.3, 1.1, 0.001)


# -- configurations -----------------------------------------------------------------------

def make_amplitude(kind, n, dtype=np.float64):
    """A pupil amplitude of the given kind, scaled so that the in-focus peak is 1."""
    if kind == "circle":
        amplitude = pg.circular_pupil(n)
    elif kind == "annulus":
        amplitude = pg.circular_pupil(n, obscuration=0.35)
    elif kind == "hex":
        amplitude = pg.hex_segments(n, rings=1, gap=0.04).amplitude
    elif kind == "grey":
        # Non-uniform grey values on the disk (an apodised pupil with some texture).
        rng = np.random.default_rng(11)
        y, x = np.mgrid[:n, :n] - (n - 1) / 2
        taper = np.exp(-(x**2 + y**2) / (0.5 * n) ** 2)
        amplitude = pg.circular_pupil(n) * taper * rng.uniform(0.3, 1.0, size=(n, n))
    elif kind == "square":
        amplitude = np.random.default_rng(12).uniform(0.5, 1.0, size=(n, n))  # no zero pixel
    else:
        raise ValueError(kind)
    return (amplitude / amplitude.sum()).astype(dtype)


def make_basis(kind, n, modes, dtype=np.float64):
    if kind == "hex":
        return pg.hex_segments(n, rings=1, gap=0.04).basis.astype(dtype)
    if kind == "square":
        # Zernikes are zero outside the disk; give the square pupil modes that cover it.
        y, x = (np.mgrid[:n, :n] - (n - 1) / 2) / (n / 2)
        return np.stack([x, y, x * y, x**2 - y**2, x**2 + y**2][:modes]).astype(dtype)
    obscuration = 0.35 if kind == "annulus" else 0.0
    return pg.zernike_basis(modes, n, obscuration=obscuration, first=2, dtype=dtype)


def make_inputs(*, n=16, pad=2, modes=5, basis=True, planes=1, wavelengths=None,
                spectral_weights=None, bin=1, weights=None, detector="linear",
                amplitude="circle", dtype=np.float64, seed=0):
    """Keyword arguments of ``pg.PhaseRetrieval`` (without backend) for a small model with
    random data, so that every gradient term is non-zero."""
    rng = np.random.default_rng(seed)
    grid = int(round(pad * n))
    size = grid // bin
    shape = (planes, size, size) if planes > 1 else (size, size)
    data = rng.uniform(0.0, 0.02 * bin * bin, size=shape)
    diversity = None
    if planes > 1:
        defocus = pg.zernike_basis(1, n, first=4)[0]
        diversity = np.stack([0.3 * k * defocus for k in range(planes)])
    w = None
    if weights == "plane":
        w = rng.uniform(0.5, 1.5, size=shape)
    elif weights == "shared":
        w = rng.uniform(0.5, 1.5, size=(size, size))
    cast = (lambda x: None if x is None else np.asarray(x, dtype=dtype))  # noqa: E731
    return {"amplitude": make_amplitude(amplitude, n, dtype),
            "basis": make_basis(amplitude, n, modes, dtype) if basis else None,
            "data": cast(data), "pad": pad, "bin": bin, "wavelengths": wavelengths,
            "spectral_weights": spectral_weights, "detector": detector, "weights": cast(w),
            "diversity": cast(diversity)}


def make_pair(**config):
    kwargs = make_inputs(**config)
    return (pg.PhaseRetrieval(**kwargs, backend="fused"),
            pg.PhaseRetrieval(**kwargs, backend="reference"))


def random_params(model, seed=1, scale=0.1):
    return np.random.default_rng(seed).normal(scale=scale, size=model.coefficient_shape)


def call_args(model, a):
    return (a, DETECTOR_P) if model.detector == "quadratic" else (a,)


def assert_matches_reference(fused, reference, a, tol=TOL64):
    args = call_args(fused, a)
    got, want = fused.value_and_grad(*args), reference.value_and_grad(*args)
    assert len(got) == len(want)
    assert relative_error(got[0], want[0]) <= tol, ("E", got[0], want[0])
    assert relative_error(got[1], want[1]) <= tol, ("a_bar", relative_error(got[1], want[1]))
    if fused.detector == "quadratic":
        assert relative_error(got[2], want[2]) <= tol, ("p_bar", got[2], want[2])
    image, expected = fused.simulate(*args), reference.simulate(*args)
    assert image.shape == expected.shape == fused.data.reshape(fused._data_shape).shape
    assert relative_error(image, expected) <= tol, ("simulate", relative_error(image, expected))


# -- 1. fused against reference, float64 ----------------------------------------------------

GRIDS = [(n, pad) for n in (8, 9, 16, 17) for pad in (1, 1.5, 2, 2.5, 3)
         if float(n * pad).is_integer()]


@pytest.mark.parametrize("detector", ["linear", "quadratic"])
@pytest.mark.parametrize("n, pad", GRIDS)
def test_grid_sizes_match_reference(n, pad, detector):
    fused, reference = make_pair(n=n, pad=pad, detector=detector)
    assert_matches_reference(fused, reference, random_params(fused))


# Each option alone (on top of a Zernike basis, one plane, one wavelength, linear detector).
OPTIONS = {
    "point_by_point": {"basis": False},
    "planes1_diversity": {"planes": 1},
    "planes2": {"planes": 2},
    "planes3": {"planes": 3},
    "wl3_with_reference": {"wavelengths": [0.8, 1.0, 1.25]},
    "wl3_with_reference_sw": {"wavelengths": [0.8, 1.0, 1.25],
                              "spectral_weights": [0.2, 0.5, 0.3]},
    "wl2_without_reference": {"wavelengths": [0.9, 1.1]},
    "wl2_without_reference_sw": {"wavelengths": [0.9, 1.1], "spectral_weights": [0.7, 0.3]},
    "wl1_other": {"wavelengths": [1.3]},
    "wl_repeated_reference": {"wavelengths": [1.0, 1.0], "spectral_weights": [0.25, 0.75]},
    "bin2": {"bin": 2},
    "bin3": {"bin": 3},
    "weights_per_plane": {"weights": "plane", "planes": 2},
    "weights_shared": {"weights": "shared", "planes": 2},
    "weights_single_plane": {"weights": "plane"},
    "quadratic": {"detector": "quadratic"},
    "many_modes": {"modes": 11},
    "one_mode": {"modes": 1},
    "eight_modes": {"modes": 8},
}


def grid_for(n, bin):
    """A padding factor (2, then 3, 4, 6) with N = pad * n divisible by bin."""
    return next(pad for pad in (2, 3, 4, 6) if (pad * n) % bin == 0)


@pytest.mark.parametrize("n", [9, 16])
@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_option_matches_reference(name, n):
    config = dict(OPTIONS[name])
    if config.pop("planes", None) == 1:
        # One plane with an explicit diversity phase.
        kwargs = make_inputs(n=n)
        kwargs["diversity"] = 0.2 * pg.zernike_basis(1, n, first=5)
        fused = pg.PhaseRetrieval(**kwargs, backend="fused")
        reference = pg.PhaseRetrieval(**kwargs, backend="reference")
    else:
        if "planes" in OPTIONS[name]:
            config["planes"] = OPTIONS[name]["planes"]
        fused, reference = make_pair(n=n, pad=grid_for(n, config.get("bin", 1)), **config)
    assert_matches_reference(fused, reference, random_params(fused))


@pytest.mark.parametrize("amplitude", ["hex", "annulus", "grey", "square"])
@pytest.mark.parametrize("detector", ["linear", "quadratic"])
def test_amplitudes_match_reference(amplitude, detector):
    n = 24 if amplitude == "hex" else 15
    fused, reference = make_pair(n=n, pad=2, amplitude=amplitude, detector=detector, planes=2,
                                 weights="plane")
    assert_matches_reference(fused, reference, random_params(fused, scale=0.05))


@pytest.mark.parametrize("amplitude", ["annulus", "grey", "square"])
def test_amplitudes_point_by_point_match_reference(amplitude):
    fused, reference = make_pair(n=15, pad=2, amplitude=amplitude, basis=False)
    assert_matches_reference(fused, reference, random_params(fused))


COMBINED = {
    "everything_even": {"n": 16, "pad": 3, "planes": 3, "wavelengths": [0.8, 1.0, 1.25],
                        "spectral_weights": [0.2, 0.5, 0.3], "bin": 2, "weights": "plane",
                        "detector": "quadratic"},
    "everything_odd": {"n": 9, "pad": 2, "planes": 2, "wavelengths": [0.9, 1.1], "bin": 3,
                       "weights": "shared", "detector": "quadratic"},
    "pbp_broadband_binned": {"n": 17, "pad": 2, "basis": False, "planes": 2,
                             "wavelengths": [0.8, 1.0, 1.25], "bin": 2, "weights": "plane",
                             "detector": "quadratic"},
    "hex_broadband": {"n": 24, "pad": 1.5, "amplitude": "hex", "planes": 3,
                      "wavelengths": [0.9, 1.1], "spectral_weights": [0.4, 0.6], "bin": 2,
                      "detector": "quadratic"},
    "annulus_pad1_bin3": {"n": 15, "pad": 1, "amplitude": "annulus", "bin": 3, "planes": 2,
                          "wavelengths": [1.0, 1.2], "weights": "shared"},
    "odd_grid_broadband": {"n": 9, "pad": 3, "planes": 2, "wavelengths": [0.8, 1.0, 1.25],
                           "bin": 3, "detector": "quadratic"},
    "square_grey_everything": {"n": 12, "pad": 2, "amplitude": "square", "planes": 2,
                               "wavelengths": [0.8, 1.0], "bin": 2, "weights": "plane",
                               "detector": "quadratic"},
}


@pytest.mark.parametrize("name", sorted(COMBINED))
def test_combined_options_match_reference(name):
    fused, reference = make_pair(**COMBINED[name])
    assert_matches_reference(fused, reference, random_params(fused, scale=0.05))


@pytest.mark.parametrize("n, pad", [(2, 1), (2, 1.5), (3, 1), (3, 2), (4, 1.25)])
@pytest.mark.parametrize("wavelengths", [None, [0.9, 1.0]])
def test_tiny_grids_match_reference(n, pad, wavelengths):
    """The smallest pupils (every pixel lit), point by point, odd and even N down to 2."""
    rng = np.random.default_rng(n)
    grid = int(round(n * pad))
    kwargs = {"amplitude": rng.uniform(0.5, 1.0, size=(n, n)), "basis": None,
              "data": rng.uniform(0.0, 1.0, size=(grid, grid)), "pad": pad,
              "wavelengths": wavelengths}
    fused = pg.PhaseRetrieval(**kwargs, backend="fused")
    reference = pg.PhaseRetrieval(**kwargs, backend="reference")
    assert_matches_reference(fused, reference, random_params(fused))


@pytest.mark.parametrize("basis", [True, False])
def test_large_offset_pupil_matches_reference(basis):
    """n = 256 (several row blocks in the basis passes; the grid, 512^2, is large enough for the
    fused model to use 2 threads), a pupil off-centre with empty rows and columns, and modes
    not a multiple of four."""
    n, grid = 256, 512
    rng = np.random.default_rng(21)
    amplitude = np.zeros((n, n))
    amplitude[20:120, 150:250] = pg.circular_pupil(100)
    amplitude /= amplitude.sum()
    modes = rng.normal(size=(9, n, n)) * amplitude * amplitude.size if basis else None
    kwargs = {"amplitude": amplitude, "basis": modes,
              "data": rng.uniform(0.0, 0.001, size=(2, grid, grid)), "pad": 2,
              "diversity": np.stack([np.zeros((n, n)), 0.3 * pg.zernike_basis(1, n, first=4)[0]]),
              "weights": rng.uniform(0.0, 1.0, size=(grid, grid)), "detector": "quadratic"}
    fused = pg.PhaseRetrieval(**kwargs, backend="fused")
    reference = pg.PhaseRetrieval(**kwargs, backend="reference")
    a = rng.normal(scale=0.05, size=fused.coefficient_shape)
    with pg.threads(2):
        assert_matches_reference(fused, reference, a)


def test_other_reference_wavelength_matches_reference():
    kwargs = make_inputs(n=9, planes=2, wavelengths=[0.5, 0.6, 0.7], detector="quadratic")
    fused = pg.PhaseRetrieval(**kwargs, wavelength=0.6, backend="fused")
    reference = pg.PhaseRetrieval(**kwargs, wavelength=0.6, backend="reference")
    assert_matches_reference(fused, reference, random_params(fused, scale=0.03))


# -- 2. float32 against float64 ------------------------------------------------------------

@pytest.mark.parametrize("name", ["base", "point_by_point", "everything_even", "everything_odd"])
def test_float32_agrees_with_float64(name):
    config = ({"base": {}, "point_by_point": {"basis": False}} | COMBINED)[name]
    model64 = pg.PhaseRetrieval(**make_inputs(**config), backend="fused")
    model32 = pg.PhaseRetrieval(**make_inputs(**config, dtype=np.float32), backend="fused")
    assert model32.dtype == np.float32
    a = random_params(model64, scale=0.05)
    args = call_args(model64, a)
    result64, result32 = model64.value_and_grad(*args), model32.value_and_grad(*args)
    assert type(result32[0]) is float and type(result64[0]) is float
    assert result32[1].dtype == np.float32 and result64[1].dtype == np.float64
    assert relative_error(result32[0], result64[0]) <= TOL32
    assert relative_error(result32[1], result64[1]) <= TOL32
    if model64.detector == "quadratic":
        assert result32[2].dtype == np.float64 and result32[2].shape == (3,)
        assert relative_error(result32[2], result64[2]) <= TOL32
    image32 = model32.simulate(*args)
    assert image32.dtype == np.float32
    assert relative_error(image32, model64.simulate(*args)) <= TOL32
    f, g = model32.fun_and_jac(model32.pack(*args))
    assert type(f) is float and g.dtype == np.float64


# -- 3. finite differences ----------------------------------------------------------------

@pytest.mark.parametrize("config", [
    {"n": 8},
    {"n": 8, "basis": False},
    {"n": 9, "detector": "quadratic", "planes": 2, "weights": "plane"},
    {"n": 8, "basis": False, "detector": "quadratic", "planes": 2},
    {"n": 9, "pad": 2, "wavelengths": [0.9, 1.0, 1.2], "bin": 2, "detector": "quadratic"},
], ids=["zernike", "point_by_point", "quadratic_planes", "pbp_quadratic", "broadband_binned"])
def test_fused_gradient_matches_finite_differences(config):
    model = pg.PhaseRetrieval(**make_inputs(**config), backend="fused")
    p = np.array(DETECTOR_P) if model.detector == "quadratic" else None
    assert_gradient_matches_finite_differences(model, random_params(model), p)


# -- 4. repeated calls, no state leaks -------------------------------------------------------

def snapshot(model, a, p=None):
    args = (a,) if p is None else (a, p)
    result = model.value_and_grad(*args)
    return [np.asarray(r).copy() for r in result] + [model.simulate(*args).copy()]


def assert_identical(first, second):
    assert len(first) == len(second)
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("config", [
    {},
    {"basis": False, "planes": 2},
    COMBINED["everything_even"],
    COMBINED["pbp_broadband_binned"],
    COMBINED["everything_odd"] | {"dtype": np.float32},
], ids=["zernike", "pbp_planes", "everything_even", "pbp_broadband_binned", "float32"])
def test_repeated_calls_are_identical_and_do_not_leak_state(config):
    model = pg.PhaseRetrieval(**make_inputs(**config), backend="fused")
    quadratic = model.detector == "quadratic"
    a = random_params(model, seed=1)
    p = DETECTOR_P if quadratic else None
    first = snapshot(model, a, p)
    assert_identical(first, snapshot(model, a, p))
    # Other parameters in between (larger aberrations, another detector), simulate and
    # value_and_grad interleaved in both orders.
    for seed in (2, 3):
        other = random_params(model, seed=seed, scale=0.5)
        other_p = (0.9, -0.4, 0.2) if quadratic else None
        model.simulate(*((other,) if p is None else (other, other_p)))
        model.value_and_grad(*((other,) if p is None else (other, other_p)))
        model.simulate(*((other,) if p is None else (other, other_p)))
    assert_identical(first, snapshot(model, a, p))
    # A fresh model gives the same numbers: nothing depends on the model's history.
    fresh = pg.PhaseRetrieval(**make_inputs(**config), backend="fused")
    assert_identical(first, snapshot(fresh, a, p))


def test_simulate_first_then_value_and_grad_equals_fresh_model():
    """simulate leaves forward fields (not gradients) in the work buffers; the next
    value_and_grad must not pick them up."""
    config = {"basis": False, "planes": 3, "wavelengths": [0.9, 1.0], "bin": 2}
    a = random_params(pg.PhaseRetrieval(**make_inputs(**config)), seed=4)
    fresh = pg.PhaseRetrieval(**make_inputs(**config), backend="fused").value_and_grad(a)
    model = pg.PhaseRetrieval(**make_inputs(**config), backend="fused")
    model.simulate(random_params(model, seed=5, scale=1.0))
    assert_identical([np.asarray(r) for r in fresh],
                     [np.asarray(r) for r in model.value_and_grad(a)])


def test_inputs_are_not_modified():
    kwargs = make_inputs(planes=2, weights="plane", detector="quadratic",
                         wavelengths=[0.9, 1.0])
    copies = {k: v.copy() for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    model = pg.PhaseRetrieval(**kwargs, backend="fused")
    a = random_params(model)
    a_copy = a.copy()
    model.value_and_grad(a, DETECTOR_P)
    model.simulate(a, DETECTOR_P)
    np.testing.assert_array_equal(a, a_copy)
    for key, value in copies.items():
        np.testing.assert_array_equal(kwargs[key], value, err_msg=key)


# -- 5. OpenMP / FFTW threads ---------------------------------------------------------------

@pytest.fixture(scope="module")
def large_model():
    """n = 256, pad 2: the grid N = 512 is the smallest on which the model uses 2 threads."""
    kwargs = make_inputs(n=256, pad=2, modes=15, planes=2, weights="plane",
                         detector="quadratic", seed=3)
    return pg.PhaseRetrieval(**kwargs, backend="fused")


@pytest.fixture(scope="module")
def large_broadband_model():
    kwargs = make_inputs(n=256, pad=2, modes=6, wavelengths=[0.9, 1.0], bin=2, seed=4)
    return pg.PhaseRetrieval(**kwargs, backend="fused")


@pytest.mark.parametrize("which", ["large_model", "large_broadband_model"])
def test_thread_counts_agree(which, request):
    model = request.getfixturevalue(which)
    a = random_params(model, scale=0.05)
    p = DETECTOR_P if model.detector == "quadratic" else None
    results = {}
    for count in (1, 2):
        with pg.threads(count):
            results[count] = snapshot(model, a, p)
            # Repeated calls with the same thread count are bit-identical.
            assert_identical(results[count], snapshot(model, a, p))
    for one, two in zip(results[1], results[2], strict=True):
        assert relative_error(two, one) <= 1e-12
    # Back to one thread after the 2-thread plans: still the 1-thread numbers.
    with pg.threads(1):
        assert_identical(results[1], snapshot(model, a, p))


def every_output(model, x, v, u):
    """value_and_grad, simulate and the least-squares view's calls at flat x, tangent v and
    cotangent u: all the fused calls a team of threads runs."""
    energy, gradient = model.fun_and_jac(x)
    return [np.asarray(energy), gradient.copy(), model.simulate(x).copy(),
            model.residuals(x).copy(), model.jvp(x, v).copy(), model.vjp(x, u).copy(),
            model.gauss_newton_product(x, v).copy()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", [
    {"n": 128, "modes": 12, "planes": 2, "weights": "plane", "detector": "quadratic"},
    {"n": 128, "basis": False, "planes": 2},
    {"n": 136, "modes": 6, "bin": 2, "detector": "quadratic", "amplitude": "hex"},
    {"n": 128, "modes": 6, "wavelengths": [1.0, 1.0], "spectral_weights": [0.3, 0.7]},
], ids=["quadratic_weighted", "map", "binned_hex", "two_bands"])
def test_results_do_not_depend_on_the_team(config, dtype):
    """Bit for bit the same on 1, 2, 3 and 4 threads, and on one thread again: the transforms
    run in chunks fixed by the layout and every sum adds fixed pieces in a fixed order, so
    neither the thread count, nor which thread takes which chunk, nor the measured fallback to
    one thread (core/team_choice.hpp) changes a result (grids of 256^2 and more run threaded)."""
    model = pg.PhaseRetrieval(**make_inputs(dtype=dtype, seed=5, **config), backend="fused")
    rng = np.random.default_rng(6)
    x = rng.normal(scale=0.05, size=model.n_params)
    v = rng.normal(size=model.n_params)
    u = rng.normal(size=model.residuals(x).size)
    with pg.threads(1):
        first = every_output(model, x, v, u)
    for count in (2, 3, 4, 1, 2):
        with pg.threads(count):
            for _ in range(2):
                assert_identical(first, every_output(model, x, v, u))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", [
    {"n": 100, "pad": 2.9, "modes": 6, "weights": "plane", "detector": "quadratic"},
    {"n": 128, "pad": 3, "basis": False, "planes": 2},
], ids=["N290_quadratic_weighted", "N384_map_planes"])
def test_fused_rows_through_the_scratch(config, dtype):
    """value_and_grad's fused rows run through a per-thread scratch in chunks of rows
    (phase_retrieval.cpp's rows_chunk), of which the last may be shorter (float64 at N = 290:
    chunks of 3 rows, the last of 2; float32 at N = 384: of 5, the last of 4): the reference's
    numbers, and the same bits on 1, 2 and 3 threads."""
    kwargs = make_inputs(dtype=dtype, seed=9, **config)
    fused = pg.PhaseRetrieval(**kwargs, backend="fused")
    a = random_params(fused, scale=0.05)
    args = call_args(fused, a)
    if dtype == np.float64:
        reference = pg.PhaseRetrieval(**kwargs, backend="reference")
        assert_matches_reference(fused, reference, a)
    else:
        wide = pg.PhaseRetrieval(**make_inputs(seed=9, **config), backend="fused")
        got, want = fused.value_and_grad(*args), wide.value_and_grad(*args)
        for x, y in zip(got, want, strict=True):
            assert relative_error(np.asarray(x, dtype=np.float64), y) <= TOL32
    with pg.threads(1):
        first = [np.asarray(r).copy() for r in fused.value_and_grad(*args)]
    for count in (2, 3, 1, 2):
        with pg.threads(count):
            for _ in range(2):
                assert_identical(first, [np.asarray(r) for r in fused.value_and_grad(*args)])


def test_jacobian_columns_equal_the_jvps_of_unit_vectors_bit_for_bit():
    """The Jacobian's columns run one per thread on the calling thread's plans, the same
    chunked plans the team's jvp runs."""
    model = pg.PhaseRetrieval(**make_inputs(n=128, modes=5, planes=2, detector="quadratic",
                                            seed=7), backend="fused")
    x = np.random.default_rng(8).normal(scale=0.05, size=model.n_params)
    with pg.threads(2):
        jacobian = model.jacobian(x)
        for j in range(model.n_params):
            np.testing.assert_array_equal(jacobian[:, j], model.jvp(x, np.eye(model.n_params)[j]))


# -- 6. Python threads sharing one model ----------------------------------------------------

def test_python_threads_share_one_model():
    model = pg.PhaseRetrieval(**make_inputs(n=16, planes=2, wavelengths=[0.9, 1.0],
                                            detector="quadratic", weights="plane"),
                              backend="fused")
    params = [(random_params(model, seed=10 + k), (0.1 * k, 1.0, 0.001 * k)) for k in range(4)]
    expected = [snapshot(model, a, p) for a, p in params]
    results = [[] for _ in params]
    errors = []
    barrier = threading.Barrier(len(params))

    def work(k):
        try:
            barrier.wait()
            for _ in range(5):
                results[k].append(snapshot(model, *params[k]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(len(params))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    for k, runs in enumerate(results):
        assert len(runs) == 5
        for run in runs:
            assert_identical(expected[k], run)


# -- 7. SciPy -----------------------------------------------------------------------------

def test_fun_and_jac_equals_reference():
    fused, reference = make_pair(n=9, planes=2, detector="quadratic", weights="plane",
                                 wavelengths=[0.9, 1.0])
    x = fused.pack(random_params(fused), DETECTOR_P)
    f, g = fused.fun_and_jac(x)
    f_ref, g_ref = reference.fun_and_jac(x)
    assert type(f) is float and g.dtype == np.float64 and g.shape == (fused.n_params,)
    assert relative_error(f, f_ref) <= TOL64
    assert relative_error(g, g_ref) <= TOL64


def test_lbfgs_recovers_coefficients_with_fused_backend():
    """Noiseless through-focus phase retrieval: 3 planes, 8 Zernike modes."""
    kwargs = make_inputs(n=16, modes=8, planes=3)
    truth_model = pg.PhaseRetrieval(**kwargs, backend="fused")
    # (seed 3 at this scale sends both backends' first L-BFGS step into another basin.)
    truth = random_params(truth_model, seed=4, scale=0.05)
    kwargs["data"] = truth_model.simulate(truth)
    model = pg.PhaseRetrieval(**kwargs, backend="fused")
    result = minimize(model.fun_and_jac, np.zeros(model.n_params), jac=True,
                      method="L-BFGS-B", options={"ftol": 1e-16, "gtol": 1e-14,
                                                  "maxiter": 500})
    assert relative_error(result.x, truth) < 1e-6, result


# -- 8. bad input: the same errors from both backends -----------------------------------------

@pytest.mark.parametrize("backend", ["fused", "reference"])
@pytest.mark.parametrize("detector, args, error, match", [
    ("linear", (np.zeros(4),), ValueError, "a must have shape"),
    ("linear", (np.zeros((5, 1)),), ValueError, "a must have shape"),
    ("linear", (np.zeros(5, dtype=np.int32),), TypeError, "a must have dtype"),
    ("linear", (np.zeros(5, dtype=complex),), TypeError, "a must have dtype"),
    ("linear", (np.array([0.0, np.nan, 0.0, 0.0, 0.0]),), ValueError, "a must be finite"),
    ("linear", (np.array([0.0, np.inf, 0.0, 0.0, 0.0]),), ValueError, "a must be finite"),
    ("linear", (np.zeros(5), DETECTOR_P), ValueError, "quadratic"),
    ("quadratic", (np.zeros(5),), ValueError, "p = "),
    ("quadratic", (np.zeros(5), (1.0, 0.0)), ValueError, "p must be three numbers"),
    ("quadratic", (np.zeros(5), (1.0, np.nan, 0.0)), ValueError, "p must be finite"),
])
def test_bad_calls_raise_the_same_errors(backend, detector, args, error, match):
    model = pg.PhaseRetrieval(**make_inputs(n=8, detector=detector), backend=backend)
    with pytest.raises(error, match=match):
        model.value_and_grad(*args)
    with pytest.raises(error, match=match):
        model.simulate(*args)


def test_float32_model_takes_float64_parameters():
    """Parameters are converted to the model's precision once, in Python."""
    model = pg.PhaseRetrieval(**make_inputs(dtype=np.float32), backend="fused")
    a = random_params(model)
    energy, a_bar = model.value_and_grad(a)
    energy32, a_bar32 = model.value_and_grad(a.astype(np.float32))
    assert energy == energy32
    np.testing.assert_array_equal(a_bar, a_bar32)


def test_non_contiguous_parameters_are_handled():
    model = pg.PhaseRetrieval(**make_inputs(n=8, basis=False), backend="fused")
    a = random_params(model)
    strided = np.asfortranarray(a)
    assert not strided.flags.c_contiguous
    assert_identical(snapshot(model, a), snapshot(model, strided))


# -- 9. the C++ class itself -------------------------------------------------------------

def core_args(dtype=np.float64):
    kwargs = make_inputs(n=8, planes=2, weights="plane", dtype=dtype)
    return {"amplitude": kwargs["amplitude"], "basis": kwargs["basis"],
            "diversity": kwargs["diversity"], "data": kwargs["data"],
            "weights": kwargs["weights"], "grid": 16, "bin": 1, "wavelength": 1.0,
            "wavelengths": [1.0], "spectral_weights": [1.0]}


CORE_CLASSES = [(_core.FusedPhaseRetrieval64, np.float64, np.float32),
                (_core.FusedPhaseRetrieval32, np.float32, np.float64)]


def non_contiguous(x):
    wide = np.repeat(x, 2, axis=-1)
    view = wide[..., ::2]
    assert not view.flags.c_contiguous and np.array_equal(view, x)
    return view


@pytest.mark.parametrize("cls, dtype, wrong", CORE_CLASSES)
@pytest.mark.parametrize("name", ["amplitude", "basis", "diversity", "data", "weights"])
def test_core_constructor_rejects_wrong_dtype_and_layout(cls, dtype, wrong, name):
    args = core_args(dtype)
    with pytest.raises(TypeError, match=name):
        cls(**(args | {name: args[name].astype(wrong)}))
    with pytest.raises(ValueError, match=name):
        cls(**(args | {name: non_contiguous(args[name])}))


@pytest.mark.parametrize("cls, dtype, wrong", CORE_CLASSES)
@pytest.mark.parametrize("change", [
    {"amplitude": np.ones((8, 7))},
    {"amplitude": np.ones(8)},
    {"data": np.zeros((16, 16))},
    {"data": np.zeros((2, 16, 15))},
    {"data": np.zeros((2, 8, 8))},
    {"basis": np.zeros((5, 8, 7))},
    {"basis": np.zeros((0, 8, 8))},
    {"basis": np.zeros((8, 8))},
    {"diversity": np.zeros((3, 8, 8))},
    {"diversity": np.zeros((8, 8))},
    {"weights": np.ones((16, 16))},
    {"weights": np.ones((1, 16, 16))},
    {"grid": 4},
    {"grid": 0, "data": np.zeros((2, 0, 0)), "weights": None},
    {"bin": 0},
    {"bin": 3},
    {"wavelengths": [1.0, 0.9]},
    {"wavelengths": [], "spectral_weights": []},
], ids=lambda change: "-".join(change))
def test_core_constructor_rejects_wrong_shapes(cls, dtype, wrong, change):
    args = core_args(dtype)
    change = {k: (v.astype(dtype) if isinstance(v, np.ndarray) else v)
              for k, v in change.items()}
    with pytest.raises(ValueError):
        cls(**(args | change))


@pytest.mark.parametrize("cls, dtype, wrong", CORE_CLASSES)
def test_core_calls_reject_bad_parameters(cls, dtype, wrong):
    model = cls(**core_args(dtype))
    a = np.full(5, 0.01, dtype=dtype)
    for method in (model.value_and_grad, model.simulate):
        with pytest.raises(TypeError, match="a"):
            method(a.astype(wrong), None, 1)
        with pytest.raises(TypeError, match="a"):
            method(a.astype(np.complex128), None, 1)
        with pytest.raises(ValueError, match="a"):
            method(non_contiguous(np.full((5, 1), 0.01, dtype=dtype))[:, 0], None, 1)
        with pytest.raises(ValueError, match="a"):
            method(np.zeros(4, dtype=dtype), None, 1)
        with pytest.raises(ValueError, match="a"):
            method(np.zeros((5, 1), dtype=dtype), None, 1)
        with pytest.raises(ValueError, match="p"):
            method(a, [1.0, 0.0], 1)
        with pytest.raises(TypeError):
            method(a, None, "two")
    # Still usable after the errors, and a thread count below 1 means one thread.
    energy, a_bar, p_bar = model.value_and_grad(a, None, 0)
    assert np.isfinite(energy) and a_bar.dtype == dtype and p_bar is None
    assert model.value_and_grad(a, None, 1)[0] == energy
    assert model.simulate(a, [0.1, 1.0, 0.0], 1).shape == (2, 16, 16)


def test_core_model_keeps_its_arrays_alive():
    """The C++ model reads the arrays it was given; it must hold references to them."""
    args = core_args()
    expected = _core.FusedPhaseRetrieval64(**args).value_and_grad(np.full(5, 0.01), None, 1)
    model = _core.FusedPhaseRetrieval64(**{k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in args.items()})
    import gc
    gc.collect()
    junk = [np.full((2, 16, 16), 7.0) for _ in range(50)]  # reuse freed memory, if any
    got = model.value_and_grad(np.full(5, 0.01), None, 1)
    del junk
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])


# -- 10. work-buffer contract ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_workspace_is_at_most_four_grids(dtype):
    """The benchmark configuration (n = 64, pad 2, 36 modes, one plane, one wavelength,
    weights, quadratic detector) holds at most 4 complex N x N buffers (N = 128)."""
    kwargs = make_inputs(n=64, pad=2, modes=36, weights="plane", detector="quadratic",
                         dtype=dtype)
    model = pg.PhaseRetrieval(**kwargs, backend="fused")
    grid = 128
    complex_bytes = 2 * np.dtype(dtype).itemsize
    workspace = model._impl.workspace_bytes
    assert 0 < workspace <= 4 * complex_bytes * grid * grid
