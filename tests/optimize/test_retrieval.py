"""pg.optimize.retrieve: the start from the data (registration, flux, background), the
coarse-to-fine stages, several starts, and the report it returns."""

from __future__ import annotations

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.models import diagnostics as dx
from phasegrad.optimize.retrieval import stage_sizes

N = 32


def _parts(modes=9, first=2):
    pupil = pg.circular_pupil(N)
    amp = pupil / pupil.sum()
    basis = pg.zernike_basis(modes, N, first=first)
    d4 = pg.zernike_basis(1, N, first=4)[0]
    div = np.stack([d * d4 for d in (-0.5, 0.0, 0.5)])
    return amp, basis, div


def _data(amp, basis, div, truth, **fixed):
    blank = np.zeros((3, 2 * N, 2 * N))
    return pg.PhaseRetrieval(amp, basis, blank, diversity=div, **fixed).simulate(truth)


def test_stage_sizes():
    assert stage_sizes(14) == (5, 9, 14)
    assert stage_sizes(9) == (5, 9)
    assert stage_sizes(3) == (3,)
    assert stage_sizes(50) == (5, 9, 20, 35, 50)
    assert stage_sizes(14, coarse_to_fine=False) == (14,)


def test_shift_is_registered_and_fitted():
    """Without tip and tilt in the basis the shift is identifiable: it starts at the
    centroid offset and ends at the truth."""
    amp, basis, div = _parts(modes=6, first=4)
    truth = np.array([0.05, -0.03, 0.02, 0.04, -0.02, 0.01])
    shift = np.array([[2.5, -1.5]] * 3)
    data = _data(amp, basis, div, truth, shift=(2.5, -1.5))
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div, fit=("shift",))
    found = pg.optimize.retrieve(model)
    np.testing.assert_allclose(found.offset, shift, atol=0.5)
    start = model.unpack(found.x_start)["shift"]
    np.testing.assert_allclose(start, shift, atol=0.5)
    parts = model.unpack(found.x)
    np.testing.assert_allclose(parts["shift"], shift, atol=1e-6)
    np.testing.assert_allclose(parts["wavefront"], truth, atol=1e-6)
    assert found.converged and found.stages in ((6,), (5, 6))


def test_tilt_follows_the_centroid_without_a_shift_block():
    amp, basis, div = _parts()
    data = _data(amp, basis, div, np.zeros(9), shift=(3.0, -2.0))
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div)
    found = pg.optimize.retrieve(model, maxiter=1)
    start = model.simulate(found.x_start)
    np.testing.assert_allclose(dx.centroids(start), dx.centroids(data), atol=0.3)
    assert not any(f.kind == "off-centre" for f in found.report.findings)


def test_offset_that_nothing_can_follow_is_a_finding():
    amp, basis, div = _parts(modes=6, first=4)
    data = _data(amp, basis, div, np.zeros(6), shift=(3.0, -2.0))
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div)
    found = pg.optimize.retrieve(model, maxiter=2)
    assert any(f.kind == "off-centre" for f in found.report.findings)
    assert found.report.flagged


def test_flux_and_background_start_from_the_data():
    amp, basis, div = _parts()
    truth = np.linspace(-0.05, 0.05, 9)
    clean = _data(amp, basis, div, truth)
    data = 3.0 * clean + 0.002 * clean.max()
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div, fit=("flux", "background"))
    found = pg.optimize.retrieve(model)
    start = model.unpack(found.x_start)
    np.testing.assert_allclose(start["flux"], 3.0, rtol=0.1)
    np.testing.assert_allclose(start["background"], 0.002 * clean.max(), rtol=0.1)
    end = model.unpack(found.x)
    np.testing.assert_allclose(end["flux"], 3.0, rtol=1e-8)
    np.testing.assert_allclose(end["wavefront"], truth, atol=1e-8)


def test_quadratic_detector_starts_at_the_gain():
    amp, basis, div = _parts()
    truth = np.linspace(-0.05, 0.05, 9)
    blank = np.zeros((3, 2 * N, 2 * N))
    data = pg.PhaseRetrieval(amp, basis, blank, diversity=div,
                             detector="quadratic").simulate(truth, (0.0, 2.0, 0.001))
    model = pg.PhaseRetrieval(amp, basis, data, diversity=div, detector="quadratic")
    found = pg.optimize.retrieve(model)
    assert model.unpack(found.x_start)["detector"][1] == pytest.approx(2.0, rel=0.1)
    np.testing.assert_allclose(model.unpack(found.x)["wavefront"], truth, atol=1e-7)


def test_several_starts_keep_the_best_and_repeat_exactly():
    amp, basis, div = _parts()
    truth = np.linspace(-0.1, 0.1, 9)
    model = pg.PhaseRetrieval(amp, basis, _data(amp, basis, div, truth), diversity=div)
    first = pg.optimize.retrieve(model, starts=3, seed=4)
    again = pg.optimize.retrieve(model, starts=3, seed=4)
    assert first.start_costs.shape == (3,)
    assert first.fun == first.start_costs.min()
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.start_costs, again.start_costs)


def test_the_stages_never_end_above_the_direct_fit():
    amp, basis, div = _parts(modes=14)
    rng = np.random.default_rng(3)
    truth = rng.normal(size=14)
    truth *= 0.3 / np.linalg.norm(truth)
    model = pg.PhaseRetrieval(amp, basis, _data(amp, basis, div, truth), diversity=div)
    both = pg.optimize.retrieve(model)
    direct = pg.optimize.retrieve(model, coarse_to_fine=False)
    assert direct.stages == (14,) and both.stages in ((14,), (5, 9, 14))
    assert both.fun <= direct.fun


def test_lbfgs_and_a_given_start():
    amp, basis, div = _parts()
    truth = np.linspace(-0.05, 0.05, 9)
    model = pg.PhaseRetrieval(amp, basis, _data(amp, basis, div, truth), diversity=div)
    x0 = np.full(9, 0.01)
    found = pg.optimize.retrieve(model, x0, method="lbfgs", coarse_to_fine=False,
                                 maxiter=500)
    np.testing.assert_array_equal(found.x_start, x0)
    np.testing.assert_allclose(found.x, truth, atol=1e-4)
    assert found.report is not None and found.stages == (9,)


def test_bad_inputs():
    amp, basis, div = _parts()
    model = pg.PhaseRetrieval(amp, basis, _data(amp, basis, div, np.zeros(9)), diversity=div)
    with pytest.raises(ValueError, match="method"):
        pg.optimize.retrieve(model, method="newton")
    with pytest.raises(ValueError, match="starts"):
        pg.optimize.retrieve(model, starts=0)
    with pytest.raises(ValueError, match="spread"):
        pg.optimize.retrieve(model, spread=-1.0)
    with pytest.raises(ValueError, match="x0"):
        pg.optimize.retrieve(model, np.zeros(3))
    with pytest.raises(ValueError, match="noise"):
        pg.optimize.retrieve(model, noise="white")


def test_start_kicks_are_spread_waves_rms_with_a_basis_and_with_a_map():
    """``retrieve``'s later starts move the wavefront by ``spread`` waves RMS: the
    coefficients' norm with an orthonormal basis, the RMS over the pupil's pixels with a
    point-by-point map (nothing outside the pupil)."""
    from phasegrad.optimize.retrieval import _kick

    amp, basis, div = _parts()
    data = np.zeros((div.shape[0], 2 * N, 2 * N))
    for b in (basis, None):
        model = pg.PhaseRetrieval(amplitude=amp, basis=b, diversity=div, data=data)
        wave = next(p for p in model.parameters if p.name == "wavefront")
        kick = _kick(model, np.random.default_rng(1), wave.size, 0.07)
        if b is not None:
            assert np.sqrt(np.sum(kick**2)) == pytest.approx(0.07, rel=1e-12)
        else:
            inside = (amp != 0).reshape(-1)
            assert np.sqrt(np.mean(kick[inside] ** 2)) == pytest.approx(0.07, rel=1e-12)
            assert not np.any(kick[~inside])
