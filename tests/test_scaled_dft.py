"""The broadband bands' chirp-z scaled DFT (cpp/src/core/czt.cpp) on its own, against the
matrix product it stands for: G = E g E^T with E[k, x] = exp(-2 pi i s (k - N//2) x), and the
adjoint E^H G conj(E), for every number of output blocks, odd and even sizes, spacings above
and below 1/N, float64 and float32; and the identity <E g E^T, G> = <g, E^H G conj(E)>."""

import numpy as np
import pytest

from phasegrad.native import core


def matrix(n, grid, spacing):
    k = np.arange(grid) - grid // 2
    return np.exp(-2j * np.pi * spacing * np.outer(k, np.arange(n)))


def random_complex(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def relative(got, want):
    return np.max(np.abs(got - want)) / np.max(np.abs(want))


SIZES = [(1, 1), (2, 3), (5, 5), (9, 18), (9, 27), (16, 32), (17, 40), (32, 64), (40, 80)]


@pytest.mark.parametrize("blocks", [0, 1, 2, 3, 4])
@pytest.mark.parametrize(("n", "grid"), SIZES)
@pytest.mark.parametrize("ratio", [0.8, 1.0, 1.37])
def test_forward_and_adjoint_match_the_matrix_product(n, grid, ratio, blocks):
    spacing = 1.0 / (ratio * grid)
    e = matrix(n, grid, spacing)
    g = random_complex((n, n), seed=n + grid)
    big = random_complex((grid, grid), seed=n * grid)
    forward = core.scaled_dft2(g, n, grid, spacing, blocks, False, False)
    adjoint = core.scaled_dft2(big, n, grid, spacing, blocks, True, False)
    assert forward.shape == (grid, grid) and adjoint.shape == (n, n)
    assert relative(forward, e @ g @ e.T) <= 1e-12
    assert relative(adjoint, e.conj().T @ big @ e.conj()) <= 1e-12
    # The adjoint identity, on the transform's own outputs.
    left = np.vdot(big, forward)
    right = np.vdot(adjoint, g)
    assert abs(left - right) <= 1e-12 * abs(left) * 10


@pytest.mark.parametrize("blocks", [0, 1, 2])
def test_float32_agrees_with_float64(blocks):
    n, grid, spacing = 24, 48, 1.0 / (1.21 * 48)
    g = random_complex((n, n), seed=3)
    big = random_complex((grid, grid), seed=4)
    for adjoint, data in ((False, g), (True, big)):
        single = core.scaled_dft2(data, n, grid, spacing, blocks, adjoint, True)
        double = core.scaled_dft2(data, n, grid, spacing, blocks, adjoint, False)
        assert relative(single, double) <= 1e-5


def test_spacing_one_over_n_is_the_centred_dft():
    n, grid = 12, 30
    g = random_complex((n, n), seed=5)
    padded = np.zeros((grid, grid), complex)
    padded[:n, :n] = g
    want = np.fft.fftshift(np.fft.fft2(padded))
    got = core.scaled_dft2(g, n, grid, 1.0 / grid, 0, False, False)
    assert relative(got, want) <= 1e-12


@pytest.mark.parametrize(("shape", "n", "grid", "adjoint"), [
    ((4, 4), 5, 10, False), ((10, 9), 5, 10, True), ((4, 4), 5, 4, False)])
def test_bad_shapes_are_refused(shape, n, grid, adjoint):
    with pytest.raises(ValueError, match="scaled_dft2"):
        core.scaled_dft2(np.zeros(shape, complex), n, grid, 0.1, 0, adjoint, False)


@pytest.mark.parametrize("blocks", [0, 1, 3])
@pytest.mark.parametrize(("n", "grid"), [(5, 5), (17, 40), (32, 64)])
@pytest.mark.parametrize("single", [False, True])
def test_without_the_output_chirps(n, grid, blocks, single):
    # The fused models' form: G times conj(w(k') w(l')) (w(t) = exp(-i pi s t^2), k' = k - N//2),
    # and its adjoint E^H (G w(k') w(l')) conj(E), so that |G|^2 is unchanged and the phases
    # cancel between the forward and the reverse pass.
    spacing = 1.0 / (1.21 * grid)
    e = matrix(n, grid, spacing)
    k = np.arange(grid) - grid // 2
    w = np.exp(-1j * np.pi * spacing * k.astype(float) ** 2)
    chirps = np.outer(w, w)
    g = random_complex((n, n), seed=7)
    big = random_complex((grid, grid), seed=8)
    forward = core.scaled_dft2(g, n, grid, spacing, blocks, False, single, output_chirp=False)
    adjoint = core.scaled_dft2(big, n, grid, spacing, blocks, True, single, output_chirp=False)
    tol = 1e-5 if single else 1e-12
    assert relative(forward, (e @ g @ e.T) * chirps.conj()) <= tol
    assert relative(adjoint, e.conj().T @ (big * chirps) @ e.conj()) <= tol
    chirped = core.scaled_dft2(g, n, grid, spacing, blocks, False, single)
    assert relative(np.abs(forward), np.abs(chirped)) <= tol


# The periodic mode (core/czt.hpp): at s = 1/L, L >= n an integer of factors 2, 3, 5 and 7,
# plain FFTs of length L, their outputs taken mod L. (n, N, L): L below N (the period repeats
# on the detector, more than once for L < N / 2), equal to N, above it; L = n; odd and even.
PERIODIC = [(5, 10, 5), (5, 10, 8), (5, 10, 12), (6, 9, 7), (7, 20, 7), (3, 16, 3),
            (16, 32, 20), (17, 40, 21), (17, 40, 40), (17, 40, 63), (32, 64, 100),
            (9, 9, 9), (1, 1, 1), (1, 4, 2)]
STAGES = ["whole", "rows", "blocks"]


def layout(n, grid, spacing, blocks=0, single=False):
    periodic, length, q, rows = core.scaled_dft2_layout(n, grid, spacing, blocks, single)
    return {"periodic": periodic, "length": length, "blocks": q, "rows": rows}


@pytest.mark.parametrize("stages", STAGES)
@pytest.mark.parametrize(("n", "grid", "period"), PERIODIC)
def test_periodic_mode_matches_the_matrix_product(n, grid, period, stages):
    spacing = 1.0 / period
    assert layout(n, grid, spacing) == {"periodic": True, "length": period, "blocks": 1,
                                        "rows": layout(n, grid, 1 / (1.37 * grid))["rows"]}
    e = matrix(n, grid, spacing)
    g = random_complex((n, n), seed=n + grid + period)
    big = random_complex((grid, grid), seed=n * grid + period)
    want_forward, want_adjoint = e @ g @ e.T, e.conj().T @ big @ e.conj()
    for chirp in (False, True):  # no chirp in this mode: the unchirped form is E g E^T too
        forward = core.scaled_dft2(g, n, grid, spacing, 0, False, False, chirp, stages)
        adjoint = core.scaled_dft2(big, n, grid, spacing, 0, True, False, chirp, stages)
        assert relative(forward, want_forward) <= 1e-13
        assert relative(adjoint, want_adjoint) <= 1e-13
        # <E g E^T, G> = <g, E^H G conj(E)> on the transform's own outputs.
        left, right = np.vdot(big, forward), np.vdot(adjoint, g)
        assert abs(left - right) <= 1e-13 * abs(left)
    # The stages give the whole transform's results bit for bit.
    whole = core.scaled_dft2(g, n, grid, spacing, 0, False, False, False)
    np.testing.assert_array_equal(forward, whole)
    whole = core.scaled_dft2(big, n, grid, spacing, 0, True, False, False)
    np.testing.assert_array_equal(adjoint, whole)


@pytest.mark.parametrize("stages", STAGES)
@pytest.mark.parametrize(("n", "grid", "period"), [(5, 10, 8), (17, 40, 21), (32, 64, 100)])
def test_periodic_float32_agrees_with_the_matrix_product(n, grid, period, stages):
    spacing = 1.0 / period
    assert layout(n, grid, spacing, single=True)["periodic"]
    e = matrix(n, grid, spacing)
    g = random_complex((n, n), seed=11)
    big = random_complex((grid, grid), seed=12)
    forward = core.scaled_dft2(g, n, grid, spacing, 0, False, True, False, stages)
    adjoint = core.scaled_dft2(big, n, grid, spacing, 0, True, True, False, stages)
    assert relative(forward, e @ g @ e.T) <= 1e-6
    assert relative(adjoint, e.conj().T @ big @ e.conj()) <= 1e-6
    assert relative(forward, e @ g @ e.T) > 1e-12  # float32 arithmetic, not float64's


@pytest.mark.parametrize("stages", STAGES)
def test_chirp_z_stages_give_the_whole_transform_bit_for_bit(stages):
    n, grid, spacing = 17, 40, 1.0 / (1.21 * 40)
    g = random_complex((n, n), seed=13)
    big = random_complex((grid, grid), seed=14)
    for blocks in (0, 2):
        for data, adjoint in ((g, False), (big, True)):
            got = core.scaled_dft2(data, n, grid, spacing, blocks, adjoint, False, False, stages)
            want = core.scaled_dft2(data, n, grid, spacing, blocks, adjoint, False, False)
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("n", "grid", "period"), [(5, 10, 8), (17, 40, 21), (32, 64, 100)])
def test_a_spacing_off_the_period_takes_the_chirp_z_transform(n, grid, period):
    # 1e-9 from 1/L: E's phases would differ from the periodic ones by up to pi 1e-9 N, far
    # beyond rounding: the chirp-z transform, exact at that spacing.
    for spacing in (1.0 / period * (1 + 1e-9), 1.0 / period * (1 - 1e-9)):
        assert not layout(n, grid, spacing)["periodic"]
        e = matrix(n, grid, spacing)
        g = random_complex((n, n), seed=15)
        forward = core.scaled_dft2(g, n, grid, spacing, 0, False, False, True)
        assert relative(forward, e @ g @ e.T) <= 1e-12
    # Within the tolerance (8 eps): periodic, and as exact.
    spacing = 1.0 / period * (1 + 4 * np.finfo(float).eps)
    assert layout(n, grid, spacing)["periodic"]
    g = random_complex((n, n), seed=16)
    want = matrix(n, grid, spacing) @ g @ matrix(n, grid, spacing).T
    assert relative(core.scaled_dft2(g, n, grid, spacing, 0, False, False), want) <= 1e-13


@pytest.mark.parametrize(("n", "grid", "spacing", "why"), [
    (32, 64, 1 / 101, "L = 101 is prime"),
    (32, 64, 1 / 121, "L = 121 = 11^2"),
    (32, 64, 1 / 30, "L = 30 < n"),
    (32, 64, -1 / 64, "a negative spacing"),
    (32, 64, 1 / 100.5, "1/s is not an integer"),
])
def test_other_spacings_take_the_chirp_z_transform(n, grid, spacing, why):
    assert not layout(n, grid, spacing)["periodic"], why
    e = matrix(n, grid, spacing)
    g = random_complex((n, n), seed=17)
    big = random_complex((grid, grid), seed=18)
    assert relative(core.scaled_dft2(g, n, grid, spacing, 0, False, False, True),
                    e @ g @ e.T) <= 1e-12
    assert relative(core.scaled_dft2(big, n, grid, spacing, 0, True, False, True),
                    e.conj().T @ big @ e.conj()) <= 1e-12


def test_explicit_blocks_and_long_periods_take_the_chirp_z_transform():
    # A caller that names q gets the chirp-z layout whatever the spacing (the tests above of
    # every q at s = 1/(0.8 N) and 1/N rely on it); so does a period so long that one FFT of
    # length L costs more than the chirp-z FFTs (the cost model's).
    assert layout(17, 40, 1 / 32)["periodic"]
    for blocks in (1, 2, 3):
        assert layout(17, 40, 1 / 32, blocks) == layout(17, 40, 1 / 32.5, blocks)
        assert not layout(17, 40, 1 / 32, blocks)["periodic"]
    assert not layout(16, 32, 1 / (64 * 32))["periodic"]


def test_the_period_rule_is_the_layout_s():
    # core.scaled_dft2_period (what pg.snap_wavelengths asks) names the period exactly where the
    # transform takes the periodic mode, and 0 elsewhere.
    rng = np.random.default_rng(21)
    cases = [(n, grid, 1 / period) for n, grid in ((16, 32), (17, 40), (64, 128), (33, 99))
             for period in range(n - 2, 5 * grid, 7)]
    cases += [(64, 128, 1 / 100 * (1 + 1e-9)), (64, 128, -1 / 100), (64, 128, 1e-300)]
    cases += [(int(n), int(n) * 2, float(s)) for n, s in
              zip(rng.integers(1, 80, size=40), rng.uniform(1e-3, 0.2, size=40), strict=True)]
    periodic = 0
    for n, grid, spacing in cases:
        got = layout(n, grid, spacing)
        period = core.scaled_dft2_period(n, grid, spacing)
        assert period == (got["length"] if got["periodic"] else 0), (n, grid, spacing)
        periodic += bool(period)
    assert 0 < periodic < len(cases)


@pytest.mark.parametrize("blocks", [5, 8, 16, 40])
def test_more_than_four_blocks(blocks):
    # Any q from 1 to N (more is N's): the layout takes it (q > 4 used to leave the layout
    # empty) and the transform stays exact.
    n, grid, spacing = 8, 16, 0.37 / 16
    _, length, used, _ = core.scaled_dft2_layout(n, grid, spacing, blocks, False)
    assert used == len(range(0, grid, -(-grid // min(blocks, grid)))) and length >= n
    e = matrix(n, grid, spacing)
    g = random_complex((n, n), seed=22)
    big = random_complex((grid, grid), seed=23)
    assert relative(core.scaled_dft2(g, n, grid, spacing, blocks, False, False, True),
                    e @ g @ e.T) <= 1e-12
    assert relative(core.scaled_dft2(big, n, grid, spacing, blocks, True, False, True),
                    e.conj().T @ big @ e.conj()) <= 1e-12
