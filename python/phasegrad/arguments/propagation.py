"""Argument rules of the propagation ops (``angular_spectrum``, ``fresnel`` and their reverse and
forward-mode rules), shared by ``phasegrad.reference.propagation`` and
``phasegrad.ops.propagation``.

Lengths (``distance``, ``wavelength``, ``pitch``) are in one unit of the caller's choosing.
``propagation_inputs`` validates an op's arguments and returns them as the op computes with
them; it also issues the documented ``AliasingWarning`` when the sampling cannot represent the
propagation (see ``docs/holography.md``).
"""

from __future__ import annotations

import warnings

from .validate import array, one_of, positive_int, scalar

__all__ = ["AliasingWarning", "FRESNEL_METHODS", "Propagation", "propagation_inputs"]

#: The two Fresnel propagators: the transfer function (convolution) and the single-FFT
#: impulse-response (Fraunhofer-like) method.
FRESNEL_METHODS = ("transfer", "impulse")


class AliasingWarning(RuntimeWarning):
    """The grid undersamples the propagator's chirp: the result is aliased.

    Issued by ``angular_spectrum`` with ``band_limit=False`` when Matsushima & Shimobaba's
    band limit lies inside the grid's bandwidth, by ``fresnel(method="transfer")`` when
    ``wavelength |distance| > N pitch^2`` and by ``fresnel(method="impulse")`` when
    ``wavelength distance < N pitch^2`` (N the plane's rows or columns).
    """


class Propagation:
    """The validated physical parameters of one propagation.

    ``method`` is ``"angular_spectrum"``, ``"transfer"`` or ``"impulse"``; ``pad`` is the
    zero-padding factor of the angular spectrum (1 for the Fresnel methods).
    """

    __slots__ = ("band_limit", "distance", "method", "pad", "pitch", "wavelength")

    def __init__(self, method, distance, wavelength, pitch, band_limit=False, pad=1):
        self.method = method
        self.distance = distance
        self.wavelength = wavelength
        self.pitch = pitch
        self.band_limit = band_limit
        self.pad = pad


def _positive_length(value, name):
    value = scalar(value, name, allow_complex=False)
    if value <= 0:
        raise ValueError(f"{name} must be a positive length; got {value!r}")
    return value


def _flag(value, name):
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return value


def _warn_if_aliased(plane, params):
    """The documented ``AliasingWarning`` for a sampling that cannot hold the propagation."""
    z, wavelength, pitch = abs(params.distance), params.wavelength, params.pitch
    if params.method == "angular_spectrum":
        if params.band_limit or z == 0:
            return
        for n in plane:
            spacing = 1.0 / (params.pad * n * pitch)        # frequency step of the padded grid
            limit = 1.0 / (wavelength * ((2 * spacing * z) ** 2 + 1) ** 0.5)
            if limit < 0.5 / pitch and limit < 1.0 / wavelength:
                warnings.warn(
                    f"angular_spectrum without band_limit: the transfer function is aliased "
                    f"beyond {limit:.6g} cycles per unit length (the grid reaches "
                    f"{0.5 / pitch:.6g}); pass band_limit=True or a larger pad",
                    AliasingWarning, stacklevel=4)
                return
    elif params.method == "transfer":
        if wavelength * z > min(plane) * pitch ** 2:
            warnings.warn(
                f"fresnel(method='transfer'): wavelength*|distance| = {wavelength * z:.6g} > "
                f"N pitch^2 = {min(plane) * pitch ** 2:.6g}, the transfer function's chirp is "
                f"undersampled; use method='impulse' at this distance",
                AliasingWarning, stacklevel=4)
    elif wavelength * z < max(plane) * pitch ** 2:
        warnings.warn(
            f"fresnel(method='impulse'): wavelength*distance = {wavelength * z:.6g} < "
            f"N pitch^2 = {max(plane) * pitch ** 2:.6g}, the input chirp is undersampled; use "
            f"method='transfer' at this distance",
            AliasingWarning, stacklevel=4)


def propagation_inputs(x, name, distance, wavelength, pitch, method, band_limit=False, pad=1):
    """``(x, Propagation)``: the complex field ``x`` (``name``, at least two axes) and the
    checked physical parameters of ``method`` (``"angular_spectrum"``, ``"transfer"`` or
    ``"impulse"``)."""
    x = array(x, name, kind="complex", min_ndim=2)
    distance = scalar(distance, "distance", allow_complex=False)
    wavelength = _positive_length(wavelength, "wavelength")
    pitch = _positive_length(pitch, "pitch")
    if method == "angular_spectrum":
        band_limit = _flag(band_limit, "band_limit")
        pad = positive_int(pad, "pad")
    else:
        one_of(method, "method", FRESNEL_METHODS)
        if method == "impulse" and distance <= 0:
            raise ValueError(f"distance must be positive for method='impulse' (its output "
                             f"pitch is wavelength*distance/(N pitch)); got {distance!r}")
    params = Propagation(method, distance, wavelength, pitch, band_limit, pad)
    _warn_if_aliased(x.shape[-2:], params)
    return x, params
