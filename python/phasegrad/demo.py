"""The built-in demo: synthetic through-focus Zernike phase retrieval solved with L-BFGS-B.

Everything is made in code (pupil, aberration, data); no files are read. The model's exact
gradient (Jurling & Fienup 2014) drives SciPy's L-BFGS-B from a zero starting guess.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .models import PhaseRetrieval
from .pupils import circular_pupil, zernike_basis


@dataclass
class DemoResult:
    """Outcome of ``run_demo``."""

    true_coefficients: np.ndarray
    coefficients: np.ndarray
    rms_error: float            # RMS wavefront error over the pupil, in waves
    initial_rms_error: float
    relative_error: float       # ||a - a_true|| / ||a_true||
    iterations: int
    evaluations: int
    cost: float
    seconds: float


def make_problem(size=64, modes=14, planes=3, defocus=0.5, amplitude_rms=0.04, pad=2, seed=1,
                 dtype=np.float64, backend="fused"):
    """A synthetic through-focus problem: ``(model, true_coefficients, pupil, basis)``.

    ``modes`` Zernike modes from Noll index 2 (tip) on an ``size``-pixel circular pupil, with
    ``planes`` images at defocus ``defocus * k`` waves (k centred on 0), padded by ``pad``.
    The pupil amplitude is scaled so the in-focus peak intensity is 1.
    """
    rng = np.random.default_rng(seed)
    pupil = circular_pupil(size, dtype=dtype)
    amplitude = pupil / pupil.sum()
    basis = zernike_basis(modes, size, first=2, dtype=dtype)
    defocus_mode = zernike_basis(1, size, first=4, dtype=dtype)[0]
    steps = np.arange(planes) - (planes - 1) / 2
    diversity = np.stack([defocus * k * defocus_mode for k in steps]).astype(dtype)
    truth = rng.normal(scale=amplitude_rms, size=modes)
    grid = int(pad * size)
    blank = np.zeros((planes, grid, grid), dtype=dtype)
    data = PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank, pad=pad,
                          diversity=diversity, backend=backend).simulate(truth)
    model = PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, pad=pad,
                           diversity=diversity, backend=backend)
    return model, truth, pupil, basis


def rms_wavefront_error(model, a, truth, pupil):
    """RMS over the pupil of the wavefront difference, piston removed (waves)."""
    diff = model.wavefront(a) - model.wavefront(truth)
    inside = pupil > 0
    values = diff[inside].astype(np.float64)
    return float(np.sqrt(np.mean((values - values.mean()) ** 2)))


def run_demo(size=64, modes=14, planes=3, seed=1, maxiter=200, dtype=np.float64,
             report=print):
    """Solve the synthetic problem and report progress through ``report`` (a callable)."""
    model, truth, pupil, _ = make_problem(size=size, modes=modes, planes=planes, seed=seed,
                                          dtype=dtype)
    report(f"phasegrad demo: {model!r}")
    report(f"  true aberration: {modes} Zernike modes (Noll 2..{modes + 1}), "
           f"{rms_wavefront_error(model, np.zeros(modes), truth, pupil):.4f} waves RMS")
    x0 = np.zeros(model.n_params)
    state = {"iteration": 0}

    def callback(intermediate_result):  # this name makes SciPy pass an OptimizeResult
        state["iteration"] += 1
        x = intermediate_result.x
        rms = rms_wavefront_error(model, x, truth, pupil)
        report(f"  iter {state['iteration']:4d}  cost {intermediate_result.fun:12.5e}  "
               f"RMS wavefront error {rms:.3e} waves")

    initial = rms_wavefront_error(model, x0, truth, pupil)
    start = time.perf_counter()
    result = minimize(model.fun_and_jac, x0, jac=True, method="L-BFGS-B", callback=callback,
                      options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-12})
    seconds = time.perf_counter() - start
    estimate = result.x
    rms = rms_wavefront_error(model, estimate, truth, pupil)
    relative = float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))
    report(f"  done in {seconds:.2f} s: {result.nit} iterations, {result.nfev} evaluations, "
           f"cost {result.fun:.3e}; RMS wavefront error {initial:.3e} -> {rms:.3e} waves; "
           f"coefficient relative error {relative:.2e}")
    return DemoResult(truth, estimate, rms, initial, relative, int(result.nit),
                      int(result.nfev), float(result.fun), seconds)
