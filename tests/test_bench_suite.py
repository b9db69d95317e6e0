"""The model benchmark suite (bench/bench_models.py) and ``python -m phasegrad bench``.

Nothing here times anything: the suite runs on tiny sizes to check what it writes, the JAX and
PyTorch twins of the models are checked against the reference backend, and the CLI's paths
(help, bad arguments, no suite found) are checked.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import phasegrad.cli
from phasegrad.cli import main

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load_suite():
    spec = importlib.util.spec_from_file_location("bench_models_under_test",
                                                  BENCH / "bench_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)    # puts bench/ on sys.path for its sibling modules
    return module


@pytest.fixture(scope="module")
def suite():
    return _load_suite()


def test_quick_suite_writes_json_and_table(suite, tmp_path, capsys):
    code = suite.main(["--quick", "--sizes", "16", "--impls", "floor,reference,fused",
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
sys.path.insert(0, sys.argv[1])
import implementations, workloads
framework, workload = sys.argv[2], sys.argv[3]
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
    done = subprocess.run([sys.executable, "-c", _FRAMEWORK_CHECK, str(BENCH), framework,
                           workload], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    energy_error, grad_error = map(float, done.stdout.split())
    assert energy_error <= 1e-10
    assert grad_error <= 1e-10


def test_cli_bench_runs_the_suite(tmp_path, capsys):
    assert main(["bench", "--quick", "--sizes", "16", "--impls", "reference",
                 "--workloads", "hologram", "--threads", "1", "--out", str(tmp_path)]) == 0
    assert "hologram" in capsys.readouterr().out
    assert json.loads((tmp_path / "bench_models.json").read_text())["environment"]["threads"] == 1


def test_cli_bench_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--quick", "--out", "--sizes", "--workloads", "--impls", "--threads"):
        assert option in out


@pytest.mark.parametrize("arguments, word", [
    (["--sizes", "2"], "--sizes"), (["--sizes", "x,16"], "--sizes"),
    (["--workloads", "pr,gpu"], "--workloads"), (["--impls", ""], "--impls"),
    (["--threads", "0"], "--threads")])
def test_cli_bench_bad_arguments_are_one_line(capsys, arguments, word):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", *arguments])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err


def test_cli_bench_without_the_source_tree(monkeypatch, capsys):
    monkeypatch.setattr(phasegrad.cli, "_find_bench_suite", lambda: None)
    assert main(["bench", "--quick"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "source tree" in err


def test_cli_bench_unwritable_out_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["bench", "--quick", "--impls", "reference", "--out",
                 str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err


def test_bench_directory_is_where_the_cli_looks():
    assert phasegrad.cli._find_bench_suite() == BENCH / "bench_models.py"


def test_thread_scaling_script_runs_and_writes_json(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_threads_under_test",
                                                  BENCH / "bench_threads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "threads.json"
    assert module.main(["--quick", "--threads", "1,2", "--json", str(path)]) == 0
    assert "efficiency" in capsys.readouterr().out
    rows = json.loads(path.read_text())["results"]
    assert {(r["case"], r["threads"]) for r in rows} == {
        (case, t) for case in ("pr", "hologram", "dft2", "expi_vjp", "abs2_vjp") for t in (1, 2)}
    assert all(r["speedup"] == "1.00" for r in rows if r["threads"] == 1)
    with pytest.raises(SystemExit):
        module.main(["--cases", "nonsense"])
