"""``phasegrad retrieve --object binary`` on a single star: the wavefront is right but the
companion is noise; the fit says so (a ``companion`` warning), and stays quiet on a real pair
(docs/trust.md)."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main

N_PUPIL, MODES = 12, 5
TRUTH = np.array([0.03, -0.04, 0.04, 0.02, -0.03])
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


def _run(tmp_path, capsys, data, name):
    np.save(tmp_path / "psfs.npy", data)
    out = tmp_path / name
    code = main(["retrieve", str(tmp_path / "psfs.npy"), "--defocus", "-0.5,0,0.5",
                 "--modes", str(MODES), "--out", str(out), "-q", "--object", "binary",
                 "--metric", "poisson", "--fit", "background"])
    return code, json.loads((out / "coefficients.json").read_text()), capsys.readouterr()


@pytest.mark.parametrize("seed", [1, 2])
def test_a_single_star_fitted_as_a_pair_is_said_to_be_one(tmp_path, capsys, seed):
    single = pg.PointSources(1, positions=[[0.3, -0.2]], fluxes=[1.5])
    code, summary, captured = _run(tmp_path, capsys, _counts(single, seed), "single")
    assert code in (0, 3)
    np.testing.assert_allclose(summary["coefficients_waves"][2:], TRUTH[2:], atol=5e-3)
    found = [w for w in summary["warnings"] if "second source is not detected" in w]
    assert len(found) == 1, summary["warnings"]
    assert f"phasegrad retrieve: warning: {found[0]}" in captured.err


def test_a_real_pair_is_not_questioned(tmp_path, capsys):
    pair = pg.PointSources(2, positions=[[-0.6, -1.2], [0.6, 1.2]], fluxes=[1.0, 0.5])
    code, summary, captured = _run(tmp_path, capsys, _counts(pair), "pair")
    assert code == 0, captured.err
    assert not any("second source" in w for w in summary["warnings"]), summary["warnings"]
