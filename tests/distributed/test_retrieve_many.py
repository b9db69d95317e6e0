"""pg.distributed.retrieve_many in this process: results against one solve per problem,
per-problem errors, the inputs it reads, the Zarr store and resuming from it, bad arguments."""

from __future__ import annotations

import doctest
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.distributed import retrieve, store

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared stacks
from distributed_problems import geometry, one_batch, one_by_one, stack  # noqa: E402

if os.environ.get("PHASEGRAD_REQUIRE_FRAMEWORKS") == "1":
    import zarr  # scripts/test.sh installed it: missing is an error, not a skip
else:
    zarr = pytest.importorskip("zarr")

B = 7  # chunks of 2: three full, one of one problem


@pytest.fixture(scope="module")
def problems():
    return stack(B)


@pytest.fixture(scope="module")
def solved(problems):
    data, _ = problems
    return pg.distributed.retrieve_many(data, chunk=2, threads=1, **geometry())


def same(a, b):
    for name in ("x", "cost", "converged", "nit", "error"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_chunks_equal_one_batch_of_all_and_find_the_truth(problems, solved):
    data, truth = problems
    # Lockstep L-BFGS: a problem's path does not depend on the others in its chunk.
    x, cost, converged, nit = one_batch(data)
    np.testing.assert_array_equal(solved.x, x)
    np.testing.assert_array_equal(solved.cost, cost)
    np.testing.assert_array_equal(solved.converged, converged)
    np.testing.assert_array_equal(solved.nit, nit)
    assert solved.converged.all()
    np.testing.assert_allclose(solved.x, truth, atol=1e-6)
    assert solved.x.shape == (B, 4) and solved.x.dtype == np.float64
    assert solved.nit.dtype == np.int64 and solved.converged.dtype == bool
    assert list(solved.error) == [""] * B and solved.failed.size == 0
    assert solved.computed == [0, 1, 2, 3] and len(solved.task_seconds) == 4


def test_a_bad_frame_gets_its_error_and_the_others_are_solved(problems, solved):
    data, _ = problems
    bad = data.copy()
    bad[3, 1, 5, 5] = np.nan
    found = pg.distributed.retrieve_many(bad, chunk=2, threads=1, **geometry())
    assert list(found.failed) == [3]
    assert "finite" in found.error[3] and found.error[3].startswith("ValueError")
    assert np.isnan(found.x[3]).all() and np.isnan(found.cost[3])
    assert not found.converged[3] and found.nit[3] == 0
    keep = np.arange(B) != 3
    np.testing.assert_array_equal(found.x[keep], solved.x[keep])


def test_a_problem_that_raises_in_its_solve_gets_its_error(problems):
    data, _ = problems
    # A frame of the wrong scale for float32 passes the finite check but not the model's.
    frames = data[:3].astype(np.float32)
    frames[1] *= np.float32(1e30)
    found = pg.distributed.retrieve_many(frames, chunk=3, threads=1, **geometry())
    assert list(found.failed) == [1] and "data" in found.error[1]
    assert found.error[1].split(":")[0] in ("ValueError", "TypeError")
    assert np.isfinite(found.x[[0, 2]]).all()


def test_planar_stack_and_starts(problems):
    data, _ = problems
    one_plane = data[:3, 0]
    options = geometry()
    options.pop("diversity")
    a = pg.distributed.retrieve_many(one_plane, chunk=2, threads=1, **options)
    b = pg.distributed.retrieve_many(one_plane[:, None], chunk=2, threads=1, **options)
    same(a, b)
    x0 = np.full(4, 0.01)
    c = pg.distributed.retrieve_many(data[:3], x0=x0, threads=1, **geometry())
    d = pg.distributed.retrieve_many(data[:3], x0=np.tile(x0, (3, 1)), threads=1,
                                     **geometry())
    same(c, d)
    np.testing.assert_array_equal(c.x, one_batch(data[:3], x0=np.tile(x0, (3, 1)))[0])


def test_solver_options_the_batch_lacks_solve_each_problem_alone(problems):
    data, truth = problems
    found = pg.distributed.retrieve_many(data[:3], solver_options={"restarts": 2}, chunk=2,
                                         threads=1, **geometry())
    x, cost, converged, nit = one_by_one(data[:3], restarts=2)
    np.testing.assert_array_equal(found.x, x)
    np.testing.assert_array_equal(found.cost, cost)
    np.testing.assert_array_equal(found.converged, converged)
    np.testing.assert_array_equal(found.nit, nit)
    np.testing.assert_allclose(found.x, truth[:3], atol=1e-6)


def test_levenberg_marquardt_in_lockstep_and_one_by_one(problems):
    data, truth = problems
    found = pg.distributed.retrieve_many(data[:5], method="lm", maxiter=50, chunk=2,
                                         threads=1, **geometry())
    x, cost, converged, nit = one_batch(data[:5], maxiter=50, method="lm")
    np.testing.assert_array_equal(found.x, x)
    np.testing.assert_array_equal(found.cost, cost)
    np.testing.assert_array_equal(found.converged, converged)
    np.testing.assert_array_equal(found.nit, nit)
    np.testing.assert_allclose(found.x, truth[:5], atol=1e-6)
    # An option only the single solver takes: one pg.PhaseRetrieval per problem.
    alone = pg.distributed.retrieve_many(data[:3], method="lm", maxiter=50, threads=1,
                                         solver_options={"method": "cg"}, **geometry())
    np.testing.assert_allclose(alone.x, truth[:3], atol=1e-6)
    assert alone.converged.all()


def test_reads_zarr_and_npy_paths_and_zarr_arrays(problems, solved, tmp_path):
    data, _ = problems
    np.save(tmp_path / "stack.npy", data)
    array = zarr.open_array(str(tmp_path / "stack.zarr"), mode="w", shape=data.shape,
                            chunks=(2,) + data.shape[1:], dtype="float64")
    array[:] = data
    for source in (tmp_path / "stack.npy", str(tmp_path / "stack.zarr"), array):
        same(pg.distributed.retrieve_many(source, chunk=2, threads=1, **geometry()), solved)


def test_writes_a_store_and_resumes_only_the_missing_chunks(problems, solved, tmp_path):
    data, _ = problems
    out = tmp_path / "results.zarr"
    landed = []

    def stop_after_two(done, total):
        landed.append((done, total))
        if done == 2:
            raise KeyboardInterrupt  # the run stopped from outside, half written

    with pytest.raises(KeyboardInterrupt):
        pg.distributed.retrieve_many(data, chunk=2, out=out, threads=1,
                                     progress=stop_after_two, **geometry())
    assert landed == [(1, 4), (2, 4)]
    stored = zarr.open_group(str(out), mode="r")
    np.testing.assert_array_equal(stored["done"][:], [True, True, False, False])
    np.testing.assert_array_equal(stored["x"][:4], solved.x[:4])
    assert np.isnan(stored["x"][4:]).all()

    resumed = pg.distributed.retrieve_many(data, chunk=2, out=out, threads=1, **geometry())
    assert resumed.computed == [2, 3]
    same(resumed, solved)

    # A chunk whose write was cut before its flag: recomputed, alone.
    group = zarr.open_group(str(out), mode="a")
    group["done"][1] = False
    group["x"][2:4] = 0.0
    again = pg.distributed.retrieve_many(data, chunk=2, out=out, threads=1, **geometry())
    assert again.computed == [1]
    same(again, solved)
    done = pg.distributed.retrieve_many(data, chunk=2, out=out, threads=1, **geometry())
    assert done.computed == []
    same(done, solved)


def test_a_store_of_another_run_is_refused(problems, tmp_path):
    data, _ = problems
    out = tmp_path / "results.zarr"
    pg.distributed.retrieve_many(data[:2], chunk=2, out=out, threads=1, **geometry())
    with pytest.raises(ValueError, match="another run"):
        pg.distributed.retrieve_many(data[:2], chunk=1, out=out, threads=1, **geometry())
    with pytest.raises(ValueError, match="another run"):
        pg.distributed.retrieve_many(data[:3], chunk=2, out=out, threads=1, **geometry())
    other = zarr.open_group(str(tmp_path / "other.zarr"), mode="w")
    make = other.create_array if hasattr(other, "create_array") else other.create_dataset
    make("thing", shape=(2,), dtype="float64")  # Zarr 3 or 2
    with pytest.raises(ValueError, match="did not make"):
        pg.distributed.retrieve_many(data[:2], out=tmp_path / "other.zarr", **geometry())
    assert store.ResultStore  # the module documents the layout


@pytest.mark.parametrize(("change", "error", "match"), [
    ({"data": np.zeros((32, 32))}, ValueError, r"\(B, P, M, M\) or \(B, M, M\)"),
    ({"data": np.zeros((2, 1, 1, 32, 32))}, ValueError, r"\(B, P, M, M\)"),
    ({"data": np.zeros((0, 2, 32, 32))}, ValueError, "at least one problem"),
    ({"data": np.zeros((2, 2, 32, 32), complex)}, TypeError, "real"),
    ({"data": [[[1.0]], [[1.0, 2.0]]]}, ValueError, "rectangular"),
    ({"data": "no/such/stack.zarr"}, FileNotFoundError, "no such file"),
    ({"data": np.zeros((2, 2, 40, 40))}, ValueError, "data"),
    ({"chunk": 0}, ValueError, "chunk"),
    ({"method": "newton"}, ValueError, "method"),
    ({"maxiter": 0}, ValueError, "maxiter"),
    ({"x0": np.zeros(5)}, ValueError, r"x0 must have shape \(4,\) or \(2, 4\)"),
    ({"x0": np.full(4, np.nan)}, ValueError, "x0"),
    ({"pad": 0.5}, ValueError, "pad"),
    ({"colour": "red"}, TypeError, "colour"),
    ({"amplitude": None}, TypeError, "amplitude="),
    ({"client": 42}, TypeError, "client"),
    ({"workers": 2}, ValueError, "workers"),
    ({"threads": 0}, ValueError, "threads"),
    ({"progress": "bar"}, TypeError, "progress"),
])
def test_bad_arguments_are_refused_before_any_solve(problems, change, error, match):
    data, _ = problems
    arguments = {"data": data[:2], **geometry(), **change}
    if arguments.get("amplitude", 0) is None:
        del arguments["amplitude"]
    with pytest.raises(error, match=match):
        pg.distributed.retrieve_many(**arguments)


def test_the_docstring_example_runs():
    result = doctest.testmod(retrieve, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_finished_store_needs_no_cluster(problems, solved, tmp_path):
    data, _ = problems
    out = tmp_path / "results.zarr"
    pg.distributed.retrieve_many(data, chunk=2, out=out, threads=1, **geometry())
    # An address nothing listens at: never connected to, since no chunk is left to solve.
    found = pg.distributed.retrieve_many(data, chunk=2, out=out, client="tcp://127.0.0.1:9",
                                         **geometry())
    assert found.computed == []
    same(found, solved)
