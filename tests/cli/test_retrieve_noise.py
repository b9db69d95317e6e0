"""``phasegrad retrieve --noise``, ``--starts`` and the object-eliminated report: the noise the
fit is judged against (exit code 3 when far above it), several starts keeping the lowest
cost, and their refusals (docs/cli.md, docs/trust.md)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main
from phasegrad.models.synthetic_pd import convolve_scene, extended_scene

N_PUPIL, MODES = 16, 8
TRUTH = np.array([0.0, 0.0, 0.05, -0.04, 0.03, 0.02, -0.03, 0.01])


def _scene_images(sigma_rel=1e-2, photons=None, seed=0):
    """Two images at -+0.5 wave of an extended scene; Gaussian noise of ``sigma_rel`` of the
    brightest pixel, or Poisson counts of ``photons``. Returns (images, sigma)."""
    pupil = pg.circular_pupil(N_PUPIL)
    defocus = pg.zernike_basis(1, N_PUPIL, first=4)[0]
    grid = 2 * N_PUPIL
    psfs = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(),
                             basis=pg.zernike_basis(MODES, N_PUPIL, first=2),
                             data=np.zeros((2, grid, grid)),
                             diversity=np.array([-0.5, 0.5])[:, None, None] * defocus
                             ).simulate(TRUTH).reshape(2, grid, grid)
    clean = convolve_scene(psfs, extended_scene(grid, seed=3) * (photons or 1e5))
    rng = np.random.default_rng(seed)
    if photons is not None:
        return rng.poisson(clean).astype(np.float64), None
    sigma = sigma_rel * float(clean.max())
    return clean + sigma * rng.normal(size=clean.shape), sigma


def _run(tmp_path, capsys, data, *extra, defocus="-0.5,0.5", modes=MODES, name="out"):
    np.save(tmp_path / "data.npy", data)
    out = tmp_path / name
    try:
        code = main(["retrieve", str(tmp_path / "data.npy"), "--defocus", defocus,
                     "--modes", str(modes), "--out", str(out), "--force", "-q", *extra])
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    path = out / "coefficients.json"
    return code, (json.loads(path.read_text()) if path.exists() else None), captured


def _error(summary):
    found = np.array(summary["coefficients_waves"])
    return float(np.sqrt(np.mean((found - TRUTH)[2:] ** 2)))


@pytest.mark.parametrize("noise", ["gaussian", "spectrum", None])
def test_eliminated_reports_its_noise_and_agrees_at_the_answer(tmp_path, capsys, noise):
    data, sigma = _scene_images()
    extra = {"gaussian": ["--noise", f"gaussian:{sigma!r}"], "spectrum": ["--noise", "spectrum"],
             None: []}[noise]
    code, summary, captured = _run(tmp_path, capsys, data, "--object", "eliminated", *extra)
    assert code == 0, captured.err
    assert _error(summary) < 0.01
    chi2 = summary["reduced_chi2"]
    assert chi2 is not None and summary["deviance"] is None
    dof = summary["noise"]["dof"]
    assert 1000 < dof < 2 * (2 * N_PUPIL) ** 2 - MODES  # less the scene's parameters
    if noise == "gaussian":
        # the noise told: chi2 = 1 within 5 of its standard deviations sqrt(2 / dof)
        assert abs(chi2 - 1) < 5 * np.sqrt(2 / dof)
        assert summary["noise"]["threshold"] < 1.25
    else:
        assert 0.5 < chi2 <= summary["noise"]["threshold"] == 2.0
    assert summary["noise"]["agrees"] is True
    assert summary["noise"]["uncertainties_from"] == "profile_hessian"
    sigma_waves = summary["uncertainty_waves"]
    assert sigma_waves[:2] == [None, None]  # tip and tilt only move the scene
    assert all(0 < s < 0.01 for s in sigma_waves[2:])
    # the method's own gap, in every right fit: not a warning
    assert not any("tip and tilt" in w for w in summary["warnings"])
    assert "reduced chi-square" in captured.out.strip().splitlines()[-1]
    assert summary["options"]["noise"] == (None if noise is None else extra[1])


def test_eliminated_with_a_wrong_diversity_exits_3(tmp_path, capsys):
    data, sigma = _scene_images()
    # the images were taken at -+0.5 wave; the command says -+0.3
    code, summary, captured = _run(tmp_path, capsys, data, "--object", "eliminated",
                                   "--noise", f"gaussian:{sigma!r}", defocus="-0.3,0.3")
    assert code == 3, captured.err
    assert _error(summary) > 0.05
    assert summary["noise"]["agrees"] is False and summary["reduced_chi2"] > 2
    lines = [line for line in captured.err.splitlines() if "far above the noise" in line]
    assert len(lines) == 1 and lines[0].startswith("phasegrad retrieve: ")


def test_eliminated_counts_judged_as_poisson(tmp_path, capsys):
    data, _ = _scene_images(photons=1e6)
    code, summary, captured = _run(tmp_path, capsys, data, "--object", "eliminated",
                                   "--noise", "poisson")
    assert code == 0, captured.err
    assert abs(summary["reduced_chi2"] - 1) < 5 * np.sqrt(2 / summary["noise"]["dof"])
    code, summary, captured = _run(tmp_path, capsys, data, "--object", "eliminated",
                                   "--noise", "poisson", defocus="-0.3,0.3", name="wrong")
    assert code == 3 and summary["reduced_chi2"] > 5


def test_eliminated_far_start_stopped_early_exits_3(tmp_path, capsys):
    data, sigma = _scene_images()
    code, summary, captured = _run(tmp_path, capsys, data, "--object", "eliminated",
                                   "--maxiter", "2")
    assert code == 3
    assert summary["converged"] is False
    assert "did not converge" in captured.err


def _psfs(truth, defocus, sigma_rel=1e-4, counts=None, seed=0):
    pupil = pg.circular_pupil(32)
    d4 = pg.zernike_basis(1, 32, first=4)[0]
    clean = pg.PhaseRetrieval(pupil / pupil.sum(), pg.zernike_basis(truth.size, 32, first=2),
                              np.zeros((len(defocus), 64, 64)),
                              diversity=np.array(defocus)[:, None, None] * d4).simulate(truth)
    rng = np.random.default_rng(seed)
    if counts is not None:
        return rng.poisson(counts * clean / clean.max() + 100.0).astype(np.float64), None
    sigma = sigma_rel * float(clean.max()) * 1000
    return 1000 * clean + sigma * rng.normal(size=clean.shape), sigma


def test_point_source_with_known_gaussian_noise(tmp_path, capsys):
    truth = np.linspace(-0.05, 0.05, 9)
    data, sigma = _psfs(truth, (-0.5, 0.0, 0.5))
    code, summary, captured = _run(tmp_path, capsys, data, "--noise", f"gaussian:{sigma!r}",
                                   defocus="-0.5,0,0.5", modes=9)
    assert code == 0, captured.err
    dof = summary["noise"]["dof"]
    assert dof == 3 * 64 * 64 - 9 - 3  # nine modes and the quadratic detector
    assert abs(summary["reduced_chi2"] - 1) < 5 * np.sqrt(2 / dof)
    assert summary["noise"]["threshold"] == pytest.approx(1 + 5 * np.sqrt(2 / dof))
    # told a noise 3 times too small, the same fit is far above it (9x)
    code, summary, captured = _run(tmp_path, capsys, data, "--noise",
                                   f"gaussian:{sigma / 3!r}", defocus="-0.5,0,0.5", modes=9,
                                   name="small")
    assert code == 3 and summary["reduced_chi2"] == pytest.approx(9, rel=0.1)


def test_point_source_counts_judged_as_poisson_with_the_sse_metric(tmp_path, capsys):
    truth = np.linspace(-0.05, 0.05, 9)
    data, _ = _psfs(truth, (-0.5, 0.0, 0.5), counts=2e5)
    code, summary, captured = _run(tmp_path, capsys, data, "--noise", "poisson:1",
                                   defocus="-0.5,0,0.5", modes=9)
    assert code == 0, captured.err
    assert abs(summary["reduced_chi2"] - 1) < 5 * np.sqrt(2 / summary["noise"]["dof"])
    assert summary["noise"]["uncertainties_from"] == "cramer_rao"
    error = np.array(summary["coefficients_waves"]) - truth
    sigma = np.array(summary["uncertainty_waves"], dtype=float)
    assert np.all(np.abs(error[2:]) < 6 * sigma[2:])


def test_starts_find_the_basin_one_start_misses(tmp_path, capsys):
    """The battery's 0.3 wave RMS at -+0.1 wave of defocus: one start ends in a wrong basin,
    flagged; two starts (0.3 wave apart) solve it."""
    truth = np.random.default_rng(4).normal(size=14)
    truth *= 0.3 / np.linalg.norm(truth)
    data, sigma = _psfs(truth, (-0.1, 0.0, 0.1))
    common = ("--noise", f"gaussian:{sigma!r}", "--detector", "linear")
    one = _run(tmp_path, capsys, data, *common, defocus="-0.1,0,0.1", modes=14, name="one")
    two = _run(tmp_path, capsys, data, *common, "--starts", "2", "--spread", "0.3",
               defocus="-0.1,0,0.1", modes=14, name="two")
    for code, summary, _ in (one, two):
        error = np.array(summary["coefficients_waves"]) - truth
        wrong = np.sqrt(np.mean(error[2:] ** 2)) > 0.01
        assert not wrong or code == 3  # never a silent wrong answer
    assert one[0] == 3, one[2].err  # the case this test is about: one start misses
    assert two[0] == 0, two[2].err
    assert two[1]["options"]["starts"] == 2 and two[1]["options"]["spread"] == 0.3
    assert two[1]["cost"] <= one[1]["cost"]


def test_noise_and_starts_refusals(tmp_path, capsys):
    data, sigma = _psfs(np.linspace(-0.05, 0.05, 9), (-0.5, 0.0, 0.5))
    for extra, message in (
            (["--noise", "gaussian:-1"], "must be a finite number > 0"),
            (["--noise", "gaussian"], "expected spectrum"),
            (["--noise", "laplace:2"], "expected spectrum"),
            (["--metric", "poisson", "--noise", "gaussian:1"], "likelihood's own"),
            (["--metric", "poisson", "--noise", "poisson:2"], "likelihood's own"),
            (["--object", "binary", "--starts", "2"], "--starts is used only"),
            (["--spread", "0.2"], "--spread is used only"),
            (["--starts", "2", "--spread", "0"], "every start the first"),
            (["--object", "eliminated", "--starts", "2", "--modes", "2"], "--modes 3 or more")):
        code, summary, captured = _run(tmp_path, capsys, data, *extra, defocus="-0.5,0,0.5",
                                       modes=9, name="refused")
        assert code == 2, (extra, captured.err)
        assert message in captured.err, (extra, captured.err)
        assert summary is None


def test_eliminated_starts_and_repeats_exactly(tmp_path):
    """Two processes (the environment inherited) write the same bytes, with two starts."""
    data, sigma = _scene_images()
    np.save(tmp_path / "data.npy", data)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), PHASEGRAD_WISDOM_CACHE="1")
    digests = []
    for run in range(2):
        out = tmp_path / f"run{run}"
        done = subprocess.run([sys.executable, "-m", "phasegrad", "retrieve",
                               str(tmp_path / "data.npy"), "--defocus", "-0.5,0.5",
                               "--modes", str(MODES), "--object", "eliminated", "--starts",
                               "2", "--out", str(out)], env=env, check=False,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        digests.append({name: hashlib.sha256((out / name).read_bytes()).hexdigest()
                        for name in ("coefficients.json", "coefficients.csv", "object.npy")})
        summary = json.loads((out / "coefficients.json").read_text())
        assert summary["options"]["starts"] == 2 and summary["reduced_chi2"] is not None
        # tip and tilt are not perturbed; their gradient is rounding
        assert np.all(np.abs(summary["coefficients_waves"][:2]) < 1e-9)
    assert digests[0] == digests[1]


def _pad_psfs(n, pad, noise, seed):
    truth = np.random.default_rng(seed + 5).normal(size=9)
    truth *= 0.2 / np.linalg.norm(truth)
    pupil = pg.circular_pupil(n)
    d4 = pg.zernike_basis(1, n, first=4)[0]
    clean = pg.PhaseRetrieval(pupil / pupil.sum(), pg.zernike_basis(9, n, first=2),
                              np.zeros((3, 64, 64)), pad=pad,
                              diversity=np.array([-0.5, 0, 0.5])[:, None, None] * d4
                              ).simulate(truth)
    rng = np.random.default_rng(seed)
    return 1000 * (clean + noise * clean.max() * rng.normal(size=clean.shape)), truth


@pytest.mark.parametrize("seed", [0, 1])
def test_noisy_data_at_the_right_pad_are_fitted_and_a_wrong_pad_is_not_silent(tmp_path, capsys,
                                                                               seed):
    """Read noise of 1 % of the peak: data at pad 2.56 told 2.56 are fitted (they were refused
    as 'sampled at pad ~ 20' before); data at pad 2 told 2.56 (0.017 waves RMS wrong) are not
    refused (the noise hides the spectrum's edge) but never come back silently."""
    data, truth = _pad_psfs(25, 2.56, 1e-2, seed)
    code, summary, captured = _run(tmp_path, capsys, data, "--pad", "2.56", "--pupil-size",
                                   "25", defocus="-0.5,0,0.5", modes=9)
    assert code == 0, captured.err
    assert np.sqrt(np.mean((np.array(summary["coefficients_waves"]) - truth)[2:] ** 2)) < 0.01
    data, truth = _pad_psfs(32, 2.0, 1e-2, seed)
    code, summary, captured = _run(tmp_path, capsys, data, "--pad", "2.56", "--pupil-size",
                                   "25", defocus="-0.5,0,0.5", modes=9, name="wrong")
    error = np.sqrt(np.mean((np.array(summary["coefficients_waves"]) - truth)[2:] ** 2))
    if error > 0.01:
        assert code == 3 or summary["warnings"], (error, summary["reduced_chi2"])


def test_noise_spec_wants_a_value_after_its_colon():
    import argparse

    from phasegrad.cli.trust import noise_spec

    for text in ("poisson:", "gaussian:", "spectrum:", "spectrum:1"):
        with pytest.raises(argparse.ArgumentTypeError):
            noise_spec(text)
    assert noise_spec("poisson:0") == ("poisson", 0.0)
    assert noise_spec(" Poisson ") == ("poisson", None)


def test_poisson_metric_takes_its_own_read_noise_as_noise():
    """``--metric poisson --noise poisson:R`` is the likelihood's own noise when R is the
    ``--read-noise``, and refused when it is not."""
    import argparse

    from phasegrad.cli.retrieve import settle_options
    from phasegrad.cli.trust import noise_spec

    def options(noise, read_noise):
        return argparse.Namespace(object="point", read_noise=read_noise, metric="poisson",
                                  regularization=None, noise=noise_spec(noise), starts=1,
                                  spread=None, detector=None, modes=9, fit=(), bin=1)

    for noise, read_noise in (("poisson:0", 0.0), ("poisson:2", 2.0), ("poisson", 2.0)):
        settle_options(options(noise, read_noise))
    with pytest.raises(Exception, match="likelihood's own"):
        settle_options(options("poisson:2", 1.0))
