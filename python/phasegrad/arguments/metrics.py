"""Argument rules of the metrics (``wsse``, ``poly_detector``, ``mean_normalize`` and their
reverse rules), shared by ``phasegrad.reference.metrics`` and ``phasegrad.ops.metrics``.

Everything is real: intensities, data, weights, detector coefficients; a cotangent of a real
output may be complex (its real part counts). ``mean_normalize_scale`` is the per-plane scale
both twins compute from their own plane sums, refusing a plane whose mean is zero.
"""

from __future__ import annotations

import numpy as np

from .validate import (
    array,
    broadcast_shape,
    cotangent,
    expect_shape,
    real_constant,
    same_precision,
    scalar,
)

__all__ = [
    "coefficient_tangent", "mean_normalize_arguments", "mean_normalize_cotangent",
    "mean_normalize_scale",
    "poisson_nll_operands", "poisson_nll_vjp_operands",
    "poly_detector_operands", "poly_detector_vjp_operands", "wsse_operands", "wsse_vjp_operands",
]


def wsse_operands(M, D, w):
    """Validate ``wsse``'s model ``M``, data ``D`` (M's shape) and weights ``w`` (or None)."""
    M = array(M, "M", kind="real")
    D = expect_shape(array(D, "D", kind="real"), "D", M.shape, "the shape of M")
    if w is not None:
        w = real_constant(w, "w")
        if isinstance(w, np.ndarray) and broadcast_shape(("M", M), ("w", w)) != M.shape:
            raise ValueError(f"w must broadcast to the shape of M {M.shape}; got {w.shape}")
    same_precision(("M", M), ("D", D), ("w", w))
    return M, D, w


def wsse_vjp_operands(E_bar, M, D, w):
    """``wsse_operands``, then ``E_bar``: a finite real number."""
    M, D, w = wsse_operands(M, D, w)
    return M, D, w, scalar(E_bar, "E_bar", allow_complex=False)


def poisson_nll_operands(M, D, w, shift):
    """Validate ``poisson_nll``'s ``M``, ``D``, ``w`` (as ``wsse``'s) and the read-noise shift
    ``shift = sigma^2``: a finite real number >= 0, returned as a Python float."""
    M, D, w = wsse_operands(M, D, w)
    shift = scalar(shift, "shift", allow_complex=False)
    if shift < 0:
        raise ValueError(f"shift (the read-noise variance) must be >= 0; got {shift!r}")
    return M, D, w, shift


def poisson_nll_vjp_operands(E_bar, M, D, w, shift):
    """``poisson_nll_operands``, then ``E_bar``: a finite real number."""
    M, D, w, shift = poisson_nll_operands(M, D, w, shift)
    return M, D, w, shift, scalar(E_bar, "E_bar", allow_complex=False)


def _coefficient(value, name):
    """A detector coefficient: a finite real number (0-d arrays and NumPy scalars too)."""
    return scalar(value, name, allow_complex=False)


def poly_detector_operands(I, a, b, c):  # noqa: E741 - I is the paper's intensity
    """Validate ``poly_detector``'s intensity ``I`` (real) and coefficients (real numbers)."""
    intensity = array(I, "I", kind="real")
    return intensity, _coefficient(a, "a"), _coefficient(b, "b"), _coefficient(c, "c")


def poly_detector_vjp_operands(M_bar, I, a, b):  # noqa: E741 - I is the paper's intensity
    """Validate ``I``, ``a``, ``b``, then ``M_bar`` shaped like ``I`` (complex allowed)."""
    intensity = array(I, "I", kind="real")
    a, b = _coefficient(a, "a"), _coefficient(b, "b")
    M_bar = cotangent(M_bar, "M_bar", intensity.shape, ("I", intensity))
    return M_bar, intensity, a, b


def coefficient_tangent(value, name):
    """The tangent of a detector coefficient (``a_dot``, ``b_dot``, ``c_dot`` of
    ``poly_detector_jvp``): a finite real number, accepted as the coefficients themselves are
    (Python or NumPy scalar, 0-d array, any precision), returned as a Python float.
    """
    return _coefficient(value, name)


def mean_normalize_arguments(x, c):
    """Validate ``mean_normalize``'s ``x`` (real, at least 2-D) and ``c`` (a real number)."""
    return array(x, "x", kind="real", min_ndim=2), scalar(c, "c", allow_complex=False)


def mean_normalize_scale(x, c, total):
    """``s = c / mean(x)`` per plane from the plane sums ``total`` (a zero sum is refused)."""
    if np.any(total == 0):
        raise ValueError("x has a plane with zero mean: mean_normalize divides by the mean")
    plane_size = x.shape[-2] * x.shape[-1]
    return c * plane_size / total


def mean_normalize_cotangent(y_bar, x):
    """``y_bar`` of ``mean_normalize_vjp``: shaped like ``x``, its precision, maybe complex."""
    return cotangent(y_bar, "y_bar", x.shape, ("x", x))
