"""Sample wavelengths snapped to the grid's periodic samplings: ``snap_wavelengths``.

A band at wavelength ``lam`` samples the detector at the spacing s = wavelength / (lam N)
cycles per pupil sample (``PhaseRetrieval``'s model). Where N_lam = lam N / wavelength is an
integer >= n with only the prime factors 2, 3, 5 and 7, the band's transform is the plain FFT
of length N_lam, taken periodically, and costs about what the reference wavelength's does; at
any other wavelength it is a chirp-z transform, several times dearer (docs/fused-models.md,
"Broadband bands"). Which wavelengths sample a spectrum is the user's choice (a quadrature of
it): this helper proposes the nearest such ones, and the models never snap on their own.
"""

from __future__ import annotations

import math

from ..arguments.spectrum import snap_inputs

__all__ = ["snap_wavelengths"]


def _smooth(m):
    """Whether the positive integer ``m`` has no prime factor but 2, 3, 5 and 7."""
    for p in (2, 3, 5, 7):
        while m % p == 0:
            m //= p
    return m == 1


def _nearest_length(x, pupil, grid):
    """The integer >= ``pupil`` nearest to ``x`` (the smaller on a tie) that is ``grid`` or
    2-3-5-7-smooth."""
    up = max(math.ceil(x), pupil)
    while not (_smooth(up) or up == grid):
        up += 1
    down = math.floor(x)
    while down >= pupil and not (_smooth(down) or down == grid):
        down -= 1
    if down >= pupil and x - down <= up - x:
        return down
    return up


def snap_wavelengths(wavelengths, wavelength, grid, pupil):
    """The nearest wavelengths whose broadband bands run as plain FFTs.

    Each ``lam`` becomes ``lam' = N_lam * wavelength / grid`` with N_lam the integer nearest
    to ``lam * grid / wavelength`` that is at least ``pupil`` and has no prime factor but 2,
    3, 5 and 7, or is ``grid`` itself (the reference's FFT, whatever its factors; the
    smaller on a tie). A ``PhaseRetrieval`` (or ``PhaseDiversity``) built
    with ``wavelengths=lam'``, the same ``wavelength`` and ``pad * n = grid`` then computes
    each band's scaled DFT (Jurling & Fienup's broadband model, Section 10) by FFTs of length
    N_lam, taken periodically: about the monochromatic transform's cost per band, where
    other wavelengths take chirp-z transforms several times dearer (docs/fused-models.md,
    "Snapped wavelengths"). The results are exact either way: snapping changes the sample
    wavelengths of the spectrum (a choice of quadrature points, the caller's), not how a
    band is computed, so the spectral weights may need choosing again for the new points.

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
        ``(pupil - 0.5) * wavelength / grid`` (no periodic sampling lies within half a
        sample of it: leave it out, or to a chirp-z band), or if ``pupil > grid``.

    Examples
    --------
    >>> import phasegrad as pg
    >>> pg.snap_wavelengths([0.8, 0.9, 1.0, 1.1, 1.2], 1.0, grid=128, pupil=64)
    (0.78125, 0.875, 1.0, 1.09375, 1.171875)
    """
    lams, reference, grid, pupil = snap_inputs(wavelengths, wavelength, grid, pupil)
    snapped = []
    for index, lam in enumerate(lams):
        x = lam * grid / reference
        if x < pupil - 0.5:
            raise ValueError(
                f"wavelengths[{index}] = {lam!r} is shorter than (pupil - 0.5) * wavelength / "
                f"grid = {(pupil - 0.5) * reference / grid!r}: its band has no periodic "
                f"sampling (N_lam = lam * grid / wavelength = {x:.6g} must be at least the "
                f"pupil's n = {pupil}); leave it unsnapped")
        length = _nearest_length(x, pupil, grid)
        snapped.append(reference if length == grid else length * reference / grid)
    return tuple(snapped)
