"""Broadband PhaseRetrieval at snapped wavelengths (``pg.snap_wavelengths``), whose bands run
core/czt's periodic mode (plain FFTs of length N_lam = lam N / lam_ref, taken mod N_lam):
fused against the reference (the matrix Fourier transform of phasegrad.reference) to 1e-10
in float64, float32 against float64, the same bits on 1, 2 and 3 threads (value_and_grad's
bands together, bands_pass and bands_team_pass), finite differences, and the least-squares
view (jvp, vjp, Jacobian, Gauss-Newton) against the reference."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import relative_error
from phasegrad.native import core

from .reference_checks import (
    assert_gradient_matches_finite_differences,
    assert_same_bits_on_teams,
)
from .test_phase_retrieval_fused import (
    TOL32,
    TOL64,
    assert_matches_reference,
    call_args,
    make_inputs,
    make_pair,
    random_params,
)
from .test_phase_retrieval_least_squares import assert_least_squares_twins


def snapped(wavelengths, n, pad):
    return list(pg.snap_wavelengths(wavelengths, 1.0, grid=int(round(pad * n)), pupil=n))


def band_layouts(model):
    """Per wavelength of a fused model: None for the reference's FFT, else the layout its
    scaled DFT takes ((periodic, length, blocks, rows)), from the spacing the model computes."""
    grid, single = model.grid, model.dtype == np.float32
    return [None if lam == model.wavelength else
            core.scaled_dft2_layout(model.n, grid, model.wavelength / (lam * grid), 0, single)
            for lam in model.wavelengths]


# N_lam below and above N, odd and even n and N; "mixed" has a chirp-z band whose layout
# (q = 1, M = 72 at n = 24, N = 48) has the length of its periodic band (N_lam = 72): the two
# must not share value_and_grad's fused pass (their work buffers' needs differ).
CASES = {
    "n24_pad2": {"n": 24, "pad": 2, "wavelengths": snapped([0.8, 0.9, 1.0, 1.1, 1.2], 24, 2)},
    "n33_pad2_planes": {"n": 33, "pad": 2, "planes": 2,
                        "wavelengths": snapped([0.85, 1.15], 33, 2),
                        "spectral_weights": [0.3, 0.7]},
    "n40_pad1.5_quadratic": {"n": 40, "pad": 1.5, "detector": "quadratic", "weights": "plane",
                             "wavelengths": snapped([0.7, 1.0, 1.3], 40, 1.5)},
    "n40_pad2_binned": {"n": 40, "pad": 2, "bin": 2,
                        "wavelengths": snapped([0.75, 1.0, 1.45], 40, 2)},
    "n24_mixed": {"n": 24, "pad": 2, "wavelengths": [1.5, 1.3, 1.0, 0.9]},
    "n64_pad2": {"n": 64, "pad": 2, "wavelengths": snapped([0.8, 1.2], 64, 2)},
}


@pytest.mark.parametrize("name", CASES)
def test_snapped_bands_run_periodic_and_match_reference(name):
    fused, reference = make_pair(**CASES[name])
    layouts = [layout for layout in band_layouts(fused) if layout is not None]
    assert layouts and all(periodic for periodic, *_ in layouts) != (name == "n24_mixed")
    if name == "n24_mixed":
        assert layouts[0][:3] == (True, 72, 1) and layouts[1][:3] == (False, 72, 1)
    assert_matches_reference(fused, reference, random_params(fused), tol=TOL64)


@pytest.mark.parametrize("name", ["n24_pad2", "n40_pad1.5_quadratic", "n24_mixed"])
def test_float32_agrees_with_float64(name):
    model64 = pg.PhaseRetrieval(**make_inputs(**CASES[name]), backend="fused")
    model32 = pg.PhaseRetrieval(**make_inputs(**CASES[name], dtype=np.float32), backend="fused")
    assert [layout and layout[0] for layout in band_layouts(model32)] == \
        [layout and layout[0] for layout in band_layouts(model64)]
    a = random_params(model64, scale=0.05)
    args = (a, (0.3, 1.1, 0.001)) if model64.detector == "quadratic" else (a,)
    result64, result32 = model64.value_and_grad(*args), model32.value_and_grad(*args)
    for got, want in zip(result32, result64, strict=True):
        assert relative_error(got, want) <= TOL32
    assert relative_error(model32.simulate(*args), model64.simulate(*args)) <= TOL32


# N >= 256: value_and_grad runs the bands together on a team (bands_team_pass), a periodic
# band's stages on each thread's own work buffer (the largest band's size), their lengths
# all different; with and without the reference's FFT band; N = 262 has ragged last blocks.
TEAM_CASES = {
    "n128_with_reference": {"n": 128, "pad": 2, "detector": "quadratic", "weights": "plane",
                            "wavelengths": snapped([0.8, 0.9, 1.0, 1.1, 1.2], 128, 2)},
    "n131_scaled_only": {"n": 131, "pad": 2, "planes": 2, "spectral_weights": [0.4, 0.6],
                         "wavelengths": snapped([0.9, 1.1], 131, 2)},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", TEAM_CASES)
def test_snapped_bands_give_the_same_bits_on_any_team(name, dtype):
    model = pg.PhaseRetrieval(**make_inputs(**TEAM_CASES[name], dtype=dtype), backend="fused")
    lengths = [layout[1] for layout in band_layouts(model) if layout is not None]
    assert len(set(lengths)) == len(lengths) > 1
    assert all(layout[0] for layout in band_layouts(model) if layout is not None)
    assert_same_bits_on_teams(model, call_args(model, random_params(model)))


@pytest.mark.parametrize("threads", [1, 2])
def test_snapped_bands_on_one_and_two_threads_match_reference(threads):
    fused, reference = make_pair(**TEAM_CASES["n131_scaled_only"])
    with pg.threads(threads):
        assert_matches_reference(fused, reference, random_params(fused), tol=TOL64)


def test_gradient_matches_finite_differences():
    model = pg.PhaseRetrieval(**make_inputs(**CASES["n24_pad2"]), backend="fused")
    assert_gradient_matches_finite_differences(model, random_params(model))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_least_squares_view_matches_reference(dtype):
    # n = 20, N = 40: 0.85 and 1.2 snap to N_lam = 35 and 48.
    wavelengths = snapped([0.85, 1.0, 1.2], 20, 2)
    assert [round(lam * 40) for lam in wavelengths] == [35, 40, 48]
    assert_least_squares_twins({"n": 20, "wavelengths": wavelengths, "weights": True}, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_jacobian_columns_in_parallel_do_not_change_it(dtype):
    model = pg.PhaseRetrieval(**make_inputs(**CASES["n24_pad2"], dtype=dtype), backend="fused")
    x = random_params(model).ravel()
    with pg.threads(1):
        one = model.jacobian(x)
    with pg.threads(2):
        np.testing.assert_array_equal(model.jacobian(x), one)
    unit = np.zeros(model.n_params)
    unit[1] = 1.0
    np.testing.assert_array_equal(model.jvp(x, unit), one[:, 1])


# The imaging model (docs/imaging-model.md) and PhaseDiversity run the same bands through
# their own passes: snapped, against their reference backends.
def test_imaging_model_at_snapped_wavelengths_matches_reference():
    from .imaging_cases import N_PUPIL, build, point, scene

    wavelengths = snapped([0.9, 1.0, 1.2], N_PUPIL, 2)
    assert [round(lam * 2 * N_PUPIL) for lam in wavelengths] == [14, 16, 20]
    options = {"wavelengths": wavelengths, "object": scene(5), "metric": "poisson",
               "fit": ("flux", "jitter"), "planes": 2}
    fused, reference = build(backend="fused", **options), build(**options)
    x = point(reference)
    assert relative_error(fused.simulate(x), reference.simulate(x)) <= 1e-12
    (e_f, g_f), (e_r, g_r) = fused.value_and_grad(x), reference.value_and_grad(x)
    assert relative_error(e_f, e_r) <= 1e-12 and relative_error(g_f, g_r) <= TOL64
    v = np.random.default_rng(4).normal(size=reference.n_params)
    assert relative_error(fused.jvp(x, v), reference.jvp(x, v)) <= TOL64


def test_phase_diversity_at_snapped_wavelengths_matches_reference():
    from .test_phase_diversity import make_inputs as diversity_inputs
    from .test_phase_diversity import point as diversity_point

    wavelengths = snapped([0.9, 1.0, 1.15], 12, 2)
    assert [round(lam * 24) for lam in wavelengths] == [21, 24, 28]
    inputs = diversity_inputs(data="scene", regularization=1e-6, wavelengths=wavelengths)
    fused = pg.PhaseDiversity(backend="fused", **inputs)
    reference = pg.PhaseDiversity(backend="reference", **inputs)
    a = diversity_point(reference)
    (e_f, g_f), (e_r, g_r) = fused.value_and_grad(a), reference.value_and_grad(a)
    assert relative_error(e_f, e_r) <= TOL64 and relative_error(g_f, g_r) <= TOL64
    assert relative_error(fused.estimate_object(a), reference.estimate_object(a)) <= TOL64
