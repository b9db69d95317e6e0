"""Checks of a phase-retrieval problem that no fit can make right on its own.

Each function looks at the data or the configuration and returns a list of ``Finding``s (empty
when all is well): a short ``kind``, a one-line ``message`` and ``refuse``, True when the
problem as posed cannot give a right answer (the command line refuses it; the library leaves
the decision to the caller). They answer the questions a fit's cost cannot: is the problem
ambiguous, were the images made at the sampling the model assumes, is the light clipped or
saturated, does a background need fitting, can the pupil carry that many modes, is it sampled
finely enough for the wavefront found.

Images are (M, M) or (P, M, M) arrays with the optical axis at pixel M//2 (the model's
convention, docs/conventions.md); pupils are (n, n) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arguments import validate as v
from ..pupils import noll_to_nm

__all__ = ["Finding", "background_level", "centroids", "clipped", "mode_count", "noise_level",
           "spectral_noise",
           "off_centre", "sampling_mismatch", "saturated", "twin_image_ambiguity",
           "unmodelled_background", "wrapping"]


@dataclass(frozen=True)
class Finding:
    """One thing a check found: ``kind`` (a word), ``message`` (one line), ``refuse``."""

    kind: str
    message: str
    refuse: bool = False


def _stack(data, name="data"):
    arr = v.array(data, name, kind="real", min_ndim=2)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2] or arr.shape[1] < 4:
        raise ValueError(f"{name} must be (M, M) or (P, M, M) images with M >= 4; got "
                         f"{np.shape(data)}")
    v.finite(arr, name)
    return arr.astype(np.float64)


def _border(size):
    width = max(2, size // 32)
    mask = np.zeros((size, size), bool)
    mask[:width] = mask[-width:] = True
    mask[:, :width] = mask[:, -width:] = True
    return mask


def background_level(data):
    """The median of each plane's border pixels (a background estimate), (P,) float64."""
    stack = _stack(data)
    border = _border(stack.shape[1])
    return np.array([np.median(plane[border]) for plane in stack])


def _signal(stack):
    """Each plane less its border median, negative values set to 0."""
    return np.clip(stack - background_level(stack)[:, None, None], 0.0, None)


def clipped(data, limit=0.01):
    """Planes that lose light at the frame's edge: more than ``limit`` of the light above the
    background lies in the outer border (2 pixels, or M/32). A PSF cut by the frame biases the
    fit (the model's image is circular on its grid); use a larger window. The sums are of the
    planes less their border median, negative values kept: zero-mean noise cancels in them
    (clipped at 0 its positive half would look like light at the edge). What the noise leaves
    in the border's sum (three of its standard deviations, from ``noise_level``) does not
    count: at read noise of 1 % of the peak it alone passed 1 % of a PSF's light."""
    stack = _stack(data)
    spread = noise_level(stack)
    stack = stack - background_level(stack)[:, None, None]
    border = _border(stack.shape[1])
    pixels = np.sqrt(np.count_nonzero(border))
    found = []
    for p, plane in enumerate(stack):
        total = plane.sum()
        if total > 0 and plane[border].sum() - 3.0 * spread[p] * pixels > limit * total:
            share = plane[border].sum() / total
            found.append(Finding("clipped", f"plane {p}: {100 * share:.1f}% of the light is "
                                            "at the frame's edge: the PSF is clipped or the "
                                            "window too small"))
    return found


def saturated(data, count=3):
    """Planes with ``count`` or more pixels at exactly the plane's maximum: a flat top is what
    a saturated camera records (noisy unsaturated data almost never repeat their peak)."""
    stack = _stack(data)
    found = []
    for p, plane in enumerate(stack):
        peak = plane.max()
        ties = int(np.count_nonzero(plane == peak))
        if peak > 0 and ties >= count:
            found.append(Finding("saturated", f"plane {p}: {ties} pixels at the maximum value "
                                              f"{peak:g}: saturated? Mask them (weight 0) or "
                                              "use unsaturated frames"))
    return found


def centroids(data):
    """The light's centroid in each plane, (P, 2) float64 (rows, columns) in pixels from the
    optical axis at M//2, after the border median is taken off (NaN for a plane with no light
    above it)."""
    stack = _signal(_stack(data))
    size = stack.shape[1]
    axis = np.arange(size, dtype=np.float64) - size // 2
    out = np.full((stack.shape[0], 2), np.nan)
    for p, plane in enumerate(stack):
        total = plane.sum()
        if total > 0:
            out[p] = (float(axis @ plane.sum(axis=1)) / total,
                      float(axis @ plane.sum(axis=0)) / total)
    return out


def off_centre(data, limit=1.0):
    """The light's centroid against the optical axis (pixel M//2): a finding when it is more
    than ``limit`` pixels away in any plane (a model centred on the axis then starts in the
    wrong basin: register the data, or fit the shift)."""
    found = []
    for p, (dy, dx) in enumerate(centroids(data)):
        if np.isfinite(dy) and max(abs(dy), abs(dx)) > limit:
            found.append(Finding("off-centre", f"plane {p}: the light's centroid is "
                                               f"({dy:+.2f}, {dx:+.2f}) pixels (rows, columns) "
                                               "from the optical axis at M//2"))
    return found


def noise_level(data):
    """Each plane's noise standard deviation estimated from its border pixels (1.4826 times
    their median absolute deviation), (P,) float64."""
    stack = _stack(data)
    border = _border(stack.shape[1])
    levels = []
    for plane in stack:
        values = plane[border]
        levels.append(1.4826 * float(np.median(np.abs(values - np.median(values)))))
    return np.array(levels)


def spectral_noise(data):
    """Each plane's noise variance per pixel, measured where the images' spectrum holds no
    light, (P,) float64; NaN for a plane that cannot tell.

    The optical transfer function of data sampled at pad >= 2 vanishes beyond M / 2 frequency
    pixels from zero, so the spectrum's corners (beyond the inscribed circle) are noise alone:
    for independent pixels E|DFT(noise)|^2 = sum of the pixels' variances, whatever each
    pixel's own (shot noise and read noise alike). The mean |DFT|^2 there over M^2 is the mean
    variance per pixel. Undersampled or aliased data (light in the corners) overstate it.
    """
    stack = _stack(data)
    size = stack.shape[1]
    y, x = np.indices((size, size)) - size // 2
    corners = np.hypot(y, x) > 0.5 * size + 1
    out = np.full(stack.shape[0], np.nan)
    if np.count_nonzero(corners) < 16:
        return out
    for p, plane in enumerate(stack):
        spectrum = np.fft.fftshift(np.fft.fft2(plane - plane.mean()))
        out[p] = float(np.mean(np.abs(spectrum[corners]) ** 2)) / size**2
    return out


def unmodelled_background(data, limit=1e-3):
    """A background the model has no term for (a linear detector without a fitted
    ``background``): a finding when any plane's border median is above ``limit`` times the
    brightest pixel and above five times its own standard error (the border's noise over the
    square root of its pixel count). Fit it (``fit=("background",)``), subtract it, or use
    the quadratic detector, whose offset c carries it."""
    stack = _stack(data)
    level = background_level(stack)
    noise = noise_level(stack) / np.sqrt(np.count_nonzero(_border(stack.shape[1])))
    peak = float(np.abs(stack).max())
    found = []
    for p, (b, s) in enumerate(zip(level, noise, strict=True)):
        if abs(b) > limit * peak and abs(b) > 5 * s:
            found.append(Finding("background", f"plane {p}: a background of {b:.3g} "
                                               f"({100 * b / peak:.2g}% of the peak) that the "
                                               "model does not fit: give it a background term "
                                               "or subtract it"))
    return found


# The images' spectrum counts as light where it stands above 20 times the median of the
# noise-only corners (a Rayleigh-distributed modulus passes that with odds ~ 1e-200) or 1e-5 of
# its peak; a support shorter than the claimed pad implies is trusted only when that level is
# at most 1 % of the peak.
_EDGE_FLOOR = 20.0
_EDGE_PEAK = 1e-5
_EDGE_SEEN = 1e-2


def _otf_support_radius(stack):
    """The radius (frequency pixels) inside which the images' summed spectrum stands above its
    floor, and that floor's ratio to the spectrum's peak; None when no floor can be measured."""
    size = stack.shape[1]
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(_signal(stack).sum(axis=0))))
    y, x = np.indices(spectrum.shape) - size // 2
    radius = np.hypot(y, x)
    corners = radius > 0.5 * size + 1  # beyond the inscribed circle: outside any pad >= 2 OTF
    if np.count_nonzero(corners) < 16 or spectrum.max() <= 0:
        return None, None
    floor = np.median(spectrum[corners])
    threshold = max(_EDGE_FLOOR * floor, _EDGE_PEAK * spectrum.max())
    above = radius[spectrum > threshold]
    return float(above.max()), float(floor / spectrum.max())


def sampling_mismatch(data, pad, bin=1, tolerance=0.2):
    """The sampling the images were made at, from their spectrum, against ``pad`` (and
    ``bin``): the optical transfer function of a pupil of n pixels on an N = pad * n grid
    reaches N / pad frequency pixels from zero, so the images' spectrum shows the true pad.

    A finding that refuses when the estimate is below ``pad`` by more than ``tolerance``
    (relative) or above it by more than 2.5 ``tolerance`` (noise shortens the support seen):
    a model at the wrong sampling fits garbage (``--pad 4`` on data sampled at pad 2).
    Nothing is said when the spectrum cannot tell (undersampled data, pad / bin < 2: the
    support wraps; or no light above the noise).
    """
    stack = _stack(data)
    pad = v.scalar(pad, "pad", allow_complex=False)
    bin = v.positive_int(bin, "bin")
    if pad / bin < 2:
        return []
    radius, floor = _otf_support_radius(stack)
    if radius is None or radius < 2 or floor > 1e-2:
        return []
    size = stack.shape[1]
    if radius >= 0.5 * size * np.sqrt(2) - 1:
        return []  # light up to the corners: aliased, nothing to measure
    estimate = size * bin / radius
    # Noise hides the transfer function's faint edge, so the support measured is short of the
    # true one and the estimate high: a higher estimate is refused only beyond 2.5 tolerances,
    # and only when the spectrum is seen down to 1 % of its peak (a diffraction-limited MTF
    # falls to 1 % at 96 % of its cut-off). Measured: at read noise of 3e-3 of the brightest
    # pixel (three 64-pixel planes) the support seen ends at 15 of 25 frequency pixels, an
    # estimate of 4.3 for data at pad 2.56, which the rule without that condition refused.
    relative = estimate / pad - 1
    if relative < -tolerance:
        pass  # light beyond the claimed support: noise cannot put it there
    elif relative <= 2.5 * tolerance or max(_EDGE_FLOOR * floor, _EDGE_PEAK) > _EDGE_SEEN:
        return []
    return [Finding("sampling", f"the images' spectrum reaches {radius:.0f} of {size // 2} "
                                f"frequency pixels: they were sampled at pad ~ {estimate:.2f}, "
                                f"not pad = {pad:g} (pad = wavelength x F-number / pixel "
                                "pitch, docs/conventions.md)", refuse=True)]


def twin_image_ambiguity(amplitude, diversity=None, rtol=1e-6):
    """The twin-image ambiguity: a wavefront W and its twin -W rotated by 180 degrees give the
    same images when the pupil is symmetric under that rotation and every plane's diversity
    phase is odd under it (no diversity at all included: one in-focus image). Then the even
    modes' sign (defocus, astigmatism, spherical) cannot be told from the data."""
    amplitude = v.array(amplitude, "amplitude", kind="real")
    if amplitude.ndim != 2:
        raise ValueError(f"amplitude must be (n, n); got shape {amplitude.shape}")
    scale = float(np.abs(amplitude).max())
    if scale == 0 or not np.allclose(amplitude, amplitude[::-1, ::-1], rtol=0,
                                     atol=rtol * scale):
        return []
    support = amplitude != 0
    if diversity is not None:
        phases = v.array(diversity, "diversity", kind="real")
        phases = phases[None] if phases.ndim == 2 else phases
        for phase in phases:
            even = phase + phase[::-1, ::-1]
            size = max(float(np.abs(phase[support]).max()), 1e-300)
            if np.abs(even[support]).max() > rtol * size + 1e-12:
                return []  # an even diversity (defocus) breaks the symmetry
    why = "one image and no diversity" if diversity is None else \
        "every plane's diversity is odd under a 180-degree rotation"
    return [Finding("ambiguous", f"the even modes' sign is ambiguous ({why}): W and -W "
                                 "rotated by 180 degrees give the same images; add a "
                                 "defocused plane")]


def mode_count(n_modes, amplitude, first=2):
    """Whether the pupil's pixels can carry ``n_modes`` Zernike modes from Noll index
    ``first``: refused when there are more modes than half the pupil's pixels, or when the
    highest radial order exceeds half the pupil's diameter in pixels (fewer than 2 pixels per
    oscillation); a warning above a quarter of it."""
    n_modes = v.positive_int(n_modes, "n_modes")
    amplitude = v.array(amplitude, "amplitude", kind="real")
    support = np.count_nonzero(amplitude)
    rows = np.flatnonzero(np.any(amplitude != 0, axis=1))
    diameter = int(rows[-1] - rows[0] + 1) if rows.size else 0
    order = noll_to_nm(first + n_modes - 1)[0]
    if n_modes > support / 2:
        return [Finding("modes", f"{n_modes} modes on a pupil of {support} pixels: more than "
                                 "half as many modes as pixels cannot be fitted", refuse=True)]
    if order > diameter / 2:
        return [Finding("modes", f"{n_modes} modes reach radial order {order}, more than half "
                                 f"the pupil's {diameter}-pixel diameter: the pupil is too "
                                 "coarsely sampled for them", refuse=True)]
    if order > diameter / 4:
        return [Finding("modes", f"{n_modes} modes reach radial order {order} on a "
                                 f"{diameter}-pixel pupil: fewer than 4 pixels per oscillation "
                                 "of the highest modes")]
    return []


def wrapping(wavefront, amplitude, limit=0.5):
    """Pupil sampling against the wavefront found: neighbouring pupil pixels (both in the
    support) whose wavefront differs by more than ``limit`` waves (half a wave: a phase step
    beyond pi, which the pixels cannot represent unambiguously)."""
    w = v.array(wavefront, "wavefront", kind="real")
    support = v.array(amplitude, "amplitude", kind="real") != 0
    if w.shape != support.shape:
        raise ValueError(f"wavefront {w.shape} and amplitude {support.shape} must match")
    steps = [np.abs(np.diff(w, axis=0))[support[1:] & support[:-1]],
             np.abs(np.diff(w, axis=1))[support[:, 1:] & support[:, :-1]]]
    largest = max((float(s.max()) for s in steps if s.size), default=0.0)
    if largest <= limit:
        return []
    return [Finding("wrapping", f"the wavefront changes by up to {largest:.2f} waves between "
                                "neighbouring pupil pixels (more than half a wave): the pupil "
                                "is too coarsely sampled for this aberration")]
