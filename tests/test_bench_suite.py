"""The model benchmark suite (phasegrad.bench: ``phasegrad bench``, ``python -m phasegrad.bench``).

Nothing here times anything: the suite runs on tiny sizes to check what it writes, the JAX and
PyTorch twins of the models are checked against the reference backend, and the suite's
argument handling (help, bad arguments, --quiet, an unwritable output folder checked before
anything runs, an output that fails while written, internal errors that keep their traceback)
is checked.
"""

import errno
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import phasegrad as pg
import phasegrad.bench.models as models
from phasegrad.bench import main, threads_setup
from phasegrad.bench import threads as thread_suite


def test_quick_suite_writes_json_and_table(tmp_path, capsys):
    code = main(["--quick", "--sizes", "16", "--impls", "floor,reference,fused",
                 "--workloads", "pr,hologram,memory", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "workload" in out and "x_floor" in out and "Peak memory" in out

    report = json.loads((tmp_path / "bench_models.json").read_text())
    assert {"machine", "environment", "results", "memory"} <= set(report)
    assert {"cpu_model", "cpu_count", "load_average", "date", "numpy", "fftw"} \
        <= set(report["machine"])
    assert {"threads", "versions", "thread_notes"} <= set(report["environment"])
    rows = report["results"]
    cases = {(r["workload"], r["dtype"], r["impl"]) for r in rows}
    for workload in ("pr", "hologram"):
        for dtype in ("float64", "float32"):
            assert (workload, dtype, "reference") in cases
            assert (workload, dtype, "fused") in cases
    for row in rows:
        assert {"workload", "dtype", "n", "N", "impl", "status"} <= set(row)
        if row["impl"] == "reference":
            assert row["status"] == "ok" and row["seconds"] > 0
        if row["impl"] == "fused":
            assert row["status"] in ("ok", "unavailable")
            if row["status"] == "ok":
                assert row["check"] == "ok"
        if row["impl"] == "floor" and row["status"] == "ok":
            assert row["vs_floor"] == 1.0
    memory = {(r["workload"], r["impl"]): r for r in report["memory"]}
    reference = memory[("pr", "reference")]
    assert reference["status"] == "ok" and reference["N"] == 2 * reference["n"]
    assert reference["first_call_buffers"] == pytest.approx(
        reference["first_call_bytes"] / reference["buffer_bytes"])
    assert (tmp_path / "bench_models.png").exists() or "plot skipped" in out


_FRAMEWORK_CHECK = """
import sys
import numpy as np
from phasegrad.bench import implementations, workloads
framework, workload = sys.argv[1], sys.argv[2]
problem = workloads.WORKLOADS[workload](16, np.float64)
reference = implementations.runner("reference", workload, problem)
expected = reference.flat(reference.call())
run = implementations.runner(framework, workload, problem)
energy, grad = run.flat(run.call())
energy_error = abs(energy - expected[0]) / abs(expected[0])
grad_error = np.linalg.norm(grad - expected[1]) / np.linalg.norm(expected[1])
print(energy_error, grad_error)
"""


@pytest.mark.parametrize("framework", ["jax", "torch"])
@pytest.mark.parametrize("workload", ["pr", "hologram"])
def test_framework_models_match_the_reference(framework, workload):
    # In a child process: JAX's threads would make every later fork() in this test process
    # warn (and risk a deadlock), and test_threads forks on purpose.
    if importlib.util.find_spec(framework) is None:
        pytest.skip(f"{framework} is not installed")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", _FRAMEWORK_CHECK, framework, workload],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    energy_error, grad_error = map(float, done.stdout.split())
    assert energy_error <= 1e-10
    assert grad_error <= 1e-10


def test_threads_option_reaches_the_json(tmp_path, capsys):
    assert main(["--quick", "--sizes", "16", "--impls", "reference", "--workloads", "hologram",
                 "--threads", "1", "--out", str(tmp_path)]) == 0
    assert "hologram" in capsys.readouterr().out
    assert json.loads((tmp_path / "bench_models.json").read_text())["environment"]["threads"] == 1


SMALL = ["--quick", "--sizes", "16", "--impls", "reference", "--workloads", "hologram"]


def test_openmp_policy_in_the_header_and_the_json(tmp_path, capsys):
    assert main([*SMALL, "--out", str(tmp_path)]) == 0
    policy = pg.config.openmp_policy()
    header = [line for line in capsys.readouterr().out.splitlines()
              if line.startswith("threads ")]
    assert len(header) == 1 and f"OpenMP wait policy: {policy}" in header[0], header
    report = json.loads((tmp_path / "bench_models.json").read_text())
    assert report["environment"]["openmp_policy"] == policy


_CORE_BEFORE_TORCH = """
import sys
from phasegrad.bench import main, threads_setup
def configure_torch(threads):  # where the suite imports torch: is phasegrad's core loaded?
    print("core loaded:", "phasegrad._core" in sys.modules)
    raise SystemExit(0)
threads_setup.configure_torch = configure_torch
main(["--quick", "--impls", "torch", "--out", sys.argv[1]])
"""


def test_the_core_loads_before_torch(tmp_path):
    # In a fresh process (this one has loaded the core long ago): phasegrad's OpenMP policy
    # applies only if its core is the first to load libgomp.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", _CORE_BEFORE_TORCH, str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "core loaded: True"


def test_quiet_prints_only_the_tables_warnings_and_what_it_wrote(tmp_path, capsys):
    assert main([*SMALL, "--out", str(tmp_path)]) == 0
    loud = capsys.readouterr().out.splitlines()
    assert loud[0].startswith("phasegrad ") and any(line.startswith("threads ") for line in loud)
    assert main([*SMALL, "--quiet", "--out", str(tmp_path)]) == 0
    quiet = capsys.readouterr().out.splitlines()
    assert quiet[0].startswith("Time of one value_and_grad"), quiet
    assert len(quiet) == len(loud) - loud.index(quiet[0])   # the same from the table on
    assert not any(line.startswith(("phasegrad ", "threads ", "  hologram ")) for line in quiet)
    assert quiet[-1] == f"wrote {tmp_path / 'bench_models.png'}"
    assert f"wrote {tmp_path / 'bench_models.json'}" in quiet


def test_help_lists_the_options(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: phasegrad bench")
    for option in ("--quick", "--out", "--sizes", "--workloads", "--impls", "--threads",
                   "--quiet"):
        assert option in out
    assert "./bench-results, relative to the current directory" in " ".join(out.split())


@pytest.mark.parametrize("arguments, word", [
    (["--sizes", "2"], "--sizes"), (["--sizes", "x,16"], "--sizes"),
    (["--workloads", "pr,gpu"], "--workloads"), (["--impls", ""], "--impls"),
    (["--threads", "0"], "--threads"), (["--nonsense"], "--nonsense")])
def test_bad_arguments_are_one_line(capsys, arguments, word):
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err and err.startswith("phasegrad bench: error:")


def _must_not_run(*args, **kwargs):
    raise AssertionError("the suite ran although its outputs cannot be written")


def _unwritable(tmp_path):
    """(--out, words of the error) that must stop the suite before it runs."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    taken = tmp_path / "taken"
    (taken / "bench_models.png").mkdir(parents=True)     # an output's name taken by a folder
    cases = [(blocker, ["--out", "not a directory"]),
             (blocker / "sub", ["--out", "not a directory"]),
             (taken, [f"cannot write {taken / 'bench_models.png'}: it is a directory"])]
    if Path("/proc").is_dir():          # exists, and nobody, root included, can write in it
        cases += [(Path("/proc"), ["--out", "cannot write"]),
                  (Path("/proc/phasegrad-x/y"), ["--out", "cannot write"])]
    return cases


def test_unwritable_out_is_one_line_before_anything_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(models, "bench_case", _must_not_run)
    monkeypatch.setattr(threads_setup, "configure_xla", _must_not_run)
    monkeypatch.setattr(threads_setup, "configure_torch", _must_not_run)
    for out, words in _unwritable(tmp_path):
        assert main(["--quick", "--out", str(out)]) == 1, out
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("phasegrad bench: error: "), err
        for word in words:
            assert word in err, err
    assert not (tmp_path / "a-file").is_dir() and not Path("/proc/phasegrad-x").exists()


def test_python_m_phasegrad_bench_names_itself_in_the_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-m", "phasegrad.bench", "--quick", "--out",
                           str(blocker / "sub")], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("python -m phasegrad.bench: error: cannot create --out ")
    assert done.stdout == ""


@pytest.mark.parametrize("output", ["bench_models.json", "bench_models.png"])
def test_an_output_that_fails_while_written_is_one_line(tmp_path, capsys, monkeypatch, output):
    import phasegrad.bench.plot

    full = OSError(errno.ENOSPC, "No space left on device")   # names no file; the line does

    def fail(*args, **kwargs):
        raise full

    if output == "bench_models.json":
        monkeypatch.setattr(models, "write_json", fail)
    else:
        monkeypatch.setattr(phasegrad.bench.plot, "plot", fail)
    assert main([*SMALL, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == (f"phasegrad bench: error: cannot write {tmp_path / output}: No space left "
                   "on device\n")


@pytest.mark.parametrize("error", [ValueError("Input array could not be made C-contiguous"),
                                   TypeError("unsupported operand")])
def test_internal_errors_keep_their_traceback(tmp_path, capsys, monkeypatch, error):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(models, "bench_case", fail)
    with pytest.raises(type(error), match=str(error)):
        main([*SMALL, "--out", str(tmp_path)])
    assert "error:" not in capsys.readouterr().err       # not relabelled a bad argument


def test_not_enough_memory_is_one_line(tmp_path, capsys, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError("std::bad_alloc")

    monkeypatch.setattr(models, "bench_case", exhausted)
    assert main([*SMALL, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("phasegrad bench: error: not enough memory: "
                                                    "std::bad_alloc"), err


def test_thread_scaling_script_runs_and_writes_json(tmp_path, capsys):
    path = tmp_path / "threads.json"
    assert thread_suite.main(["--quick", "--threads", "1,2", "--json", str(path)]) == 0
    assert "efficiency" in capsys.readouterr().out
    rows = json.loads(path.read_text())["results"]
    assert {(r["case"], r["threads"]) for r in rows} == {
        (case, t) for case in ("pr", "hologram", "dft2", "expi_vjp", "abs2_vjp") for t in (1, 2)}
    assert all(r["speedup"] == "1.00" for r in rows if r["threads"] == 1)
    with pytest.raises(SystemExit):
        thread_suite.main(["--cases", "nonsense"])
