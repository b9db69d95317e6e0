"""The built-in demo: synthetic through-focus Zernike phase retrieval solved with L-BFGS-B.

Everything is made in code (pupil, aberration, data); no files are read. Several defocused
planes are imaged through a quadratic detector ``M = a I^2 + b I + c`` (Jurling & Fienup
Eq. 98) with Gaussian read noise; the Zernike coefficients and the detector's (a, b, c) are
recovered together with ``pg.optimize.lbfgs`` on the fused model's exact gradient, from a
zero wavefront and an ideal detector (0, 1, 0).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..models.synthetic import DEMO_DETECTOR, make_problem, rms_wavefront_error
from ..optimize import lbfgs


@dataclass
class DemoResult:
    """Outcome of ``run_demo`` (the arrays at the end are for the figure and the JSON)."""

    true_coefficients: np.ndarray
    coefficients: np.ndarray
    rms_error: float            # RMS wavefront error over the pupil, in waves
    initial_rms_error: float
    relative_error: float       # ||a - a_true|| / ||a_true|| (Zernike coefficients)
    iterations: int
    evaluations: int
    cost: float
    seconds: float
    true_detector: np.ndarray | None = None    # (a, b, c) of the quadratic detector
    detector: np.ndarray | None = None
    detector_relative_error: float | None = None
    cost_at_truth: float = 0.0  # the noise floor: the cost of the true parameters
    noise: float = 0.0
    cost_history: np.ndarray = field(default=None, repr=False)
    rms_history: np.ndarray = field(default=None, repr=False)
    pupil: np.ndarray = field(default=None, repr=False)
    true_wavefront: np.ndarray = field(default=None, repr=False)
    wavefront: np.ndarray = field(default=None, repr=False)
    data: np.ndarray = field(default=None, repr=False)
    model_images: np.ndarray = field(default=None, repr=False)
    description: str = ""


def run_demo(size=64, modes=14, planes=3, seed=1, maxiter=500, dtype=np.float64,
             detector="quadratic", noise=0.0, report=print, progress=None):
    """Solve the synthetic problem, reporting each iteration through ``report`` (a callable
    taking one line) and ``progress`` (an object with ``update(**postfix)``, or None)."""
    model, truth, pupil, _ = make_problem(size=size, modes=modes, planes=planes, seed=seed,
                                          dtype=dtype, detector=detector, noise=noise)
    quadratic = detector == "quadratic"
    true_p = np.array(DEMO_DETECTOR) if quadratic else None
    x_truth = model.pack(truth, true_p)
    cost_at_truth = model.fun_and_jac(x_truth)[0]
    x0 = model.pack(np.zeros(modes), (0.0, 1.0, 0.0) if quadratic else None)
    initial = rms_wavefront_error(model, np.zeros(modes), truth, pupil)
    noise_text = f"Gaussian read noise {noise:g} of the peak" if noise > 0 else "no noise"
    detector_text = (f"quadratic detector (a, b, c) = {DEMO_DETECTOR}" if quadratic
                     else "linear detector")
    report(f"phasegrad demo: {model!r}")
    report(f"  true aberration: {modes} Zernike modes (Noll 2..{modes + 1}), {initial:.4f} "
           f"waves RMS; {detector_text}; {noise_text}")
    rms_history = [initial]

    def callback(iteration, x, cost):
        rms = rms_wavefront_error(model, model.unpack(x)[0], truth, pupil)
        rms_history.append(rms)
        report(f"  iter {iteration:4d}  cost {cost:12.5e}  RMS wavefront error {rms:.3e} waves")
        if progress is not None:
            progress.update(cost=f"{cost:.3e}", rms=f"{rms:.2e}")

    start = time.perf_counter()
    found = lbfgs(model, x0, maxiter=maxiter, callback=callback, restarts=4)
    x, cost, iterations, evaluations = found.x, found.fun, found.nit, found.nfev
    history = found.history
    seconds = time.perf_counter() - start
    parts = model.unpack(x)
    estimate = np.array(parts[0], dtype=np.float64)
    p_estimate = np.array(parts[1], dtype=np.float64) if quadratic else None
    rms = rms_wavefront_error(model, estimate, truth, pupil)
    relative = float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))
    p_relative = (float(np.linalg.norm(p_estimate - true_p) / np.linalg.norm(true_p))
                  if quadratic else None)
    detector_line = ""
    if quadratic:
        detector_line = (f"; detector (a, b, c) = ({p_estimate[0]:.5f}, {p_estimate[1]:.5f}, "
                         f"{p_estimate[2]:.5f}), relative error {p_relative:.2e}")
    report(f"  done in {seconds:.2f} s: {iterations} iterations, {evaluations} evaluations, "
           f"cost {cost:.3e} (true parameters: {cost_at_truth:.3e}); RMS wavefront error "
           f"{initial:.3e} -> {rms:.3e} waves; coefficient relative error {relative:.2e}"
           f"{detector_line}")
    return DemoResult(
        truth, estimate, rms, initial, relative, iterations, evaluations, cost,
        seconds, true_detector=true_p, detector=p_estimate,
        detector_relative_error=p_relative, cost_at_truth=float(cost_at_truth), noise=noise,
        cost_history=history, rms_history=np.array(rms_history), pupil=pupil,
        true_wavefront=model.wavefront(truth), wavefront=model.wavefront(estimate),
        data=model.data.astype(np.float64),
        model_images=model.simulate(*parts).reshape(model.data.shape).astype(np.float64),
        description=repr(model))
