"""``phasegrad retrieve --object eliminated``: phase diversity with the scene eliminated
(pg.PhaseDiversity) recovers the aberration from two defocused images of an unknown extended
scene and writes the scene it estimates; its data errors are one line."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main

pytestmark = pytest.mark.skipif(not hasattr(pg, "PhaseDiversity"),
                                reason="pg.PhaseDiversity has not landed")

N_PUPIL, MODES = 16, 8
TRUTH = np.array([0.0, 0.0, 0.05, -0.04, 0.03, 0.02, -0.03, 0.01])  # no tip/tilt (a shift)


def _scene(grid):
    """A smooth extended scene: a few Gaussian blobs, centred on the grid."""
    rows, cols = np.indices((grid, grid)) - grid // 2
    scene = np.zeros((grid, grid))
    for (y, x, width, height) in ((0, 0, 3.0, 1.0), (4, -5, 2.0, 0.7), (-6, 3, 2.5, 0.5)):
        scene += height * np.exp(-((rows - y) ** 2 + (cols - x) ** 2) / (2 * width**2))
    return scene


def _images(scene, scale=1e4):
    pupil = pg.circular_pupil(N_PUPIL)
    defocus = pg.zernike_basis(1, N_PUPIL, first=4)[0]
    model = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(),
                              basis=pg.zernike_basis(MODES, N_PUPIL, first=2),
                              data=np.zeros((2, 2 * N_PUPIL, 2 * N_PUPIL)),
                              diversity=np.array([-0.5, 0.5])[:, None, None] * defocus,
                              object=scene)
    return scale * model.simulate(model.pack(TRUTH))


def _run(tmp_path, data, *extra):
    np.save(tmp_path / "images.npy", data)
    out = tmp_path / "out"
    code = main(["retrieve", str(tmp_path / "images.npy"), "--defocus", "-0.5,0.5",
                 "--modes", str(MODES), "--object", "eliminated", "--out", str(out), "-q",
                 *extra])
    return code, out


def test_eliminated_recovers_the_aberration_and_the_scene(tmp_path, capsys):
    scene = _scene(2 * N_PUPIL)
    code, out = _run(tmp_path, _images(scene), "--regularization", "1e-10")
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "coefficients.json").read_text())
    found = np.array(summary["coefficients_waves"])
    # tip and tilt only move the scene: the metric cannot see them
    np.testing.assert_allclose(found[2:], TRUTH[2:], atol=2e-3)
    assert summary["object"]["kind"] == "eliminated"
    assert summary["object"]["file"] == "object.npy"
    assert summary["object"]["regularization"] == 1e-10
    assert summary["options"]["object"] == "eliminated"
    assert summary["options"]["method"] == "lbfgs" and summary["method"] == "L-BFGS-B"
    assert summary["options"]["maxiter"] == 500
    estimate = np.load(out / "object.npy")
    assert estimate.shape == scene.shape
    correlation = np.corrcoef(estimate.ravel(), scene.ravel())[0, 1]
    assert correlation > 0.95
    assert "PhaseDiversity" in summary["model"]


def test_eliminated_data_errors(tmp_path, capsys):
    scene = _scene(2 * N_PUPIL)
    images = _images(scene)
    np.save(tmp_path / "one.npy", images[:1])
    code = main(["retrieve", str(tmp_path / "one.npy"), "--modes", str(MODES), "--object",
                 "eliminated", "--out", str(tmp_path / "o1")])
    assert code == 1
    assert "at least 2 images" in capsys.readouterr().err
    code, _ = _run(tmp_path, images, "--pupil-size", "20")
    assert code == 1
    assert "needs the whole grid" in capsys.readouterr().err
