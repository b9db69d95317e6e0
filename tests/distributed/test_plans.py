"""phasegrad.distributed.plans in one process: a planning carries the planner effort and
FFTW's wisdom, a worker takes each planning in once, and wisdom FFTW rejects is a warning (the
worker then measures its own plans), never an error."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.distributed import plans

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared stacks
from distributed_problems import MODES, N, geometry  # noqa: E402


def test_make_plans_makes_the_plans_of_a_chunk():
    options = geometry()
    options["pad"] = 3
    x0 = np.zeros(MODES)
    pg.config.clear_plan_cache()  # (models made before keep theirs)
    plans.make_plans((2, 3 * N, 3 * N), np.float64, options, x0, "lbfgs", {}, 1)
    made = pg.config.cached_plan_count()
    assert made > 0
    # A chunk's solve after it makes no new plan.
    frames = np.ones((1, 2, 3 * N, 3 * N))
    with pg.config.threads(1):
        pg.PhaseRetrievalBatch(data=frames, **options).value_and_grad(x0[None])
    assert pg.config.cached_plan_count() == made


def test_a_planning_holds_the_effort_and_the_wisdom():
    effort, double_text, float_text = plans.planning()
    assert effort == pg.config.get_planner_effort()
    assert (double_text, float_text) == tuple(bytes(t) for t in pg.native.core.export_wisdom())


def test_adopt_sets_the_effort_and_imports_once(monkeypatch):
    imported = []
    real = pg.native.core.import_wisdom
    monkeypatch.setattr(pg.native.core, "import_wisdom",
                        lambda d, f: imported.append((d, f)) or real(d, f))
    monkeypatch.setattr(plans, "_adopted", set())
    effort, double_text, float_text = plans.planning()
    try:
        plans.adopt(plans.Planning(("estimate", double_text, float_text)))
        assert pg.config.get_planner_effort() == "estimate"
        plans.adopt(plans.Planning(("estimate", double_text, float_text)))
    finally:
        pg.config.set_planner_effort(effort)
    assert imported == [(double_text, float_text)]


def test_rejected_wisdom_is_a_warning_once(monkeypatch):
    monkeypatch.setattr(plans, "_adopted", set())
    effort = pg.config.get_planner_effort()
    foreign = plans.Planning((effort, b"(fftw-0.0 not wisdom", b""))
    with pytest.warns(RuntimeWarning, match="rejected the FFTW wisdom"):
        plans.adopt(foreign)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plans.adopt(foreign)
