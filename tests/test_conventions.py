"""The conventions of docs/conventions.md, one test each: every number that page states is
computed here, and each test fails if the convention it documents changes.

Simulated with the fused backend (the default) unless a test says otherwise; the reference
backend is held to the fused one elsewhere (tests/models).
"""

import math
from fractions import Fraction

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.pupils import noll_to_nm


def _model(n, grid, modes=3, pad=2, bin=1, diversity=None, first=2, amplitude=None):
    pupil = pg.circular_pupil(n) if amplitude is None else amplitude
    basis = pg.zernike_basis(modes, n, first=first)
    planes = 1 if diversity is None else diversity.shape[0]
    return pg.PhaseRetrieval(amplitude=pupil / pupil.sum(), basis=basis,
                             data=np.zeros((planes, grid // bin, grid // bin)), pad=pad,
                             bin=bin, diversity=diversity)


def _image(model, a):
    return model.simulate(np.asarray(a, dtype=np.float64)).reshape(model.data.shape)


# -- which way the light moves --------------------------------------------------------------
@pytest.mark.parametrize("pad", [2, 3])
def test_positive_tip_moves_the_light_to_larger_columns_and_tilt_to_larger_rows(pad):
    # Tip (Noll 2) is 2x with x along columns: a coefficient a (waves RMS) is a wavefront
    # slope of 4a waves across the diameter, i.e. 4a lambda/D, and lambda/D is pad pixels of
    # the FFT grid. a = 0.5 / pad moves the image by exactly 2 pixels (an integer shift of
    # the discrete transform: the sampled tip is exactly linear).
    n = 16
    model = _model(n, pad * n, modes=2, pad=pad)
    still = _image(model, [0.0, 0.0])[0]
    a = 0.5 / pad
    tipped = _image(model, [a, 0.0])[0]
    tilted = _image(model, [0.0, a])[0]
    np.testing.assert_allclose(tipped, np.roll(still, 2, axis=1), atol=1e-14)
    np.testing.assert_allclose(tilted, np.roll(still, 2, axis=0), atol=1e-14)
    # and a negative coefficient the other way
    np.testing.assert_allclose(_image(model, [-a, 0.0])[0], np.roll(still, -2, axis=1),
                               atol=1e-14)
    assert np.unravel_index(np.argmax(tipped), tipped.shape) == (pad * n // 2,
                                                                 pad * n // 2 + 2)


def test_tip_in_binned_detector_pixels():
    # With bin b the shift is 4 a pad / b detector pixels = 4 a lambda F# / p.
    n, pad, b = 16, 4, 2
    model = _model(n, pad * n, modes=2, pad=pad, bin=b)
    still = _image(model, [0.0, 0.0])[0]
    np.testing.assert_allclose(_image(model, [0.5, 0.0])[0], np.roll(still, 4, axis=1),
                               atol=1e-14)


# -- Strehl units --------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "pad"), [(16, 1), (16, 2), (25, 2.56), (21, 3), (50, 2.56)])
def test_amplitude_over_its_sum_puts_the_unaberrated_peak_at_one(n, pad):
    grid = round(n * pad)
    model = _model(n, grid, pad=pad)
    image = _image(model, np.zeros(3))[0]
    assert image.max() == pytest.approx(1.0, abs=1e-12)
    # ... at the centre pixel, and the total is N^2 / (pupil pixels) (Parseval)
    assert image[grid // 2, grid // 2] == pytest.approx(1.0, abs=1e-12)
    pixels = pg.circular_pupil(n).sum()
    assert image.sum() == pytest.approx(grid**2 / pixels, rel=1e-12)


def test_the_peak_of_an_aberrated_image_is_its_strehl_ratio():
    # Grey amplitudes too: the peak is |sum A e^{i theta}|^2 / (sum A)^2 <= 1, the Strehl
    # ratio; small aberrations follow Marechal's exp(-(2 pi sigma)^2).
    n = 64
    model = _model(n, 2 * n, modes=1, first=4)  # defocus
    sigma = 0.03
    peak = _image(model, [sigma])[0].max()
    assert peak < 1.0
    assert peak == pytest.approx(math.exp(-(2 * math.pi * sigma) ** 2), rel=5e-3)
    assert math.exp(-(2 * math.pi * sigma) ** 2) == pytest.approx(0.965, abs=5e-4)  # the page
    apodised = pg.circular_pupil(n) * np.linspace(0.5, 1.0, n)[None, :]
    grey = _model(n, 2 * n, modes=1, first=4, amplitude=apodised)
    assert _image(grey, [0.0])[0].max() == pytest.approx(1.0, abs=1e-12)


# -- where the centre lands ----------------------------------------------------------------
@pytest.mark.parametrize(("n", "pad"), [(16, 2), (21, 3), (15, 3)])
def test_the_on_axis_point_is_pixel_N_over_2(n, pad):
    grid = pad * n  # 32, 63 and 45: even and odd grids
    image = _image(_model(n, grid, pad=pad), np.zeros(3))[0]
    assert np.unravel_index(np.argmax(image), image.shape) == (grid // 2, grid // 2)


def _gaussian_pupil(n):
    # A Gaussian amplitude makes a smooth Gaussian PSF with no light at the grid's edges, so
    # its centroid is the optical axis; wider than a bin (sigma ~4 unbinned pixels), so the
    # binned centroid is too (a PSF narrower than a bin would be biased by its sub-pixel).
    y, x = np.indices((n, n)) - (n - 1) / 2
    return np.exp(-(x**2 + y**2) / (2 * (n / 16) ** 2)) * pg.circular_pupil(n)


@pytest.mark.parametrize(("grid", "b"), [(64, 2), (64, 4), (96, 2), (60, 3)])
def test_after_binning_the_axis_is_at_a_known_sub_pixel_of_pixel_Nb_over_2(grid, b):
    # The unbinned centre pixel N//2 falls into binned pixel Nb//2 (Nb = N / b) at its
    # sub-pixel (N//2) mod b; in binned pixel-centre coordinates the axis is at
    # (N//2 + 0.5) / b - 0.5.
    n = grid // 2
    model = _model(n, grid, modes=1, first=4, bin=b, amplitude=_gaussian_pupil(n))
    binned = _image(model, [0.0])[0]
    nb = grid // b
    rows = np.arange(nb)
    centroid = (binned.sum(axis=1) * rows).sum() / binned.sum()
    axis = (grid // 2 + 0.5) / b - 0.5
    assert centroid == pytest.approx(axis, abs=1e-6)
    assert np.unravel_index(np.argmax(binned), binned.shape) == (nb // 2, nb // 2)
    assert (grid // 2) // b == nb // 2
    # the page's numbers
    assert (128 // 2 + 0.5) / 2 - 0.5 == 31.75 and (64 // 2 + 0.5) / 4 - 0.5 == 7.625


# -- rotated images and the sign of the defocus --------------------------------------------
def _parity(modes):
    return np.array([(-1) ** noll_to_nm(j)[0] for j in range(2, modes + 2)], dtype=np.float64)


@pytest.fixture(scope="module")
def through_focus():
    n, modes = 32, 10
    defocus = pg.zernike_basis(1, n, first=4)[0]
    diversity = np.array([-0.5, 0.0, 0.5])[:, None, None] * defocus
    a = np.random.default_rng(0).normal(0.0, 0.05, modes)
    return n, modes, diversity, a


def test_an_image_rotated_about_the_centre_pixel_negates_the_odd_modes(through_focus):
    n, modes, diversity, a = through_focus
    model = _model(n, 2 * n, modes=modes, diversity=diversity)
    image = _image(model, a)
    # 180 degrees about pixel N//2 of an even grid: index k -> N - k (mod N)
    rotated = np.roll(image[:, ::-1, ::-1], 1, axis=(1, 2))
    scale = image.max()
    assert np.abs(rotated - _image(model, a * _parity(modes))).max() <= 1e-13 * scale
    assert np.abs(rotated - image).max() > 1e-3 * scale  # not a symmetric test case


@pytest.mark.parametrize("b", [1, 2])
def test_numpy_rot90_twice_also_shifts_tip_and_tilt_on_an_even_grid(through_focus, b):
    # np.rot90(image, 2) turns an even grid about the point between its middle pixels, so the
    # axis moves by -1 unbinned pixel on each axis: tip and tilt change by -1 / (4 pad) more.
    # Flipping commutes with binning, so the same holds for binned images.
    n, modes, diversity, a = through_focus
    pad = 2
    model = _model(n, pad * n, modes=modes, diversity=diversity, bin=b)
    image = _image(model, a)
    expected = a * _parity(modes)
    expected[:2] -= 1 / (4 * pad)
    assert np.abs(np.rot90(image, 2, axes=(1, 2)) - _image(model, expected)).max() \
        <= 1e-13 * image.max()


def test_on_an_odd_grid_rot90_twice_is_the_rotation_about_the_centre_pixel():
    n, modes = 21, 6
    model = _model(n, 3 * n, modes=modes, pad=3)
    a = np.random.default_rng(1).normal(0.0, 0.05, modes)
    image = _image(model, a)
    np.testing.assert_allclose(np.rot90(image, 2, axes=(1, 2)),
                               _image(model, a * _parity(modes)), atol=1e-13 * image.max())


def test_defocus_of_the_wrong_sign_negates_the_even_modes(through_focus):
    n, modes, diversity, a = through_focus
    right = _model(n, 2 * n, modes=modes, diversity=diversity)
    wrong = _model(n, 2 * n, modes=modes, diversity=-diversity)
    # data taken with +diversity, modelled with -diversity: the fit finds even modes negated
    np.testing.assert_allclose(_image(wrong, -a * _parity(modes)), _image(right, a),
                               atol=1e-13 * _image(right, a).max())


# -- defocus: RMS, peak-to-valley, focus shift ---------------------------------------------
def test_noll_defocus_has_peak_to_valley_two_sqrt_three_times_its_rms():
    z4 = pg.zernike_basis(1, 255, first=4)[0]
    inside = z4[pg.circular_pupil(255) > 0]
    assert np.sqrt(np.mean(inside**2)) == pytest.approx(1.0, abs=1e-3)  # sampling
    assert inside.min() == pytest.approx(-math.sqrt(3), abs=1e-12)   # the centre pixel
    assert inside.max() - inside.min() == pytest.approx(2 * math.sqrt(3), rel=1e-3)
    assert 2 * math.sqrt(3) == pytest.approx(3.4641, abs=1e-4)


def dz_pv_check():
    """PV (waves) of the ray-optics check: dz = 6 mm at F/20, 0.64 um."""
    return 6000.0 / (8 * 20.0**2) / 0.64


def test_pad_and_defocus_from_the_optics():
    # The numbers of docs/conventions.md: lambda = 0.64 um, F/20, 5 um pixels.
    wavelength, f_number, pixel = 0.64, 20.0, 5.0
    pad = wavelength * f_number / pixel
    assert pad == pytest.approx(2.56, abs=1e-12)
    assert Fraction(pad).limit_denominator(1000) == Fraction(64, 25)
    assert [n for n in range(1, 101) if (n * Fraction(64, 25)).denominator == 1] == \
        [25, 50, 75, 100]
    assert 50 * Fraction(64, 25) == 128 and 100 * Fraction(64, 25) == 256
    # A measured pad that is no simple fraction: choose N, round n = N / pad.
    measured = 2.5634
    n = round(256 / measured)
    assert n == 100 and 256 / n == 2.56
    assert abs(256 / n - measured) / measured <= 1 / (2 * n)
    assert abs(256 / n - measured) / measured == pytest.approx(0.0013, abs=5e-5)  # 0.13%
    assert dz_pv_check() == pytest.approx(2.930, abs=5e-4)
    # Undersampled x2 (p = lambda F#): the unbinned grid has pad = b lambda F# / p = 2 at b = 2.
    assert 2 * wavelength * f_number / (wavelength * f_number) == 2
    # A focus shift of 2 mm: PV = dz / (8 F#^2), RMS = PV / (2 sqrt 3)
    dz = 2000.0  # um
    pv = dz / (8 * f_number**2)
    assert pv == pytest.approx(0.625)                       # um
    assert pv / wavelength == pytest.approx(0.9765625)     # waves PV
    assert pv / wavelength / (2 * math.sqrt(3)) == pytest.approx(0.28190, abs=1e-5)  # RMS


def test_a_focus_shift_blurs_to_the_geometric_disk_of_radius_dz_over_2F():
    # Ray optics: the cone of half-angle 1/(2 F#) displaced by dz is a disk of radius
    # dz / (2 F#); the model's defocus of PV = dz / (8 F#^2) waves-length must give it.
    wavelength, f_number, pixel, dz = 0.64, 20.0, 5.0, 6000.0
    pad, n = wavelength * f_number / pixel, 100
    grid = round(pad * n)
    rms = dz / (8 * f_number**2) / wavelength / (2 * math.sqrt(3))
    radius = dz / (2 * f_number) / pixel
    assert radius == pytest.approx(30.0)
    image = _image(_model(n, grid, modes=1, first=4, pad=pad), [rms])[0]
    rows, cols = np.indices(image.shape) - grid // 2
    r = np.hypot(rows, cols)

    def enclosed(fraction):
        return image[r <= fraction * radius].sum() / image.sum()

    # a uniform disk holds 64% of its light within 0.8 R; diffraction spreads it a little
    assert enclosed(0.8) < 0.75
    assert enclosed(1.2) > 0.95


@pytest.mark.parametrize(("grid", "b", "window"), [(64, 1, 33), (64, 1, 40), (64, 2, 17),
                                                   (60, 3, 12)])
def test_a_detector_window_is_centred_on_pixel_M_over_2(grid, b, window):
    n = grid // 2
    full = _model(n, grid, modes=3, bin=b)
    pupil = pg.circular_pupil(n)
    windowed = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(),
                                 basis=pg.zernike_basis(3, n, first=2),
                                 data=np.zeros((window, window)), bin=b,
                                 backend="reference")
    a = np.array([0.05, -0.03, 0.02])
    nb = grid // b
    first = nb // 2 - window // 2
    np.testing.assert_allclose(_image(windowed, a)[0],
                               _image(full, a)[0][first:first + window, first:first + window],
                               rtol=1e-13, atol=1e-16)
    if b == 1:
        image = _image(windowed, np.zeros(3))[0]
        assert np.unravel_index(np.argmax(image), image.shape) == (window // 2, window // 2)


def test_broadband_images_carry_photon_fractions():
    # spectral_weights are photon fractions: each wavelength's image holds its share of the
    # light (the total is the same as monochromatic), so the unaberrated broadband peak is
    # sum s (lambda0 / lambda)^2, the light of a longer wavelength being spread wider.
    n = 32
    pupil = pg.circular_pupil(n)
    wavelengths, fractions = (0.9, 1.0, 1.1), (0.2, 0.5, 0.3)
    broadband = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(),
                                  basis=pg.zernike_basis(3, n, first=2),
                                  data=np.zeros((4 * n, 4 * n)), pad=4,
                                  wavelengths=wavelengths, spectral_weights=fractions)
    mono = _model(n, 4 * n, pad=4)
    image = _image(broadband, np.zeros(3))[0]
    expected_peak = sum(s / lam**2 for lam, s in zip(wavelengths, fractions, strict=True))
    assert image.max() == pytest.approx(expected_peak, rel=1e-12)
    assert expected_peak == pytest.approx(0.9948, abs=1e-4)  # the page's number
    # (pad 4 keeps every band's light on the grid: the totals agree to 2e-3)
    assert image.sum() == pytest.approx(_image(mono, np.zeros(3))[0].sum(), rel=2e-3)
