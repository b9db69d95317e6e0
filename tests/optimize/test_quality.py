"""pg.optimize.assess: the cost against the noise, uncertainties, convergence and warnings."""

from __future__ import annotations

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.optimize.quality import agreement_threshold

N = 32
K = 8


def _problem(seed=0, sigma_rel=1e-3, rms=0.1, weights=False, metric="sse"):
    pupil = pg.circular_pupil(N)
    amp = pupil / pupil.sum()
    basis = pg.zernike_basis(K, N, first=2)
    d4 = pg.zernike_basis(1, N, first=4)[0]
    div = np.stack([d * d4 for d in (-0.5, 0.0, 0.5)])
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=K)
    truth *= rms / np.linalg.norm(truth)
    clean = pg.PhaseRetrieval(amp, basis, np.zeros((3, 2 * N, 2 * N)),
                              diversity=div).simulate(truth)
    sigma = sigma_rel * float(clean.max())
    data = clean + rng.normal(scale=sigma, size=clean.shape)
    w = np.full(data.shape, 1.0 / sigma**2) if weights else None
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div, weights=w, metric=metric)
    return model, truth, sigma


def test_threshold():
    assert agreement_threshold(200) == pytest.approx(1 + 5 * np.sqrt(2 / 200))
    assert agreement_threshold(10**7) == pytest.approx(1.05)
    assert agreement_threshold(0) == np.inf


def test_a_right_fit_agrees_with_the_noise():
    model, truth, sigma = _problem()
    fit = pg.optimize.levenberg_marquardt(model, truth.copy())
    report = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
    assert report.converged and report.agrees and report.trustworthy
    assert report.reduced_chi2 == pytest.approx(1.0, abs=5 * np.sqrt(2 / report.dof))
    assert report.dof == model.n_residuals - K
    assert report.uncertainty_source == "cramer_rao"
    assert np.all(np.isfinite(report.uncertainties))
    # The error is of the size the bound says (a 5-sigma band; the bound is achieved by LS).
    assert np.all(np.abs(fit.x - truth) < 5 * report.uncertainties)
    assert report.gradient_norm < 1e-3 * np.abs(model.fun_and_jac(truth * 0.5)[1]).max()


def test_a_wrong_basin_is_far_above_the_noise():
    model, truth, sigma = _problem()
    wrong = truth.copy()
    wrong[2] += 0.3  # a wrong defocus
    report = pg.optimize.assess(model, wrong, noise="gaussian", read_noise=sigma)
    assert report.agrees is False and not report.trustworthy and report.flagged
    assert any(f.kind == "residual" for f in report.findings)
    assert report.reduced_chi2 > 100


def test_not_converged_is_reported():
    model, truth, sigma = _problem()
    fit = pg.optimize.levenberg_marquardt(model, np.zeros(K), maxiter=1)
    report = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
    assert report.converged is False and report.stop_reason == "maxiter"
    assert any(f.kind == "not-converged" for f in report.findings)
    assert not report.trustworthy


def test_inverse_variance_weights_give_the_same_chi2():
    model, truth, sigma = _problem(weights=False)
    weighted, _, _ = _problem(weights=True)
    by_sigma = pg.optimize.assess(model, truth, noise="gaussian", read_noise=sigma)
    by_weights = pg.optimize.assess(weighted, truth, noise="weights")
    assert by_weights.reduced_chi2 == pytest.approx(by_sigma.reduced_chi2, rel=1e-10)
    # With w = 1 / sigma^2 the Gauss-Newton inverse is the Fisher inverse.
    assert by_weights.uncertainty_source == "gauss_newton"
    np.testing.assert_allclose(by_weights.uncertainties, by_sigma.uncertainties, rtol=1e-8)


def test_unknown_noise_scales_by_the_residual():
    model, truth, sigma = _problem()
    fit = pg.optimize.levenberg_marquardt(model, truth.copy())
    unknown = pg.optimize.assess(model, fit.x, fit)
    known = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
    assert unknown.reduced_chi2 is None and unknown.agrees is None
    assert unknown.uncertainty_source == "gauss_newton"
    # The residual variance E / dof estimates sigma^2: the two agree to a few per cent.
    np.testing.assert_allclose(unknown.uncertainties, known.uncertainties, rtol=0.1)


def test_uncertainties_match_the_scatter_of_fits():
    """Over noise draws, the fitted coefficients scatter as the Cramer-Rao bound says."""
    model, truth, sigma = _problem(sigma_rel=1e-2)
    clean = model.simulate(truth)
    errors, bounds = [], None
    for seed in range(12):
        rng = np.random.default_rng(500 + seed)
        data = clean + rng.normal(scale=sigma, size=clean.shape)
        m = pg.PhaseRetrieval(model.amplitude, model.basis, data, diversity=model.diversity)
        fit = pg.optimize.levenberg_marquardt(m, truth.copy())
        errors.append(fit.x - truth)
        if bounds is None:
            bounds = pg.optimize.assess(m, fit.x, fit, noise="gaussian",
                                        read_noise=sigma).uncertainties
    ratio = np.sqrt(np.mean(np.square(errors), axis=0)) / bounds
    assert 0.5 < np.median(ratio) < 1.6, ratio


def test_poisson_metric_reports_the_deviance():
    pupil = pg.circular_pupil(N)
    amp = pupil / pupil.sum()
    basis = pg.zernike_basis(K, N, first=2)
    d4 = pg.zernike_basis(1, N, first=4)[0]
    div = np.stack([d * d4 for d in (-0.5, 0.0, 0.5)])
    truth = np.linspace(-0.05, 0.05, K)
    clean = pg.PhaseRetrieval(amp, basis, np.zeros((3, 2 * N, 2 * N)),
                              diversity=div).simulate(truth)
    counts = np.random.default_rng(3).poisson(1e4 * clean / clean.max() + 5.0).astype(float)
    model = pg.PhaseRetrieval(amp, basis, counts, diversity=div, metric="poisson",
                              fit=("flux", "background"))
    x0 = model.pack(truth, flux=np.full(3, 1e4 / clean.max()), background=np.full(3, 5.0))
    fit = pg.optimize.levenberg_marquardt(model, x0)
    report = pg.optimize.assess(model, fit.x, fit)
    assert report.noise == "poisson"
    assert report.deviance == pytest.approx(2 * fit.fun)
    from phasegrad.optimize.quality import expected_deviance
    expected = expected_deviance(model.simulate(fit.x)).sum() - model.n_params
    assert report.reduced_chi2 == pytest.approx(report.deviance / expected)
    # Five counts of background: the expectation is above R - K (1.03 per dark pixel).
    assert expected > 1.01 * report.dof
    assert report.agrees, report.reduced_chi2
    assert report.uncertainty_source == "cramer_rao"


def test_bad_inputs():
    model, truth, sigma = _problem()
    with pytest.raises(ValueError, match="noise"):
        pg.optimize.assess(model, truth, noise="normal")
    with pytest.raises(ValueError, match="read_noise"):
        pg.optimize.assess(model, truth, noise="gaussian")
    with pytest.raises(ValueError, match="read_noise"):
        pg.optimize.assess(model, truth, noise="gaussian", read_noise=-1.0)
    with pytest.raises(ValueError, match="x must hold"):
        pg.optimize.assess(model, truth[:3])
    with pytest.raises(ValueError, match="finite"):
        pg.optimize.assess(model, np.full(K, np.nan))


def test_expected_deviance_against_simulation():
    from phasegrad.optimize.quality import expected_deviance
    rng = np.random.default_rng(0)
    for mu in (0.3, 2.0, 5.0, 49.0, 51.0, 400.0):
        k = rng.poisson(mu, size=400_000).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = 2 * (np.where(k > 0, k * np.log(k / mu), 0.0) - (k - mu))
        assert expected_deviance(np.array([mu]))[0] == pytest.approx(d.mean(), rel=0.01)


def test_noise_measured_in_the_spectrum():
    """Poisson counts with a bias: the noise measured beyond the optics' cut-off makes a
    right fit agree and a wrong one not, without being told the noise."""
    from phasegrad.models import diagnostics as dx
    model, truth, _ = _problem(sigma_rel=0.0)
    clean = model.simulate(truth)
    counts = np.random.default_rng(4).poisson(1e4 * clean / clean.max() + 50.0)
    variance = dx.spectral_noise(counts.astype(float))
    np.testing.assert_allclose(variance.mean(), (1e4 * clean / clean.max() + 50).mean(),
                               rtol=0.25)
    m = pg.PhaseRetrieval(model.amplitude, model.basis, counts.astype(float),
                          diversity=model.diversity, fit=("flux", "background"))
    fit = pg.optimize.retrieve(m, noise="spectrum")
    assert fit.report.agrees and fit.report.threshold >= 2.0
    wrong = fit.x.copy()
    wrong[2] += 0.2
    assert pg.optimize.assess(m, wrong, noise="spectrum").agrees is False
    with pytest.raises(ValueError, match="read_noise"):
        pg.optimize.assess(m, fit.x, noise="spectrum", read_noise=1.0)


def test_noiseless_data_measured_in_the_spectrum_agree_at_the_answer():
    model, truth, _ = _problem(sigma_rel=0.0)
    fit = pg.optimize.levenberg_marquardt(model, np.zeros(K))
    report = pg.optimize.assess(model, fit.x, fit, noise="spectrum")
    assert report.agrees and report.trustworthy, report


def test_uncertainties_can_be_left_out():
    model, truth, sigma = _problem()
    report = pg.optimize.assess(model, truth, noise="gaussian", read_noise=sigma,
                                uncertainties=False)
    assert report.uncertainty_source == "none" and np.all(np.isnan(report.uncertainties))
    assert not any(f.kind == "undetermined" for f in report.findings)


def test_gain_judges_counts_divided_by_a_flux_scale_as_the_counts():
    """Counts divided by f with gain 1/f and read noise r/f: the same Pearson chi-square and
    Cramer-Rao bounds as the counts themselves (the CLI's --noise poisson on sse data)."""
    pupil = pg.circular_pupil(16)
    basis = pg.zernike_basis(5, 16, first=2)
    d4 = pg.zernike_basis(1, 16, first=4)[0]
    div = np.stack([d * d4 for d in (-0.5, 0.5)])
    truth = np.array([0.02, -0.01, 0.05, 0.03, -0.02])
    amp = pupil / pupil.sum() * np.sqrt(5e4)
    clean = pg.PhaseRetrieval(amp, basis, np.zeros((2, 32, 32)), diversity=div).simulate(truth)
    counts = np.random.default_rng(7).poisson(clean + 10.0).astype(np.float64) - 10.0
    f = 123.0
    on_counts = pg.PhaseRetrieval(amp, basis, counts, diversity=div)
    scaled = pg.PhaseRetrieval(amp / np.sqrt(f), basis, counts / f, diversity=div)
    x = pg.optimize.levenberg_marquardt(on_counts, truth.copy()).x
    a = pg.optimize.assess(on_counts, x, noise="poisson", read_noise=np.sqrt(10.0))
    b = pg.optimize.assess(scaled, x, noise="poisson", read_noise=np.sqrt(10.0) / f,
                           gain=1.0 / f)
    assert b.reduced_chi2 == pytest.approx(a.reduced_chi2, rel=1e-9)
    np.testing.assert_allclose(b.uncertainties, a.uncertainties, rtol=1e-6)
    assert a.agrees and a.uncertainty_source == b.uncertainty_source == "cramer_rao"
    with pytest.raises(ValueError, match="gain"):
        pg.optimize.assess(on_counts, x, noise="poisson", gain=-1.0)


def test_a_residual_above_the_measured_noise_is_a_warning():
    """Measured noise: a reduced chi-square between 1 + max(5 sqrt(2 / dof), 0.25) and the
    threshold 2 agrees but is a "noise-level" finding; below it, none."""
    model, truth, sigma = _problem(sigma_rel=1e-3)
    fit = pg.optimize.levenberg_marquardt(model, truth.copy())
    seen = set()
    for step in np.geomspace(1e-4, 3e-2, 16):
        x = fit.x.copy()
        x[2] += step  # a defocus error of growing size
        report = pg.optimize.assess(model, x, noise="spectrum")
        warned = any(f.kind == "noise-level" for f in report.findings)
        level = 1 + max(5 * np.sqrt(2 / report.dof), 0.25)
        assert warned == (level < report.reduced_chi2 <= report.threshold), report.reduced_chi2
        assert report.flagged or not warned
        seen.add(warned)
    assert seen == {True, False}


def test_noise_measured_in_undersampled_data_is_a_warning():
    """Binned 2 at pad 2 (pad / bin = 1): the spectrum's corners hold aliased light, not noise
    alone. The noise measured there was 1700 times the true variance (a right fit's reduced
    chi-square 6e-4, its uncertainties 40 times too large), silently; now a "noise-unmeasured"
    warning says so. Nyquist-sampled data get none."""
    pupil = pg.circular_pupil(N)
    amp = pupil / pupil.sum()
    basis = pg.zernike_basis(K, N, first=2)
    d4 = pg.zernike_basis(1, N, first=4)[0]
    div = np.stack([d * d4 for d in (-0.5, 0.0, 0.5)])
    truth = np.linspace(-0.05, 0.05, K)
    binned = pg.PhaseRetrieval(amp, basis, np.zeros((3, N, N)), diversity=div, bin=2)
    clean = binned.simulate(truth)
    sigma = 1e-4 * float(clean.max())
    data = clean + np.random.default_rng(8).normal(scale=sigma, size=clean.shape)
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div, bin=2)
    fit = pg.optimize.levenberg_marquardt(model, truth.copy())
    measured = pg.optimize.assess(model, fit.x, fit, noise="spectrum")
    told = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
    assert told.agrees and measured.reduced_chi2 < 0.1 * told.reduced_chi2  # overstated
    assert "noise-unmeasured" in {f.kind for f in measured.findings}
    assert measured.flagged
    assert "noise-unmeasured" not in {f.kind for f in told.findings}
    nyquist, _, _ = _problem(sigma_rel=1e-4)
    report = pg.optimize.assess(nyquist, np.zeros(K), noise="spectrum")
    assert "noise-unmeasured" not in {f.kind for f in report.findings}


def test_a_residual_far_below_the_noise_told_is_a_warning():
    """Told a noise 10 times the true one, a fit a wrong defocus away agreed (reduced
    chi-square below 1 by the same factor as the check was loosened), with no word. A
    reduced chi-square five standard deviations below 1 says the noise told is overstated:
    a "noise-overstated" warning. The right noise gives none."""
    model, truth, sigma = _problem(sigma_rel=1e-3)
    fit = pg.optimize.levenberg_marquardt(model, truth.copy())
    right = pg.optimize.assess(model, fit.x, fit, noise="gaussian", read_noise=sigma)
    assert right.agrees and "noise-overstated" not in {f.kind for f in right.findings}
    wrong = fit.x.copy()
    wrong[2] += 0.01
    loose = pg.optimize.assess(model, wrong, noise="gaussian", read_noise=10 * sigma)
    strict = pg.optimize.assess(model, wrong, noise="gaussian", read_noise=sigma)
    assert strict.agrees is False and loose.agrees  # the overstated noise lets it through
    assert "noise-overstated" in {f.kind for f in loose.findings} and loose.flagged
    # the measured noise keeps its own rules (right fits measure 0.85-1.2)
    measured = pg.optimize.assess(model, fit.x, fit, noise="spectrum")
    assert "noise-overstated" not in {f.kind for f in measured.findings}
