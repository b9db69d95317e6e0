"""The general hologram's set-up at construction (``prepare``: one value_and_grad over a zero
phase): the plans are made by the constructor, not the first call, and preparing changes no
result, bit for bit, on any team, whether it ran or not, once or again after calls."""

import sys
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.models.fused_hologram_planes import native_planes

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared check, reference_checks.py
from reference_checks import assert_near_reference  # noqa: E402

# Three planes on the staged path (no padding, rows of whole cache lines); two colours padded;
# the amplitude + phase modulator with levels and crosstalk.
CASES = {
    "staged": dict(distances=[0.02, 0.03, 0.04], wavelengths=[532e-9], pitch=8e-6),
    "padded": dict(distances=[0.02, 0.03], wavelengths=[532e-9, 633e-9], pitch=8e-6, pad=2),
    "modulator": dict(levels=8, crosstalk=np.array([[0, 0.05, 0], [0.05, 0.8, 0.05],
                                                    [0, 0.05, 0]]),
                      modulator="amplitude_phase"),
}


def hologram(name, size, dtype):
    rng = np.random.default_rng(0)
    options = CASES[name]
    planes = len(options.get("distances", [0]))
    colours = len(options.get("wavelengths", [0]))
    shape = ((colours,) if colours > 1 else ()) + ((planes,) if planes > 1 else ())
    target = rng.random(shape + (size, size)).astype(dtype)
    model = pg.Hologram(target=target, **options)
    phi = rng.uniform(-3, 3, (size, size)).astype(dtype)
    if options.get("modulator") == "amplitude_phase":
        phi = np.stack([phi, rng.uniform(-1, 1, (size, size)).astype(dtype)])
    return model, phi


def calls(native, phi, threads):
    """value_and_grad, the images and the least-squares view of the native model."""
    energy, phi_bar = native.value_and_grad(phi, threads)
    r = native.residuals(phi, threads)
    v = np.full(phi.size, 0.01)
    return [energy, phi_bar, native.images(phi, True, threads), r,
            native.jvp(phi, v, threads), native.vjp(phi, r, threads)]


def test_the_constructor_makes_the_plans():
    pg.config.clear_plan_cache()
    model, phi = hologram("staged", 32, np.float64)
    made = pg.config.cached_plan_count()
    assert made > 0
    model.value_and_grad(phi)
    assert pg.config.cached_plan_count() == made


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [32, 256])  # one thread on small planes; a team at 256^2
def test_prepare_changes_no_result(name, dtype, size):
    model, phi = hologram(name, size, dtype)
    setup = model._impl.setup
    # Only the staged value_and_grad is the same on any team: every call is compared with a
    # bare model's on the same number of threads.
    expected = {threads: calls(native_planes(setup), phi, threads) for threads in (1, 2)}
    if name == "staged":
        assert expected[1][0] == expected[2][0]
        np.testing.assert_array_equal(expected[1][1], expected[2][1])
    for team, later in ((2, 1), (1, 2), (2, 2)):
        native = native_planes(setup)
        native.prepare(team)
        for threads in (later, team):
            for got, want in zip(calls(native, phi, threads), expected[threads], strict=True):
                np.testing.assert_array_equal(got, want)
        native.prepare(team)  # again, after calls: the buffers' contents are not read
        for got, want in zip(calls(native, phi, later), expected[later], strict=True):
            np.testing.assert_array_equal(got, want)


def test_prepared_model_matches_the_reference():
    model, phi = hologram("staged", 64, np.float64)
    options = CASES["staged"]
    reference = pg.Hologram(target=model.setup.target, backend="reference", **options)
    with pg.threads(2):
        got = model.value_and_grad(phi)
    assert_near_reference(got, reference.value_and_grad(phi), gradient_rtol=1e-9)
