"""pg.snap_wavelengths: the nearest wavelengths whose bands run as plain FFTs of a
2-3-5-7-smooth length N_lam >= n (checked against a brute-force search), the reference
wavelength kept exactly, and its argument errors."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.native import core


def smooth(m):
    for p in (2, 3, 5, 7):
        while m % p == 0:
            m //= p
    return m == 1


def runs_periodic(length, reference, grid, pupil):
    """Whether the band of the wavelength snapped to ``length`` runs plain FFTs of that length
    at the spacing the model computes (the core's rule)."""
    snapped = length * reference / grid
    return core.scaled_dft2_period(pupil, grid, reference / (snapped * grid)) == length


def brute_force(lam, reference, grid, pupil):
    x = lam * grid / reference
    lengths = [m for m in range(pupil, int(2 * x) + pupil + 2)
               if m == grid or (smooth(m) and runs_periodic(m, reference, grid, pupil))]
    return min(lengths, key=lambda m: (abs(m - x), m))


@pytest.mark.parametrize(("grid", "pupil"), [(128, 64), (256, 128), (48, 24), (66, 33),
                                             (60, 40), (97, 97)])
def test_nearest_smooth_length_at_least_the_pupil(grid, pupil):
    rng = np.random.default_rng(grid)
    reference = 0.633
    lams = list(rng.uniform(pupil / grid, 2.0, size=40) * reference) + [reference]
    got = pg.snap_wavelengths(lams, reference, grid, pupil)
    assert isinstance(got, tuple) and len(got) == len(lams)
    for lam, snapped in zip(lams, got, strict=True):
        length = round(snapped * grid / reference)
        assert length == brute_force(lam, reference, grid, pupil)
        assert (smooth(length) or length == grid) and length >= pupil
        assert abs(snapped * grid / reference - length) <= 1e-12 * length
        # The band's transform takes the periodic mode at the spacing the model computes.
        spacing = reference / (snapped * grid)
        if length != grid:
            assert core.scaled_dft2_layout(pupil, grid, spacing, 0, False)[:2] == (True, length)
    assert got[-1] == reference


def test_the_benchmark_case_and_the_reference_exactly():
    got = pg.snap_wavelengths([0.8, 0.9, 1.0, 1.1, 1.2], 1.0, grid=128, pupil=64)
    assert got == (100 / 128, 112 / 128, 1.0, 140 / 128, 150 / 128)
    # A wavelength within half a sample of the reference comes back as the reference itself
    # (the model's FFT band), not as N * lam_ref / N rounded.
    reference = 0.1 + 0.2
    assert pg.snap_wavelengths([reference * 1.001, reference], reference, 100, 50) == \
        (reference, reference)
    # A number is one wavelength; integers are numbers.
    assert pg.snap_wavelengths(1, 1, 64, 32) == (1.0,)
    assert pg.snap_wavelengths(np.float32(0.5), 1.0, 64, 32) == (0.5,)


def test_below_the_shortest_periodic_sampling_is_refused():
    # N_lam >= n: at n = 64, N = 128 the shortest is lam = 0.5 (within half a sample of it
    # snaps up to it).
    assert pg.snap_wavelengths([0.497], 1.0, 128, 64) == (0.5,)
    with pytest.raises(ValueError, match=r"wavelengths\[1\] = 0.49 is shorter"):
        pg.snap_wavelengths([0.8, 0.49], 1.0, 128, 64)


def test_long_wavelengths_snap_only_to_periods_the_core_takes():
    # At n = 64, N = 128 the core takes periods up to 512 (4 N), beyond 2.5 N not every smooth
    # length (480 = 2^5 3 5 costs more than the chirp-z FFTs): 3.7 (N_lam 473.6) goes to 450,
    # not to 480, and every answer runs periodic.
    assert not runs_periodic(480, 1.0, 128, 64) and runs_periodic(450, 1.0, 128, 64)
    assert pg.snap_wavelengths([3.7], 1.0, 128, 64) == (450 / 128,)
    lams = np.linspace(0.5, 4.0, 300)
    for lam, snapped in zip(lams, pg.snap_wavelengths(lams, 1.0, 128, 64), strict=True):
        length = round(snapped * 128)
        assert length == 128 or runs_periodic(length, 1.0, 128, 64)
        assert length == brute_force(lam, 1.0, 128, 64)


def test_extreme_references_keep_the_reference():
    # lam / reference first: a reference of 1e308 and the same wavelength is the reference's
    # own FFT band, not an overflow.
    assert pg.snap_wavelengths([1e308], 1e308, 128, 64) == (1e308,)


@pytest.mark.parametrize(("lam", "reference"), [
    (550.0, 600e-9),  # nanometres against metres: N_lam ~ 1e11
    (1e308, 1.0),     # lam * grid overflows
    (1.0, 1e-320),    # a subnormal reference
    (1.0, 5e-324),    # the smallest: every snapped wavelength times grid underflows to 0
    (4.02, 1.0),      # beyond the longest period (512) by more than half a sample
])
def test_beyond_the_longest_period_is_refused(lam, reference):
    with pytest.raises(ValueError, match=r"wavelengths\[0\] = .* is longer than"):
        pg.snap_wavelengths([lam], reference, 128, 64)


@pytest.mark.parametrize(("args", "error", "match"), [
    (([], 1.0, 64, 32), ValueError, "wavelengths must be a non-empty"),
    (([[0.9, 1.0]], 1.0, 64, 32), ValueError, "wavelengths must be a non-empty"),
    ((["0.9"], 1.0, 64, 32), TypeError, "wavelengths must be"),
    (([0.9 + 0j], 1.0, 64, 32), TypeError, "wavelengths must be"),
    (([0.9, np.nan], 1.0, 64, 32), ValueError, "wavelengths must be finite"),
    (([0.9, -1.0], 1.0, 64, 32), ValueError, "wavelengths must be positive"),
    (([0.9], 0.0, 64, 32), ValueError, "wavelength must be positive"),
    (([0.9], "1", 64, 32), TypeError, "wavelength must be a real number"),
    (([0.9], np.inf, 64, 32), ValueError, "wavelength must be finite"),
    (([0.9], 1.0, 64.0, 32), TypeError, "grid must be a positive integer"),
    (([0.9], 1.0, 0, 32), ValueError, "grid must be a positive integer"),
    (([0.9], 1.0, 64, True), TypeError, "pupil must be a positive integer"),
    (([0.9], 1.0, 64, 65), ValueError, r"pupil \(n = 65\) must not exceed grid"),
    (([0.9], 1.0, 10**30, 64), ValueError, "grid must be at most"),
])
def test_bad_arguments_are_named(args, error, match):
    with pytest.raises(error, match=match):
        pg.snap_wavelengths(*args)


def test_models_say_which_bands_run_plain_ffts():
    # band_transforms names the core's choice at the spacing the model computes: the layout
    # the band's ScaledDft2 takes (periodic with that length, or chirp-z), the reference's FFT.
    n, grid = 32, 64
    amplitude = np.ones((n, n))
    basis = pg.zernike_basis(5, n, first=2)
    snapped = pg.snap_wavelengths([0.8, 0.9, 1.1], 1.0, grid, n)
    lams = [*snapped, 1.0, 0.95]
    model = pg.PhaseRetrieval(amplitude, basis, np.ones((grid, grid)), wavelengths=lams)
    kinds = model.band_transforms
    assert [kind for kind, _ in kinds] == ["periodic"] * 3 + ["fft", "chirp-z"]
    assert kinds[3] == ("fft", grid) and kinds[4] == ("chirp-z", None)
    for lam, (kind, length) in zip(lams, kinds, strict=True):
        if kind == "fft":
            continue
        periodic, got_length, _, _ = core.scaled_dft2_layout(n, grid, 1.0 / (lam * grid), 0,
                                                              False)
        assert periodic == (kind == "periodic")
        if periodic:
            assert got_length == length == round(lam * grid)
    pd = pg.PhaseDiversity(amplitude, basis, np.ones((2, grid, grid)),
                           diversity=np.stack([basis[2], -basis[2]]), regularization=1e-3,
                           wavelengths=lams)
    assert pd.band_transforms == kinds
