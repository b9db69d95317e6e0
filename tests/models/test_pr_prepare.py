"""The fused phase-retrieval model's set-up at construction (``prepare``): the plans are made by
the constructor, not the first call, and preparing changes no result, bit for bit, on any team,
whether it ran or not, once or again after calls."""

import sys
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.native import core

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared check, reference_checks.py
from reference_checks import assert_near_reference  # noqa: E402


def inputs(n, dtype, planes=2, modes=10, seed=0):
    rng = np.random.default_rng(seed)
    pupil = pg.circular_pupil(n).astype(dtype)
    basis = pg.zernike_basis(modes, n, first=2).astype(dtype)
    diversity = np.stack([0.4 * k * basis[2] for k in range(planes)]).astype(dtype)
    data = rng.uniform(0, 1e-3, (planes, 2 * n, 2 * n)).astype(dtype)
    a = rng.normal(scale=0.1, size=modes).astype(dtype)
    return pupil, basis, diversity, data, a


def native(pupil, basis, diversity, data):
    """The C++ model itself, without the Python model's prepare."""
    kind = core.FusedPhaseRetrieval64 if pupil.dtype == np.float64 else core.FusedPhaseRetrieval32
    n = pupil.shape[0]
    return kind(pupil, basis, diversity, data, None, 2 * n, 1, 1.0, [1.0], [1.0])


def test_the_constructor_makes_the_plans():
    pupil, basis, diversity, data, a = inputs(32, np.float64)
    pg.config.clear_plan_cache()
    model = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=data, diversity=diversity,
                              backend="fused")
    made = pg.config.cached_plan_count()
    assert made > 0
    model.value_and_grad(a)
    assert pg.config.cached_plan_count() == made


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [32, 128])  # one thread below a 256 x 256 grid; a team at 256
def test_prepare_changes_no_result(dtype, n):
    pupil, basis, diversity, data, a = inputs(n, dtype)
    plain = native(pupil, basis, diversity, data)
    expected = plain.value_and_grad(a, None, 1)
    for team, later in ((2, 1), (1, 2), (2, 2)):
        model = native(pupil, basis, diversity, data)
        model.prepare(team)
        for threads in (later, team):
            energy, a_bar, _ = model.value_and_grad(a, None, threads)
            assert energy == expected[0]
            np.testing.assert_array_equal(a_bar, expected[1])
        model.prepare(team)  # again, after calls: the field's contents are not read
        energy, a_bar, _ = model.value_and_grad(a, None, later)
        assert energy == expected[0]
        np.testing.assert_array_equal(a_bar, expected[1])
        images = model.simulate(a, None, later)
        np.testing.assert_array_equal(images, plain.simulate(a, None, 1))


def test_prepare_matches_the_reference():
    pupil, basis, diversity, data, a = inputs(128, np.float64)
    kwargs = dict(amplitude=pupil, basis=basis, data=data, diversity=diversity)
    fused = pg.PhaseRetrieval(backend="fused", **kwargs)
    reference = pg.PhaseRetrieval(backend="reference", **kwargs)
    with pg.threads(2):
        got = fused.value_and_grad(a)
    assert_near_reference(got, reference.value_and_grad(a))
