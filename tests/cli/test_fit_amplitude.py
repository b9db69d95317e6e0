"""retrieve --fit amplitude: the pupil's transmission fitted pixel by pixel with the wavefront.
Images of an apodised pupil fitted with a flat one are wrong by ~0.01 wave and flagged (exit
3); with the amplitude free they are fitted exactly and the transmission comes back."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main

N_PUPIL, MODES = 16, 5
TRUTH = np.array([0.03, -0.04, 0.04, 0.02, -0.03])


@pytest.fixture(scope="module")
def apodised(tmp_path_factory):
    pupil = pg.circular_pupil(N_PUPIL)
    y, x = (np.indices(pupil.shape) - (N_PUPIL - 1) / 2) / (N_PUPIL / 2)
    transmission = pupil * (1 - 0.3 * (x**2 + y**2))
    defocus = pg.zernike_basis(1, N_PUPIL, first=4)[0]
    model = pg.PhaseRetrieval(amplitude=transmission / transmission.sum(),
                              basis=pg.zernike_basis(MODES, N_PUPIL, first=2),
                              data=np.zeros((3, 2 * N_PUPIL, 2 * N_PUPIL)),
                              diversity=np.array([-0.5, 0, 0.5])[:, None, None] * defocus)
    path = tmp_path_factory.mktemp("apodised") / "psfs.npy"
    np.save(path, 1e4 * model.simulate(model.pack(TRUTH)))
    return path, pupil, transmission


def run(path, out, *extra):
    code = main(["retrieve", str(path), "--defocus", "-0.5,0,0.5", "--modes", str(MODES),
                 "--detector", "linear", "--out", str(out), "-q", *extra])
    return code, json.loads((out / "coefficients.json").read_text())


def test_the_transmission_is_fitted(apodised, tmp_path):
    path, pupil, transmission = apodised
    code, summary = run(path, tmp_path / "flat")
    assert code == 3  # a flat pupil cannot fit these images, and says so
    assert np.abs(np.array(summary["coefficients_waves"]) - TRUTH).max() > 1e-3
    code, summary = run(path, tmp_path / "free", "--fit", "amplitude")
    assert code == 0
    assert np.abs(np.array(summary["coefficients_waves"]) - TRUTH).max() < 1e-8
    fitted = np.array(summary["nuisance"]["amplitude"])
    assert fitted.shape == pupil.shape
    ratio = fitted[pupil > 0] / transmission[pupil > 0]  # the same up to the flux scale
    assert ratio.std() < 1e-6 * ratio.mean()
