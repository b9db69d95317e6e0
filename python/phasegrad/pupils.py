"""Pupil amplitudes and wavefront bases: circular pupils, Zernike polynomials, segmented apertures.

These build the ``amplitude`` A and ``basis`` Z of a phase-retrieval model (Jurling & Fienup 2014,
Eqs. 3-4 and 99): a known pupil transmittance and the modes whose coefficients are retrieved,
either Zernike polynomials over a circular pupil or piston/tip/tilt per segment of a segmented
telescope.

All functions share one sampling of the n x n grid. Pixel ``(row, col)`` sits at

    x = (col - c) / (n / 2),    y = (row - c) / (n / 2),    c = (n - 1) / 2,

so x runs along columns and y along rows (the picture is upright when shown with
``origin="lower"``), ``rho = hypot(x, y)`` and ``theta = arctan2(y, x)``. The pupil is the disk
``rho <= 1`` inscribed in the grid: radius n/2 pixels, centred between the middle pixels for even
n and on the middle pixel for odd n. Arrays are float64 unless ``dtype=np.float32`` is asked for;
values are always computed in double and rounded once at the end.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .arguments.validate import nonnegative_int, positive_int, real_dtype_arg, scalar

__all__ = ["SegmentedPupil", "circular_pupil", "hex_segments", "noll_to_nm", "zernike_basis"]


# --------------------------------------------------------------------------- argument checks

def _grid_size(n):
    """The grid size ``n`` as an int >= 2 (one pixel has no inside and outside)."""
    n = positive_int(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2; got {n}")
    return n


def _fraction(x, name, upper):
    """A real number in ``[0, upper)``, else ``TypeError``/``ValueError`` naming ``name``."""
    value = scalar(x, name, allow_complex=False)
    if not 0.0 <= value < upper:
        raise ValueError(f"{name} must satisfy 0 <= {name} < {upper}; got {x!r}")
    return value


# --------------------------------------------------------------------------- circular pupil

def _pupil_coordinates(n):
    """Normalised coordinates ``x, y`` of every pixel and the mask of the inscribed disk.

    The disk test is done in exact integers, ``(2 col - n + 1)^2 + (2 row - n + 1)^2 <= n^2``
    (``rho <= 1`` multiplied through by ``n^2``), so that no pixel's membership depends on
    rounding.
    """
    twice_offset = 2 * np.arange(n, dtype=np.int64) - (n - 1)  # 2 (index - c), an exact integer
    inside = (twice_offset[:, None] ** 2 + twice_offset[None, :] ** 2) <= n * n
    offset = twice_offset / n  # (index - c) / (n / 2)
    x = np.broadcast_to(offset[None, :], (n, n))
    y = np.broadcast_to(offset[:, None], (n, n))
    return x, y, inside


def _annulus(n, obscuration):
    """Mask of the pupil pixels with ``obscuration <= rho <= 1``; refuses an empty pupil."""
    x, y, inside = _pupil_coordinates(n)
    if obscuration > 0.0:
        inside = inside & (np.hypot(x, y) >= obscuration)
        if not inside.any():
            raise ValueError(
                f"obscuration={obscuration!r} leaves no pixel of the n={n} pupil; "
                "use a larger n or a smaller obscuration"
            )
    return x, y, inside


def circular_pupil(n, obscuration=0.0, dtype=np.float64):
    """Amplitude of a circular pupil, optionally centrally obscured, on an n x n grid.

    Parameters
    ----------
    n : int
        Grid size in pixels, at least 2. The pupil is the disk of radius n/2 pixels inscribed in
        the grid, centred at pixel coordinates ``((n - 1) / 2, (n - 1) / 2)``.
    obscuration : float, optional
        Radius of a central obscuration as a fraction of the pupil radius, ``0 <= obscuration < 1``.
        Pixels with ``rho < obscuration`` are 0.
    dtype : {numpy.float64, numpy.float32}, optional
        Dtype of the result.

    Returns
    -------
    ndarray, shape (n, n)
        1 on the pixels whose centres lie in the (annular) pupil, 0 elsewhere.

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``obscuration`` not a real number, or ``dtype`` is not
        float32 or float64.
    ValueError
        If ``n < 2``, ``obscuration`` is outside ``[0, 1)``, or the obscuration leaves no pixel.

    See Also
    --------
    zernike_basis : Zernike polynomials sampled on the same pupil.

    Examples
    --------
    >>> import numpy as np
    >>> from phasegrad.pupils import circular_pupil
    >>> circular_pupil(4)
    array([[0., 1., 1., 0.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [0., 1., 1., 0.]])
    >>> circular_pupil(5, obscuration=0.3, dtype=np.float32)[2]
    array([1., 1., 0., 1., 1.], dtype=float32)
    """
    n = _grid_size(n)
    obscuration = _fraction(obscuration, "obscuration", 1.0)
    dtype = real_dtype_arg(dtype)
    _, _, inside = _annulus(n, obscuration)
    return inside.astype(dtype)


# --------------------------------------------------------------------------- Zernike polynomials

def noll_to_nm(j):
    """Radial order n and signed azimuthal frequency m of the Zernike polynomial with Noll index j.

    Noll (1976) numbers the polynomials row by row in radial order n and, within a row, by
    increasing ``|m|``; for ``m != 0`` the cosine term (``m > 0``) gets the even index and the
    sine term (``m < 0``) the odd one.

    Parameters
    ----------
    j : int
        Noll index, ``j >= 1``: 1 piston, 2 tip (x), 3 tilt (y), 4 defocus, 5-6 astigmatism,
        7-8 coma, 9-10 trefoil, 11 spherical aberration.

    Returns
    -------
    n : int
        Radial order, ``n >= 0``.
    m : int
        Azimuthal frequency with ``|m| <= n`` and ``n - |m|`` even; negative for the sine terms.

    Raises
    ------
    TypeError
        If ``j`` is not an integer.
    ValueError
        If ``j < 1``.

    Examples
    --------
    >>> from phasegrad.pupils import noll_to_nm
    >>> [noll_to_nm(j) for j in (1, 2, 3, 4, 5, 6, 11)]
    [(0, 0), (1, 1), (1, -1), (2, 0), (2, -2), (2, 2), (4, 0)]
    """
    j = positive_int(j, "j")
    # Row n holds the indices n(n+1)/2 + 1 ... (n+1)(n+2)/2; solving j = n(n+1)/2 + 1 for n gives
    # 2n + 1 = sqrt(8j - 7), and the integer square root keeps it exact for any j.
    n = (math.isqrt(8 * j - 7) - 1) // 2
    position = j - n * (n + 1) // 2  # 1-based position within the row
    if n % 2 == 0:
        abs_m = 2 * (position // 2)  # |m| = 0, 2, 2, 4, 4, ...
    else:
        abs_m = 2 * ((position - 1) // 2) + 1  # |m| = 1, 1, 3, 3, ...
    if abs_m == 0:
        return n, 0
    return n, abs_m if j % 2 == 0 else -abs_m


def _radial_polynomial(n, abs_m, rho):
    """Zernike radial polynomial R_n^|m|(rho) by its finite sum.

    R_n^m(rho) = sum_{s=0}^{(n-m)/2} (-1)^s (n-s)! / (s! ((n+m)/2 - s)! ((n-m)/2 - s)!) rho^(n-2s).
    Each coefficient is a multinomial coefficient, so the integer division is exact.
    """
    result = np.zeros_like(rho)
    for s in range((n - abs_m) // 2 + 1):
        coefficient = math.factorial(n - s) // (
            math.factorial(s)
            * math.factorial((n + abs_m) // 2 - s)
            * math.factorial((n - abs_m) // 2 - s)
        )
        result += (-1) ** s * coefficient * rho ** (n - 2 * s)
    return result


def _zernike(n, m, rho, theta):
    """Noll-normalised Zernike polynomial Z_n^m (unit RMS over the continuous unit disk)."""
    radial = _radial_polynomial(n, abs(m), rho)
    if m == 0:
        return math.sqrt(n + 1) * radial
    angular = np.cos(m * theta) if m > 0 else np.sin(-m * theta)
    return math.sqrt(2 * (n + 1)) * radial * angular


def zernike_basis(n_modes, n, obscuration=0.0, first=1, dtype=np.float64):
    """Zernike polynomials in Noll order, sampled on the circular pupil of an n x n grid.

    Mode ``k`` is the polynomial with Noll index ``first + k`` (see `noll_to_nm`), Noll-normalised
    so that it has unit RMS over the continuous unit disk: ``sqrt(n + 1) R_n^0(rho)`` for
    ``m = 0`` and ``sqrt(2 (n + 1)) R_n^|m|(rho) cos(m theta)`` (``m > 0``) or
    ``... sin(|m| theta)`` (``m < 0``) otherwise. A coefficient of a mode is therefore the RMS
    wavefront it contributes, and on a fine grid the sampled modes are orthonormal under the mean
    over pupil pixels.

    Parameters
    ----------
    n_modes : int
        Number of modes, at least 1.
    n : int
        Grid size in pixels, at least 2; ``rho = r / (n / 2)`` as in `circular_pupil`.
    obscuration : float, optional
        Central obscuration as a fraction of the pupil radius, ``0 <= obscuration < 1``; the
        modes are set to zero inside it. They are the circular-pupil polynomials restricted to the
        annulus, not annular Zernike polynomials, so they are not orthogonal there.
    first : int, optional
        Noll index of the first mode, at least 1 (``first=2`` skips piston).
    dtype : {numpy.float64, numpy.float32}, optional
        Dtype of the result (values are computed in float64 and rounded once).

    Returns
    -------
    ndarray, shape (n_modes, n, n)
        ``Z[k]`` is the Zernike polynomial with Noll index ``first + k`` on the pupil pixels of
        ``circular_pupil(n, obscuration)`` and 0 on every other pixel.

    Raises
    ------
    TypeError
        If ``n_modes``, ``n`` or ``first`` is not an integer, ``obscuration`` not a real number,
        or ``dtype`` is not float32 or float64.
    ValueError
        If ``n_modes < 1``, ``n < 2``, ``first < 1``, ``obscuration`` is outside ``[0, 1)``, or
        the obscuration leaves no pixel.

    See Also
    --------
    noll_to_nm : The (n, m) of each Noll index.
    circular_pupil : The amplitude the modes are supported on.

    Examples
    --------
    Tip (Noll 2) is ``2 rho cos(theta) = 2 x``; defocus (Noll 4) is ``sqrt(3) (2 rho^2 - 1)``:

    >>> import numpy as np
    >>> from phasegrad.pupils import zernike_basis
    >>> Z = zernike_basis(4, 4)
    >>> Z.shape
    (4, 4, 4)
    >>> Z[1, 1]  # tip along the row y = -0.25
    array([-1.5, -0.5,  0.5,  1.5])
    >>> bool(np.isclose(Z[3, 1, 1], np.sqrt(3) * (2 * 0.125 - 1)))
    True
    >>> zernike_basis(3, 64, first=2, dtype=np.float32).dtype
    dtype('float32')
    """
    n_modes = positive_int(n_modes, "n_modes")
    n = _grid_size(n)
    obscuration = _fraction(obscuration, "obscuration", 1.0)
    first = positive_int(first, "first")
    dtype = real_dtype_arg(dtype)

    x, y, inside = _annulus(n, obscuration)
    # Evaluate on the pupil pixels only; everything outside stays exactly zero.
    rho = np.hypot(x[inside], y[inside])
    theta = np.arctan2(y[inside], x[inside])
    modes = np.zeros((n_modes, n, n), dtype=dtype)
    for k in range(n_modes):
        radial_order, azimuthal_frequency = noll_to_nm(first + k)
        modes[k][inside] = _zernike(radial_order, azimuthal_frequency, rho, theta)
    return modes


# --------------------------------------------------------------------------- segmented aperture

class SegmentedPupil(NamedTuple):
    """A segmented aperture sampled on an n x n grid, as returned by `hex_segments`.

    Attributes
    ----------
    amplitude : ndarray, shape (n, n)
        1 on the pixels of every segment, 0 in the gaps and outside.
    basis : ndarray, shape (3 * S, n, n)
        Piston, tip (x) and tilt (y) of segment k at indices ``3k``, ``3k + 1``, ``3k + 2``,
        each with unit RMS over its segment and zero elsewhere.
    centers : ndarray, shape (S, 2), float64
        Segment centres in pixel coordinates ``(row, col)``.
    """

    amplitude: np.ndarray
    basis: np.ndarray
    centers: np.ndarray


_SIN_60 = math.sqrt(3.0) / 2.0


def _hex_cell_centres(rings, include_center):
    """Centres of the hexagonal-lattice cells within ``rings`` of the middle, unit circumradius.

    Flat-topped hexagons of circumradius 1 tile the plane with centres ``x = 3/2 q``,
    ``y = sqrt(3) (r + q/2)`` for integer axial coordinates (q, r); the cell's ring is its lattice
    distance ``max(|q|, |r|, |q + r|)`` from the middle. Cells come in ring order and, within a
    ring, in increasing polar angle ``arctan2(y, x)`` from 0 to 2 pi.
    """
    cells = []
    for q in range(-rings, rings + 1):
        for r in range(-rings, rings + 1):
            ring = max(abs(q), abs(r), abs(q + r))
            if ring > rings or (ring == 0 and not include_center):
                continue
            x = 1.5 * q
            y = 2.0 * _SIN_60 * (r + q / 2.0)
            angle = math.atan2(y, x) % (2.0 * math.pi)
            cells.append((ring, round(angle, 9), x, y))
    cells.sort()
    return np.array([(x, y) for _, _, x, y in cells])


def _unit_rms(values):
    """``values`` minus their mean, divided by the RMS of the result, and that RMS (0 if none)."""
    if values.size == 0:
        return values, 0.0
    centred = values - values.mean()
    rms = math.sqrt(float(np.mean(centred * centred)))
    return centred / rms if rms > 0.0 else centred, rms


def hex_segments(n, rings=1, gap=0.02, include_center=True, dtype=np.float64):
    """Segmented aperture of hexagons with a piston/tip/tilt basis per segment.

    The segments are flat-topped regular hexagons (flat edges at the top and bottom) on a
    hexagonal lattice: the centre segment and ``rings`` rings around it, ``1 + 3 rings (rings + 1)``
    in all (7 for one ring, 19 for two; 18 without the centre, as for JWST). The lattice is
    scaled so that the circle through its outermost cell vertices is the disk of
    `circular_pupil` (diameter n pixels, the *aperture diameter*), so a Zernike basis on the same
    grid covers the whole aperture. Each segment is its lattice cell shrunk so that neighbouring
    segments are separated by a gap of ``gap * n`` pixels between parallel edges. A pixel belongs
    to a segment when its centre lies in the hexagon.

    Parameters
    ----------
    n : int
        Grid size in pixels, at least 2 (in practice large enough to sample every segment).
    rings : int, optional
        Number of rings of segments around the centre, ``rings >= 0``.
    gap : float, optional
        Width of the gap between neighbouring segments as a fraction of the aperture diameter,
        ``0 <= gap < 0.5`` (and small enough to leave the segments some area).
    include_center : bool, optional
        Whether the centre segment is present (False drops it, e.g. for a central obscuration).
    dtype : {numpy.float64, numpy.float32}, optional
        Dtype of ``amplitude`` and ``basis``; ``centers`` is always float64.

    Returns
    -------
    SegmentedPupil
        Named tuple ``(amplitude, basis, centers)`` for S segments:

        - ``amplitude`` (n, n): 1 on segment pixels, 0 elsewhere.
        - ``basis`` (3 S, n, n): for segment k, piston (1 on the segment) at ``3k``, tip at
          ``3k + 1`` and tilt at ``3k + 2``. Tip and tilt are the local x and y (along columns and
          rows) minus their mean over the segment's pixels, scaled to unit RMS over those pixels:
          each mode has unit RMS over its segment, tip and tilt are exactly orthogonal to the
          piston on the grid, and every mode is zero outside its segment.
        - ``centers`` (S, 2): segment centres ``(row, col)`` in pixel coordinates, the centre
          segment first, then ring by ring in increasing polar angle ``arctan2(y, x)``.

    Raises
    ------
    TypeError
        If ``n`` or ``rings`` is not an integer, ``gap`` not a real number, ``include_center``
        not a bool, or ``dtype`` is not float32 or float64.
    ValueError
        If ``n < 2``, ``rings < 0``, ``gap`` is outside ``[0, 0.5)`` or too wide for the segments
        to keep any area, ``include_center=False`` with ``rings=0`` (no segment), or ``n`` is too
        small for every segment to cover pixels in at least two rows and two columns.

    See Also
    --------
    circular_pupil : The disk the aperture is inscribed in.

    Examples
    --------
    >>> import numpy as np
    >>> from phasegrad.pupils import hex_segments
    >>> pupil = hex_segments(64, rings=1, gap=0.02)
    >>> pupil.amplitude.shape, pupil.basis.shape, pupil.centers.shape
    ((64, 64), (21, 64, 64), (7, 2))
    >>> pupil.centers[0]  # the centre segment sits at the centre of the grid
    array([31.5, 31.5])
    >>> tip = pupil.basis[1][pupil.basis[0] > 0]  # segment 0's tip over its pixels
    >>> bool(np.isclose(np.mean(tip**2), 1.0)), bool(np.isclose(np.mean(tip), 0.0))
    (True, True)
    >>> hex_segments(128, rings=2, include_center=False).centers.shape[0]  # JWST-like
    18
    """
    n = _grid_size(n)
    rings = nonnegative_int(rings, "rings")
    gap = _fraction(gap, "gap", 0.5)
    if not isinstance(include_center, bool | np.bool_):
        raise TypeError(f"include_center must be a bool; got {include_center!r}")
    include_center = bool(include_center)
    dtype = real_dtype_arg(dtype)
    if rings == 0 and not include_center:
        raise ValueError("include_center=False with rings=0 leaves no segment; use rings >= 1")

    cells = _hex_cell_centres(rings, include_center)  # (S, 2) as (x, y), unit circumradius
    # Scale: the circle through the outermost cell vertices becomes the inscribed disk (radius n/2).
    vertex_angles = np.arange(6) * (math.pi / 3.0)
    vertices = cells[:, None, :] + np.stack([np.cos(vertex_angles), np.sin(vertex_angles)], -1)
    pixels_per_unit = (n / 2.0) / float(np.max(np.hypot(vertices[..., 0], vertices[..., 1])))
    pitch = 2.0 * _SIN_60 * pixels_per_unit  # centre-to-centre distance of neighbouring cells
    gap_pixels = gap * n
    apothem = (pitch - gap_pixels) / 2.0  # centre-to-edge distance of a segment
    if apothem <= 0.0:
        raise ValueError(
            f"gap={gap!r} is wider than the segment pitch ({pitch / n:.4g} of the aperture "
            f"diameter for rings={rings}); use a smaller gap"
        )

    centre = (n - 1) / 2.0
    centers = np.column_stack([centre + cells[:, 1] * pixels_per_unit,
                               centre + cells[:, 0] * pixels_per_unit])  # (row, col)
    # Pixel centres exactly on an edge count as inside; with gap=0 a pixel on an edge shared by
    # two segments goes to the first of them (``claimed``), so segments never overlap.
    tolerance = 1e-9 * max(1.0, apothem)
    half_width = apothem / _SIN_60  # circumradius: the horizontal half-extent of a flat-topped hex
    claimed = np.zeros((n, n), dtype=bool)
    basis = np.zeros((3 * len(centers), n, n), dtype=dtype)
    for k, (row_k, col_k) in enumerate(centers):
        # Test only the segment's bounding box.
        row_lo = max(0, math.floor(row_k - apothem))
        row_hi = min(n, math.ceil(row_k + apothem) + 1)
        col_lo = max(0, math.floor(col_k - half_width))
        col_hi = min(n, math.ceil(col_k + half_width) + 1)
        local_y = (np.arange(row_lo, row_hi) - row_k)[:, None]
        local_x = (np.arange(col_lo, col_hi) - col_k)[None, :]
        # Inside a flat-topped hexagon: within the apothem along each of its three edge normals
        # (at 90, 30 and -30 degrees).
        limit = apothem + tolerance
        inside = (
            (np.abs(local_y) <= limit)
            & (np.abs(_SIN_60 * local_x + 0.5 * local_y) <= limit)
            & (np.abs(_SIN_60 * local_x - 0.5 * local_y) <= limit)
        )
        box = (slice(row_lo, row_hi), slice(col_lo, col_hi))
        inside &= ~claimed[box]
        claimed[box] |= inside

        rows, cols = np.nonzero(inside)
        tip, tip_rms = _unit_rms(local_x[0, cols])
        tilt, tilt_rms = _unit_rms(local_y[rows, 0])
        if tip_rms == 0.0 or tilt_rms == 0.0:
            raise ValueError(
                f"n={n} is too small to sample {len(centers)} segments with gap={gap!r}: "
                f"segment {k} covers {rows.size} pixel(s), not spanning two rows and two "
                "columns; use a larger n"
            )
        rows += row_lo
        cols += col_lo
        basis[3 * k, rows, cols] = 1.0
        basis[3 * k + 1, rows, cols] = tip
        basis[3 * k + 2, rows, cols] = tilt

    return SegmentedPupil(amplitude=claimed.astype(dtype), basis=basis, centers=centers)
