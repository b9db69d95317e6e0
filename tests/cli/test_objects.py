"""``phasegrad retrieve --object/--metric/--read-noise/--fit``: a binary's separation and flux
ratio recovered from photon counts, the auto choice (BIC) both ways with its table in the
JSON, the free scene written to object.npy, and options that do not go together refused
(exit code 2) before anything is read."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main

N_PUPIL, MODES = 12, 5
TRUTH = np.array([0.03, -0.04, 0.04, 0.02, -0.03])
DEFOCUS = "-0.5,0,0.5"
PAIR = pg.PointSources(2, positions=[[-0.6, -1.2], [0.6, 1.2]], fluxes=[1.0, 0.5])
SEPARATION = float(np.hypot(1.2, 2.4))
PEAK, BACKGROUND = 2e4, 5.0


def _counts(scene, seed=1):
    pupil = pg.circular_pupil(N_PUPIL)
    defocus = pg.zernike_basis(1, N_PUPIL, first=4)[0]
    model = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(),
                              basis=pg.zernike_basis(MODES, N_PUPIL, first=2),
                              data=np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL)),
                              diversity=np.array([-0.5, 0, 0.5])[:, None, None] * defocus,
                              object=scene, backend="reference")
    clean = PEAK * model.simulate(model.pack(TRUTH)) + BACKGROUND
    return np.random.default_rng(seed).poisson(clean).astype(np.float64)


def _run(tmp_path, data, *extra, name="out"):
    np.save(tmp_path / "psfs.npy", data)
    out = tmp_path / name
    try:
        code = main(["retrieve", str(tmp_path / "psfs.npy"), "--defocus", DEFOCUS, "--modes",
                     str(MODES), "--out", str(out), "-q", *extra])
    except SystemExit as stop:
        code = stop.code
    written = code in (0, 3)  # 3: written, but not converged or far above the noise
    summary = json.loads((out / "coefficients.json").read_text()) if written else None
    return code, summary, out


@pytest.fixture(scope="module")
def pair_counts():
    return _counts(PAIR)


def test_a_binary_from_photon_counts(tmp_path, capsys, pair_counts):
    code, summary, out = _run(tmp_path, pair_counts, "--object", "binary", "--metric",
                              "poisson", "--fit", "background")
    assert code == 0, capsys.readouterr().err
    found = summary["object"]
    assert found["kind"] == "binary"
    assert found["separation"] == pytest.approx(SEPARATION, abs=0.1)
    assert found["flux_ratio"] == pytest.approx(0.5, abs=0.05)
    assert np.array(found["positions"]).shape == (2, 2) and len(found["fluxes"]) == 2
    np.testing.assert_allclose(summary["nuisance"]["background"], BACKGROUND, atol=0.5)
    # tip and tilt trade with the pair's mean position; the other modes are the truth's
    np.testing.assert_allclose(summary["coefficients_waves"][2:], TRUTH[2:], atol=5e-3)
    assert summary["options"]["detector"] == "linear"  # the default for a scene
    assert summary["options"]["object"] == "binary" and summary["options"]["metric"] == \
        "poisson"
    assert "model_comparison" not in summary and not (out / "object.npy").exists()
    assert "object binary: separation" in capsys.readouterr().out


@pytest.mark.parametrize("truth", ["pair", "single"])
def test_auto_chooses_by_bic(tmp_path, capsys, pair_counts, truth):
    data = pair_counts if truth == "pair" else \
        _counts(pg.PointSources(1, positions=[[0.3, -0.2]], fluxes=[1.5]), seed=2)
    code, summary, out = _run(tmp_path, data, "--object", "auto", "--metric", "poisson",
                              "--read-noise", "1", "--fit", "background", "--maxiter", "60")
    assert code == 0, capsys.readouterr().err
    comparison = summary["model_comparison"]
    names = [row["name"] for row in comparison["table"]]
    assert names == ["point", "binary", "resolved", "extended"]
    for row in comparison["table"]:
        for key in ("nll", "n_params", "aic", "bic", "delta", "weight"):
            assert key in row
    expected = "binary" if truth == "pair" else "point"
    assert comparison["chosen"] == expected == summary["object"]["kind"]
    assert comparison["criterion"] == "bic"
    best = min(comparison["table"], key=lambda row: row["bic"])
    assert best["name"] == expected
    extended = next(row for row in comparison["table"] if row["name"] == "extended")
    grid = 2 * N_PUPIL
    assert extended["n_params"] == MODES + grid * grid + 3  # wavefront, scene, backgrounds
    scene = np.load(out / "object.npy")
    assert scene.shape == (grid, grid) and scene.min() >= 0
    printed = capsys.readouterr().out
    assert "<- chosen" in printed and f"object {expected}" in printed


def test_an_extended_scene_is_written(tmp_path, capsys):
    blob = np.zeros((7, 7))
    blob[2:5, 2:5] = [[0.5, 1, 0.5], [1, 2, 1], [0.5, 1, 0.5]]
    data = _counts(blob / blob.sum() * 1.5, seed=3)
    code, summary, out = _run(tmp_path, data, "--object", "extended", "--metric", "poisson",
                              "--fit", "background", "--maxiter", "150")
    # 150 L-BFGS-B iterations do not converge N^2 pixels: exit 3 says so (trust.md)
    assert code in (0, 3), capsys.readouterr().err
    assert (code == 3) == (summary["converged"] is False or
                           summary["noise"]["agrees"] is False)
    scene = np.load(out / "object.npy")
    assert summary["object"]["kind"] == "extended"
    assert summary["object"]["file"] == "object.npy"
    assert summary["object"]["total_flux"] == pytest.approx(scene.sum())
    assert scene.shape == (2 * N_PUPIL, 2 * N_PUPIL) and scene.min() >= 0
    # the light is spread over the blob's pixels, not one (the point source's start)
    assert scene.max() < 0.6 * scene.sum()


def test_the_point_source_with_poisson_counts_and_read_noise(tmp_path, capsys):
    data = _counts(None, seed=4) + np.random.default_rng(5).normal(0, 2.0, (3, 24, 24))
    code, summary, _ = _run(tmp_path, data, "--metric", "poisson", "--read-noise", "2",
                            "--detector", "linear", "--fit", "flux,background")
    assert code == 0, capsys.readouterr().err
    np.testing.assert_allclose(summary["coefficients_waves"], TRUTH, atol=3e-3)
    assert summary["object"] is None and summary["options"]["read_noise"] == 2.0
    assert len(summary["nuisance"]["flux"]) == 3


@pytest.mark.parametrize(("extra", "words"), [
    (["--read-noise", "1"], "--read-noise is used only with --metric poisson"),
    (["--regularization", "1e-3"], "--regularization is used only with --object eliminated"),
    (["--object", "binary", "--detector", "quadratic"], "needs --detector linear"),
    (["--object", "binary", "--fit", "flux"], "--object binary: --fit 'flux' cannot"),
    (["--object", "extended", "--fit", "shift"], "--object extended: --fit 'shift' cannot"),
    (["--object", "auto", "--metric", "poisson", "--fit", "shift"],
     "--object auto: --fit 'shift' cannot"),
    (["--object", "auto"], "--object auto compares likelihoods: it needs --metric poisson"),
    (["--fit", "flux"], "--fit 'flux' cannot be told apart from the quadratic detector"),
    (["--object", "eliminated", "--metric", "poisson"], "--metric poisson cannot be used"),
    (["--object", "eliminated", "--bin", "2"], "--bin cannot be used"),
    (["--fit", "flux,wind"], "expected a comma-separated subset"),
    (["--object", "triple"], "invalid choice"),
    (["--read-noise", "-1", "--metric", "poisson"], "--read-noise"),
])
def test_options_that_do_not_go_together(tmp_path, capsys, extra, words):
    code, _, out = _run(tmp_path, np.ones((3, 24, 24)), *extra)
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("phasegrad retrieve: error: "), err
    assert words in err, err
    assert not out.exists()


def test_poisson_data_errors_are_one_line(tmp_path, capsys):
    data = _counts(None, seed=6)
    negative = data.copy()
    negative[0, 0, 0] = -3.0
    code, _, _ = _run(tmp_path, negative, "--metric", "poisson")
    assert code == 1
    assert "--metric poisson needs counts >= 0" in capsys.readouterr().err
    # Light where a noiseless model has none (no background, no read noise) is no longer an
    # infinite cost: the metric's floor (poisson_shift) keeps it finite, and the fit's
    # deviance against the noise says how poor it is.


# --object binary on a single star: the wavefront is right but the companion is noise; the fit
# says so (a ``companion`` warning) and stays quiet on a real pair (docs/trust.md).
COMPANION = ("--object", "binary", "--metric", "poisson", "--fit", "background")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_single_star_fitted_as_a_pair_is_said_to_be_one(tmp_path, capsys, seed):
    single = pg.PointSources(1, positions=[[0.3, -0.2]], fluxes=[1.5])
    code, summary, _ = _run(tmp_path, _counts(single, seed), *COMPANION, name="single")
    captured = capsys.readouterr()
    assert code in (0, 3)
    np.testing.assert_allclose(summary["coefficients_waves"][2:], TRUTH[2:], atol=5e-3)
    found = [w for w in summary["warnings"] if "second source is not detected" in w]
    assert len(found) == 1, summary["warnings"]
    assert f"phasegrad retrieve: warning: {found[0]}" in captured.err


def test_a_real_pair_is_not_questioned(tmp_path, capsys, pair_counts):
    code, summary, _ = _run(tmp_path, pair_counts, *COMPANION, name="pair")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert not any("second source" in w for w in summary["warnings"]), summary["warnings"]
