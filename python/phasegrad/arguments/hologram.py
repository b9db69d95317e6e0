"""Argument rules of the phase-only hologram: the target intensity that ``pg.Hologram`` and
the GS/WGS algorithms of ``phasegrad.optimize`` both accept."""

from __future__ import annotations

import numpy as np

from . import validate as v

__all__ = ["MODULATORS", "QUANTIZERS", "HologramSetup", "hologram_setup", "hologram_target"]


def hologram_target(target):
    """``target`` as a validated array: real, 2-D, finite, non-negative, not all zero (its
    dtype kept); the errors name ``target``."""
    target = v.array(target, "target", kind="real")
    if target.ndim != 2:
        raise ValueError(f"target must be a 2-D image (n, m); got shape {target.shape}")
    v.finite(target, "target")
    if np.any(target < 0):
        raise ValueError("target must be a non-negative intensity")
    if not np.any(target > 0):
        raise ValueError("target must not be all zero (the loss normalises by its mean)")
    return v.float32_scale(target, "target")


QUANTIZERS = ("straight_through", "soft")
MODULATORS = ("phase", "amplitude_phase")


class HologramSetup:
    """The validated configuration of a general hologram (``pg.Hologram`` beyond the far-field
    single-plane case); every array C-contiguous, float64 unless it is the target.

    ``target`` (C, P, n, m) in the model's dtype; ``distances`` (P,) float64 or None (far
    field); ``wavelengths`` (C,); ``pitch`` a float or None; ``phase_response`` (C,);
    ``weights`` (C, P); ``amplitude`` (n, m); ``zero_order`` a complex; ``levels`` an int or
    None; ``quantizer`` one of ``QUANTIZERS``; ``crosstalk`` (kr, kc) with odd sides, or None;
    ``efficiency`` a float >= 0 or None (the plain normalised MSE); ``pad`` an int >= 1;
    ``modulator`` one of ``MODULATORS``; ``shape`` the target's shape as given.
    """

    __slots__ = ("amplitude", "crosstalk", "distances", "efficiency", "levels", "modulator", "pad",
                 "phase_response", "pitch", "quantizer", "shape", "target", "wavelengths",
                 "weights", "zero_order")

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields[name])

    @property
    def colours(self):
        return self.target.shape[0]

    @property
    def planes(self):
        return self.target.shape[1]

    @property
    def plane(self):
        return self.target.shape[2:]

    @property
    def parameters(self):
        """The shape of the parameters: the phase map (n, m), or (2, n, m) with the amplitude +
        phase modulator (the phase map, then the amplitude parameters)."""
        plane = tuple(self.plane)
        return (2, *plane) if self.modulator == "amplitude_phase" else plane


def _vector(values, name, length, what):
    """A 1-D float64 vector of ``length`` finite values (a single number when length is 1)."""
    vector = np.atleast_1d(np.asarray(v.array(values, name, kind="real"), dtype=np.float64))
    if vector.ndim != 1 or vector.size != length:
        raise ValueError(f"{name} must hold {length} value(s), {what}; got shape "
                         f"{np.shape(values)}")
    v.finite(vector, name)
    return np.ascontiguousarray(vector)


def hologram_setup(target, distances=None, wavelengths=None, pitch=None, levels=None,
                   crosstalk=None, plane_weights=None, phase_response=None, amplitude=None,
                   zero_order=None, quantizer="straight_through", efficiency=None, pad=1,
                   modulator="phase"):
    """Validate the arguments of a general hologram; returns a ``HologramSetup``.

    The target is (n, m), (P, n, m) for P planes at ``distances`` or (C, P, n, m) for C colours
    at ``wavelengths``; every error names its argument.
    """
    target = v.array(target, "target", kind="real")
    if target.ndim not in (2, 3, 4):
        raise ValueError(f"target must be (n, m), (P, n, m) or (C, P, n, m); got shape "
                         f"{target.shape}")
    v.finite(target, "target")
    if np.any(target < 0):
        raise ValueError("target must be a non-negative intensity")
    shape = target.shape
    stacked = target.reshape((1,) * (4 - target.ndim) + target.shape)
    if not np.all(np.any(stacked > 0, axis=(-2, -1))):
        raise ValueError("target must not have an all-zero plane (the loss normalises each "
                         "plane by its mean)")
    target = v.float32_scale(np.ascontiguousarray(stacked), "target")
    colours, planes = target.shape[:2]
    if wavelengths is None:
        if colours != 1:
            raise ValueError("wavelengths must be given for a target of several colours "
                             "(C, P, n, m)")
        if distances is not None:
            raise ValueError("wavelengths must be given with distances (the propagation "
                             "depends on the wavelength)")
        wavelengths = np.ones(1)
    else:
        if len(shape) != 4 and np.size(wavelengths) != 1:
            raise ValueError(f"wavelengths of several colours need a target (C, P, n, m); got "
                             f"shape {shape}")
        wavelengths = _vector(wavelengths, "wavelengths", colours, "one per colour of target")
        if np.any(wavelengths <= 0):
            raise ValueError("wavelengths must be positive lengths")
    if distances is None:
        if planes != 1:
            raise ValueError(f"distances must be given for a target of {planes} planes")
        if pitch is not None:
            pitch = v.scalar(pitch, "pitch", allow_complex=False)
    else:
        distances = _vector(distances, "distances", planes, "one per plane of target")
        if pitch is None:
            raise ValueError("pitch must be given with distances (the modulator's pixel pitch, "
                             "in the unit of distances and wavelengths)")
        pitch = v.scalar(pitch, "pitch", allow_complex=False)
    if pitch is not None and pitch <= 0:
        raise ValueError(f"pitch must be a positive length; got {pitch!r}")
    if phase_response is None:
        phase_response = wavelengths[0] / wavelengths
    else:
        phase_response = _vector(phase_response, "phase_response", colours,
                                 "one per colour (the phase per unit of phi at that colour)")
    if plane_weights is None:
        weights = np.full((colours, planes), 1.0 / (colours * planes))
    else:
        weights = np.asarray(v.array(plane_weights, "plane_weights", kind="real"), np.float64)
        try:
            weights = np.ascontiguousarray(np.broadcast_to(weights, (colours, planes)))
        except ValueError:
            raise ValueError(f"plane_weights must broadcast to (colours, planes) = "
                             f"{(colours, planes)}; got shape {weights.shape}") from None
        v.finite(weights, "plane_weights")
        if np.any(weights < 0) or not np.any(weights > 0):
            raise ValueError("plane_weights must be non-negative, not all zero")
    plane = target.shape[2:]
    if amplitude is None:
        amplitude = np.ones(plane)
    else:
        amplitude = np.asarray(v.array(amplitude, "amplitude", kind="real"), np.float64)
        v.expect_shape(amplitude, "amplitude", plane, "the modulator's plane")
        v.finite(amplitude, "amplitude")
        if np.any(amplitude < 0):
            raise ValueError("amplitude must be non-negative")
        amplitude = np.ascontiguousarray(amplitude)
    zero_order = 0j if zero_order is None else complex(v.scalar(zero_order, "zero_order"))
    if levels is not None:
        levels = v.positive_int(levels, "levels")
        if levels < 2:
            raise ValueError(f"levels must be at least 2; got {levels}")
    v.one_of(quantizer, "quantizer", QUANTIZERS)
    if crosstalk is not None:
        crosstalk = np.asarray(v.array(crosstalk, "crosstalk", kind="real"), np.float64)
        if crosstalk.ndim != 2 or crosstalk.shape[0] % 2 == 0 or crosstalk.shape[1] % 2 == 0:
            raise ValueError(f"crosstalk must be a 2-D kernel of odd sides (its centre is the "
                             f"pixel itself); got shape {crosstalk.shape}")
        if crosstalk.shape[0] > plane[0] or crosstalk.shape[1] > plane[1]:
            raise ValueError(f"crosstalk must not be larger than the plane {plane}; got "
                             f"shape {crosstalk.shape}")
        v.finite(crosstalk, "crosstalk")
        crosstalk = np.ascontiguousarray(crosstalk)
    if efficiency is not None:
        efficiency = v.scalar(efficiency, "efficiency", allow_complex=False)
        if efficiency < 0:
            raise ValueError(f"efficiency must be a non-negative weight; got {efficiency!r}")
    pad = v.positive_int(pad, "pad")
    v.one_of(modulator, "modulator", MODULATORS)
    if pad != 1 and distances is None:
        raise ValueError("pad applies to the propagation to distances; the far field has none")
    return HologramSetup(target=target, distances=distances, wavelengths=wavelengths,
                         pitch=pitch, phase_response=phase_response, weights=weights,
                         amplitude=amplitude, zero_order=zero_order, levels=levels,
                         quantizer=quantizer, crosstalk=crosstalk, efficiency=efficiency,
                         pad=pad, modulator=modulator, shape=shape)
