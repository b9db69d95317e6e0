"""pg.to_jax, checked in a child process (jax_checks.py says why: JAX's threads and fork)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _checks():
    spec = importlib.util.spec_from_file_location("adapter_jax_checks", HERE / "jax_checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)      # numpy only: jax is imported by main()
    return list(module.CHECKS)


@pytest.fixture(scope="module")
def results():
    # find_spec, not importorskip: importing jax here would make test_threads' forks warn.
    if importlib.util.find_spec("jax") is None:
        if os.environ.get("PHASEGRAD_REQUIRE_FRAMEWORKS") == "1":  # set by .ci/run
            pytest.fail("jax is not installed, but PHASEGRAD_REQUIRE_FRAMEWORKS=1", pytrace=False)
        pytest.skip("jax is not installed")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, str(HERE / "jax_checks.py")], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", _checks())
def test_jax_adapter(results, name):
    assert name in results, f"the child did not run {name}"
    failure = results[name]
    assert failure is None, failure


def test_the_child_ran_every_check(results):
    assert set(results) == set(_checks())


def test_jax_is_not_imported_here():
    assert "jax" not in sys.modules
