"""The fused phase-retrieval backend's exp(i theta): its vectorised sincos (fdlibm polynomials
after a Cody-Waite reduction) agrees with the reference's NumPy exp at phases small and huge,
including beyond 1e5 rad, where the kernel switches to libm."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import relative_error


@pytest.mark.parametrize("waves", [1e-6, 0.3, 40.0, 3e3, 4e4])
def test_fused_matches_reference_at_any_phase_size(waves):
    n = 12
    amplitude = pg.circular_pupil(n)
    basis = pg.zernike_basis(5, n, first=2)
    data = np.random.default_rng(1).random((24, 24))
    a = np.array([1.0, -0.7, 0.5, 0.9, -0.3]) * waves   # |theta| up to ~1e6 rad at 4e4 waves
    models = [pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, backend=backend)
              for backend in ("fused", "reference")]
    (e_fused, g_fused), (e_ref, g_ref) = (m.value_and_grad(a) for m in models)
    # Phases of 1e6 rad carry absolute errors of ~1e-10 rad in either implementation (the
    # float64 spacing there), so the agreement loosens with the size of the phase.
    tolerance = 1e-10 if waves < 1e3 else 1e-7
    assert abs(e_fused - e_ref) <= tolerance * abs(e_ref)
    assert relative_error(g_fused, g_ref) <= tolerance
    assert relative_error(models[0].simulate(a), models[1].simulate(a)) <= tolerance
