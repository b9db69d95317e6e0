"""The benchmark suite ships with the package: it runs from anywhere, not only a checkout.

The quick run below starts in an empty temporary folder, so nothing of the source tree (its
``bench/`` README, a stray ``bench-results/``) is reachable from the working directory: the
suite must come from the importable ``phasegrad`` package alone.
"""

import ast
import importlib
import json
import os
import re
import site
import subprocess
import sys
from pathlib import Path

import pytest

import phasegrad
from phasegrad.bench import SUITES

ROOT = Path(__file__).resolve().parents[2]


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
    assert {"threads", "versions", "thread_notes", "openmp_policy", "quick", "sizes", "impls",
            "xla_flags"} == set(report["environment"])
    assert isinstance(report["environment"]["openmp_policy"], str)
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


def test_phasegrad_bench_command_from_another_folder(tmp_path):
    """``phasegrad bench --quick`` as users type it: the installed console script when this
    Python has one (CI installs the package), else ``python -m phasegrad`` on the same code."""
    script = Path(sys.executable).with_name("phasegrad")
    installed = script.is_file() and _environment().get("PYTHONPATH") == os.environ.get(
        "PYTHONPATH")
    command = [str(script)] if installed else [sys.executable, "-m", "phasegrad"]
    out = tmp_path / "results"
    done = subprocess.run([*command, "bench", "--quick", "--quiet", "--impls", "fused,reference",
                           "--workloads", "pr", "--out", str(out)],
                          cwd=tmp_path, env=_environment(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "x_fused" in done.stdout
    assert json.loads((out / "bench_models.json").read_text())["environment"]["quick"] is True


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


# -- the list of suites: one tuple (phasegrad.bench.SUITES), which nothing may drift from ------
def _modules_with_a_main():
    package = Path(phasegrad.__file__).parent / "bench"
    return {path.stem for path in package.glob("*.py")
            if any(isinstance(node, ast.FunctionDef) and node.name == "main"
                   for node in ast.parse(path.read_text()).body)} - {"__init__"}


def test_suites_lists_every_module_with_a_main():
    assert len(set(SUITES)) == len(SUITES) and SUITES[0] == "models"
    assert set(SUITES) == _modules_with_a_main()


def test_bench_help_names_every_other_suite(capsys):
    assert phasegrad.bench.main(["--help"]) == 0
    epilog = " ".join(capsys.readouterr().out.split()).split("The other suites:")[1]
    named = re.findall(r"\w+", epilog.split(" for ", 1)[1].split("(--help")[0])
    assert named == [name for name in SUITES if name != "models"]


def test_the_docs_list_every_other_suite():
    docstring = phasegrad.bench.__doc__
    readme = (ROOT / "bench" / "README.md").read_text()
    for name in SUITES[1:]:
        assert f"``{name}``" in docstring, name
        assert f"| `{name}`" in readme, name


# -- the docs of the suite: what they say must be what the code does ---------------------------
def test_cli_docs_give_the_quick_sizes_of_the_code():
    from phasegrad.bench.models import QUICK_SIZES

    text = (ROOT / "docs" / "cli.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `--quick`"))
    assert f"phase retrieval n = {QUICK_SIZES['pr'][0]}" in row, row
    assert f"hologram n = {QUICK_SIZES['hologram'][0]}" in row, row
    # the sample output of phasegrad bench --quick shows those sizes, and no others
    sample = text.split("`phasegrad bench --quick`, recorded", 1)[1].split("```")[1]
    sizes = {(workload, int(n)) for workload, n in
             re.findall(r"^\s*(pr|hologram)\s+float(?:64|32)\s+(\d+)\s", sample, re.M)}
    assert sizes == {(w, n) for w, ns in QUICK_SIZES.items() for n in ns}


@pytest.mark.parametrize("doc", ["docs/benchmarks.md", "bench/README.md", "docs/cli.md"])
def test_the_docs_install_torch_from_its_cpu_index(doc):
    # From the package index, torch for Linux is the CUDA build: several GB the suite never uses.
    commands = [line for line in (ROOT / doc).read_text().splitlines()
                if re.search(r"pip install\b[^#`]*\btorch\b", line)]
    for line in commands:
        assert "--index-url https://download.pytorch.org/whl/cpu" in line, line
