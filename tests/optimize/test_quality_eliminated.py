"""pg.optimize.assess on the object-eliminated phase-diversity metric: the residual of the
data against the estimated scene seen through the PSFs, against the noise and the effective
degrees of freedom the Wiener scene leaves (docs/trust.md)."""

from __future__ import annotations

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.models.synthetic_pd import convolve_scene, extended_scene
from phasegrad.optimize.quality import eliminated_residuals, is_eliminated

pytestmark = pytest.mark.skipif(not hasattr(pg, "PhaseDiversity"),
                                reason="pg.PhaseDiversity has not landed")

N_PUPIL, GRID, MODES = 16, 32, 8
TRUTH = np.array([0.0, 0.0, 0.05, -0.04, 0.03, 0.02, -0.03, 0.01])  # no tip/tilt (a shift)
RELATIVE = 1e-6  # the regularisation over K F^2, as the CLI's default


def _pupil():
    pupil = pg.circular_pupil(N_PUPIL)
    return pupil / pupil.sum(), pg.zernike_basis(MODES, N_PUPIL, first=2), \
        pg.zernike_basis(1, N_PUPIL, first=4)[0]


def _clean(photons):
    amplitude, basis, defocus = _pupil()
    diversity = np.array([-0.5, 0.5])[:, None, None] * defocus
    psfs = pg.PhaseRetrieval(amplitude=amplitude, basis=basis,
                             data=np.zeros((2, GRID, GRID)),
                             diversity=diversity).simulate(TRUTH).reshape(2, GRID, GRID)
    return convolve_scene(psfs, extended_scene(GRID, seed=3) * photons)


def _model(data, scale=1.0):
    amplitude, basis, defocus = _pupil()
    light = GRID**2 * float(np.sum(amplitude**2))
    diversity = scale * np.array([-0.5, 0.5])[:, None, None] * defocus
    return pg.PhaseDiversity(amplitude=amplitude, basis=basis, data=data, diversity=diversity,
                             regularization=RELATIVE * 2 * light**2)


def _fit(model, x0=None, maxiter=500):
    start = np.zeros(MODES) if x0 is None else x0
    return pg.optimize.lbfgs(model, start, maxiter=maxiter)


def _error(x):
    return float(np.sqrt(np.mean((np.asarray(x) - TRUTH)[2:] ** 2)))


def test_residual_is_the_metric_less_the_regularisation():
    clean = _clean(1e5)
    model = _model(clean + 0.5 * np.random.default_rng(0).normal(size=clean.shape))
    x = TRUTH + 0.01
    residuals, images, scene_dof = eliminated_residuals(model, x)
    scene = model.estimate_object(x)
    # Parseval: E = sum r^2 + gamma sum o^2 (docs/phase-diversity.md)
    expected = np.sum(residuals**2) + model.regularization * np.sum(scene**2)
    assert model.fun_and_jac(x)[0] == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(images + residuals, model.data, rtol=0, atol=1e-9)
    # the scene's effective parameters: the OTF's support on the grid, at most N^2
    assert 0.5 * GRID**2 < scene_dof < GRID**2
    assert is_eliminated(model) and not is_eliminated(pg.PhaseRetrieval(
        *_pupil()[:2], np.zeros((1, GRID, GRID))))


@pytest.mark.parametrize("sigma_rel", [1e-3, 1e-2])
def test_right_fits_agree_with_gaussian_noise_and_uncertainties_match_the_scatter(sigma_rel):
    clean = _clean(1e5)
    sigma = sigma_rel * float(clean.max())
    found, bounds, chi2 = [], [], []
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        model = _model(clean + sigma * rng.normal(size=clean.shape))
        fit = _fit(model, TRUTH.copy())
        report = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
        assert report.converged and report.agrees, report
        assert report.uncertainty_source == "profile_hessian"
        found.append(fit.x)
        bounds.append(report.uncertainties)
        chi2.append(report.reduced_chi2)
        # tip and tilt only move the scene: undetermined (inf), the method's expected gap and
        # no warning; a right fit has no finding at all
        assert np.all(np.isinf(report.uncertainties[:2]))
        assert np.all(np.isfinite(report.uncertainties[2:]))
        assert [f.kind for f in report.findings] == []
    # each within 5 sigma of 1 (dof ~ 1250: sigma = 0.04), their mean within 3 sigma / sqrt(12)
    assert np.all(np.abs(np.array(chi2) - 1) < 5 * np.sqrt(2 / report.dof))
    assert abs(np.mean(chi2) - 1) < 3 * np.sqrt(2 / report.dof / 12) + 0.01
    scatter = np.std(np.array(found)[:, 2:], axis=0, ddof=1)
    bound = np.mean(np.array(bounds)[:, 2:], axis=0)
    # 12 fits: the sample standard deviation is within about +-45 % at 2 sigma
    np.testing.assert_array_less(scatter, 1.6 * bound)
    np.testing.assert_array_less(0.5 * bound, scatter)


@pytest.mark.parametrize("photons", [1e5, 1e7])
def test_poisson_counts_agree_at_the_answer(photons):
    clean = _clean(photons)
    model = _model(np.random.default_rng(1).poisson(clean).astype(np.float64))
    fit = _fit(model)
    assert _error(fit.x) < 0.01
    for noise in ("poisson", "spectrum"):
        report = pg.optimize.assess(model, fit.x, fit, noise=noise)
        assert report.agrees, (noise, report)
    report = pg.optimize.assess(model, fit.x, fit, noise="poisson")
    # the shot noise's expected Pearson sum (probes of the residual filter), not the white one
    assert report.reduced_chi2 == pytest.approx(1.0, abs=5 * np.sqrt(2 / report.dof))


def test_wrong_diversity_is_far_above_the_noise():
    clean = _clean(1e5)
    sigma = 1e-2 * float(clean.max())
    model = _model(clean + sigma * np.random.default_rng(2).normal(size=clean.shape),
                   scale=0.6)  # the data were at +-0.5 waves, the model says +-0.3
    fit = _fit(model)
    assert _error(fit.x) > 0.05  # a wrong answer
    for noise, read_noise in (("gaussian", sigma), ("spectrum", None)):
        report = pg.optimize.assess(model, fit.x, fit, noise=noise, read_noise=read_noise)
        assert report.agrees is False and report.flagged, (noise, report)
        assert any(f.kind == "residual" for f in report.findings)
    counts = _model(np.random.default_rng(3).poisson(_clean(1e6)).astype(np.float64),
                    scale=0.6)
    fit = _fit(counts)
    assert _error(fit.x) > 0.05
    assert pg.optimize.assess(counts, fit.x, fit, noise="poisson").reduced_chi2 > 5


def test_a_far_start_stopped_early_is_flagged():
    clean = _clean(1e5)
    sigma = 1e-2 * float(clean.max())
    model = _model(clean + sigma * np.random.default_rng(4).normal(size=clean.shape))
    fit = _fit(model, np.array([0, 0, 0.5, -0.3, 0.2, 0.1, 0, 0]), maxiter=3)
    assert _error(fit.x) > 0.1
    report = pg.optimize.assess(model, fit.x, fit, noise="spectrum")
    assert report.converged is False and report.agrees is False and not report.trustworthy
    assert {"not-converged", "residual"} <= {f.kind for f in report.findings}


def test_unknown_noise_and_bad_inputs():
    clean = _clean(1e5)
    sigma = 1e-2 * float(clean.max())
    model = _model(clean + sigma * np.random.default_rng(5).normal(size=clean.shape))
    fit = _fit(model, TRUTH.copy())
    report = pg.optimize.assess(model, fit.x, fit)
    assert report.reduced_chi2 is None and report.agrees is None
    known = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
    # the residual variance stands in for sigma^2: the same uncertainties within the chi2
    np.testing.assert_allclose(report.uncertainties[2:], known.uncertainties[2:]
                               * np.sqrt(known.reduced_chi2), rtol=1e-6)
    left_out = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma,
                                  uncertainties=False)
    assert left_out.uncertainty_source == "none" and left_out.reduced_chi2 == known.reduced_chi2
    with pytest.raises(ValueError, match="no weights"):
        pg.optimize.assess(model, fit.x, noise="weights")
    with pytest.raises(ValueError, match="gain"):
        pg.optimize.assess(model, fit.x, noise="poisson", gain=0.0)


@pytest.mark.parametrize("modes", [1, 2])
def test_tip_and_tilt_alone_are_undetermined(modes):
    """Fitting tip and tilt only: every coefficient only moves the scene. Their curvature is
    rounding however it compares with the largest (itself rounding): inf, not a number of
    hundreds of waves, and the undetermined finding."""
    clean = _clean(1e5)
    sigma = 1e-2 * float(clean.max())
    amplitude, basis, defocus = _pupil()
    light = GRID**2 * float(np.sum(amplitude**2))
    model = pg.PhaseDiversity(amplitude=amplitude, basis=basis[:modes],
                              data=clean + sigma * np.random.default_rng(6).normal(
                                  size=clean.shape),
                              diversity=np.array([-0.5, 0.5])[:, None, None] * defocus,
                              regularization=RELATIVE * 2 * light**2)
    report = pg.optimize.assess(model, np.full(modes, 0.01), noise="gaussian",
                                read_noise=sigma)
    assert np.all(np.isinf(report.uncertainties)), report.uncertainties
    assert "undetermined" in {f.kind for f in report.findings}
