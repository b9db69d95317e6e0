"""PhaseRetrievalBatch: every problem's results equal a single model's on its data (bit for bit),
for every option, on the native path and on the loop; masks, B = 1 and bad batch shapes."""

import numpy as np
import pytest

import phasegrad as pg

N = 8


def _setup(B=3, planes=1, pad=2, bin=1, modes=4, basis=True, weights=None, dtype=np.float64,
           seed=0, window=None, **options):
    rng = np.random.default_rng(seed)
    amplitude = pg.circular_pupil(N, dtype=dtype)
    amplitude = amplitude / amplitude.sum()
    zernikes = pg.zernike_basis(modes, N, first=2, dtype=dtype) if basis else None
    size = int(round(pad * N)) // bin if window is None else window
    shape = (B, size, size) if planes == 1 else (B, planes, size, size)
    data = rng.uniform(0.0, 0.02, size=shape).astype(dtype)
    if planes > 1:
        defocus = pg.zernike_basis(1, N, first=4, dtype=dtype)[0]
        options["diversity"] = np.stack([0.3 * k * defocus for k in range(planes)])
    if weights == "shared":
        weights = rng.uniform(0.5, 1.5, size=shape[1:]).astype(dtype)
    elif weights == "per_problem":
        weights = rng.uniform(0.5, 1.5, size=shape).astype(dtype)
    common = dict(amplitude=amplitude, basis=zernikes, pad=pad, bin=bin, **options)
    batch = pg.PhaseRetrievalBatch(data=data, weights=weights, **common)
    singles = [pg.PhaseRetrieval(data=data[b], weights=(weights[b] if weights is not None and
                                                        np.shape(weights) == shape
                                                        else weights), **common)
               for b in range(B)]
    X = np.stack([_start(m, seed + b) for b, m in enumerate(singles)])
    return batch, singles, X


def _start(model, seed):
    rng = np.random.default_rng(seed + 100)
    blocks = {}
    for p in model.parameters:
        if p.name == "wavefront":
            blocks["a"] = rng.normal(scale=0.1, size=p.shape)
        elif p.name == "detector":
            blocks["p"] = (0.05, 1.1, 0.002)
        elif p.name == "flux":
            blocks["flux"] = rng.uniform(0.8, 1.2, p.shape)
        elif p.name == "background":
            blocks["background"] = rng.uniform(0.0, 0.01, p.shape)
        elif p.name == "shift":
            blocks["shift"] = rng.uniform(-0.3, 0.3, p.shape)
        elif p.name == "jitter":
            blocks["jitter"] = 0.4
    return model.pack(**blocks)


def _check_equal(batch, singles, X, exact=True):
    costs, grads = batch.value_and_grad(X)
    images = batch.simulate(X)
    residuals = batch.residuals(X)
    V = np.random.default_rng(5).normal(size=X.shape)
    tangents = batch.jvp(X, V)
    assert costs.shape == (len(singles),) and grads.shape == X.shape
    for b, model in enumerate(singles):
        e, g = model.fun_and_jac(X[b])
        if exact:
            assert costs[b] == e
            np.testing.assert_array_equal(grads[b], g)
            np.testing.assert_array_equal(images[b], model.simulate(X[b]))
            np.testing.assert_array_equal(residuals[b], model.residuals(X[b]))
            np.testing.assert_array_equal(tangents[b], model.jvp(X[b], V[b]))
        else:
            np.testing.assert_allclose(costs[b], e, rtol=1e-12)
            np.testing.assert_allclose(grads[b], g, rtol=1e-12, atol=1e-12 * np.abs(g).max())


NATIVE_CASES = {
    "basis": {},
    "map": {"basis": False},
    "quadratic": {"detector": "quadratic"},
    "planes": {"planes": 3},
    "broadband": {"wavelengths": [0.9, 1.0, 1.1], "wavelength": 1.0},
    "bin": {"bin": 2},
    "pad3": {"pad": 3},
    "shared_weights": {"weights": "shared", "planes": 2},
    "per_problem_weights": {"weights": "per_problem", "planes": 2},
    "float32": {"dtype": np.float32},
}


@pytest.mark.parametrize("case", sorted(NATIVE_CASES))
def test_native_batch_equals_single_models(case):
    batch, singles, X = _setup(**NATIVE_CASES[case])
    assert batch.native
    _check_equal(batch, singles, X)


@pytest.mark.parametrize("threads", [1, 2])
def test_native_batch_across_problems_is_bit_for_bit(threads):
    batch, singles, X = _setup(B=7, planes=2, detector="quadratic", weights="per_problem")
    with pg.threads(threads):
        assert batch._native.across_problems(threads) == (threads > 1)
        _check_equal(batch, singles, X)


def test_native_batch_on_a_threaded_grid():
    """From N = 256 on a single model threads its sums: the batch's problems (one thread each)
    agree with it to rounding, and bit for bit with a single model on one thread."""
    rng = np.random.default_rng(4)
    amplitude = pg.circular_pupil(128)
    basis = pg.zernike_basis(5, 128, first=2)
    data = rng.uniform(0.0, 1e-4, (3, 256, 256))
    batch = pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=data)
    singles = [pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=d) for d in data]
    X = rng.normal(0.0, 0.1, (3, 5))
    with pg.threads(2):
        costs, grads = batch.value_and_grad(X)
        for b, model in enumerate(singles):
            e, g = model.fun_and_jac(X[b])
            np.testing.assert_allclose(costs[b], e, rtol=1e-12)
            np.testing.assert_allclose(grads[b], g, rtol=1e-12, atol=1e-12 * np.abs(g).max())
    with pg.threads(1):
        for b, model in enumerate(singles):
            e, g = model.fun_and_jac(X[b])
            assert costs[b] == e
            np.testing.assert_array_equal(grads[b], g)


IMAGING_CASES = {
    "fit_flux_background": {"fit": ("flux", "background")},
    "fixed_flux": {"flux": 2.0},
    "fixed_flux_background_planes": {"flux": [1.5, 0.5], "background": 0.01, "planes": 2},
    "poisson": {"metric": "poisson", "read_noise": 0.01},
    "poisson_no_read_noise": {"metric": "poisson", "planes": 2},
    "poisson_per_problem_weights": {"metric": "poisson", "weights": "per_problem",
                                    "fit": ("flux", "background")},
    "window": {"window": 12},
    "window_bin": {"window": 6, "bin": 2, "planes": 2},
    "shift_jitter": {"fit": ("shift", "jitter")},
    "fixed_shift_jitter": {"shift": [0.2, -0.1], "jitter": 0.3},
    "point_sources": {"object": pg.PointSources(2, positions=[[0.0, 0.0], [1.5, -2.0]])},
    "known_object": {"object": np.outer([0.2, 1.0, 0.3], [0.5, 1.0, 0.1])},
    "free_object": {"object": "free", "planes": 2},
    "amplitude_map": {"fit": ("amplitude",), "planes": 2},
    "amplitude_basis": {"fit": ("amplitude",), "planes": 2,
                        "amplitude_basis": pg.zernike_basis(3, N, first=1)},
    "quadratic_shift": {"detector": "quadratic", "fit": ("shift",), "flux": 1.5},
    "broadband_background": {"wavelengths": [0.9, 1.0, 1.1], "wavelength": 1.0,
                             "fit": ("background",)},
    "float32_poisson_shift": {"dtype": np.float32, "metric": "poisson",
                              "fit": ("shift", "flux")},
}


@pytest.mark.parametrize("case", sorted(IMAGING_CASES))
def test_native_imaging_batch_equals_single_models(case):
    """The imaging options run natively (FusedImaging across the problems), each problem's
    results bit for bit its single model's."""
    batch, singles, X = _setup(**IMAGING_CASES[case])
    assert batch.native and batch._imaging is not None
    _check_equal(batch, singles, X)


@pytest.mark.parametrize("threads", [1, 2])
def test_native_imaging_batch_across_problems_is_bit_for_bit(threads):
    batch, singles, X = _setup(B=7, planes=2, metric="poisson", read_noise=0.01,
                               weights="per_problem", fit=("flux", "background", "shift"))
    with pg.threads(threads):
        _check_equal(batch, singles, X)


def test_native_imaging_batch_of_one_and_mask():
    batch, singles, X = _setup(B=1, planes=2, fit=("flux", "jitter"))
    _check_equal(batch, singles, X)
    batch, singles, X = _setup(B=5, fit=("background",), metric="poisson")
    active = np.array([True, False, True, False, True])
    costs, grads = batch.value_and_grad(X, active=active)
    residuals = batch.residuals(X, active=active)
    for b, model in enumerate(singles):
        if active[b]:
            e, g = model.fun_and_jac(X[b])
            assert costs[b] == e
            np.testing.assert_array_equal(grads[b], g)
            np.testing.assert_array_equal(residuals[b], model.residuals(X[b]))
        else:
            assert np.isnan(costs[b]) and not grads[b].any() and not residuals[b].any()


LOOP_CASES = {
    "reference": {"backend": "reference", "planes": 2},
    "reference_poisson": {"backend": "reference", "metric": "poisson", "fit": ("flux",)},
}


@pytest.mark.parametrize("case", sorted(LOOP_CASES))
def test_loop_batch_equals_single_models(case):
    batch, singles, X = _setup(**LOOP_CASES[case])
    assert not batch.native
    _check_equal(batch, singles, X)


def test_batch_of_one():
    batch, singles, X = _setup(B=1, planes=2)
    _check_equal(batch, singles, X)
    assert len(batch) == 1 and batch.n_params == singles[0].n_params


def test_active_mask_skips_problems():
    for options in ({}, {"fit": ("flux",)}):
        batch, singles, X = _setup(B=4, **options)
        active = np.array([True, False, True, False])
        costs, grads = batch.value_and_grad(X, active=active)
        assert np.isnan(costs[[1, 3]]).all() and not grads[[1, 3]].any()
        for b in (0, 2):
            e, g = singles[b].fun_and_jac(X[b])
            assert costs[b] == e
            np.testing.assert_array_equal(grads[b], g)
        assert not batch.simulate(X, active=active)[1].any()
        assert not batch.residuals(X, active=active)[3].any()


def test_problem_pack_unpack_bounds():
    batch, singles, X = _setup(B=3, detector="quadratic")
    assert batch.problem(2).fun_and_jac(X[2]) [0] == singles[2].fun_and_jac(X[2])[0]
    assert batch.problem(-1) is batch.problem(2)
    np.testing.assert_array_equal(batch.pack(np.ones(4), (0, 1, 0)),
                                  singles[0].pack(np.ones(4), (0, 1, 0)))
    stacked = batch.pack_all(np.arange(12.0).reshape(3, 4), (0.0, 1.0, 0.0))
    assert stacked.shape == (3, batch.n_params)
    np.testing.assert_array_equal(stacked[1, :4], np.arange(4.0, 8.0))
    assert [u["wavefront"].tolist() for u in batch.unpack(stacked)][2] == [8, 9, 10, 11]
    lower, upper = batch.bounds
    assert lower.shape == (batch.n_params,)
    with pytest.raises(IndexError):
        batch.problem(3)
    with pytest.raises(TypeError):
        batch.problem(1.0)


def test_bad_batch_shapes():
    amplitude = pg.circular_pupil(N)
    basis = pg.zernike_basis(3, N, first=2)
    data = np.zeros((2, 16, 16))
    with pytest.raises(ValueError, match="data"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=np.zeros((16, 16)))
    with pytest.raises(ValueError, match="data"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=np.zeros((1, 2, 1, 16, 16)))
    with pytest.raises(ValueError, match="empty|at least one problem"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=np.zeros((0, 16, 16)))
    with pytest.raises(ValueError, match="weights"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=data,
                               weights=np.ones((3, 16, 16)))
    with pytest.raises(ValueError, match="weights"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=data,
                               weights=np.ones((2, 2, 16, 16)))
    with pytest.raises(ValueError, match="problem 1"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=data,
                               weights=np.stack([np.ones((16, 16)), np.zeros((16, 16))]))
    with pytest.raises(TypeError, match="data"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=data.astype(complex))
    with pytest.raises(ValueError, match="data"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=np.full((2, 16, 16), np.nan))
    # float32 data out of the range a float32 model takes, in any problem (not only the first).
    big = np.ones((3, 16, 16), np.float32)
    big[2] *= np.float32(1e30)
    with pytest.raises(ValueError, match=r"data\[2\]'s values reach 1e\+30"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=big)
    batch = pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=data + 1.0)
    with pytest.raises(ValueError, match=r"X must have shape \(B, n_params\) = \(2, 3\)"):
        batch.value_and_grad(np.zeros(3))
    with pytest.raises(ValueError, match="X must have shape"):
        batch.value_and_grad(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="X"):
        batch.value_and_grad(np.full((2, 3), np.inf))
    with pytest.raises(TypeError, match="active"):
        batch.value_and_grad(np.zeros((2, 3)), active=np.ones(2))
    with pytest.raises(ValueError, match="active"):
        batch.value_and_grad(np.zeros((2, 3)), active=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="V must have shape"):
        batch.jvp(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="backend"):
        pg.PhaseRetrievalBatch(amplitude=amplitude, basis=basis, data=data, backend="gpu")


def _assert_gauss_newton_systems(batch, singles, X, active, threads, symmetric=False):
    """The batch's (J^T J, J^T r) of the active problems equal each single model's to
    rounding (and J^T J is exactly symmetric when ``symmetric``); masked problems' are 0."""
    active = np.array(active)
    with pg.threads(threads):
        jtj, jtr = batch.gauss_newton(X, active=active)
        for b, model in enumerate(singles):
            if not active[b]:
                assert not jtj[b].any() and not jtr[b].any()
                continue
            h, g = model.gauss_newton(X[b])
            np.testing.assert_allclose(jtj[b], h, rtol=0, atol=1e-12 * np.abs(h).max())
            np.testing.assert_allclose(jtr[b], g, rtol=0, atol=1e-12 * np.abs(g).max())
            if symmetric:
                np.testing.assert_array_equal(jtj[b], jtj[b].T)


@pytest.mark.parametrize("case", ["basis", "map", "quadratic", "planes", "broadband", "bin",
                                  "per_problem_weights", "float32"])
@pytest.mark.parametrize("threads", [1, 2])
def test_native_gauss_newton_equals_single_models(case, threads):
    """The point-source batch forms every problem's (J^T J, J^T r) in one C++ call: equal to
    the single model's (BLAS products) to rounding; masked problems' are 0."""
    batch, singles, X = _setup(B=4, **NATIVE_CASES[case])
    _assert_gauss_newton_systems(batch, singles, X, [True, True, False, True], threads,
                                 symmetric=True)


@pytest.mark.parametrize("case", ["fit_flux_background", "poisson_per_problem_weights",
                                  "shift_jitter", "point_sources", "free_object", "window_bin",
                                  "float32_poisson_shift"])
@pytest.mark.parametrize("threads", [1, 2])
def test_native_imaging_gauss_newton_equals_single_models(case, threads):
    """The imaging batch forms every problem's (J^T J, J^T r) in one C++ call: equal to the
    single model's to rounding; masked problems' are 0."""
    batch, singles, X = _setup(B=3, **IMAGING_CASES[case])
    _assert_gauss_newton_systems(batch, singles, X, [True, False, True], threads)


@pytest.mark.parametrize("case", ["amplitude_map", "amplitude_basis"])
def test_batch_vjp_and_gauss_newton_with_a_free_amplitude(case):
    """vjp, and gauss_newton with a free amplitude block, loop over the single models: the
    same bit for bit."""
    batch, singles, X = _setup(B=3, **IMAGING_CASES[case])
    U = np.random.default_rng(3).normal(size=(3, batch.n_residuals))
    jtj, jtr = batch.gauss_newton(X)
    cot = batch.vjp(X, U)
    for b, model in enumerate(singles):
        h, g = model.gauss_newton(X[b])
        np.testing.assert_array_equal(jtj[b], h)
        np.testing.assert_array_equal(jtr[b], g)
        np.testing.assert_array_equal(cot[b], model.vjp(X[b], U[b]))


def test_imaging_batch_core_refuses_bad_blocks():
    """The native imaging batch checks each block's shape (shared or per problem), dtype and
    the blocks the configuration needs before any kernel runs."""
    batch, _, X = _setup(B=3, fit=("flux",))
    core = batch._imaging
    K = 4
    with pytest.raises(ValueError, match="wavefront must have shape"):
        core.value_and_grad({"wavefront": np.zeros((3, K + 1))}, None, 1)
    with pytest.raises(ValueError, match="wavefront must have shape"):
        core.value_and_grad({"wavefront": np.zeros((2, K))}, None, 1)
    with pytest.raises(ValueError, match="wavefront block is required"):
        core.value_and_grad({"flux": np.ones((3, 1))}, None, 1)
    with pytest.raises(TypeError):
        core.value_and_grad({"wavefront": np.zeros((3, K), dtype=np.float32)}, None, 1)
    with pytest.raises(ValueError, match="active"):
        core.value_and_grad({"wavefront": np.zeros((3, K))}, np.ones(2, dtype=np.uint8), 1)
    # a shared wavefront is one problem's for every problem
    costs, grads = core.value_and_grad({"wavefront": np.zeros(K)}, None, 1)
    assert costs.shape == (3,) and grads["wavefront"].shape == (3, K)


@pytest.mark.parametrize("change, message", [
    ({"metric": "l1"}, "metric must be 'sse' or 'poisson'"),
    ({"object": "disc"}, "object must be 'none', 'array' or 'points'"),
    ({"free": ["wavefront", "focus"]}, "unknown block focus"),
    ({"free": ["flux", "wavefront"]}, "wavefront must be the first free block"),
    ({"free": []}, "wavefront must be the first free block"),
])
def test_imaging_cores_parse_options_alike(change, message):
    """The single imaging core and the imaging batch core check their constructor's options
    with one helper: the same refusals, word for word."""
    amplitude = pg.circular_pupil(N)
    basis = pg.zernike_basis(4, N, first=2)
    data = np.ones((1, 2 * N, 2 * N))
    good = {"offset": 0, "metric": "sse", "object": "none", "object_size": 0, "sources": 0,
            "transfer": False, "quadratic": False, "free": ["wavefront", "flux"]}
    options = good | change
    common = (amplitude, basis, None)
    optics = (2 * N, 1, 1.0, [1.0], [1.0])
    with pytest.raises(ValueError, match=message):
        pg.native.core.FusedImaging64(*common, data, None, *optics, read_noise=0.0, **options)
    with pytest.raises(ValueError, match=message):
        pg.native.core.FusedImagingBatch64(*common, data[None], None, *optics,
                                           read_noises=[0.0], **options)
    # the good options build both
    pg.native.core.FusedImaging64(*common, data, None, *optics, read_noise=0.0, **good)
    pg.native.core.FusedImagingBatch64(*common, data[None], None, *optics, read_noises=[0.0],
                                       **good)


def test_batch_transforms_bound():
    """The benchmark's bound (every problem's pruned transforms alone) runs on any thread count
    and refuses a bad geometry."""
    for kind in (pg.native.core.BatchTransforms64, pg.native.core.BatchTransforms32):
        bound = kind(8, 16, 2, 5)
        assert bound.transforms_per_problem == 2 * 2 * (8 + 16)
        for threads in (1, 2, 8):
            bound.run(threads)
    for args in ((8, 4, 1, 1), (0, 16, 1, 1), (8, 16, 0, 1), (8, 16, 1, 0)):
        with pytest.raises(ValueError, match="BatchTransforms needs"):
            pg.native.core.BatchTransforms64(*args)
