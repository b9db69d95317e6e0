"""Checked plans: with the per-user wisdom cache on, a FFTW_MEASURE plan the wisdom does not hold
yet is planned twice (the wisdom put back in between), both are timed and the faster is kept with
its wisdom. These tests check the logic (which plans are checked, that the kept plan's wisdom is
in place, that results are right), not the speed."""

import os
import subprocess
import sys

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.native import core


@pytest.fixture
def checking():
    before, effort = core.plan_check_enabled(), pg.config.get_planner_effort()
    core.set_plan_check(True)
    pg.config.set_planner_effort("measure")
    yield
    core.set_plan_check(before)
    pg.config.set_planner_effort(effort)


def transform(shape, dtype=np.complex128, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    got = pg.ops.dft2(x)
    tolerance = 1e-12 if dtype == np.complex128 else 1e-5
    expected = np.fft.fft2(x.astype(np.complex128))
    assert np.max(np.abs(got - expected)) <= tolerance * np.max(np.abs(expected))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_a_new_plan_is_checked_once_and_its_wisdom_kept(checking, dtype):
    shape = (3, 61) if dtype == np.complex128 else (3, 59)  # sizes no other test plans
    checked, kept = core.plan_check_counts()
    transform(shape, dtype)
    after, after_kept = core.plan_check_counts()
    assert after == checked + 1
    assert after_kept - kept in (0, 1)
    transform(shape, dtype, seed=1)  # the cached plan: nothing planned
    assert core.plan_check_counts()[0] == after
    # A fresh plan of the same problem comes from the wisdom the check kept: not checked again.
    pg.config.clear_plan_cache()
    transform(shape, dtype, seed=2)
    assert core.plan_check_counts()[0] == after


def test_estimate_plans_and_an_unchecked_planner_are_not_checked(checking):
    checked = core.plan_check_counts()[0]
    pg.config.set_planner_effort("estimate")
    transform((5, 67))
    core.set_plan_check(False)
    pg.config.set_planner_effort("measure")
    transform((5, 71))
    assert core.plan_check_counts()[0] == checked


@pytest.mark.parametrize(("setting", "expected"), [("1", "True"), ("0", "False")])
def test_the_wisdom_cache_turns_the_check_on(tmp_path, setting, expected):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path), PHASEGRAD_WISDOM_CACHE=setting)
    script = "import phasegrad.ops; from phasegrad.native import core; " \
             "print(core.plan_check_enabled())"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected]
