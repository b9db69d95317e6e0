"""PhaseRetrieval, fused backend, one band and several, at the truth: a model whose data is its own
``simulate`` has E = 0 and every residual exactly 0, with the quadratic detector too (simulate,
value_and_grad and the least-squares view round the detector model the same way; main before
issue 15's vectorised pass B of several bands did, in float64)."""

import numpy as np
import pytest

import phasegrad as pg

from .test_phase_retrieval_fused import DETECTOR_P, make_inputs, random_params


@pytest.mark.parametrize("thread_count", [1, 2])
@pytest.mark.parametrize("wavelengths", [None, [0.8, 1.0, 1.25], [0.9, 1.1]], ids=str)
def test_quadratic_bands_have_zero_residuals_at_the_truth(wavelengths, thread_count):
    inputs = make_inputs(n=32, pad=2, wavelengths=wavelengths, detector="quadratic")
    template = pg.PhaseRetrieval(**inputs, backend="fused")
    a = random_params(template)
    with pg.threads(thread_count):
        inputs["data"] = template.simulate(a, DETECTOR_P)
        model = pg.PhaseRetrieval(**inputs, backend="fused")
        energy = model.value_and_grad(a, DETECTOR_P)[0]
        residuals = model.residuals(model.pack(wavefront=a, detector=DETECTOR_P))
    assert energy == 0.0
    assert np.abs(residuals).max() == 0.0
