"""Error metric, detector response and intensity normalisation (Jurling & Fienup Eq. 7, 93,
98-101; the ``mean_normalize`` step of the hologram model).

Each op is followed by its reverse rule ``op_vjp``. The gradient convention is the package's:
``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), PyTorch's ``.grad`` convention; JAX's
``grad`` is its complex conjugate. Everything here is real: intensities, data, weights and
detector coefficients, so every gradient is real (Eq. 67); a complex cotangent of a real output
contributes its real part.

Sums accumulate in float64 and scalar results are Python floats: a float32 sum of squared
residuals overflows once the residuals reach about 1e19. Arrays keep their input's dtype, and
every op and rule returns new arrays that share no memory with its arguments. The argument
rules are ``phasegrad.arguments.metrics``.
"""

from __future__ import annotations

import numpy as np

from ..arguments.metrics import (
    mean_normalize_arguments,
    mean_normalize_cotangent,
    mean_normalize_scale,
    poly_detector_operands,
    poly_detector_vjp_operands,
    wsse_operands,
    wsse_vjp_operands,
)

__all__ = [
    "wsse", "wsse_vjp",
    "poly_detector", "poly_detector_vjp",
    "mean_normalize", "mean_normalize_vjp",
]

#: The two axes of an image plane; leading axes are a batch.
_PLANE = (-2, -1)


def wsse(M, D, w=None):
    """Weighted sum of squared errors ``E = sum(w * (M - D)**2)`` (Eq. 7).

    The sum runs over every element (all planes) and is accumulated in float64, residuals
    included, so float32 inputs of any finite size do not overflow.

    Parameters
    ----------
    M : ndarray
        The model (float32 or float64).
    D : ndarray
        The data, shaped and of the precision of ``M``.
    w : ndarray or float, optional
        Finite weights that broadcast to ``M``'s shape, of ``M``'s precision, or one number
        (any precision) for every element; 1 when omitted.

    Returns
    -------
    E : float
        A Python float.

    Raises
    ------
    TypeError
        A complex or unsupported dtype, or arrays of different precision.
    ValueError
        ``D`` not shaped like ``M``, or ``w`` not finite or not broadcasting to ``M``.

    Examples
    --------
    >>> import numpy as np
    >>> wsse(np.array([1.0, 2.0]), np.zeros(2), w=np.array([1.0, 0.5]))
    3.0
    """
    M, D, w = wsse_operands(M, D, w)
    # A 0-d M makes NumPy scalars, which take no out=: square into a new value.
    squared = np.square(np.subtract(M, D, dtype=np.float64))
    if w is not None:
        squared *= w
    return float(np.sum(squared))


def wsse_vjp(E_bar, M, D, w=None):
    """Reverse rule of ``wsse``: ``M_bar = 2 * w * (M - D) * E_bar`` (Eq. 93).

    Parameters
    ----------
    E_bar : float
        Cotangent of ``E``, a real scalar (1.0 for the gradient of ``E`` itself).
    M, D, w
        The arguments of ``wsse``. ``D`` and ``w`` are constants and get no gradient.

    Returns
    -------
    M_bar : ndarray
        Shaped and typed like ``M``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    M, D, w, E_bar = wsse_vjp_operands(E_bar, M, D, w)
    M_bar = np.subtract(M, D)
    M_bar *= 2 * E_bar
    if w is not None:
        M_bar *= w
    return M_bar


def poly_detector(I, a, b, c):  # noqa: E741 - I is the paper's intensity
    """Quadratic detector response ``M = a * I**2 + b * I + c`` (Eq. 98, 99).

    Parameters
    ----------
    I : ndarray
        Intensity (float32 or float64).
    a, b, c : float
        Real coefficients of the response; ``a = 0, b = 1, c = 0`` is a linear detector.

    Returns
    -------
    M : ndarray
        Shaped and typed like ``I``.

    Raises
    ------
    TypeError
        A complex or unsupported ``I``, or a coefficient that is not a real number.
    ValueError
        A coefficient that is not finite.
    """
    intensity, a, b, c = poly_detector_operands(I, a, b, c)
    # Horner's form of a I^2 + b I + c: (a I + b) I + c, one new array updated in place.
    M = a * intensity
    M += b
    M *= intensity
    M += c
    return M


def poly_detector_vjp(M_bar, I, a, b):  # noqa: E741 - I is the paper's intensity
    """Reverse rule of ``poly_detector`` (Eq. 100, 101).

    ``I_bar = M_bar * (2 a I + b)``; ``a_bar = sum(M_bar * I**2)``, ``b_bar = sum(M_bar * I)``
    and ``c_bar = sum(M_bar)``, the sums coming from broadcasting the scalar coefficients over
    ``I`` (Eq. 61) and running over every element (all planes), accumulated in float64.

    Parameters
    ----------
    M_bar : ndarray
        Cotangent of ``M``, shaped like ``I``.
    I : ndarray
        The intensity given to ``poly_detector``.
    a, b : float
        The coefficients given to ``poly_detector`` (``c`` is not needed).

    Returns
    -------
    I_bar : ndarray
        Shaped and typed like ``I``.
    a_bar, b_bar, c_bar : float
        Python floats.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.

    Examples
    --------
    >>> import numpy as np
    >>> poly_detector_vjp(np.ones(2), np.array([1.0, 2.0]), a=0.5, b=2.0)
    (array([3., 4.]), 5.0, 3.0, 2.0)
    """
    M_bar, intensity, a, b = poly_detector_vjp_operands(M_bar, I, a, b)
    M_bar = np.real(M_bar)
    I_bar = (2 * a) * intensity
    I_bar += b
    I_bar *= M_bar
    M_bar_I = np.multiply(M_bar, intensity, dtype=np.float64)
    a_bar = float(np.sum(M_bar_I * intensity))
    b_bar = float(np.sum(M_bar_I))
    c_bar = float(np.sum(M_bar, dtype=np.float64))
    return I_bar, a_bar, b_bar, c_bar


def _plane_sums(x):
    """Sum over each plane (the last two axes), in float64; shape: the batch shape."""
    return np.sum(x, axis=_PLANE, dtype=np.float64)


def _per_plane(values, dtype):
    """Per-plane factors (batch shape) as an array that broadcasts over the planes."""
    return np.asarray(values, dtype=dtype)[..., np.newaxis, np.newaxis]


def _mean_normalize_operands(x, c):
    """Validate ``mean_normalize``'s ``x``; return it, ``c``, its plane sums and ``s``."""
    x, c = mean_normalize_arguments(x, c)
    total = _plane_sums(x)
    return x, c, total, mean_normalize_scale(x, c, total)


def mean_normalize(x, c):
    """Rescale each plane to the mean ``c``: ``y = x * c / mean(x)`` (Eq. 47-61 composed).

    The mean is taken per plane (the last two axes) and accumulated in float64; leading axes
    are a batch. The hologram model uses it to compare intensities with a target of another
    overall scale.

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        Real (float32 or float64).
    c : float
        The target mean, a real number; a constant (it gets no gradient).

    Returns
    -------
    y : ndarray
        Shaped and typed like ``x``.

    Raises
    ------
    TypeError
        A complex or unsupported ``x``, or ``c`` not a real number.
    ValueError
        ``x`` with fewer than two axes or a plane whose mean is zero; ``c`` not finite.

    Examples
    --------
    >>> import numpy as np
    >>> mean_normalize(np.array([[1.0, 3.0]]), 4.0)
    array([[2., 6.]])
    """
    x, _, _, s = _mean_normalize_operands(x, c)
    return x * _per_plane(s, x.dtype)


def mean_normalize_vjp(y_bar, x, c):
    """Reverse rule of ``mean_normalize``: with ``s = c / mean(x)`` per plane,
    ``x_bar = s * y_bar - (s / sum(x)) * sum(y_bar * x)`` (Eq. 47-61 composed).

    The first term is the product rule for the scale (Eq. 51); the second is the gradient that
    flows through ``mean(x)`` (Eq. 52 with c = -1, then the broadcast of Eq. 61). Sums are per
    plane and accumulated in float64.

    Parameters
    ----------
    y_bar : ndarray, shape (..., n, m)
        Cotangent of ``y``, shaped like ``x``.
    x : ndarray
        The input of ``mean_normalize``.
    c : float
        The target mean given to ``mean_normalize``.

    Returns
    -------
    x_bar : ndarray
        Shaped and typed like ``x``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    x, _, total, s = _mean_normalize_operands(x, c)
    y_bar = np.real(mean_normalize_cotangent(y_bar, x))
    projection = _plane_sums(np.multiply(y_bar, x, dtype=np.float64))
    x_bar = y_bar * _per_plane(s, x.dtype)
    x_bar -= _per_plane(s * projection / total, x.dtype)
    return x_bar
