"""Tests of phasegrad.pupils: circular pupils, Zernike polynomials and segmented apertures."""

import math

import numpy as np
import pytest

from phasegrad.pupils import (
    SegmentedPupil,
    circular_pupil,
    hex_segments,
    noll_to_nm,
    zernike_basis,
)

# Noll (1976), Table 1: (radial order n, azimuthal frequency m) of Z_1 ... Z_22, written out by
# hand; m < 0 marks the sin(|m| theta) terms, which Noll gives the odd indices.
NOLL_TABLE = {
    1: (0, 0),
    2: (1, 1), 3: (1, -1),
    4: (2, 0), 5: (2, -2), 6: (2, 2),
    7: (3, -1), 8: (3, 1), 9: (3, -3), 10: (3, 3),
    11: (4, 0), 12: (4, 2), 13: (4, -2), 14: (4, 4), 15: (4, -4),
    16: (5, 1), 17: (5, -1), 18: (5, 3), 19: (5, -3), 20: (5, 5), 21: (5, -5),
    22: (6, 0),
}


def normalised_coordinates(n):
    """x (along columns), y (along rows) of each pixel, as the module documents them."""
    offset = (np.arange(n) - (n - 1) / 2) / (n / 2)
    y, x = np.meshgrid(offset, offset, indexing="ij")
    return x, y


def segment_labels(pupil):
    """Image of segment indices (-1 off the segments) from the piston modes."""
    pistons = pupil.basis[0::3]
    labels = np.full(pistons.shape[1:], -1)
    for k, piston in enumerate(pistons):
        labels[piston > 0] = k
    return labels


# --------------------------------------------------------------------------- noll_to_nm

@pytest.mark.parametrize("j", sorted(NOLL_TABLE))
def test_noll_to_nm_matches_noll_table(j):
    assert noll_to_nm(j) == NOLL_TABLE[j]


def test_noll_to_nm_enumerates_every_mode_once():
    pairs = [noll_to_nm(j) for j in range(1, 232)]  # radial orders 0 ... 20 exactly
    assert len(set(pairs)) == len(pairs)
    for j, (n, m) in enumerate(pairs, start=1):
        assert abs(m) <= n and (n - abs(m)) % 2 == 0
        if m != 0:
            assert (m > 0) == (j % 2 == 0)
    expected = {(n, m) for n in range(21) for m in range(-n, n + 1, 2)}
    assert set(pairs) == expected


def test_noll_to_nm_returns_python_ints():
    n, m = noll_to_nm(np.int64(8))
    assert type(n) is int and type(m) is int


# --------------------------------------------------------------------------- circular_pupil

def test_circular_pupil_small_grid_by_hand():
    expected = np.array([[0, 1, 1, 0],
                         [1, 1, 1, 1],
                         [1, 1, 1, 1],
                         [0, 1, 1, 0]], dtype=np.float64)
    np.testing.assert_array_equal(circular_pupil(4), expected)
    assert circular_pupil(4).dtype == np.float64


@pytest.mark.parametrize("n", [31, 64])
def test_circular_pupil_is_the_inscribed_disk(n):
    pupil = circular_pupil(n)
    x, y = normalised_coordinates(n)
    np.testing.assert_array_equal(pupil, (np.hypot(x, y) <= 1).astype(float))
    # symmetric about the grid centre, and the edge rows and columns touch the disk
    np.testing.assert_array_equal(pupil, pupil[::-1])
    np.testing.assert_array_equal(pupil, pupil.T)
    assert pupil[0].any() and pupil[:, -1].any()
    assert pupil[0, 0] == 0 and pupil[-1, -1] == 0
    assert abs(pupil.sum() / (math.pi * n * n / 4) - 1) < 0.03


def test_obscuration_masks_the_centre():
    n, obscuration = 64, 0.3
    pupil = circular_pupil(n, obscuration=obscuration)
    x, y = normalised_coordinates(n)
    rho = np.hypot(x, y)
    assert np.all(pupil[rho < obscuration] == 0)
    assert np.all(pupil[(rho >= obscuration) & (rho <= 1)] == 1)
    assert pupil[31:33, 31:33].sum() == 0
    assert abs(pupil.sum() / (math.pi * (1 - obscuration**2) * n * n / 4) - 1) < 0.03


# --------------------------------------------------------------------------- zernike_basis

def test_zernike_gram_matrix_is_identity():
    n = 256
    modes = zernike_basis(15, n)
    pupil = circular_pupil(n).astype(bool)
    sampled = modes[:, pupil]
    gram = sampled @ sampled.T / pupil.sum()
    np.testing.assert_allclose(gram, np.eye(15), atol=1e-2)


def test_zernike_closed_forms():
    n = 64
    x, y = normalised_coordinates(n)
    rho, theta = np.hypot(x, y), np.arctan2(y, x)
    modes = zernike_basis(11, n)
    closed_forms = {
        1: np.ones_like(rho),
        2: 2 * rho * np.cos(theta),
        3: 2 * rho * np.sin(theta),
        4: math.sqrt(3) * (2 * rho**2 - 1),
        5: math.sqrt(6) * rho**2 * np.sin(2 * theta),
        6: math.sqrt(6) * rho**2 * np.cos(2 * theta),
        7: math.sqrt(8) * (3 * rho**3 - 2 * rho) * np.sin(theta),
        8: math.sqrt(8) * (3 * rho**3 - 2 * rho) * np.cos(theta),
        11: math.sqrt(5) * (6 * rho**4 - 6 * rho**2 + 1),
    }
    points = [(32, 32), (5, 40), (40, 5), (20, 60), (60, 33), (12, 12), (31, 50)]
    for j, expected in closed_forms.items():
        for point in points:
            assert modes[j - 1][point] == pytest.approx(expected[point], abs=1e-12), (j, point)
    # tip is 2x along columns, tilt 2y along rows
    np.testing.assert_allclose(modes[1][31, 10:54], 2 * x[31, 10:54], atol=1e-13)
    np.testing.assert_allclose(modes[2][10:54, 31], 2 * y[10:54, 31], atol=1e-13)


def test_zernike_first_offsets_the_noll_index():
    full = zernike_basis(12, 40)
    np.testing.assert_array_equal(zernike_basis(3, 40, first=4), full[3:6])
    np.testing.assert_array_equal(zernike_basis(1, 40, first=12)[0], full[11])


@pytest.mark.parametrize("obscuration", [0.0, 0.25])
def test_zernike_zero_outside_the_pupil(obscuration):
    n = 48
    modes = zernike_basis(10, n, obscuration=obscuration)
    pupil = circular_pupil(n, obscuration=obscuration)
    assert modes.shape == (10, n, n)
    assert np.all(modes[:, pupil == 0] == 0)
    # every mode but piston is non-trivial, and piston is the pupil itself
    np.testing.assert_array_equal(modes[0], pupil)
    assert np.all(np.abs(modes[1:, pupil == 1]).max(axis=1) > 0.5)


def test_zernike_obscuration_only_zeroes_the_centre():
    n, obscuration = 64, 0.4
    plain = zernike_basis(6, n)
    obscured = zernike_basis(6, n, obscuration=obscuration)
    annulus = circular_pupil(n, obscuration=obscuration).astype(bool)
    np.testing.assert_array_equal(obscured[:, annulus], plain[:, annulus])
    assert np.all(obscured[:, ~annulus] == 0)
    assert np.any(plain[3, ~annulus & circular_pupil(n).astype(bool)] != 0)


# --------------------------------------------------------------------------- dtype

def test_float32_is_respected():
    n = 32
    assert circular_pupil(n, dtype=np.float32).dtype == np.float32
    modes32 = zernike_basis(6, n, dtype=np.float32)
    assert modes32.dtype == np.float32
    np.testing.assert_array_equal(modes32, zernike_basis(6, n).astype(np.float32))
    pupil = hex_segments(64, rings=1, dtype="float32")
    assert pupil.amplitude.dtype == np.float32 and pupil.basis.dtype == np.float32
    assert pupil.centers.dtype == np.float64
    np.testing.assert_array_equal(pupil.basis, hex_segments(64, rings=1).basis.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, "float64", float, np.dtype(np.float64)])
def test_float64_spellings(dtype):
    assert circular_pupil(8, dtype=dtype).dtype == np.float64


# --------------------------------------------------------------------------- hex_segments

@pytest.mark.parametrize(("rings", "include_center", "count"),
                         [(0, True, 1), (1, True, 7), (1, False, 6), (2, True, 19), (2, False, 18)])
def test_segment_count(rings, include_center, count):
    n = 128
    pupil = hex_segments(n, rings=rings, include_center=include_center)
    assert isinstance(pupil, SegmentedPupil)
    assert pupil.amplitude.shape == (n, n)
    assert pupil.basis.shape == (3 * count, n, n)
    assert pupil.centers.shape == (count, 2)
    assert len(np.unique(segment_labels(pupil))) == count + 1  # every segment has pixels


@pytest.mark.parametrize(("rings", "gap"), [(1, 0.0), (1, 0.02), (2, 0.0), (2, 0.01)])
def test_segments_do_not_overlap_and_fill_the_amplitude(rings, gap):
    pupil = hex_segments(96, rings=rings, gap=gap)
    pistons = pupil.basis[0::3]
    assert set(np.unique(pistons)) <= {0.0, 1.0}
    coverage = pistons.sum(axis=0)
    assert coverage.max() == 1
    np.testing.assert_array_equal(coverage, pupil.amplitude)


def test_gaps_separate_segments():
    labels = segment_labels(hex_segments(128, rings=2, gap=0.02))  # a 2.56-pixel gap

    def neighbours_in_different_segments(labels):
        count = 0
        for a, b in [(labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])]:
            count += np.count_nonzero((a >= 0) & (b >= 0) & (a != b))
        return count

    assert neighbours_in_different_segments(labels) == 0
    # without a gap the same check does find segments touching
    assert neighbours_in_different_segments(segment_labels(hex_segments(128, rings=2, gap=0.0))) > 0


def test_segment_geometry():
    n, gap = 256, 0.02
    pupil = hex_segments(n, rings=1, gap=gap)
    centre = (n - 1) / 2
    np.testing.assert_allclose(pupil.centers[0], [centre, centre])
    # the six neighbours sit at one pitch from the centre, every 60 degrees, the first at 30
    offsets = pupil.centers[1:] - pupil.centers[0]
    distances = np.hypot(offsets[:, 0], offsets[:, 1])
    pitch = distances[0]
    np.testing.assert_allclose(distances, pitch, rtol=1e-12)
    angles = np.degrees(np.arctan2(offsets[:, 0], offsets[:, 1])) % 360
    np.testing.assert_allclose(angles, [30, 90, 150, 210, 270, 330], atol=1e-9)
    # each segment is a hexagon of apothem (pitch - gap n) / 2: area 2 sqrt(3) apothem^2
    apothem = (pitch - gap * n) / 2
    areas = pupil.basis[0::3].sum(axis=(1, 2))
    np.testing.assert_allclose(areas, 2 * math.sqrt(3) * apothem**2, rtol=0.03)
    # flat-topped: the centre segment spans 2 apothems vertically, 2 circumradii horizontally
    rows, cols = np.nonzero(pupil.basis[0])
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert abs(height - 2 * apothem) <= 2 and abs(width - 4 * apothem / math.sqrt(3)) <= 2
    # the aperture fits the inscribed disk, and fills it out to the outer vertices
    disk = circular_pupil(n)
    assert np.all(pupil.amplitude[disk == 0] == 0)
    x, y = normalised_coordinates(n)
    assert np.hypot(x, y)[pupil.amplitude == 1].max() > 0.95


@pytest.mark.parametrize(("rings", "include_center"), [(0, True), (1, True), (2, False)])
def test_segment_tip_tilt_are_unit_rms_and_orthogonal_to_piston(rings, include_center):
    pupil = hex_segments(128, rings=rings, gap=0.01, include_center=include_center)
    rows, cols = np.indices(pupil.amplitude.shape)
    for k in range(len(pupil.centers)):
        piston, tip, tilt = pupil.basis[3 * k: 3 * k + 3]
        segment = piston == 1
        assert np.all(piston[~segment] == 0)
        for mode, coordinate in [(tip, cols), (tilt, rows)]:
            assert np.all(mode[~segment] == 0)
            values = mode[segment]
            assert np.mean(values**2) == pytest.approx(1.0, rel=1e-12)
            assert abs(np.mean(values)) < 1e-12
            # tip is linear and increasing in the column, tilt in the row
            assert np.corrcoef(values, coordinate[segment])[0, 1] == pytest.approx(1.0, rel=1e-12)
        # the segment's centre is the centroid of its pixels, and tip/tilt nearly orthogonal
        np.testing.assert_allclose([rows[segment].mean(), cols[segment].mean()],
                                   pupil.centers[k], atol=0.5)
        assert abs(np.mean(tip[segment] * tilt[segment])) < 0.05


def test_modes_of_different_segments_are_disjoint():
    pupil = hex_segments(64, rings=1, gap=0.03)
    support = (pupil.basis != 0).reshape(len(pupil.centers), 3, -1).any(axis=1)
    assert support.sum(axis=0).max() == 1


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: circular_pupil(1), ValueError, "n"),
        (lambda: circular_pupil(0), ValueError, "n"),
        (lambda: circular_pupil(8.0), TypeError, "n"),
        (lambda: circular_pupil(True), TypeError, "n"),
        (lambda: circular_pupil(8, obscuration=1.0), ValueError, "obscuration"),
        (lambda: circular_pupil(8, obscuration=-0.1), ValueError, "obscuration"),
        (lambda: circular_pupil(8, obscuration=float("nan")), ValueError, "obscuration"),
        (lambda: circular_pupil(8, obscuration="0.2"), TypeError, "obscuration"),
        (lambda: circular_pupil(8, obscuration=0.2j), TypeError, "obscuration"),
        (lambda: circular_pupil(4, obscuration=0.99), ValueError, "obscuration"),
        (lambda: circular_pupil(8, dtype=np.int32), TypeError, "dtype"),
        (lambda: circular_pupil(8, dtype=np.float16), TypeError, "dtype"),
        (lambda: circular_pupil(8, dtype=np.complex128), TypeError, "dtype"),
        (lambda: circular_pupil(8, dtype=bool), TypeError, "dtype"),
        (lambda: circular_pupil(8, dtype=None), TypeError, "dtype"),
        (lambda: circular_pupil(8, dtype="not a dtype"), TypeError, "dtype"),
        (lambda: noll_to_nm(0), ValueError, "j"),
        (lambda: noll_to_nm(-3), ValueError, "j"),
        (lambda: noll_to_nm(2.0), TypeError, "j"),
        (lambda: zernike_basis(0, 16), ValueError, "n_modes"),
        (lambda: zernike_basis(3.0, 16), TypeError, "n_modes"),
        (lambda: zernike_basis(3, 1), ValueError, "n"),
        (lambda: zernike_basis(3, 16, first=0), ValueError, "first"),
        (lambda: zernike_basis(3, 16, obscuration=1.5), ValueError, "obscuration"),
        (lambda: zernike_basis(3, 16, dtype=np.complex64), TypeError, "dtype"),
        (lambda: hex_segments(1), ValueError, "n"),
        (lambda: hex_segments(64, rings=-1), ValueError, "rings"),
        (lambda: hex_segments(64, rings=1.0), TypeError, "rings"),
        (lambda: hex_segments(64, gap=0.5), ValueError, "gap"),
        (lambda: hex_segments(64, gap=-0.01), ValueError, "gap"),
        (lambda: hex_segments(64, gap=None), TypeError, "gap"),
        (lambda: hex_segments(64, rings=2, gap=0.3), ValueError, "gap"),
        (lambda: hex_segments(64, include_center=1), TypeError, "include_center"),
        (lambda: hex_segments(64, rings=0, include_center=False), ValueError, "include_center"),
        (lambda: hex_segments(6, rings=2), ValueError, "n"),
        (lambda: hex_segments(64, dtype=np.float16), TypeError, "dtype"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, error, name):
    with pytest.raises(error, match=rf"(?<![\w.]){name}\b"):
        call()
