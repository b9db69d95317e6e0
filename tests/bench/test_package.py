"""The benchmark suite ships with the package: it runs from anywhere, not only a checkout.

The quick run below starts in an empty temporary folder, so nothing of the source tree (its
``bench/`` README, a stray ``bench-results/``) is reachable from the working directory: the
suite must come from the importable ``phasegrad`` package alone.
"""

import importlib
import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

import phasegrad

SUITES = ("models", "ops_fft", "ops_arithmetic", "ops_elementwise", "ops_layout", "threads",
          "memory", "foundation", "hologram_algorithms", "openmp_policy")


def _environment():
    """The environment of a child that imports the same phasegrad as this process.

    An installed phasegrad is found from any folder. The test suite usually runs it from the
    source tree instead (``PYTHONPATH=python``, a path relative to the checkout that means
    nothing in another folder), so the folder that holds the imported package goes first on
    the child's ``PYTHONPATH`` unless it is a site-packages folder already on the path.
    """
    env = dict(os.environ)
    holder = str(Path(phasegrad.__file__).resolve().parents[1])
    installed = {str(Path(p).resolve()) for p in [*site.getsitepackages(),
                                                   site.getusersitepackages()]}
    if holder not in installed:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [holder, env.get("PYTHONPATH")]))
    return env


def test_quick_run_outside_the_source_tree(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "-m", "phasegrad.bench", "--quick", "--out", str(out)],
                          cwd=tmp_path, env=_environment(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    for word in ("workload", "impl", "x_floor", "x_fused", "check", "Peak memory"):
        assert word in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]   # nothing else written
    assert (out / "bench_models.png").stat().st_size > 0               # matplotlib: a dependency
    report = json.loads((out / "bench_models.json").read_text())
    assert set(report) == {"machine", "environment", "results", "memory"}
    assert {"cpu_model", "cpu_count", "date", "numpy", "phasegrad", "fftw"} \
        <= set(report["machine"])
    assert {"threads", "versions", "thread_notes", "quick", "sizes", "impls", "xla_flags"} \
        == set(report["environment"])
    assert report["environment"]["quick"] is True
    rows = {(r["workload"], r["dtype"], r["impl"]): r for r in report["results"]}
    assert set(rows) == {(w, d, i) for w in ("pr", "hologram") for d in ("float64", "float32")
                         for i in ("floor", "fused", "reference", "jax", "torch")}
    for (_, _, impl), row in rows.items():
        assert {"workload", "dtype", "n", "N", "impl", "status"} <= set(row)
        if impl in ("fused", "reference"):
            assert row["status"] == "ok" and row["seconds"] > 0
        if impl == "fused":
            assert row["check"] == "ok"
        if row["status"] != "ok":                  # a peer that is not installed
            assert impl in ("floor", "jax", "torch") and row["reason"]
    memory = {(r["workload"], r["impl"]): r for r in report["memory"]}
    assert memory[("pr", "fused")]["status"] == "ok"
    assert memory[("hologram", "reference")]["status"] == "ok"


def test_importing_the_package_is_cheap():
    code = ("import sys, phasegrad.bench; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'matplotlib', 'jax', 'torch', 'pyfftw') or m.startswith('phasegrad.')))")
    done = subprocess.run([sys.executable, "-c", code], env=_environment(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['phasegrad.bench']"]


def test_python_m_phasegrad_bench_help(tmp_path):
    done = subprocess.run([sys.executable, "-m", "phasegrad.bench", "--help"], cwd=tmp_path,
                          env=_environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m phasegrad.bench")


@pytest.mark.parametrize("name", SUITES)
def test_every_suite_has_a_main_with_help(name, capsys):
    suite = importlib.import_module(f"phasegrad.bench.{name}")
    if name == "models":            # phasegrad.bench.main: returns the exit code
        assert suite.main(["--help"]) == 0
    else:
        with pytest.raises(SystemExit) as exit_info:
            suite.main(["--help"])
        assert exit_info.value.code == 0
    command = "phasegrad bench" if name == "models" else f"python -m phasegrad.bench.{name}"
    assert capsys.readouterr().out.startswith(f"usage: {command}")
