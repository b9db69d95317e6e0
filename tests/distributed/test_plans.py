"""phasegrad.distributed.plans in one process: the plans of a chunk made once for every thread
count, a planning that carries the planner effort, the CPU and FFTW's wisdom, a worker that
replaces its plans and wisdom by a new planning's (once), and a planning it cannot take (another
CPU, wisdom FFTW rejects): a warning and the reason, never an error."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.distributed import plans
from phasegrad.distributed.tasks import solve_chunk

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared stacks
from distributed_problems import MODES, N, geometry  # noqa: E402


@pytest.fixture
def own_planning(monkeypatch):
    """This process's planning, put back afterwards (adopt replaces the wisdom: later tests
    then make their plans from the same wisdom as before)."""
    monkeypatch.setattr(plans, "_held", {"digest": None, "refusal": ""})
    saved = plans.planning()
    yield saved
    pg.config.set_planner_effort(saved[0])
    assert all(pg.native.core.replace_wisdom(saved[2], saved[3]))


def lines(text):
    return set(bytes(text).decode().splitlines()[1:-1])


@pytest.mark.parametrize("method, solver_options, threads, problems", [
    ("lbfgs", {}, 1, 1), ("lbfgs", {}, 2, 3), ("lm", {}, 2, 3),
    ("lbfgs", {"restarts": 1}, 2, 2)])
def test_make_plans_makes_every_plan_of_a_chunk(method, solver_options, threads, problems):
    options = geometry()
    options["pad"] = 3
    x0 = np.zeros(MODES)
    pg.config.clear_plan_cache()  # (models made before keep theirs)
    plans.make_plans((2, 3 * N, 3 * N), np.float64, options, x0, method, solver_options)
    made = pg.config.cached_plan_count()
    assert made > 0
    # A chunk solved after it, on any thread count, makes no new plan.
    frames = np.ones((problems, 2, 3 * N, 3 * N))
    found = solve_chunk(0, frames, 0, problems, options, np.zeros((problems, MODES)), method, 3,
                        solver_options, threads)
    assert np.isfinite(found["cost"]).all()
    assert pg.config.cached_plan_count() == made


def test_a_planning_holds_the_effort_the_cpu_and_the_wisdom():
    effort, cpu, double_text, float_text = plans.planning()
    assert effort == pg.config.get_planner_effort() and cpu == pg.config.cpu_key()
    assert (double_text, float_text) == tuple(bytes(t) for t in pg.native.core.export_wisdom())


def test_adopt_replaces_the_plans_and_the_wisdom_once(own_planning):
    given = own_planning
    # Plans the given planning does not hold (a size no other test makes).
    pg.PhaseRetrieval(amplitude=pg.circular_pupil(20), basis=pg.zernike_basis(3, 20, first=2),
                      data=np.zeros((2, 60, 60)), diversity=np.zeros((2, 20, 20)), pad=3)
    assert lines(pg.native.core.export_wisdom()[0]) > lines(given[2])
    assert plans.adopt(plans.Planning(("estimate",) + tuple(given[1:]))) == ""
    assert pg.config.get_planner_effort() == "estimate"
    assert pg.config.cached_plan_count() == 0
    assert lines(pg.native.core.export_wisdom()[0]) == lines(given[2])
    # The same planning again: nothing cleared.
    pg.PhaseRetrieval(amplitude=pg.circular_pupil(20), basis=pg.zernike_basis(3, 20, first=2),
                      data=np.zeros((2, 60, 60)), diversity=np.zeros((2, 20, 20)), pad=3)
    count = pg.config.cached_plan_count()
    assert count > 0
    assert plans.adopt(plans.Planning(("estimate",) + tuple(given[1:]))) == ""
    assert pg.config.cached_plan_count() == count


def test_another_cpu_keeps_its_own_wisdom(own_planning):
    effort, _, double_text, float_text = own_planning
    count = pg.config.cached_plan_count()
    foreign = plans.Planning((effort, "not-this-cpu", b"(fftw-3.3.10 fftw_wisdom\n)", b""))
    with pytest.warns(RuntimeWarning, match="another CPU"):
        refusal = plans.adopt(foreign)
    assert "another CPU" in refusal
    assert pg.config.cached_plan_count() == count
    assert bytes(pg.native.core.export_wisdom()[0]) == double_text


def test_rejected_wisdom_is_a_warning_once(own_planning):
    effort, cpu, _, _ = own_planning
    foreign = plans.Planning((effort, cpu, b"(fftw-0.0 not wisdom", b""))
    with pytest.warns(RuntimeWarning, match="rejected"):
        assert "rejected" in plans.adopt(foreign)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "rejected" in plans.adopt(foreign)
