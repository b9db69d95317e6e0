"""The battery of hard phase-retrieval cases (issue 16): each is solved within its tolerance or
flagged (a refusing finding, a warning, a fit that did not converge or lies far above the
noise), never a silent wrong answer.

Every case is made in code on a small grid (a 32-pixel pupil, pad 2) with Gaussian read noise
of 1e-4 of the brightest pixel (the raw-counts case: Poisson counts) and fitted with
``pg.optimize.retrieve``, whose ``report`` is ``pg.optimize.assess``'s. The error is the RMS
over the pupil of the wavefront less the truth, piston, tip and tilt removed (tip and tilt are
the image's registration, which a shift of the data changes). Two cases fit an extended scene
by the object-eliminated metric (``pg.PhaseDiversity``, noise 1e-2 of the brightest pixel).
``python3 tests/test_battery.py`` prints the table of docs/trust.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest

import phasegrad as pg

N_PUPIL = 32
MODES = 14
NOISE = 1e-4
TOLERANCE = 0.01  # waves RMS


@dataclass
class Outcome:
    name: str
    error: float
    tolerance: float
    report: object
    must_solve: bool
    seconds: float = 0.0

    @property
    def solved(self):
        return self.error <= self.tolerance

    @property
    def flagged(self):
        return self.report.flagged


def _setup(n=N_PUPIL, modes=MODES):
    pupil = pg.circular_pupil(n)
    amplitude = pupil / pupil.sum()
    basis = pg.zernike_basis(modes, n, first=2)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    return pupil, amplitude, basis, defocus


def _truth(modes, rms, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=modes)
    return a * rms / np.linalg.norm(a)


def _error(basis, pupil, a, truth):
    """RMS wavefront error over the pupil, piston, tip and tilt removed (waves)."""
    diff = np.tensordot(a - truth, basis, axes=1)[pupil > 0]
    y, x = np.indices(pupil.shape)
    design = np.stack([np.ones(diff.size), y[pupil > 0], x[pupil > 0]], axis=1)
    diff = diff - design @ np.linalg.lstsq(design, diff, rcond=None)[0]
    return float(np.sqrt(np.mean(diff**2)))


def _noisy(images, seed, level=NOISE):
    rng = np.random.default_rng(seed + 1000)
    sigma = level * float(images.max())
    return images + rng.normal(scale=sigma, size=images.shape), sigma


def _run(name, model, truth, basis, pupil, sigma, must_solve=False, noise="gaussian",
         tolerance=TOLERANCE, **options):
    start = time.perf_counter()
    found = pg.optimize.retrieve(model, noise=noise, read_noise=sigma, **options)
    seconds = time.perf_counter() - start
    a = model.unpack(found.x)["wavefront"]
    k = truth.size
    return Outcome(name, _error(basis[:k], pupil, a[:k], truth), tolerance, found.report,
                   must_solve, seconds)


def _planes(defocus_mode, values):
    return np.stack([d * defocus_mode for d in values])


def case_off_centre():
    pupil, amp, basis, d4 = _setup()
    truth = _truth(MODES, 0.1, 1)
    div = _planes(d4, (-0.5, 0.0, 0.5))
    blank = np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL))
    data, sigma = _noisy(pg.PhaseRetrieval(amp, basis, blank, diversity=div,
                                           shift=(3.0, -2.0)).simulate(truth), 1)
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div)
    return _run("off-centre PSF (3, -2) pixels", model, truth, basis, pupil, sigma, True)


def case_large_aberration(defocus=0.5, rms=0.3, name=None, must=True, seed=2, **options):
    pupil, amp, basis, d4 = _setup()
    truth = _truth(MODES, rms, seed)
    div = _planes(d4, (-defocus, 0.0, defocus))
    blank = np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL))
    data, sigma = _noisy(pg.PhaseRetrieval(amp, basis, blank, diversity=div).simulate(truth),
                         seed)
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div)
    name = name or f"{rms} wave RMS at +-{defocus} wave defocus"
    return _run(name, model, truth, basis, pupil, sigma, must, **options)


def case_very_large_aberration():
    return case_large_aberration(1.0, 1.0, "1.0 wave RMS at +-1 wave defocus", must=False,
                                 seed=3)


def case_small_defocus():
    return case_large_aberration(0.1, 0.3, "0.3 wave RMS at +-0.1 wave defocus", must=False,
                                 seed=4)


def case_small_defocus_starts():
    return case_large_aberration(0.1, 0.3, "0.3 wave RMS at +-0.1 wave defocus, 2 starts",
                                 must=False, seed=4, starts=2, spread=0.3)


def case_single_plane():
    pupil, amp, basis, _ = _setup()
    truth = _truth(MODES, 0.1, 5)
    blank = np.zeros((2 * N_PUPIL, 2 * N_PUPIL))
    data, sigma = _noisy(pg.PhaseRetrieval(amp, basis, blank).simulate(truth), 5)
    model = pg.PhaseRetrieval(amp, basis, data)
    return _run("one in-focus plane", model, truth, basis, pupil, sigma)


def _background_data(seed=6):
    pupil, amp, basis, d4 = _setup()
    truth = _truth(MODES, 0.1, seed)
    div = _planes(d4, (-0.5, 0.0, 0.5))
    blank = np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL))
    clean = pg.PhaseRetrieval(amp, basis, blank, diversity=div).simulate(truth)
    data, sigma = _noisy(clean + 0.01 * clean.max(), seed)
    return pupil, amp, basis, div, truth, data, sigma


def case_background_linear():
    pupil, amp, basis, div, truth, data, sigma = _background_data()
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div)
    return _run("background 1% of the peak, linear detector, no background term", model,
                truth, basis, pupil, sigma)


def case_background_fitted():
    pupil, amp, basis, div, truth, data, sigma = _background_data()
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div, fit=("background",))
    return _run("background 1% of the peak, linear detector, background fitted", model,
                truth, basis, pupil, sigma, True)


def case_saturated():
    pupil, amp, basis, d4 = _setup()
    truth = _truth(MODES, 0.1, 7)
    div = _planes(d4, (-0.5, 0.0, 0.5))
    blank = np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL))
    clean = pg.PhaseRetrieval(amp, basis, blank, diversity=div).simulate(truth)
    data, sigma = _noisy(clean, 7)
    data = np.minimum(data, 0.5 * clean.max())
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div)
    return _run("saturated at half the peak", model, truth, basis, pupil, sigma)


def case_wrong_pad():
    pupil, amp, basis, d4 = _setup()
    truth = _truth(MODES, 0.1, 8)
    div = _planes(d4, (-0.5, 0.0, 0.5))
    blank = np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL))
    data, sigma = _noisy(pg.PhaseRetrieval(amp, basis, blank, diversity=div).simulate(truth), 8)
    # The data were sampled at pad 2; the model says pad 4 (a pupil of half the pixels).
    small = N_PUPIL // 2
    pupil4, amp4, basis4, d44 = _setup(small, 9)
    model = pg.PhaseRetrieval(amp4, basis4, data, pad=4,
                              diversity=_planes(d44, (-0.5, 0.0, 0.5)))
    start = time.perf_counter()
    found = pg.optimize.retrieve(model, noise="gaussian", read_noise=sigma)
    # The two models' wavefronts live on different pupils: compare the first 9 coefficients.
    error = float(np.linalg.norm(model.unpack(found.x)["wavefront"] - truth[:9]))
    return Outcome("data at pad 2, model at pad 4", error, TOLERANCE, found.report, False,
                   time.perf_counter() - start)


def case_raw_counts():
    pupil, amp, basis, d4 = _setup()
    truth = _truth(MODES, 0.1, 9)
    div = _planes(d4, (-0.5, 0.0, 0.5))
    blank = np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL))
    clean = pg.PhaseRetrieval(amp, basis, blank, diversity=div).simulate(truth)
    rng = np.random.default_rng(9)
    photons = 2e5 / clean.max()  # about 2e5 photons in the brightest pixel
    counts = rng.poisson(photons * clean + 100.0).astype(np.float64)  # a bias of 100
    model = pg.PhaseRetrieval(amp, basis, counts, diversity=div, fit=("flux", "background"))
    return _run("raw camera counts (2e5 photons peak, bias 100)", model, truth, basis, pupil,
                None, True, noise="poisson")


def case_many_modes():
    pupil, amp, basis, d4 = _setup(modes=600)
    truth = _truth(600, 0.1, 10)
    div = _planes(d4, (-0.5, 0.0, 0.5))
    blank = np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL))
    data, sigma = _noisy(pg.PhaseRetrieval(amp, basis, blank, diversity=div).simulate(truth),
                         10)
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div)
    return _run("150 modes on a 32-pixel pupil", model, truth, basis, pupil, sigma,
                maxiter=3, coarse_to_fine=False)


def _eliminated(name, told, must_solve, seed=11):
    """An extended scene at +-0.5 wave, read noise 1e-2 of the brightest pixel, fitted by the
    object-eliminated metric (L-BFGS-B from a flat wavefront) with the diversity ``told``."""
    from phasegrad.models.synthetic_pd import convolve_scene, extended_scene

    n = 16
    pupil, amp, basis, d4 = _setup(n, 8)
    truth = _truth(8, 0.1, seed)
    truth[:2] = 0.0  # tip and tilt only move the scene
    psfs = pg.PhaseRetrieval(amp, basis, np.zeros((2, 2 * n, 2 * n)),
                             diversity=_planes(d4, (-0.5, 0.5))).simulate(truth)
    clean = convolve_scene(psfs.reshape(2, 2 * n, 2 * n), 1e5 * extended_scene(2 * n, seed))
    data, sigma = _noisy(clean, seed, level=1e-2)
    light = (2 * n) ** 2 * float(np.sum(amp**2))
    model = pg.PhaseDiversity(amplitude=amp, basis=basis, data=data,
                              diversity=_planes(d4, (-told, told)),
                              regularization=1e-6 * 2 * light**2)
    start = time.perf_counter()
    fit = pg.optimize.lbfgs(model, np.zeros(8), maxiter=500)
    report = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
    return Outcome(name, _error(basis, pupil, fit.x, truth), TOLERANCE, report, must_solve,
                   time.perf_counter() - start)


def case_eliminated():
    return _eliminated("extended scene, object eliminated", 0.5, True)


def case_eliminated_wrong_diversity():
    return _eliminated("extended scene, object eliminated, diversity told +-0.3 (was +-0.5)",
                       0.3, False)


CASES = (case_off_centre, case_large_aberration, case_very_large_aberration,
         case_small_defocus, case_small_defocus_starts, case_single_plane,
         case_background_linear, case_background_fitted, case_saturated, case_wrong_pad,
         case_raw_counts, case_many_modes, case_eliminated, case_eliminated_wrong_diversity)

#: The cases the issue names, to be solved within 0.01 wave RMS and trusted.
NAMED = (case_off_centre, case_large_aberration, case_background_fitted, case_raw_counts)


def assert_never_silent(outcome):
    """An error above the tolerance implies a flag; a case that must be solved is solved."""
    if outcome.error > outcome.tolerance:
        assert outcome.flagged, (f"{outcome.name}: a silent wrong answer ({outcome.error:.3g} "
                                 f"waves RMS, no flag)")
    if outcome.must_solve:
        assert outcome.solved, f"{outcome.name}: {outcome.error:.3g} waves RMS"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_battery(case):
    assert_never_silent(case())


@pytest.mark.parametrize("case", NAMED, ids=lambda c: c.__name__[5:])
def test_named_cases_are_solved_within_0_01_and_trusted(case):
    """The issue's four: off-centre, 0.3 wave at +-0.5 wave, a linear detector with a
    background (fitted), raw counts: within 0.01 wave RMS, converged, agreeing with the noise,
    no warning."""
    outcome = case()
    assert outcome.error <= 0.01, outcome.error
    assert outcome.report.trustworthy and not outcome.flagged, outcome.report


def test_eliminated_right_and_wrong():
    right = case_eliminated()
    assert right.solved and right.report.agrees and right.report.converged
    # tip and tilt are undetermined (inf), as the method makes them, and not a warning
    assert [f.kind for f in right.report.findings] == []
    assert np.all(np.isinf(right.report.uncertainties[:2]))
    wrong = case_eliminated_wrong_diversity()
    assert not wrong.solved and wrong.report.agrees is False


def test_unmodelled_background_is_flagged():
    outcome = case_background_linear()
    assert any(f.kind == "background" for f in outcome.report.findings)


def test_wrong_pad_and_many_modes_are_refused():
    assert case_wrong_pad().report.refused
    assert case_many_modes().report.refused


def test_single_plane_is_ambiguous():
    assert any(f.kind == "ambiguous" for f in case_single_plane().report.findings)


def test_saturation_is_found():
    assert any(f.kind == "saturated" for f in case_saturated().report.findings)


def test_helper_catches_a_silent_wrong_answer():
    """The helper itself fails on an unflagged error above the tolerance."""
    quiet = pg.optimize.FitReport(True, "xtol", 0.0, 0.0, 10, 5, "gaussian", 1.0, None, 2.0,
                                  True, np.zeros(5))
    with pytest.raises(AssertionError):
        assert_never_silent(Outcome("fake", 0.5, TOLERANCE, quiet, False))


if __name__ == "__main__":
    print("| case | error (waves RMS, tilt removed) | tolerance | solved | flagged | "
          "converged | reduced chi2 | findings | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case in CASES:
        o = case()
        r = o.report
        chi = "-" if r.reduced_chi2 is None else f"{r.reduced_chi2:.3g}"
        kinds = ", ".join(sorted({f.kind for f in r.findings})) or "-"
        print(f"| {o.name} | {o.error:.2e} | {o.tolerance:g} | {'yes' if o.solved else 'no'} "
              f"| {'yes' if o.flagged else 'no'} | {r.converged} | {chi} | {kinds} | "
              f"{o.seconds:.2f} |")
