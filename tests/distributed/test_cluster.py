"""pg.distributed.retrieve_many on a Dask LocalCluster of two worker processes (one thread
each): the same results as in this process (the workers solve on this process's FFTW plans),
a worker killed in the middle of a run, the workers reading a Zarr stack by path, a cluster by
address, and the cluster's sizing rules.

One cluster serves the module (starting one takes seconds)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.distributed import cluster as clusters

if os.environ.get("PHASEGRAD_REQUIRE_FRAMEWORKS") == "1":
    import distributed  # scripts/test.sh installed it: missing is an error, not a skip
    import zarr
else:
    distributed = pytest.importorskip("distributed")
    zarr = pytest.importorskip("zarr")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared stacks
from distributed_problems import MODES, geometry, stack  # noqa: E402

B = 12


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def problems():
    return stack(B, seed=3)


@pytest.fixture(scope="module")
def here(problems):
    return pg.distributed.retrieve_many(problems[0], chunk=2, threads=1, **geometry())


def same(a, b):
    for name in ("x", "cost", "converged", "nit", "error"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_two_workers_equal_this_process(client, problems, here):
    data, truth = problems
    landed = []
    found = pg.distributed.retrieve_many(data, client=client, chunk=2,
                                         progress=lambda done, total: landed.append(done),
                                         **geometry())
    same(found, here)
    assert sorted(found.computed) == list(range(6)) and landed == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(found.x, truth, atol=1e-6)
    # Both workers took part.
    assert len(client.scheduler_info()["workers"]) == 2


def test_a_killed_worker_loses_nothing(client, problems, here, tmp_path):
    data, _ = problems
    pids = client.run(os.getpid)
    killed = []

    def kill_one(done, total):
        if not killed:
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(done)

    found = pg.distributed.retrieve_many(data, client=client, chunk=1, out=tmp_path / "r.zarr",
                                         progress=kill_one, **geometry())
    assert killed == [1]  # killed after the first of 12 chunks: in the middle of the run
    same(found, here)
    assert sorted(found.computed) == list(range(B))
    assert zarr.open_group(str(tmp_path / "r.zarr"), mode="r")["done"][:].all()
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for the next test


def test_workers_read_a_zarr_stack_by_path_and_an_address_connects(client, problems, here,
                                                                    tmp_path):
    data, _ = problems
    path = str(tmp_path / "stack.zarr")
    array = zarr.open_array(path, mode="w", shape=data.shape, chunks=(2,) + data.shape[1:],
                            dtype="float64")
    array[:] = data
    found = pg.distributed.retrieve_many(path, client=client.scheduler.address, chunk=4,
                                         **geometry())
    same(found, here)


def test_a_bad_frame_on_a_worker_gets_its_error(client, problems, here):
    data, _ = problems
    bad = data.copy()
    bad[5] = np.inf
    found = pg.distributed.retrieve_many(bad, client=client, chunk=4, **geometry())
    assert list(found.failed) == [5] and "finite" in found.error[5]
    keep = np.arange(B) != 5
    np.testing.assert_array_equal(found.x[keep], here.x[keep])


def test_the_workers_plan_as_this_process_does(client, problems, here):
    # FFTW_MEASURE may pick other plans in another process (under load it did: one worker's
    # chunks then differed from this process's in the last bits). A run sends this process's
    # planner effort and wisdom with its tasks, and a worker replaces its own by them: here a
    # planner effort the workers do not have, then the workers, which now hold that run's
    # plans and wisdom, back on this process's.
    data, truth = problems
    effort = pg.config.get_planner_effort()

    def theirs():
        return client.run(lambda: (pg.config.get_planner_effort(),
                                   pg.native.core.export_wisdom()[0]))

    def lines(text):
        return set(text.decode().splitlines()[1:-1])

    # On a grid of its own, 30 x 30 (n = 15: transforms of lengths 15 and 30, whose parts
    # share no length with the 16 and 32 of `here`'s): FFTW keeps one wisdom entry per
    # transform, the most patient, so patient plans of `here`'s transforms would replace the
    # wisdom `here`'s plans came from, and no worker could make those again.
    defocus = pg.zernike_basis(1, 15, first=4)[0]
    options = {"amplitude": pg.circular_pupil(15), "basis": pg.zernike_basis(MODES, 15, first=2),
               "diversity": np.stack([0.0 * defocus, 0.25 * defocus])}
    model = pg.PhaseRetrieval(data=np.zeros((2, 30, 30)), **options)
    padded = np.stack([model.simulate(a).reshape(2, 30, 30) for a in truth[:4]])
    pg.config.set_planner_effort("patient")
    try:
        patient_here = pg.distributed.retrieve_many(padded, chunk=2, threads=1, **options)
        found = pg.distributed.retrieve_many(padded, client=client, chunk=2, **options)
        held = theirs()
    finally:
        pg.config.set_planner_effort(effort)
    same(found, patient_here)
    ours = lines(pg.native.core.export_wisdom()[0])
    assert ours and all(e == "patient" and lines(w) == ours for e, w in held.values())

    found = pg.distributed.retrieve_many(data, client=client, chunk=2, **geometry())
    same(found, here)
    ours = lines(pg.native.core.export_wisdom()[0])
    assert all(e == effort and lines(w) == ours for e, w in theirs().values())


def test_workers_that_cannot_take_the_plans_are_a_warning_here(client, problems, monkeypatch):
    # A planning from "another CPU": each worker keeps its own wisdom and says so, and this
    # process warns (the results are still the solutions, to rounding).
    from phasegrad.distributed import plans

    data, truth = problems
    own = plans.planning

    def elsewhere():
        effort, _, double_text, float_text = own()
        return plans.Planning((effort, "another-cpu", double_text, float_text))

    monkeypatch.setattr(plans, "planning", elsewhere)
    with pytest.warns(RuntimeWarning, match=r"3 of 3 chunks.*another CPU"):
        found = pg.distributed.retrieve_many(data[:6], client=client, chunk=2, **geometry())
    np.testing.assert_allclose(found.x, truth[:6], atol=1e-6)


def test_a_local_cluster_never_has_more_threads_than_cores():
    cores = clusters.available_cores()
    with pytest.raises(ValueError, match="more than the"):
        clusters.connect("local", workers=cores + 1, threads=1)
    with pytest.raises(ValueError, match="more than the"):
        clusters.connect("local", workers=1, threads=cores + 1)
    with pytest.raises(ValueError, match="workers"):
        clusters.connect("tcp://127.0.0.1:1", workers=1)
    with pytest.raises(TypeError, match="client"):
        clusters.connect(3.5)
