"""Propagation ops in C++: the band-limited angular spectrum and the two Fresnel propagators
through the core's cached FFTW plans, each transfer function or chirp computed by the core in
double precision (the reference's formulas, in its order).

Each op is linear: its reverse rule runs the kernel's conjugate transpose, its forward-mode rule
the kernel on the point and on the tangent.
"""

from __future__ import annotations

from ..arguments.docstrings import amend
from ..arguments.propagation import propagation_inputs
from ..arguments.tangents import tangent
from ..config import get_num_threads
from ..native import ascontiguous, core
from ..reference import propagation as _ref

__all__ = [
    "angular_spectrum", "angular_spectrum_vjp", "angular_spectrum_jvp",
    "fresnel", "fresnel_vjp", "fresnel_jvp",
]


def _propagate(x, params, adjoint):
    return core.propagate(ascontiguous(x), params.method, params.distance, params.wavelength,
                          params.pitch, params.band_limit, params.pad, adjoint,
                          get_num_threads())


@amend(twin=_ref.angular_spectrum)
def angular_spectrum(x, distance, wavelength, pitch, *, band_limit=True, pad=1):
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, "angular_spectrum",
                                   band_limit, pad)
    return _propagate(x, params, False)


@amend(twin=_ref.angular_spectrum_vjp)
def angular_spectrum_vjp(y_bar, distance, wavelength, pitch, *, band_limit=True, pad=1):
    y_bar, params = propagation_inputs(y_bar, "y_bar", distance, wavelength, pitch,
                                       "angular_spectrum", band_limit, pad)
    return _propagate(y_bar, params, True)


@amend(twin=_ref.angular_spectrum_jvp)
def angular_spectrum_jvp(x, x_dot, distance, wavelength, pitch, *, band_limit=True, pad=1):
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, "angular_spectrum",
                                   band_limit, pad)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _propagate(x, params, False), _propagate(x_dot, params, False)


@amend(twin=_ref.fresnel)
def fresnel(x, distance, wavelength, pitch, *, method="transfer"):
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, method)
    return _propagate(x, params, False)


@amend(twin=_ref.fresnel_vjp)
def fresnel_vjp(y_bar, distance, wavelength, pitch, *, method="transfer"):
    y_bar, params = propagation_inputs(y_bar, "y_bar", distance, wavelength, pitch, method)
    return _propagate(y_bar, params, True)


@amend(twin=_ref.fresnel_jvp)
def fresnel_jvp(x, x_dot, distance, wavelength, pitch, *, method="transfer"):
    x, params = propagation_inputs(x, "x", distance, wavelength, pitch, method)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _propagate(x, params, False), _propagate(x_dot, params, False)
