"""Broadband PhaseRetrieval at sizes where the chirp-z bands (cpp/src/core/czt.cpp) run with one
and with several output blocks: fused against the reference (the matrix Fourier transform of
phasegrad.reference) to 1e-10 in float64, float32 against float64, finite differences, and the
least-squares view (jvp, vjp, Jacobian, Gauss-Newton) against the reference."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import relative_error

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

# (n, pad): N = 48, 60, 66 and 80 run the bands with one output block, N = 128 with two (the
# cost model's choices); odd and even.
CASES = {
    "n24_pad2": {"n": 24, "pad": 2, "wavelengths": [0.8, 0.9, 1.0, 1.1, 1.2]},
    "n40_pad1.5_quadratic": {"n": 40, "pad": 1.5, "wavelengths": [0.85, 1.0, 1.3],
                             "detector": "quadratic", "weights": "plane"},
    "n33_pad2_planes": {"n": 33, "pad": 2, "planes": 2, "wavelengths": [0.9, 1.15],
                        "spectral_weights": [0.3, 0.7]},
    "n40_pad2_binned": {"n": 40, "pad": 2, "bin": 2, "wavelengths": [0.7, 1.0, 1.45]},
    "n64_pad2_two_blocks": {"n": 64, "pad": 2, "wavelengths": [0.9, 1.0, 1.1]},
}


@pytest.mark.parametrize("name", CASES)
def test_fused_matches_reference(name):
    fused, reference = make_pair(**CASES[name])
    assert_matches_reference(fused, reference, random_params(fused), tol=TOL64)


@pytest.mark.parametrize("name", ["n24_pad2", "n40_pad1.5_quadratic"])
def test_float32_agrees_with_float64(name):
    model64 = pg.PhaseRetrieval(**make_inputs(**CASES[name]), backend="fused")
    model32 = pg.PhaseRetrieval(**make_inputs(**CASES[name], dtype=np.float32), backend="fused")
    a = random_params(model64, scale=0.05)
    args = (a, (0.3, 1.1, 0.001)) if model64.detector == "quadratic" else (a,)
    result64, result32 = model64.value_and_grad(*args), model32.value_and_grad(*args)
    assert relative_error(result32[0], result64[0]) <= TOL32
    assert relative_error(result32[1], result64[1]) <= TOL32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("wavelengths", [[0.8, 1.0, 1.2], [0.9, 1.1]])
def test_bands_run_together_as_the_passes_do_one_after_another(dtype, wavelengths):
    # N = 256: on one thread value_and_grad runs every band's rows together, a block at a time
    # (the forward rows, pass B, the adjoint rows); a team runs each band's transforms and
    # pass B one after another. The same chunks and rows: the same bits.
    model = pg.PhaseRetrieval(**make_inputs(n=128, pad=2, planes=2, wavelengths=wavelengths,
                                            weights="plane", detector="quadratic",
                                            dtype=dtype), backend="fused")
    args = call_args(model, random_params(model))
    with pg.threads(1):
        one = model.value_and_grad(*args)
    with pg.threads(2):
        team = model.value_and_grad(*args)
    assert one[0] == team[0]
    for a, b in zip(one[1:], team[1:], strict=True):
        np.testing.assert_array_equal(a, b)


# Grids N >= 256, where value_and_grad runs the bands' fused pass on a team
# (bands_team_pass): with a reference band, its row chunks and the chirp-z blocks of rows end
# together every few blocks (units that run the FFT chunks inside: N = 258 float64 on 2
# threads, N = 256 float32) or too rarely to share (the FFT chunks run apart: N = 256 float64,
# N = 258 float32, and on 3 threads); chirp-z bands alone; FFT bands alone. N = 258 and 262
# have ragged last blocks and chunks.
TEAM_CASES = {
    "n129_with_reference": {"n": 129, "pad": 2, "wavelengths": [0.85, 1.0, 1.25],
                            "detector": "quadratic", "weights": "plane"},
    "n128_chunks_apart": {"n": 128, "pad": 2, "wavelengths": [0.8, 1.0, 1.2]},
    "n131_scaled_only": {"n": 131, "pad": 2, "planes": 2, "wavelengths": [0.9, 1.1],
                         "spectral_weights": [0.4, 0.6]},
    "n129_fft_only": {"n": 129, "pad": 2, "wavelengths": [1.0, 1.0, 1.0]},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", TEAM_CASES)
def test_bands_on_a_team_give_the_same_bits_on_any_team(name, dtype):
    # The bands' rows a block at a time on a team, the blocks and the chirp-z stages' lines
    # handed out as threads free up, the per-row sums added in row order: the same bits on 1
    # (bands_pass), 2 and 3 threads.
    model = pg.PhaseRetrieval(**make_inputs(**TEAM_CASES[name], dtype=dtype), backend="fused")
    assert_same_bits_on_teams(model, call_args(model, random_params(model)))


@pytest.mark.parametrize("name", ["n129_with_reference", "n131_scaled_only"])
def test_bands_on_a_team_match_reference(name):
    fused, reference = make_pair(**TEAM_CASES[name])
    with pg.threads(2):
        assert_matches_reference(fused, reference, random_params(fused), tol=TOL64)


def test_gradient_matches_finite_differences():
    model = pg.PhaseRetrieval(**make_inputs(**CASES["n24_pad2"]), backend="fused")
    assert_gradient_matches_finite_differences(model, random_params(model))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_least_squares_view_matches_reference(dtype):
    assert_least_squares_twins({"n": 20, "wavelengths": [0.85, 1.0, 1.2], "weights": True},
                               dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_jacobian_columns_in_parallel_do_not_change_it(dtype):
    # The columns run one per thread, each band's chirp-z transform on the column's own work
    # buffer: bit for bit the same Jacobian on 1, 2 and 3 threads, and each column the jvp of
    # its unit vector (the same transforms, run alone).
    model = pg.PhaseRetrieval(**make_inputs(**CASES["n24_pad2"], dtype=dtype), backend="fused")
    x = random_params(model).ravel()
    with pg.threads(1):
        one = model.jacobian(x)
    for threads in (2, 3):
        with pg.threads(threads):
            np.testing.assert_array_equal(model.jacobian(x), one)
    for k in (0, model.n_params // 2, model.n_params - 1):
        unit = np.zeros(model.n_params)
        unit[k] = 1.0
        np.testing.assert_array_equal(model.jvp(x, unit), one[:, k])
