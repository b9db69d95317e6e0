"""``phasegrad retrieve`` says how good its answer is: the report's JSON fields, warnings on
stderr, refusals (exit 2), exit 3 for a fit that did not converge or lies far above the
noise, and the same bytes from the same command (docs/trust.md)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import phasegrad as pg
from phasegrad.cli import main

ROOT = Path(__file__).resolve().parents[2]
N_PUPIL, MODES, DEFOCUS = 32, 9, (-0.5, 0.0, 0.5)


def _psfs(truth=None, noise=1e-4, background=0.0, shift=None, seed=0):
    pupil = pg.circular_pupil(N_PUPIL)
    basis = pg.zernike_basis(MODES, N_PUPIL, first=2)
    d4 = pg.zernike_basis(1, N_PUPIL, first=4)[0]
    diversity = np.array(DEFOCUS)[:, None, None] * d4
    truth = np.linspace(-0.05, 0.05, MODES) if truth is None else truth
    extra = {} if shift is None else {"shift": shift}
    clean = pg.PhaseRetrieval(pupil / pupil.sum(), basis,
                              np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL)), diversity=diversity,
                              **extra).simulate(truth)
    rng = np.random.default_rng(seed)
    data = clean + background * clean.max()
    return 1000.0 * (data + rng.normal(scale=noise * clean.max(), size=clean.shape)), truth


def _run(tmp_path, capsys, data, *extra, name="out"):
    np.save(tmp_path / "psfs.npy", data)
    out = tmp_path / name
    code = main(["retrieve", str(tmp_path / "psfs.npy"), "--defocus", "-0.5,0,0.5",
                 "--modes", str(MODES), "--out", str(out), "--force", *extra])
    captured = capsys.readouterr()
    summary = json.loads((out / "coefficients.json").read_text()) \
        if (out / "coefficients.json").exists() else None
    return code, summary, captured


def test_a_good_fit_exits_0_with_the_report(tmp_path, capsys):
    data, truth = _psfs()
    code, summary, captured = _run(tmp_path, capsys, data, "--detector", "linear")
    assert code == 0, captured.err
    assert summary["converged"] is True and summary["stop_reason"]
    assert 0.3 < summary["reduced_chi2"] <= summary["noise"]["threshold"]
    assert summary["noise"]["agrees"] is True and summary["deviance"] is None
    sigma = np.array(summary["uncertainty_waves"], dtype=float)
    assert sigma.shape == (MODES,) and np.all(sigma > 0) and np.all(sigma < 1e-2)
    found = np.array(summary["coefficients_waves"])
    assert np.all(np.abs(found - truth) < 6 * sigma + 1e-6)
    assert summary["warnings"] == [] and "warning" not in captured.err
    assert "seconds" not in summary
    last = captured.out.strip().splitlines()[-1]
    assert "converged" in last and "reduced chi-square" in last


def test_not_converged_exits_3_with_one_line(tmp_path, capsys):
    data, _ = _psfs(truth=np.linspace(-0.1, 0.1, MODES))
    code, summary, captured = _run(tmp_path, capsys, data, "--maxiter", "1")
    assert code == 3 and summary["converged"] is False
    lines = [line for line in captured.err.splitlines() if "did not converge" in line]
    assert len(lines) == 1 and lines[0].startswith("phasegrad retrieve: ")


def test_linear_detector_with_a_background_is_flagged(tmp_path, capsys):
    data, _ = _psfs(background=0.01)
    code, summary, captured = _run(tmp_path, capsys, data, "--detector", "linear")
    assert code == 3
    assert summary["noise"]["agrees"] is False or summary["converged"] is False
    assert any("background" in w for w in summary["warnings"])
    warned = [line for line in captured.err.splitlines()
              if line.startswith("phasegrad retrieve: warning: ")]
    assert len(warned) == len(summary["warnings"]) >= 1
    assert "far above the noise" in captured.err or "did not converge" in captured.err


def test_linear_detector_with_a_fitted_background_is_solved(tmp_path, capsys):
    data, truth = _psfs(background=0.01)
    code, summary, captured = _run(tmp_path, capsys, data, "--detector", "linear", "--fit",
                                   "flux,background")
    assert code == 0, captured.err
    error = np.array(summary["coefficients_waves"]) - truth
    assert np.sqrt(np.sum(error[2:] ** 2)) < 0.01  # tip and tilt aside


def test_refusals_are_one_line_and_exit_2(tmp_path, capsys):
    data, _ = _psfs()
    np.save(tmp_path / "psfs.npy", data)
    for extra in (["--pad", "4"], ["--modes", "600"]):
        args = ["retrieve", str(tmp_path / "psfs.npy"), "--defocus", "-0.5,0,0.5",
                "--out", str(tmp_path / "refused"), *extra]
        if "--modes" not in extra:
            args += ["--modes", str(MODES)]
        try:
            code = main(args)
        except SystemExit as stop:
            code = stop.code
        err = capsys.readouterr().err
        assert code == 2, err
        errors = [line for line in err.splitlines() if "error:" in line]
        assert len(errors) == 1, err
        assert not (tmp_path / "refused").exists()


def test_the_same_command_writes_the_same_bytes(tmp_path):
    """Three processes (``PHASEGRAD_REPEAT_RUNS``, e.g. 10, for more), the wisdom cache on in
    a fresh XDG_CACHE_HOME, the first run planning and writing it: identical files."""
    data, _ = _psfs(truth=np.linspace(-0.1, 0.1, MODES), seed=3)
    np.save(tmp_path / "psfs.npy", data)
    # The children import the phasegrad this process imports (the environment is inherited).
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), PHASEGRAD_WISDOM_CACHE="1")
    digests = []
    runs = max(int(os.environ.get("PHASEGRAD_REPEAT_RUNS", "3")), 2)
    for run in range(runs):
        out = tmp_path / f"run{run}"
        subprocess.run([sys.executable, "-m", "phasegrad", "retrieve",
                        str(tmp_path / "psfs.npy"), "--defocus", "-0.5,0,0.5", "--modes",
                        str(MODES), "--out", str(out)], env=env, check=False,
                       capture_output=True, timeout=300)
        digests.append({name: hashlib.sha256((out / name).read_bytes()).hexdigest()
                        for name in ("coefficients.json", "coefficients.csv",
                                     "retrieve.png")})
    assert all(digest == digests[0] for digest in digests), digests
