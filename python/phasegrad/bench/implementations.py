"""Every implementation of a workload behind one interface.

``runner(impl, workload, problem)`` returns a ``Runner``: ``call()`` runs one value_and_grad
(finished, results in the implementation's own types) and ``flat(result)`` turns a result into
``(E, flat float64 gradient)`` for the agreement check. An implementation that is not there
(not installed, or ``backend="fused"`` still raising ``NotImplementedError``) raises
``Unavailable`` with the reason, and the suite reports the row as unavailable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MODEL_IMPLS = ("fused", "reference", "jax", "torch")


class Unavailable(Exception):
    """This implementation cannot run here; the message says why."""


@dataclass
class Runner:
    call: Callable[[], Any]
    flat: Callable[[Any], tuple]


def _phasegrad_flat(result):
    energy, *grads = result
    return float(energy), np.concatenate([np.asarray(g, dtype=np.float64).ravel()
                                          for g in grads])


def _phasegrad(backend, workload, problem):
    try:
        model = problem.model(backend)
    except NotImplementedError as error:
        raise Unavailable(f"backend={backend!r}: {error}") from None
    if workload == "pr":
        a, p = problem.a, problem.p
        call = lambda: model.value_and_grad(a, p)
    else:
        phi = problem.phi
        call = lambda: model.value_and_grad(phi)
    return Runner(call, _phasegrad_flat)


def framework(impl):
    """The ``models_jax`` / ``models_torch`` module, or ``Unavailable`` if not installed."""
    name = {"jax": "models_jax", "torch": "models_torch"}[impl]
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError as error:
        raise Unavailable(f"{impl} is not installed ({error})") from None


def runner(impl, workload, problem):
    """The ``Runner`` of ``impl`` (one of ``MODEL_IMPLS``) for ``problem``."""
    if impl in ("fused", "reference"):
        return _phasegrad(impl, workload, problem)
    module = framework(impl)
    build = module.phase_retrieval if workload == "pr" else module.hologram
    return Runner(build(problem), module.flat_result)


def versions():
    """Versions of the optional frameworks that import, by name (None: not installed)."""
    found = {}
    for name in ("jax", "jaxlib", "torch", "pyfftw", "matplotlib", "threadpoolctl"):
        try:
            found[name] = importlib.import_module(name).__version__
        except ImportError:
            found[name] = None
    return found
