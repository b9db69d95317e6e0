"""Propagation ops: free-space propagation of a sampled complex field over a distance.

``angular_spectrum`` is the band-limited angular-spectrum method (Matsushima & Shimobaba 2009);
``fresnel`` the Fresnel approximation, by its transfer function or by the single-FFT
impulse-response method. Lengths are in one unit of the caller's choosing; the input plane is
sampled at ``pitch`` with the optical axis at pixel (n//2, m//2). All act on the last two axes
and batch over the leading ones; each is linear, so its reverse rule is its conjugate transpose
(Jurling & Fienup 2014, Eq. 69-74) and its forward-mode rule the op applied to the tangent.

Gradient convention: for a real scalar E, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``. The argument
rules are ``phasegrad.arguments.propagation``; ``docs/holography.md`` derives the sampling.
"""

from __future__ import annotations

import numpy as np

from ..arguments.propagation import propagation_inputs
from ..arguments.tangents import tangent

__all__ = [
    "angular_spectrum", "angular_spectrum_vjp", "angular_spectrum_jvp",
    "fresnel", "fresnel_vjp", "fresnel_jvp",
]


def _frequencies(n, pitch):
    """Signed spatial frequencies of an n-point DFT on samples ``pitch`` apart, in FFT order
    (cycles per unit length): ``k / (n pitch)``, k = 0, 1, ..., then the negative ones."""
    k = np.arange(n, dtype=np.float64)
    k[(n + 1) // 2:] -= n
    return k / (n * pitch)


def _turns(cycles):
    """``exp(2 pi i cycles)`` with the whole turns removed first (large distances keep every
    digit of the fraction)."""
    angle = 2.0 * np.pi * (cycles - np.round(cycles))
    return np.cos(angle) + 1j * np.sin(angle)


def transfer_function(plane, params):
    """The transfer function H on a ``plane = (rows, cols)`` grid in FFT order, complex128.

    ``params`` is a validated ``phasegrad.arguments.propagation.Propagation`` of method
    ``"angular_spectrum"`` or ``"transfer"``; ``plane`` is the padded grid. Angular spectrum:
    ``H = exp(2 pi i z sqrt(1/lambda^2 - fx^2 - fy^2))``, zero for evanescent frequencies and,
    with ``band_limit``, for ``|f| >= 1 / (lambda sqrt((2 df z)^2 + 1))`` per axis (``df`` the
    axis' frequency step). Fresnel: ``H = exp(2 pi i (z / lambda - lambda z (fx^2 + fy^2) / 2))``.
    """
    rows, cols = plane
    z, wavelength, pitch = params.distance, params.wavelength, params.pitch
    fy = _frequencies(rows, pitch)[:, None]
    fx = _frequencies(cols, pitch)[None, :]
    if params.method == "transfer":
        cycles = z / wavelength - 0.5 * wavelength * z * (fy * fy + fx * fx)
        return _turns(cycles)
    argument = 1.0 / (wavelength * wavelength) - fy * fy - fx * fx
    propagating = argument > 0
    cycles = z * np.sqrt(np.where(propagating, argument, 0.0))
    h = np.where(propagating, _turns(cycles), 0.0)
    if params.band_limit:
        for n, f in ((rows, fy), (cols, fx)):
            spacing = 1.0 / (n * pitch)
            growth = 2.0 * spacing * z
            limit = 1.0 / (wavelength * np.sqrt(growth * growth + 1.0))
            h = np.where(np.abs(f) < limit, h, 0.0)
    return h


def impulse_chirps(plane, params):
    """The single-FFT Fresnel method's factors on ``plane = (rows, cols)``:
    ``(in_rows, in_cols, out_rows, out_cols, constant, out_pitch)``.

    ``y = constant * out_rows[:, None] * out_cols * fftshift(DFT(ifftshift(in_rows[:, None] *
    in_cols * x)))`` with the chirps ``exp(i pi x^2 / (lambda z))`` at the input coordinates
    ``(p - n//2) pitch`` and the output coordinates ``(k - n//2) out_pitch``,
    ``out_pitch = lambda z / (n pitch)`` per axis, and
    ``constant = pitch^2 exp(2 pi i z / lambda) / (i lambda z)``.
    """
    z, wavelength, pitch = params.distance, params.wavelength, params.pitch
    scale = 0.5 / (wavelength * z)
    chirps, out_pitch = [], []
    for n in plane:
        offset = np.arange(n, dtype=np.float64) - n // 2
        step = wavelength * z / (n * pitch)
        chirps.append((_turns(scale * pitch * pitch * offset * offset),
                       _turns(scale * step * step * offset * offset)))
        out_pitch.append(step)
    constant = pitch * pitch / (wavelength * z) * _turns(np.float64(z / wavelength - 0.25))
    (in_rows, out_rows), (in_cols, out_cols) = chirps
    return in_rows, in_cols, out_rows, out_cols, complex(constant), tuple(out_pitch)


def _through_transfer(x, params, conjugate):
    """``crop(IDFT(H DFT(pad(x))))`` (or with ``conj(H)``), top-left padding by ``pad``."""
    rows, cols = x.shape[-2:]
    plane = (params.pad * rows, params.pad * cols)
    h = transfer_function(plane, params)
    if conjugate:
        h = np.conj(h)
    padded = np.zeros(x.shape[:-2] + plane, dtype=x.dtype)
    padded[..., :rows, :cols] = x
    spectrum = np.fft.fft2(padded, axes=(-2, -1)).astype(x.dtype, copy=False)
    spectrum *= h.astype(x.dtype)
    y = np.fft.ifft2(spectrum, axes=(-2, -1))[..., :rows, :cols]
    return np.ascontiguousarray(y.astype(x.dtype, copy=False))


def _through_impulse(x, params, adjoint):
    """The single-FFT Fresnel method, or its conjugate transpose when ``adjoint``."""
    in_rows, in_cols, out_rows, out_cols, constant, _ = impulse_chirps(x.shape[-2:], params)
    before = in_rows[:, None] * in_cols[None, :]
    after = constant * (out_rows[:, None] * out_cols[None, :])
    if adjoint:
        before, after = np.conj(after), np.conj(before)
        transform = lambda a: np.fft.ifft2(a, axes=(-2, -1), norm="forward")  # noqa: E731
    else:
        transform = lambda a: np.fft.fft2(a, axes=(-2, -1))  # noqa: E731
    shifted = np.fft.ifftshift(x * before.astype(x.dtype), axes=(-2, -1))
    y = np.fft.fftshift(transform(shifted), axes=(-2, -1)).astype(x.dtype, copy=False)
    return y * after.astype(x.dtype)


def _propagate(x, params, adjoint):
    if params.method == "impulse":
        return _through_impulse(x, params, adjoint)
    return _through_transfer(x, params, adjoint)


def angular_spectrum(x, distance, wavelength, pitch, *, band_limit=True, pad=1):
    """Band-limited angular-spectrum propagation over ``distance`` (Matsushima & Shimobaba
    2009; the convolution of Eq. 69 through the DFT, Eq. 75-78).

    ``y = crop(IDFT(H DFT(pad(x))))`` with ``H = exp(2 pi i distance sqrt(1/wavelength^2 -
    fx^2 - fy^2))`` on the padded grid's frequencies ``f = k / (pad n pitch)``. Evanescent
    frequencies are dropped (H = 0). With ``band_limit`` (the default), H is also zero where
    its phase would be undersampled: ``|f| >= 1 / (wavelength sqrt((2 df distance)^2 + 1))``
    per axis, ``df = 1 / (pad n pitch)``. The output grid is the input grid (same pitch, same
    axis at pixel (n//2, m//2)); the padding is top-left and ``pad = 2`` removes the circular
    wrap-around (the linear convolution over the plane).

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        The field; leading axes are a batch.
    distance : float
        Propagation distance, any sign (negative propagates backwards; 0 keeps the
        propagating band).
    wavelength, pitch : float
        Positive lengths in ``distance``'s unit.
    band_limit : bool
        Apply Matsushima & Shimobaba's band limit (keyword only). Without it an undersampled
        transfer function gives an ``AliasingWarning``.
    pad : int
        Zero-padding factor of each axis (keyword only), 1 for none.

    Returns
    -------
    ndarray
        ``y``, shape and dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((8, 8), complex); x[4, 4] = 1
    >>> y = angular_spectrum(x, 0.0, 0.5, 1.0)
    >>> bool(np.allclose(y, x))
    True
    """
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, "angular_spectrum",
                                   band_limit, pad)
    return _propagate(x, params, adjoint=False)


def angular_spectrum_vjp(y_bar, distance, wavelength, pitch, *, band_limit=True, pad=1):
    """Reverse rule of ``angular_spectrum``: ``x_bar = crop(IDFT(conj(H) DFT(pad(y_bar))))``
    (Eq. 69-74: the conjugate transpose of a linear op).

    ``IDFT`` is the adjoint of ``DFT`` up to the factor the pair cancels, and ``crop`` of
    ``pad``; the band-limited H is zero or of unit modulus, and ``conj(H)`` is the transfer
    function of ``-distance``: the reverse rule propagates ``y_bar`` back.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, complex64 or complex128, shape (..., n, m)
        Cotangent of ``y = angular_spectrum(x, ...)``.
    distance, wavelength, pitch : float
        As for ``angular_spectrum``.
    band_limit : bool
        As for ``angular_spectrum``.
    pad : int
        As for ``angular_spectrum``.

    Returns
    -------
    ndarray
        ``x_bar``, shape and dtype of ``y_bar``.
    """
    y_bar, params = propagation_inputs(y_bar, "y_bar", distance, wavelength, pitch,
                                       "angular_spectrum", band_limit, pad)
    return _propagate(y_bar, params, adjoint=True)


def angular_spectrum_jvp(x, x_dot, distance, wavelength, pitch, *, band_limit=True, pad=1):
    """Forward rule of ``angular_spectrum``: ``y_dot = angular_spectrum(x_dot, ...)`` (Eq. 69).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``angular_spectrum_vjp``: ``Re<y_bar, y_dot> = Re<angular_spectrum_vjp(y_bar, ...),
    x_dot>`` for every ``y_bar``, with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        The point, as for ``angular_spectrum``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    distance, wavelength, pitch : float
        As for ``angular_spectrum``.
    band_limit : bool
        As for ``angular_spectrum``.
    pad : int
        As for ``angular_spectrum``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = angular_spectrum(x, ...)`` and its tangent, each of ``x``'s shape and dtype.
    """
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, "angular_spectrum",
                                   band_limit, pad)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _propagate(x, params, False), _propagate(x_dot, params, False)


def fresnel(x, distance, wavelength, pitch, *, method="transfer"):
    """Fresnel propagation over ``distance`` by its transfer function or a single FFT (the
    convolution of Eq. 69 through the DFT, Eq. 75-78).

    ``method="transfer"``: ``y = IDFT(H DFT(x))``, ``H = exp(2 pi i (distance / wavelength -
    wavelength distance (fx^2 + fy^2) / 2))``, on the input grid (circular: pad the field
    with zeros yourself to avoid wrap-around). Sampled well for
    ``wavelength |distance| <= N pitch^2``.

    ``method="impulse"``: the Fresnel integral as one DFT,
    ``y(u) = pitch^2 e^{2 pi i distance / wavelength} / (i wavelength distance)
    e^{i pi u^2 / (wavelength distance)} sum_x x e^{i pi x^2 / (wavelength distance)}
    e^{-2 pi i x u / (wavelength distance)}``, input coordinates ``x = (p - n//2) pitch`` and
    output coordinates ``u = (k - n//2) out_pitch`` with the **output pitch**
    ``out_pitch = wavelength distance / (n pitch)`` along an axis of n pixels (so the output
    grid has the input's shape and its own pitch, which ``impulse_chirps`` returns). It
    conserves energy in physical units (``sum |y|^2 out_pitch^2 = sum |x|^2 pitch^2``) and is
    sampled well for ``wavelength distance >= N pitch^2``; ``distance`` must be positive.

    Outside those ranges the op gives an ``AliasingWarning``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        The field; leading axes are a batch.
    distance : float
        Propagation distance (any sign for ``"transfer"``, positive for ``"impulse"``).
    wavelength, pitch : float
        Positive lengths in ``distance``'s unit.
    method : {"transfer", "impulse"}
        The propagator (keyword only).

    Returns
    -------
    ndarray
        ``y``, shape and dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((4, 4), complex)
    >>> y = fresnel(x, 1.0, 0.5, 1.0)
    >>> bool(np.isclose(np.sum(np.abs(y) ** 2), 16.0))
    True
    """
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, method)
    return _propagate(x, params, adjoint=False)


def fresnel_vjp(y_bar, distance, wavelength, pitch, *, method="transfer"):
    """Reverse rule of ``fresnel``: the conjugate transpose of the linear op (Eq. 69-74).

    ``"transfer"``: ``x_bar = IDFT(conj(H) DFT(y_bar))``, the propagation by ``-distance``.
    ``"impulse"``: ``x_bar = conj(c_in) fftshift(IDFT_u(ifftshift(conj(constant c_out)
    y_bar)))``, ``IDFT_u`` the unnormalised inverse DFT and ``c_in``, ``c_out`` the chirps
    of ``fresnel``.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, complex64 or complex128, shape (..., n, m)
        Cotangent of ``y = fresnel(x, ...)``.
    distance, wavelength, pitch : float
        As for ``fresnel``.
    method : {"transfer", "impulse"}
        As for ``fresnel``.

    Returns
    -------
    ndarray
        ``x_bar``, shape and dtype of ``y_bar``.
    """
    y_bar, params = propagation_inputs(y_bar, "y_bar", distance, wavelength, pitch, method)
    return _propagate(y_bar, params, adjoint=True)


def fresnel_jvp(x, x_dot, distance, wavelength, pitch, *, method="transfer"):
    """Forward rule of ``fresnel``: ``y_dot = fresnel(x_dot, ...)`` (Eq. 69).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``fresnel_vjp``: ``Re<y_bar, y_dot> = Re<fresnel_vjp(y_bar, ...), x_dot>`` for every
    ``y_bar``, with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        The point, as for ``fresnel``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    distance, wavelength, pitch : float
        As for ``fresnel``.
    method : {"transfer", "impulse"}
        As for ``fresnel``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = fresnel(x, ...)`` and its tangent, each of ``x``'s shape and dtype.
    """
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, method)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _propagate(x, params, False), _propagate(x_dot, params, False)
