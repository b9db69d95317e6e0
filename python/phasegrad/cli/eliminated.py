"""``phasegrad retrieve --object eliminated``: phase diversity with the scene eliminated
(Gonsalves; Paxman, Schulz & Fienup 1992), through ``pg.PhaseDiversity``.

K >= 2 images of one unknown extended scene at known defocus; the metric is minimised over the
wavefront alone (the multi-frame Wiener scene solved for in closed form), by L-BFGS-B on its
exact gradient, and the scene is estimated afterwards (``estimate_object``) and written to
``object.npy``. The images must be Nyquist-sampled on the model grid (no ``--bin``, no window:
M = pad x n), the detector linear. ``--regularization`` is relative to K F^2, F the total light
of one PSF in the data's units (the zero frequency of every transfer function), so that one
number suits any camera.
"""

from __future__ import annotations

import numpy as np

from .io import DataError

__all__ = ["DEFAULT_REGULARIZATION", "solve_eliminated"]

#: Relative to K F^2; noise-free data take much less (1e-10), noisy data more.
DEFAULT_REGULARIZATION = 1e-6


def _phase_diversity():
    from ..models import PhaseDiversity

    return PhaseDiversity


def solve_eliminated(stack, defocus, pupil_size=None, pad=2, obscuration=0.0, modes=14,
                     pupil=None, regularization=None, maxiter=500, report=print,
                     progress=None, scene_file="object.npy", noise=None, starts=1,
                     spread=0.1):
    """Fit the wavefront by the object-eliminated metric; a ``RetrievalResult`` whose
    ``scene`` is the estimated scene, whose model images are the scene seen through the
    fitted PSFs, and whose ``report`` is ``pg.optimize.assess``'s with ``noise`` (its keyword
    arguments, ``cli.trust.assess_noise``; None: the noise measured in the images' spectrum):
    the residual against that scene, the degrees of freedom less the scene's effective
    parameters, uncertainties from the metric's Hessian (docs/trust.md). ``starts`` > 1: the
    other starts' coefficients but tip and tilt are perturbed by ``spread`` waves RMS (a
    fixed seed) and the lowest cost is kept (the first of equal costs)."""
    from ..optimize import assess
    from ..optimize.quality import eliminated_residuals
    from .retrieve import (
        RetrievalResult,
        defocus_values,
        grid_pupil_size,
        iteration_lines,
        pupil_and_modes,
    )
    from .solvers import fit
    from .trust import trust_fields

    phase_diversity = _phase_diversity()
    planes, size = stack.shape[0], stack.shape[1]
    if planes < 2:
        raise DataError(f"--object eliminated needs at least 2 images of the scene at "
                        f"different defocus; the data have {planes}")
    defocus = defocus_values(defocus, planes)
    pupil_size = grid_pupil_size(size, pupil_size, pad, 1, pupil)
    if round(pupil_size * pad) != size:
        raise DataError(f"--object eliminated needs the whole grid: images of {size} pixels "
                        f"but pupil size x --pad = {pupil_size * pad:g}")
    if not np.any(stack):
        raise DataError("the images are all zero")
    pupil, basis, defocus_mode = pupil_and_modes(pupil, pupil_size, obscuration, modes)
    amplitude = pupil / pupil.sum()
    diversity = defocus[:, None, None] * defocus_mode
    relative = DEFAULT_REGULARIZATION if regularization is None else regularization
    light = size**2 * float(np.sum(amplitude**2))  # one PSF's total, the OTFs' zero frequency
    gamma = relative * planes * light**2
    try:
        model = phase_diversity(amplitude=amplitude, basis=basis, data=stack,
                                diversity=diversity, regularization=gamma, pad=pad)
    except NotImplementedError:
        model = phase_diversity(amplitude=amplitude, basis=basis, data=stack,
                                diversity=diversity, regularization=gamma, pad=pad,
                                backend="reference")
    report(f"phasegrad retrieve: --object eliminated: {model!r}; L-BFGS-B "
           f"(regularization {relative:g} x K F^2 = {gamma:.4g})")
    rng = np.random.default_rng(0)
    found = None
    for index in range(starts):
        start = np.zeros(modes)
        if index:
            kick = rng.normal(size=modes)
            kick[:2] = 0.0  # tip and tilt (Noll 2, 3) only move the scene: they stay at 0
            start += spread * kick / np.sqrt(max(float(np.sum(kick**2)), 1e-300))
        run = fit(model, start, "lbfgs", maxiter, iteration_lines(report, progress))
        if found is None or run.cost < found.cost:
            found = run
    coefficients = np.asarray(found.x, dtype=np.float64)
    scene = np.asarray(model.estimate_object(coefficients), dtype=np.float64)
    wavefront = np.asarray(model.wavefront(coefficients), dtype=np.float64)
    inside = wavefront[pupil > 0]
    rms = float(np.sqrt(np.mean((inside - inside.mean()) ** 2)))
    quality = assess(model, coefficients, found, **(noise or {"noise": "spectrum"}))
    residuals = eliminated_residuals(model, coefficients)[0]
    images = stack - residuals
    description = {"kind": "eliminated", "file": scene_file, "shape": list(scene.shape),
                   "total_flux": float(scene.sum()), "regularization": relative,
                   "regularization_absolute": gamma}
    return RetrievalResult(
        coefficients=coefficients, noll=list(range(2, modes + 2)), detector=None,
        flux_scale=1.0, rms_wavefront=rms, cost=found.cost,
        initial_cost=float(found.history[0]), method=found.method, converged=found.converged,
        stop_reason=found.stop_reason, iterations=found.iterations,
        evaluations=found.evaluations, seconds=found.seconds, description=repr(model),
        cost_history=found.history, pupil=pupil, wavefront=wavefront, data=stack,
        model_images=images, blocks={"wavefront": coefficients}, object=description,
        scene=scene, report=quality, trust=trust_fields(quality, model))
