"""Importing phasegrad imports neither PyTorch nor JAX; pg.to_torch / pg.to_jax do, when called."""

import os
import subprocess
import sys

import phasegrad as pg


def test_importing_phasegrad_imports_no_framework():
    code = ("import sys, phasegrad, phasegrad.adapters; "
            "print(sorted(m for m in ('torch', 'jax', 'jaxlib') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_exported():
    assert callable(pg.to_torch) and callable(pg.to_jax)
    assert {"to_torch", "to_jax"} <= set(pg.__all__)
