"""Thread control: the API and its errors, thread-local overrides, the environment default,
k threads == 1 thread, concurrent Python threads, and children of fork/forkserver/spawn."""

import multiprocessing
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops
from phasegrad.check import relative_error


def test_set_num_threads_and_context():
    before = pg.get_num_threads()
    try:
        pg.set_num_threads(3)
        assert pg.get_num_threads() == 3
        with pg.threads(1) as count:
            assert count == 1 and pg.get_num_threads() == 1
            with pg.threads(2):
                assert pg.get_num_threads() == 2
            assert pg.get_num_threads() == 1
        assert pg.get_num_threads() == 3
        pg.set_num_threads(-1)
        assert pg.get_num_threads() == (os.cpu_count() or 1)
    finally:
        pg.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", None, True])
def test_bad_thread_counts_are_value_errors_with_an_exact_message(bad):
    expected = f"n must be a positive integer or -1 (all cores); got {bad!r}"
    with pytest.raises(ValueError) as info:
        pg.set_num_threads(bad)
    assert str(info.value) == expected
    with pytest.raises(ValueError) as info:
        with pg.threads(bad):
            pass
    assert str(info.value) == expected


def test_context_is_local_to_the_python_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def other():
        inside.wait()
        seen["other"] = pg.get_num_threads()
        release.set()

    worker = threading.Thread(target=other)
    worker.start()
    default = pg.get_num_threads()
    with pg.threads(default + 5):
        inside.set()
        release.wait(10)
        seen["here"] = pg.get_num_threads()
    worker.join()
    assert seen == {"other": default, "here": default + 5}


@pytest.mark.parametrize("environment, expected", [
    ({"PHASEGRAD_NUM_THREADS": "3", "OMP_NUM_THREADS": "5"}, "3"),
    ({"OMP_NUM_THREADS": "5,2"}, "5"),
])
def test_default_comes_from_the_environment(environment, expected):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PHASEGRAD_NUM_THREADS", "OMP_NUM_THREADS")}
    env.update(environment)
    code = "import phasegrad; print(phasegrad.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == expected


def test_bad_environment_value_names_the_variable():
    env = dict(os.environ, PHASEGRAD_NUM_THREADS="zero")
    out = subprocess.run([sys.executable, "-c", "import phasegrad; phasegrad.get_num_threads()"],
                         env=env, capture_output=True, text=True, check=False)
    assert out.returncode != 0 and "PHASEGRAD_NUM_THREADS must be a positive integer" in out.stderr


def test_k_threads_equal_one_thread():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 96, 96)) + 1j * rng.standard_normal((6, 96, 96))
    with pg.threads(1):
        serial = ops.dft2(x, norm="ortho")
    for k in (2, 3, 4):
        with pg.threads(k):
            assert relative_error(ops.dft2(x, norm="ortho"), serial) < 1e-14


def test_eight_python_threads_planning_and_executing_at_once():
    """New shapes in each thread, so the planner runs concurrently with executions."""
    pg.fft.clear_plan_cache()
    rng = np.random.default_rng(1)
    shapes = [(2, 17 + k, 12 + 2 * k) for k in range(8)]
    inputs = [(rng.standard_normal(s) + 1j * rng.standard_normal(s)).astype(
        np.complex64 if k % 2 else np.complex128) for k, s in enumerate(shapes)]
    errors = [None] * 8
    barrier = threading.Barrier(8)

    def work(k):
        barrier.wait()
        with pg.threads(1 + k % 2):
            for _ in range(20):
                y = ops.dft2(inputs[k])
        expected = np.fft.fft2(inputs[k].astype(np.complex128))
        errors[k] = relative_error(y, expected)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(e is not None and e < 1e-5 for e in errors), errors


def _child_transform(queue):
    import phasegrad as child_pg
    x = np.ones((64, 64), complex)
    y = child_pg.ops.dft2(x)
    queue.put((child_pg.get_num_threads(), float(abs(y[0, 0]))))


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_children_finish_after_a_parallel_region(method):
    """libgomp children forked after a parallel region can hang; ours must finish."""
    with pg.threads(2):
        ops.dft2(np.ones((4, 256, 256), complex))  # a parallel region in the parent
    context = multiprocessing.get_context(method)
    queue = context.Queue()
    child = context.Process(target=_child_transform, args=(queue,))
    child.start()
    child.join(60)
    assert not child.is_alive(), f"{method} child hung"
    assert child.exitcode == 0
    threads_in_child, value = queue.get(timeout=5)
    assert value == 64 * 64
    if method == "fork":
        assert threads_in_child == 1  # a forked child starts serial


@pytest.mark.parametrize("given, expected", [
    ({}, "phasegrad's (GOMP_SPINCOUNT=3000, OMP_WAIT_POLICY=PASSIVE)"),  # spin briefly, sleep
    ({"OMP_WAIT_POLICY": "ACTIVE"}, "the user's (OMP_WAIT_POLICY=ACTIVE)"),
    ({"GOMP_SPINCOUNT": "INFINITE"}, "the user's (GOMP_SPINCOUNT=INFINITE)"),
    ({"PHASEGRAD_OMP_POLICY": "openmp"}, "OpenMP's defaults (PHASEGRAD_OMP_POLICY=openmp)"),
])
def test_openmp_policy_applies_while_the_core_loads_and_leaves_no_trace(given, expected):
    """The policy is in force when libgomp reads its variables (as the core loads) and gone
    from the environment right after: children and other libraries see the user's."""
    names = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "PHASEGRAD_OMP_POLICY")
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(given)
    code = ("import os, phasegrad as pg; before = dict(os.environ); pg.ops.abs2(1j); "
            "print(pg.config.openmp_policy()); print(dict(os.environ) == before)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.splitlines() == [expected, "True"]


def test_bad_openmp_policy_names_the_variable():
    env = dict(os.environ, PHASEGRAD_OMP_POLICY="fast")
    out = subprocess.run([sys.executable, "-c", "import phasegrad; phasegrad.ops"], env=env,
                         capture_output=True, text=True, check=False)
    assert out.returncode != 0 and "PHASEGRAD_OMP_POLICY must be" in out.stderr


@pytest.mark.parametrize("count", [1025, 10**4, 100_000, 2**40])
def test_thread_counts_above_the_limit_are_refused(count):
    """Issue 17, D4: libgomp crashed (100000), aborted the interpreter (10**4) or the core
    refused every later call (2**40); the limit is pg.config.MAX_THREADS."""
    before = pg.get_num_threads()
    with pytest.raises(ValueError, match="at most 1024 threads"):
        pg.set_num_threads(count)
    with pytest.raises(ValueError, match="at most 1024 threads"):
        with pg.threads(count):
            pass
    assert pg.get_num_threads() == before
    assert pg.config.MAX_THREADS == 1024


@pytest.mark.parametrize("environment, message", [
    ({"PHASEGRAD_NUM_THREADS": "100000"}, "PHASEGRAD_NUM_THREADS must be at most 1024 threads"),
    ({"PHASEGRAD_MAX_THREADS": "4096", "PHASEGRAD_NUM_THREADS": "2000"}, None),
    ({"PHASEGRAD_MAX_THREADS": "lots"}, "PHASEGRAD_MAX_THREADS must be a positive integer"),
])
def test_the_limit_applies_to_the_environment_and_can_be_raised(environment, message):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PHASEGRAD_NUM_THREADS", "OMP_NUM_THREADS", "PHASEGRAD_MAX_THREADS")}
    env.update(environment)
    out = subprocess.run([sys.executable, "-c", "import phasegrad; print(phasegrad."
                          "get_num_threads())"], env=env, capture_output=True, text=True)
    if message is None:
        assert out.returncode == 0 and out.stdout.strip() == "2000", out.stderr
    else:
        assert out.returncode != 0 and message in out.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.parametrize("allow", [False, True])
def test_threads_in_a_forked_child_are_refused_not_hung(allow, monkeypatch):
    """Issue 17, D8: after fork following a parallel region, set_num_threads(2) in the child
    hung in libgomp; now it is a RuntimeError (PHASEGRAD_THREADS_AFTER_FORK=1 allows it)."""
    if allow:
        monkeypatch.setenv("PHASEGRAD_THREADS_AFTER_FORK", "1")
    else:
        monkeypatch.delenv("PHASEGRAD_THREADS_AFTER_FORK", raising=False)
    with pg.threads(2):
        ops.dft2(np.ones((4, 256, 256), complex))  # a parallel region in the parent
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 3
        try:
            assert pg.get_num_threads() == 1
            pg.set_num_threads(2)
            code = 0 if allow else 1
        except RuntimeError as error:
            code = 2 if "forkserver" in str(error) and not allow else 4
        except BaseException:
            code = 5
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == (0 if allow else 2)
