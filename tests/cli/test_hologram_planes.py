"""``phasegrad hologram`` beyond the far field: --distance, --planes, --wavelengths, --levels,
--crosstalk (issue 14)."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main


def test_planes_colours_levels_and_crosstalk(tmp_path, capsys):
    assert main(["hologram", "--size", "32", "--iters", "10", "--planes", "0.01,0.02",
                 "--wavelengths", "450e-9,635e-9", "--levels", "8", "--crosstalk", "0.05",
                 "--out", str(tmp_path), "--quiet"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("phasegrad hologram: adam PSNR ")
    summary = json.loads((tmp_path / "hologram.json").read_text())
    assert summary["distances"] == [0.01, 0.02]
    assert summary["wavelengths"] == [450e-9, 635e-9]
    assert np.array(summary["psnr_db_per_colour_and_plane"]).shape == (2, 2)
    phase = np.load(tmp_path / "hologram_phase.npy")
    assert phase.shape == (32, 32)
    assert len(np.unique(np.round(phase / (2 * np.pi / 8), 9))) <= 8   # the shown levels
    assert summary["message"].startswith("quantised Adam: 2 continuous and 8 annealed")
    assert summary["psnr_history_db"][-1] > summary["psnr_history_db"][0]


@pytest.mark.parametrize("method", ["gs", "wgs", "lbfgs"])
def test_one_plane_at_a_distance(tmp_path, capsys, method):
    assert main(["hologram", "--size", "32", "--iters", "5", "--distance", "0.01",
                 "--method", method, "--out", str(tmp_path), "--quiet"]) == 0
    summary = json.loads((tmp_path / "hologram.json").read_text())
    assert summary["distances"] == [0.01] and summary["iterations"] == 5


def test_bad_combinations_are_one_line_errors(tmp_path, capsys):
    out = str(tmp_path / "x")
    assert main(["hologram", "--size", "32", "--distance", "0.01", "--planes", "0.01,0.02",
                 "--out", out]) == 1
    assert "not both" in capsys.readouterr().err
    assert main(["hologram", "--size", "32", "--method", "gs", "--levels", "4",
                 "--out", out]) == 1
    assert "use adam or lbfgs" in capsys.readouterr().err
    # A bad physical parameter is refused, naming it.
    assert main(["hologram", "--size", "32", "--distance", "-0.01", "--wavelengths", "-1",
                 "--out", out]) == 1
    assert "wavelengths" in capsys.readouterr().err


def test_the_amplitude_phase_modulator(tmp_path, capsys):
    assert main(["hologram", "--size", "32", "--iters", "15", "--modulator", "amplitude-phase",
                 "--crosstalk", "0.05", "--out", str(tmp_path), "--quiet"]) == 0
    summary = json.loads((tmp_path / "hologram.json").read_text())
    assert summary["modulator"] == "amplitude_phase"
    assert "hologram_amplitude.npy" in summary["files"]
    amplitude = np.load(tmp_path / "hologram_amplitude.npy")
    phase = np.load(tmp_path / "hologram_phase.npy")
    assert amplitude.shape == phase.shape == (32, 32)
    assert np.all((amplitude >= 0) & (amplitude <= 1)) and amplitude.std() > 0  # it moved
    assert summary["psnr_history_db"][-1] > summary["psnr_history_db"][0]
    assert main(["hologram", "--size", "32", "--distance", "0.01", "--method", "gs",
                 "--modulator", "amplitude-phase", "--out", str(tmp_path / "x")]) == 1
    assert "use adam or lbfgs" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["gs", "wgs"])
def test_gs_with_several_colours(tmp_path, capsys, method):
    assert main(["hologram", "--size", "32", "--iters", "5", "--planes", "0.01,0.02",
                 "--wavelengths", "450e-9,635e-9", "--method", method,
                 "--out", str(tmp_path), "--quiet"]) == 0
    summary = json.loads((tmp_path / "hologram.json").read_text())
    assert summary["iterations"] == 5 and summary["wavelengths"] == [450e-9, 635e-9]
    assert np.array(summary["psnr_db_per_colour_and_plane"]).shape == (2, 2)


def test_the_command_exits_3_when_multiplane_gs_diverges(tmp_path, capsys, monkeypatch):
    # The projection turned bad after two iterations: the shared watch stops the run, the
    # outputs hold the best iterate and the command exits 3 with one stderr line.
    from phasegrad.optimize import holograms_planes

    calls = []
    y, x = (np.indices((32, 32)) - 16) * 8e-6
    lens = -np.pi * (x ** 2 + y ** 2) / (532e-9 * 0.01)  # all the light on one spot

    def failing(totals, alphas):
        calls.append(1)
        return lens if len(calls) > 2 else np.angle(totals[0])

    monkeypatch.setattr(holograms_planes, "_best_phase", failing)
    code = main(["hologram", "--size", "32", "--iters", "30", "--planes", "0.01,0.02",
                 "--method", "gs", "--out", str(tmp_path), "-q"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.count("\n") == 1 and "multiplane GS (global): diverged" in err
    summary = json.loads((tmp_path / "hologram.json").read_text())
    assert summary["iterations"] <= 2


def test_a_quantised_design_no_better_than_its_start_exits_3(tmp_path, capsys, monkeypatch):
    """quantised_adam with steps too small to cross a level ends on its start
    (success=False): the command writes its outputs, says why on stderr and exits 3, as
    GS/WGS do when they diverge."""
    real = pg.optimize.quantised_adam

    def stuck(*args, **kwargs):
        kwargs.update(lr=1e-12, anneal_lr=1e-12)
        return real(*args, **kwargs)

    monkeypatch.setattr(pg.optimize, "quantised_adam", stuck)
    code = main(["hologram", "--size", "32", "--iters", "4", "--levels", "4", "--out",
                 str(tmp_path), "-q"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.count("\n") == 1 and "no better than the start's" in err
    assert (tmp_path / "hologram_phase.npy").exists()
    summary = json.loads((tmp_path / "hologram.json").read_text())
    assert "no better than the start's" in summary["message"]


def test_a_working_quantised_design_exits_0(tmp_path, capsys):
    assert main(["hologram", "--size", "32", "--iters", "10", "--levels", "4", "--out",
                 str(tmp_path), "-q"]) == 0
    assert capsys.readouterr().err == ""
