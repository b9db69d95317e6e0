"""Importing does nothing but define names: no compiled core, no SciPy optimizers, no
environment writes; the NumPy specification imports without a compiled core at all."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import phasegrad as pg

# Makes ``phasegrad._core`` unimportable, as on a machine where the core was never built.
_NO_CORE = """
import importlib.abc, sys
class NoCore(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "phasegrad._core":
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, NoCore())
"""


def _run(code, env=None):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _loaded_after(statement):
    code = (f"import json, os, sys; before = dict(os.environ); {statement}; "
            "print(json.dumps([sorted(sys.modules), dict(os.environ) == before]))")
    modules, environment_kept = json.loads(_run(code))
    return set(modules), environment_kept


def test_import_phasegrad_loads_nothing_and_writes_no_environment():
    modules, environment_kept = _loaded_after("import phasegrad")
    assert environment_kept
    assert "phasegrad._core" not in modules
    assert not any(m.startswith("scipy") for m in modules)
    assert not {m for m in modules if m.startswith("phasegrad.")}, "submodules load lazily"


def test_reference_loads_neither_the_core_nor_scipy_optimizers():
    modules, environment_kept = _loaded_after("import phasegrad.reference")
    assert environment_kept
    assert "phasegrad._core" not in modules and "phasegrad.native" not in modules
    assert "scipy.optimize" not in modules


def test_reference_works_without_a_compiled_core():
    code = _NO_CORE + (
        "import numpy as np, phasegrad as pg\n"
        "y = pg.reference.abs2(np.array([3 + 4j]))\n"
        "print(float(y[0]), len(pg.CATALOGUE) > 0, pg.check.__name__)\n")
    assert _run(code).split() == ["25.0", "True", "phasegrad.check"]


def test_without_a_core_the_error_says_so_and_how_to_build_it():
    code = _NO_CORE + (
        "import phasegrad as pg\n"
        "try:\n    pg.ops\nexcept ImportError as e:\n    print('ImportError:', e)\n")
    out = _run(code)
    assert "phasegrad's compiled core (phasegrad._core) cannot be loaded" in out
    assert "pip install ." in out and "phasegrad.reference" in out


@pytest.mark.parametrize(("first", "expected"), [
    ("", "phasegrad's (GOMP_SPINCOUNT=3000, OMP_WAIT_POLICY=PASSIVE)"),
    ("from phasegrad import _core; ", "unknown: phasegrad._core was imported directly"),
])
def test_the_policy_report_says_what_happened(first, expected):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "PHASEGRAD_OMP_POLICY")}
    code = f"{first}import phasegrad as pg; print(pg.config.openmp_policy())"
    assert _run(code, env).startswith(expected)


def test_a_libgomp_loaded_before_the_core_is_reported():
    """The core binds to a libgomp already running (here: the system's, loaded by hand through
    ctypes before the core): its settings were read then, and the report says so."""
    import ctypes.util

    name = ctypes.util.find_library("gomp")
    if name is None:
        pytest.skip("no libgomp on the library path to load before the core")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "PHASEGRAD_OMP_POLICY")}
    code = (f"import ctypes; ctypes.CDLL({name!r}, mode=ctypes.RTLD_GLOBAL); "
            "import phasegrad as pg; print(pg.config.openmp_policy())")
    bundled = Path(pg.native.core.__file__).parents[1] / "phasegrad.libs"  # auditwheel's
    out = _run(code, env)
    if bundled.is_dir():
        assert out.startswith("phasegrad's")   # a bundled libgomp loads fresh whatever ran
    else:
        assert out.startswith("not applied: the core's libgomp was loaded before it")


@pytest.mark.parametrize("name", pg.__all__)
def test_every_public_name_resolves(name):
    assert getattr(pg, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        pg.nonexistent  # noqa: B018


def test_threads_is_the_context_manager_not_a_module():
    with pg.threads(1) as count:
        assert count == 1 == pg.get_num_threads()
    assert callable(pg.threads) and not hasattr(pg.threads, "__path__")
    assert "phasegrad.threads" not in sys.modules


def test_environment_untouched_by_loading_the_core():
    code = ("import os; before = dict(os.environ); import phasegrad as pg; pg.ops.abs2(1j); "
            "print(dict(os.environ) == before)")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    assert _run(code, env).strip() == "True"
