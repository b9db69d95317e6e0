"""The model benchmark suite (phasegrad.bench: ``phasegrad bench``, ``python -m phasegrad.bench``).

Nothing here times anything: the suite runs on tiny sizes to check what it writes, the JAX and
PyTorch twins of the models are checked against the reference backend, and the suite's
argument handling (help, bad arguments, an unwritable output folder) is checked.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from phasegrad.bench import main
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


def test_help_lists_the_options(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: phasegrad bench")
    for option in ("--quick", "--out", "--sizes", "--workloads", "--impls", "--threads"):
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


def test_unwritable_out_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["--quick", "--impls", "reference", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err


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
