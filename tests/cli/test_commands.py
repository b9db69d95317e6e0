"""The commands that compute: the demo converges, retrieve recovers known coefficients from
every file format, hologram runs every method; data errors are one line with exit code 1."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main
from phasegrad.cli.demo import run_demo
from phasegrad.cli.plots import slm_phase_uint8


def test_demo_recovers_the_aberration():
    lines = []
    result = run_demo(size=32, modes=8, planes=3, seed=2, report=lines.append)
    assert result.rms_error < 1e-6 < result.initial_rms_error
    assert result.relative_error < 1e-5
    assert any("iter" in line and "RMS wavefront error" in line for line in lines)


def test_demo_in_single_precision_converges_to_float32_accuracy():
    result = run_demo(size=32, modes=8, seed=2, dtype=np.float32, report=lambda _: None)
    assert result.rms_error < 1e-3


def test_cli_demo_exit_code_and_output(capsys, tmp_path):
    assert main(["demo", "--size", "32", "--modes", "6", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "converged" in out and "cost" in out


def test_noiseless_demo_with_quadratic_detector_recovers_to_1e_6(capsys, tmp_path):
    assert main(["demo", "--size", "24", "--modes", "8", "--noise", "0", "--out",
                 str(tmp_path)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert captured.err == ""
    assert sum(line.lstrip().startswith("iter") and "RMS wavefront error" in line
               for line in lines) > 5
    assert lines[-1].startswith("phasegrad demo: Levenberg-Marquardt converged")
    assert "\r" not in captured.out  # no progress bar when stdout is not a terminal
    assert (tmp_path / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((tmp_path / "demo.json").read_text())
    for key in ("converged", "criterion", "coefficients", "true_coefficients",
                "coefficient_relative_error", "detector", "true_detector",
                "rms_wavefront_error_waves", "cost", "cost_at_truth", "iterations", "seconds",
                "cost_history"):
        assert key in summary, key
    assert summary["converged"] is True
    assert summary["coefficient_relative_error"] <= 1e-6
    assert summary["detector_relative_error"] <= 1e-6
    truth, found = np.array(summary["true_coefficients"]), np.array(summary["coefficients"])
    assert np.linalg.norm(found - truth) <= 1e-6 * np.linalg.norm(truth)


def test_noisy_demo_reports_the_noise_floor(capsys, tmp_path):
    assert main(["demo", "--size", "24", "--modes", "6", "--noise", "1e-3", "--out",
                 str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "demo.json").read_text())
    assert summary["cost"] <= 1.01 * summary["cost_at_truth"]
    assert summary["coefficient_relative_error"] > 1e-6  # honest: noise limits the recovery
    assert "noise floor" in summary["criterion"]


def test_outputs_are_not_overwritten_without_force(capsys, tmp_path):
    args = ["demo", "--size", "16", "--modes", "4", "--out", str(tmp_path)]
    assert main(args) == 0
    before = (tmp_path / "demo.json").read_text()
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "exists" in err
    assert (tmp_path / "demo.json").read_text() == before
    assert main(args + ["--force", "--seed", "3"]) == 0
    assert (tmp_path / "demo.json").read_text() != before


# -- retrieve ------------------------------------------------------------------------------
N_PUPIL, MODES, DEFOCUS = 16, 6, (-0.5, 0.0, 0.5)
TRUE_COEFFICIENTS = np.array([0.03, -0.05, 0.04, 0.02, -0.03, 0.01])


def _psfs(scale=1000.0):
    pupil = pg.circular_pupil(N_PUPIL)
    basis = pg.zernike_basis(MODES, N_PUPIL, first=2)
    defocus_mode = pg.zernike_basis(1, N_PUPIL, first=4)[0]
    diversity = np.array(DEFOCUS)[:, None, None] * defocus_mode
    model = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(), basis=basis,
                              data=np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL)),
                              diversity=diversity)
    return scale * model.simulate(TRUE_COEFFICIENTS)


def _retrieve(tmp_path, files, *extra):
    out = tmp_path / "out"
    code = main(["retrieve", *map(str, files), "--modes", str(MODES), "--out", str(out),
                 *extra])
    return code, out


def _coefficients(out):
    summary = json.loads((out / "coefficients.json").read_text())
    csv = np.loadtxt(out / "coefficients.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(csv[:, 3], summary["coefficients_waves"], rtol=1e-9)
    assert list(csv[:, 0]) == list(range(2, MODES + 2))
    return np.array(summary["coefficients_waves"])


@pytest.mark.parametrize("detector", ["quadratic", "linear"])
def test_retrieve_npy_round_trip(tmp_path, capsys, detector):
    np.save(tmp_path / "psfs.npy", _psfs())
    code, out = _retrieve(tmp_path, [tmp_path / "psfs.npy"], "--defocus", "-0.5,0,0.5",
                          "--detector", detector)
    assert code == 0
    found = _coefficients(out)
    assert np.linalg.norm(found - TRUE_COEFFICIENTS) <= 1e-6 * np.linalg.norm(TRUE_COEFFICIENTS)
    assert (out / "retrieve.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "phasegrad retrieve: wrote" in printed
    summary = json.loads((out / "coefficients.json").read_text())
    assert summary["converged"] is True and summary["stop_reason"]
    assert summary["method"] == "Levenberg-Marquardt"
    assert f"Levenberg-Marquardt converged ({summary['stop_reason']})" in printed


def test_retrieve_with_lbfgs(tmp_path, capsys):
    np.save(tmp_path / "psfs.npy", _psfs())
    code, out = _retrieve(tmp_path, [tmp_path / "psfs.npy"], "--defocus", "-0.5,0,0.5",
                          "--method", "lbfgs")
    assert code == 0
    found = _coefficients(out)
    assert np.linalg.norm(found - TRUE_COEFFICIENTS) <= 1e-6 * np.linalg.norm(TRUE_COEFFICIENTS)
    summary = json.loads((out / "coefficients.json").read_text())
    assert summary["method"] == "L-BFGS-B" and summary["options"]["maxiter"] == 500
    assert f"L-BFGS-B converged ({summary['stop_reason']})" in capsys.readouterr().out


@pytest.mark.parametrize("method, reason", [("lm", "MAXITER"), ("lbfgs", "ITERATIONS")])
def test_retrieve_says_when_the_fit_did_not_converge(tmp_path, capsys, method, reason):
    np.save(tmp_path / "psfs.npy", _psfs())
    code, out = _retrieve(tmp_path, [tmp_path / "psfs.npy"], "--defocus", "-0.5,0,0.5",
                          "--maxiter", "2", "--method", method)
    summary = json.loads((out / "coefficients.json").read_text())
    assert summary["converged"] is False and reason in summary["stop_reason"].upper()
    assert f"{summary['method']} did NOT converge" in capsys.readouterr().out


def test_retrieve_npz_with_stored_defocus(tmp_path):
    np.savez(tmp_path / "psfs.npz", psfs=_psfs(), defocus=np.array(DEFOCUS))
    code, out = _retrieve(tmp_path, [tmp_path / "psfs.npz"])
    assert code == 0
    np.testing.assert_allclose(_coefficients(out), TRUE_COEFFICIENTS, atol=1e-7)


def test_retrieve_png_stack_and_multipage_tiff(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    psfs = _psfs()
    sixteen_bit = np.round(psfs / psfs.max() * 65535).astype(np.uint16)
    names = []
    for k, plane in enumerate(sixteen_bit):
        names.append(tmp_path / f"plane{k}.png")
        Image.fromarray(plane).save(names[-1])
    code, out = _retrieve(tmp_path, names, "--defocus", "-0.5,0,0.5")
    assert code == 0
    np.testing.assert_allclose(_coefficients(out), TRUE_COEFFICIENTS, atol=2e-3)

    frames = [Image.fromarray(plane.astype(np.float32)) for plane in psfs]
    frames[0].save(tmp_path / "stack.tif", save_all=True, append_images=frames[1:])
    code, out = _retrieve(tmp_path, [tmp_path / "stack.tif"], "--defocus", "-0.5,0,0.5",
                          "--force")
    assert code == 0
    np.testing.assert_allclose(_coefficients(out), TRUE_COEFFICIENTS, atol=1e-5)


def _one_line_error(capsys, code, *words):
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("phasegrad retrieve: "), err
    for word in words:
        assert word in err, err


def test_retrieve_bad_files(tmp_path, capsys):
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "missing.npy"])[0],
                    "no such file")
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "junk.npy"])[0], "cannot read")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "junk.png"])[0], "cannot read")
    (tmp_path / "psfs.txt").write_text("1 2 3")
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "psfs.txt"])[0], "unsupported")
    np.save(tmp_path / "ragged.npy", np.ones((3, 32, 30)))
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "ragged.npy"])[0], "square")
    np.savez(tmp_path / "nokey.npz", images=_psfs())
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "nokey.npz"])[0], "psfs")
    np.save(tmp_path / "psfs.npy", _psfs())
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "psfs.npy"], "--defocus",
                                      "0,0.5")[0], "2 defocus value(s) for 3 plane(s)")
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "psfs.npy"])[0], "--defocus")
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "psfs.npy"], "--defocus",
                                      "-0.5,0,0.5", "--pupil-size", "12")[0], "pupil-size")
    bad = _psfs()
    bad[0, 0, 0] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    _one_line_error(capsys, _retrieve(tmp_path, [tmp_path / "nan.npy"], "--defocus",
                                      "-0.5,0,0.5")[0], "NaN")
    assert not (tmp_path / "out").exists()  # nothing written on bad input


# -- hologram ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["adam", "lbfgs", "gs"])
def test_hologram_each_method(tmp_path, capsys, method):
    assert main(["hologram", "--method", method, "--size", "32", "--iters", "15", "--out",
                 str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    per_iteration = [line for line in lines if line.lstrip().startswith("iter")]
    assert len(per_iteration) == 15 and all("PSNR" in line for line in per_iteration)
    assert lines[-1].startswith(f"phasegrad hologram: {method} PSNR ")
    final = float(lines[-1].split("PSNR ")[1].split(" dB")[0])
    summary = json.loads((tmp_path / "hologram.json").read_text())
    assert abs(summary["psnr_db"] - final) < 0.01 and final > 10
    for name in ("hologram_phase.png", "reconstruction.png", "convergence.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    phase = np.load(tmp_path / "hologram_phase.npy")
    assert phase.shape == (32, 32)
    assert summary["files"]["hologram_phase_8bit.png"].endswith("hologram_phase_8bit.png")
    _check_slm_png(tmp_path / "hologram_phase_8bit.png", phase)


def test_hologram_wgs_on_the_photo_like_target_says_it_diverged(tmp_path, capsys):
    """WGS runs away on the built-in (smooth, photo-like) target: it used to end far below its
    start and report success; now it stops, writes its best iterate and exits 3."""
    assert main(["hologram", "--method", "wgs", "--size", "32", "--iters", "15", "--out",
                 str(tmp_path)]) == 3
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "WGS: diverged at iteration" in captured.err
    summary = json.loads((tmp_path / "hologram.json").read_text())
    start = summary["psnr_history_db"][0]
    assert summary["psnr_db"] >= start - 1e-9  # the best iterate, never worse than the start


def _check_slm_png(path, phase):
    """The SLM image: 8-bit grey, one pixel per phase sample, the wrapped phase's levels."""
    Image = pytest.importorskip("PIL.Image")
    with Image.open(path) as image:
        assert image.mode == "L" and image.size == phase.shape[::-1]
        levels = np.asarray(image)
    assert levels.dtype == np.uint8 and levels.shape == phase.shape
    np.testing.assert_array_equal(levels, slm_phase_uint8(phase))
    assert levels.min() <= 10 and levels.max() >= 245  # a converged hologram spans 0..2 pi


def test_slm_levels_wrap_the_phase_onto_0_255():
    step = 2 * np.pi / 256
    phase = np.array([[0.0, step * 0.99, step * 1.01, np.pi + step / 2, 2 * np.pi - 1e-9],
                      [2 * np.pi, -1e-9, -1e-20, -np.pi + step / 2, 4 * np.pi + step * 1.5]])
    levels = slm_phase_uint8(phase)
    assert levels.dtype == np.uint8 and levels.shape == phase.shape
    np.testing.assert_array_equal(levels, [[0, 0, 1, 128, 255], [0, 255, 0, 128, 1]])
    ramp = slm_phase_uint8(np.linspace(0, 2 * np.pi, 4096, endpoint=False))
    np.testing.assert_array_equal(np.unique(ramp), np.arange(256))  # every level, evenly
    assert np.all(np.bincount(ramp) == 16)


def test_hologram_from_a_png_target(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    target = np.zeros((40, 40), dtype=np.uint8)
    target[10:30, 15:25] = 255
    Image.fromarray(target).save(tmp_path / "target.png")
    assert main(["hologram", "--target", str(tmp_path / "target.png"), "--size", "32",
                 "--iters", "5", "--out", str(tmp_path / "out")]) == 0
    assert "32x32" in capsys.readouterr().out
    assert main(["hologram", "--target", str(tmp_path / "nope.png"), "--out",
                 str(tmp_path / "out2")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
