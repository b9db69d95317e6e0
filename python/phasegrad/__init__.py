"""phasegrad: optical forward models and their exact gradients.

Follows Jurling & Fienup, "Applications of algorithmic differentiation to phase retrieval
algorithms", JOSA A 31, 1348 (2014): every forward step has a reverse step, run in reverse order,
and a tangent step (forward mode), run in order. Gradient convention: for a real scalar E and
complex x, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (PyTorch's convention; JAX's ``grad`` is its
conjugate).

Modules: ``reference`` (the NumPy op catalogue, the specification), ``ops`` (the same catalogue in
C++), ``check`` (dot tests and finite differences), ``pupils`` (pupils and wavefront bases),
``models`` (``PhaseRetrieval``, ``Hologram``, each with a least-squares view: residuals, Jacobian
products, Gauss-Newton, Fisher information), ``optimize`` (Levenberg-Marquardt, L-BFGS-B, Adam,
GS/HIO/RAAR, GS/WGS for holograms), ``config`` (threads, FFTW planning, wisdom, the OpenMP policy),
``fft`` (FFTW's version and a bare transform), ``adapters`` (``to_torch``, ``to_jax``),
``distributed`` (``retrieve_many``: many problems in chunks, on Dask), ``cli`` (the command
line) and ``bench`` (the benchmark suite).

Importing phasegrad only defines names: each submodule (and with ``ops`` and ``models`` the
compiled core) loads on first use, as SciPy's subpackages do (PEP 562).
"""

import importlib as _importlib

__version__ = "0.1.0"

_SUBMODULES = frozenset({
    "adapters", "arguments", "arrays", "bench", "check", "cli", "config", "distributed", "fft",
    "models", "native", "ops", "optimize", "pupils", "reference",
})

# Public names defined in a submodule, loaded with it on first access.
_NAMES = {
    "CATALOGUE": "_catalogue",
    "Hologram": "models",
    "PhaseDiversity": "models",
    "PhaseRetrieval": "models",
    "PhaseRetrievalBatch": "models",
    "PointSources": "models",
    "SegmentedPupil": "pupils",
    "circular_pupil": "pupils",
    "hex_segments": "pupils",
    "noll_to_nm": "pupils",
    "zernike_basis": "pupils",
    "fftw_version": "fft",
    "get_num_threads": "config",
    "set_num_threads": "config",
    "snap_wavelengths": "models",
    "threads": "config",
    "to_jax": "adapters",
    "to_torch": "adapters",
}

# Internal layers (argument rules, shared numerics, the core loader) and the applications.
_INTERNAL = frozenset({"arguments", "arrays", "bench", "cli", "native"})

__all__ = sorted((_SUBMODULES - _INTERNAL) | set(_NAMES) | {"__version__"})


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        value = getattr(_importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_NAMES))
