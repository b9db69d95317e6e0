"""The set-up at construction (``prepare``) of the fused imaging model and of phase diversity:
the plans are made by the constructor, not the first call, and preparing changes no result, bit
for bit, on any team, whether it ran or not, once or again after calls."""

import sys
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.native import core

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared check, reference_checks.py
from reference_checks import assert_near_reference  # noqa: E402


def optics(n, dtype, planes=2, modes=10, seed=0):
    rng = np.random.default_rng(seed)
    pupil = pg.circular_pupil(n).astype(dtype)
    basis = pg.zernike_basis(modes, n, first=2).astype(dtype)
    diversity = np.stack([0.4 * (k - 0.5) * basis[2] for k in range(planes)]).astype(dtype)
    data = rng.uniform(0, 1e-3, (planes, 2 * n, 2 * n)).astype(dtype)
    a = rng.normal(scale=0.1, size=modes).astype(dtype)
    return pupil, basis, diversity, data, a


# An extended object with free shifts, flux and background (the transfer and the window
# passes), and the shifted-Poisson metric with a free jitter.
OPTIONS = {
    "object": {"fit": ("shift", "flux", "background")},
    "poisson": {"metric": "poisson", "read_noise": 0.01, "fit": ("jitter",)},
}


def imaging(n, dtype, name):
    """A fused PhaseRetrieval that runs the imaging model, and one call's native blocks."""
    pupil, basis, diversity, data, a = optics(n, dtype)
    rng = np.random.default_rng(1)
    options = dict(OPTIONS[name])
    blocks = {"wavefront": a}
    if name == "object":
        scene = rng.uniform(0, 1, (n, n)).astype(dtype)
        options["object"] = scene
        blocks.update(object=scene, shift=rng.uniform(-1, 1, (2, 2)),
                      flux=rng.uniform(0.8, 1.2, 2), background=rng.uniform(0, 1e-4, 2))
    else:
        blocks["jitter"] = np.array([0.4])
    model = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=data, diversity=diversity,
                              backend="fused", **options)
    return model, blocks


def same(got, expected):
    if isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key])
    elif isinstance(expected, tuple):
        assert got[0] == expected[0]
        same(got[1], expected[1])
    else:
        np.testing.assert_array_equal(got, expected)


def imaging_calls(native, blocks, threads):
    """value_and_grad, simulate, residuals, jvp and vjp of the native imaging model."""
    dots = {"wavefront": np.full_like(blocks["wavefront"], 0.01)}
    residuals = native.residuals(blocks, threads)
    return [native.value_and_grad(blocks, threads), native.simulate(blocks, threads), residuals,
            native.jvp(blocks, dots, threads), native.vjp(blocks, residuals, threads)]


def test_the_imaging_constructor_makes_the_plans():
    pg.config.clear_plan_cache()
    model = imaging(16, np.float64, "object")[0]
    made = pg.config.cached_plan_count()
    assert made > 0
    model.value_and_grad(np.zeros(model.n_params) + 0.01)
    assert pg.config.cached_plan_count() == made


@pytest.mark.parametrize("name", sorted(OPTIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [16, 128])  # one thread below a 256 x 256 grid; a team at 256
def test_imaging_prepare_changes_no_result(name, dtype, n):
    model, blocks = imaging(n, dtype, name)
    wrapper = model._impl
    expected = imaging_calls(wrapper.native_imaging(), blocks, 1)
    for team, later in ((2, 1), (1, 2), (2, 2)):
        native = wrapper.native_imaging()
        native.prepare(team)
        for threads in (later, team):
            for got, want in zip(imaging_calls(native, blocks, threads), expected, strict=True):
                same(got, want)
        native.prepare(team)  # again, after calls: the buffers' contents are not read
        for got, want in zip(imaging_calls(native, blocks, later), expected, strict=True):
            same(got, want)


def test_imaging_prepare_matches_the_reference():
    pupil, basis, diversity, data, a = optics(128, np.float64)
    scene = np.random.default_rng(2).uniform(0, 1, (64, 64))
    kwargs = dict(amplitude=pupil, basis=basis, data=data, diversity=diversity, object=scene,
                  fit=("flux",))
    fused = pg.PhaseRetrieval(backend="fused", **kwargs)
    reference = pg.PhaseRetrieval(backend="reference", **kwargs)
    x = fused.pack(a=a, flux=[0.9, 1.1])
    with pg.threads(2):
        got = fused.fun_and_jac(x)
    assert_near_reference(got, reference.fun_and_jac(x))


def diversity_native(pupil, basis, diversity, data):
    """The C++ phase-diversity model itself, without the Python model's prepare."""
    kind = core.FusedPhaseDiversity64 if pupil.dtype == np.float64 else \
        core.FusedPhaseDiversity32
    return kind(pupil, basis, diversity, data, 2 * pupil.shape[0], 1.0, [1.0], [1.0], 1e-3)


def test_the_diversity_constructor_makes_the_plans():
    pupil, basis, diversity, data, a = optics(32, np.float64)
    pg.config.clear_plan_cache()
    model = pg.PhaseDiversity(amplitude=pupil, basis=basis, data=data, diversity=diversity,
                              regularization=1e-3)
    made = pg.config.cached_plan_count()
    assert made > 0
    model.value_and_grad(a)
    assert pg.config.cached_plan_count() == made


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [16, 128])
def test_diversity_prepare_changes_no_result(dtype, n):
    pupil, basis, diversity, data, a = optics(n, dtype, planes=3)  # an odd K: a lone last PSF
    plain = diversity_native(pupil, basis, diversity, data)
    expected = plain.value_and_grad(a, 1)
    scene = plain.estimate_object(a, 1)
    for team, later in ((2, 1), (1, 2), (2, 2)):
        model = diversity_native(pupil, basis, diversity, data)
        model.prepare(team)
        for threads in (later, team):
            same(model.value_and_grad(a, threads), expected)
            same(model.estimate_object(a, threads), scene)
        model.prepare(team)
        same(model.value_and_grad(a, later), expected)


def test_diversity_prepare_matches_the_reference():
    pupil, basis, diversity, data, a = optics(128, np.float64)
    kwargs = dict(amplitude=pupil, basis=basis, data=data, diversity=diversity,
                  regularization=1e-3)
    fused = pg.PhaseDiversity(backend="fused", **kwargs)
    reference = pg.PhaseDiversity(backend="reference", **kwargs)
    with pg.threads(2):
        got = fused.value_and_grad(a)
    assert_near_reference(got, reference.value_and_grad(a))
