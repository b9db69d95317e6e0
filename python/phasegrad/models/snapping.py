"""Sample wavelengths snapped to the grid's periodic samplings (``snap_wavelengths``), and
which transform each band runs (``band_transforms``).

A band at wavelength ``lam`` samples the detector at the spacing s = wavelength / (lam N)
cycles per pupil sample (``PhaseRetrieval``'s model). Where N_lam = lam N / wavelength is an
integer >= n with only the prime factors 2, 3, 5 and 7, the band's transform is the plain FFT
of length N_lam, taken periodically, and costs about what the reference wavelength's does; at
any other wavelength it is a chirp-z transform, several times dearer (docs/fused-models.md,
"Broadband bands"). Which wavelengths sample a spectrum is the user's choice (a quadrature of
it): this helper proposes the nearest such ones, and the models never snap on their own.
"""

from __future__ import annotations

import bisect
import math

from ..arguments.spectrum import snap_inputs
from ..native import core

__all__ = ["band_transforms", "snap_wavelengths"]


def _smooth_numbers(low, high):
    """The integers in [low, high] with no prime factor but 2, 3, 5 and 7, ascending."""
    numbers = [1]
    for p in (2, 3, 5, 7):
        grown = []
        for m in numbers:
            while m <= high:
                grown.append(m)
                m *= p
        numbers = grown
    return sorted(m for m in numbers if m >= low)


def _snapped(length, wavelength, grid):
    """The wavelength whose band has the period ``length``: N_lam wavelength / N."""
    return length * wavelength / grid


def _period(lam, wavelength, grid, pupil):
    """The period N_lam at which the band of ``lam`` runs plain FFTs, or 0 (chirp-z): the
    core's one rule (``core.scaled_dft2_period``) at the spacing the model computes,
    wavelength / (lam N); none where that product is 0 or infinite (extreme wavelengths)."""
    denominator = lam * grid
    if not 0 < denominator < math.inf:
        return 0
    return core.scaled_dft2_period(pupil, grid, wavelength / denominator)


def _periodic_lengths(wavelength, grid, pupil):
    """The periods N_lam at which a band runs plain FFTs, ascending: ``grid`` (the reference's
    own FFT) and the 2-3-5-7-smooth lengths >= ``pupil`` whose snapped wavelength the core
    takes in its periodic mode (its cost model refuses long periods)."""
    lengths = {grid}
    for length in _smooth_numbers(pupil, 64 * (grid + pupil)):
        if _period(_snapped(length, wavelength, grid), wavelength, grid, pupil) == length:
            lengths.add(length)
    return sorted(lengths)


def snap_wavelengths(wavelengths, wavelength, grid, pupil):
    """The nearest wavelengths whose broadband bands run as plain FFTs.

    Each ``lam`` becomes ``lam' = N_lam * wavelength / grid`` with N_lam the integer nearest to
    ``lam * grid / wavelength`` that is at least ``pupil``, has no prime factor but 2, 3, 5 and
    7 and is a period the core runs as plain FFTs (its cost model takes periods up to 2.6-5.3
    ``grid``: pad 1 4.0-5.3, pad 2 3.2-4.0, pad 3-4 2.6-3.6), or is ``grid`` itself (the reference's
    FFT, whatever its factors; the smaller on a tie). A ``PhaseRetrieval`` (or
    ``PhaseDiversity``) built with ``wavelengths=lam'``, the same ``wavelength`` and ``pad * n
    = grid`` then computes each band's scaled DFT (Jurling & Fienup's broadband model, Section
    10) by FFTs of length N_lam, taken periodically: about the monochromatic transform's cost
    per band, where other wavelengths take chirp-z transforms several times dearer
    (docs/fused-models.md, "Snapped wavelengths"). The results are exact either way: snapping
    changes the sample wavelengths of the spectrum (a choice of quadrature points, the
    caller's), not how a band is computed, so the spectral weights may need choosing again for
    the new points.

    Parameters
    ----------
    wavelengths : sequence of float
        The sample wavelengths (positive; same units as ``wavelength``).
    wavelength : float
        The model's reference wavelength (positive). A wavelength that snaps to
        N_lam = ``grid`` comes back as ``wavelength`` exactly (the reference's own FFT).
    grid : int
        The padded grid N = pad * n of the model.
    pupil : int
        The pupil size n (``amplitude.shape[0]``), at most ``grid``: N_lam must be at least n
        (a shorter period would fold the pupil onto itself).

    Returns
    -------
    tuple of float
        The snapped wavelengths, in the order given. Wavelengths closer together than
        about ``wavelength / grid`` may snap to the same value.

    Raises
    ------
    TypeError
        If an argument is not a real number (``grid`` and ``pupil``: an integer).
    ValueError
        If a wavelength is not positive or finite, or is shorter than
        ``(pupil - 0.5) * wavelength / grid`` or longer than ``(L + 0.5) * wavelength /
        grid`` with L the longest period the core runs as plain FFTs (no periodic sampling
        lies within half a sample of it: leave it unsnapped, to a chirp-z band), or if
        ``pupil > grid``.

    Examples
    --------
    >>> import phasegrad as pg
    >>> pg.snap_wavelengths([0.8, 0.9, 1.0, 1.1, 1.2], 1.0, grid=128, pupil=64)
    (0.78125, 0.875, 1.0, 1.09375, 1.171875)
    """
    lams, reference, grid, pupil = snap_inputs(wavelengths, wavelength, grid, pupil)
    lengths = _periodic_lengths(reference, grid, pupil)
    snapped = []
    for index, lam in enumerate(lams):
        x = lam / reference * grid  # may overflow to inf: refused below
        if x < pupil - 0.5:
            raise ValueError(
                f"wavelengths[{index}] = {lam!r} is shorter than (pupil - 0.5) * wavelength / "
                f"grid = {(pupil - 0.5) * reference / grid!r}: its band has no periodic "
                f"sampling (N_lam = lam * grid / wavelength = {x:.6g} must be at least the "
                f"pupil's n = {pupil}); leave it unsnapped")
        if x > lengths[-1] + 0.5:
            raise ValueError(
                f"wavelengths[{index}] = {lam!r} is longer than (L + 0.5) * wavelength / grid "
                f"= {(lengths[-1] + 0.5) * reference / grid!r}, L = {lengths[-1]} the longest "
                f"period whose band runs plain FFTs at grid = {grid}, pupil = {pupil} (N_lam = "
                f"lam * grid / wavelength = {x:.6g}; are the wavelengths in the units of "
                f"wavelength?); leave it unsnapped")
        at = bisect.bisect_left(lengths, x)
        nearby = lengths[max(at - 1, 0):at + 1]
        length = min(nearby, key=lambda m: (abs(m - x), m))  # the smaller on a tie
        snapped.append(reference if length == grid else _snapped(length, reference, grid))
    return tuple(snapped)


def band_transforms(wavelengths, wavelength, grid, pupil):
    """How the fused backend computes each band's scaled DFT: one ``(kind, length)`` per
    wavelength, in order.

    ``("fft", grid)`` for the reference wavelength (the pruned FFT of the monochromatic
    model), ``("periodic", N_lam)`` for a band that runs plain FFTs of length N_lam (a snapped
    wavelength: ``snap_wavelengths``), ``("chirp-z", None)`` for any other (Bluestein's
    transform, several times dearer). The core's own rule (``core.scaled_dft2_period``) at
    the spacing the model computes, wavelength / (lam * grid); the results are exact either
    way. ``PhaseRetrieval.band_transforms`` gives it for a model.

    Examples
    --------
    >>> import phasegrad as pg
    >>> from phasegrad.models.snapping import band_transforms
    >>> band_transforms([0.8, 0.78125, 1.0], 1.0, grid=128, pupil=64)
    (('chirp-z', None), ('periodic', 100), ('fft', 128))
    """
    lams, reference, grid, pupil = snap_inputs(wavelengths, wavelength, grid, pupil)
    kinds = []
    for lam in lams:
        if lam == reference:
            kinds.append(("fft", grid))
            continue
        length = _period(lam, reference, grid, pupil)
        kinds.append(("periodic", length) if length else ("chirp-z", None))
    return tuple(kinds)
