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

Each reverse rule is followed by the forward-mode rule ``op_jvp``: given the op's inputs and a
tangent ``<name>_dot`` for each differentiable input, it returns ``(y, y_dot)``, the op's output
and ``y_dot = d/dt y(x + t x_dot)`` at ``t = 0``. Tangents are real: an array tangent has its
input's shape and dtype (``phasegrad.arguments.tangents``), a coefficient's tangent is a real
number. Each is the transpose of its reverse rule: ``Re <y_bar, y_dot> = Re <x_bar, x_dot>``
with ``<a, b> = sum(conj(a) * b)``.
"""

from __future__ import annotations

import numpy as np

from ..arguments.metrics import (
    coefficient_tangent,
    mean_normalize_arguments,
    mean_normalize_cotangent,
    mean_normalize_scale,
    poisson_nll_operands,
    poisson_nll_vjp_operands,
    poly_detector_operands,
    poly_detector_vjp_operands,
    wsse_operands,
    wsse_vjp_operands,
)
from ..arguments.tangents import tangent

__all__ = [
    "wsse", "wsse_vjp", "wsse_jvp",
    "poisson_nll", "poisson_nll_vjp", "poisson_nll_jvp",
    "poly_detector", "poly_detector_vjp", "poly_detector_jvp",
    "mean_normalize", "mean_normalize_vjp", "mean_normalize_jvp",
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


def wsse_jvp(M, M_dot, D, w=None):
    """Forward-mode rule of ``wsse``: ``E_dot = 2 * sum(w * (M - D) * M_dot)`` (Eq. 7, 93).

    The sum runs over every element and is accumulated in float64, as ``wsse``'s. The transpose
    of ``wsse_vjp``: ``E_bar * E_dot = <M_bar, M_dot>`` with ``<a, b> = sum(conj(a) * b)``
    (everything real).

    Parameters
    ----------
    M : ndarray
        The model, as for ``wsse``.
    M_dot : ndarray
        Tangent of ``M``, with its shape and dtype.
    D, w
        The data and weights of ``wsse``: constants, they have no tangent.

    Returns
    -------
    E, E_dot : float
        ``wsse(M, D, w)`` and its tangent, Python floats.

    Raises
    ------
    TypeError, ValueError
        As ``wsse``; a tangent of the wrong dtype (``TypeError``) or shape (``ValueError``).

    Examples
    --------
    >>> import numpy as np
    >>> wsse_jvp(np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.zeros(2))
    (5.0, 6.0)
    """
    M, D, w = wsse_operands(M, D, w)
    M_dot = tangent(M_dot, "M_dot", M, "M")
    residual = np.subtract(M, D, dtype=np.float64)
    if w is not None:
        weighted = residual * w
        squared = np.square(residual)
        squared *= w
    else:
        weighted, squared = residual, np.square(residual)
    return float(np.sum(squared)), 2.0 * float(np.sum(weighted * M_dot))


def _poisson_terms(M, D, shift):
    """``z = M + s`` and ``z_D = max(D + s, 0)`` in float64 (``s`` the read-noise shift)."""
    z = np.add(M, shift, dtype=np.float64)
    z_data = np.maximum(np.add(D, shift, dtype=np.float64), 0.0)
    return z, z_data


def _poisson_slope(M, D, shift):
    """``dE/dM = 1 - z_D / z`` per element (float64; 1 where ``z_D = 0``)."""
    z, z_data = _poisson_terms(M, D, shift)
    with np.errstate(divide="ignore", invalid="ignore"):
        # NaN data stay NaN; where z_D = 0 the term is max(z, 0), flat for a negative mean
        return np.where(z_data == 0, np.where(z > 0, 1.0, 0.0), 1.0 - z_data / z)


def poisson_nll(M, D, w=None, shift=0.0):
    """The shifted-Poisson negative log-likelihood of counts ``D`` given the mean ``M``, less
    its value at ``M = D``: ``E = sum(w * (z - z_D - z_D log(z / z_D)))``.

    ``z = M + s`` and ``z_D = max(D + s, 0)`` with ``s = shift`` the variance of Gaussian read
    noise in the data's units (the shifted-Poisson approximation of a Poisson-Gaussian pixel:
    ``D + s`` is taken as Poisson of mean ``M + s``); the term is ``max(z, 0)`` where ``z_D = 0``
    (its slope 0 for ``z <= 0``) and
    ``+inf`` where ``z <= 0 < z_D``. ``E >= 0`` and ``2 E`` is the deviance. Data below ``-s``
    count as ``-s``. The sum runs over every element and is accumulated in float64.

    Parameters
    ----------
    M : ndarray
        The model, the expected counts (float32 or float64).
    D : ndarray
        The data, shaped and of the precision of ``M``.
    w : ndarray or float, optional
        Finite weights, as for ``wsse``; 1 when omitted.
    shift : float
        The read-noise variance ``s = sigma^2 >= 0`` (default 0: pure Poisson).

    Returns
    -------
    E : float
        A Python float.

    Raises
    ------
    TypeError
        A complex or unsupported dtype, or arrays of different precision.
    ValueError
        ``D`` not shaped like ``M``, ``w`` not finite or not broadcasting to ``M``, or
        ``shift`` negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> poisson_nll(np.array([2.0, 1.0]), np.array([2.0, 0.0]))
    1.0
    """
    M, D, w, shift = poisson_nll_operands(M, D, w, shift)
    z, z_data = _poisson_terms(M, D, shift)
    with np.errstate(divide="ignore", invalid="ignore"):
        # z_D (u - log1p(u)) with u = (z - z_D) / z_D: the same as z - z_D - z_D log(z / z_D),
        # without its cancellation near z = z_D.
        u = (z - z_data) / z_data
        # NaN data stay NaN; a negative mean where no count was recorded counts as 0
        terms = np.where(z_data == 0, np.maximum(z, 0.0), z_data * (u - np.log1p(u)))
        terms = np.where((z <= 0) & (z_data > 0), np.inf, terms)
    if w is not None:
        terms = terms * w
    return float(np.sum(terms))


def poisson_nll_vjp(E_bar, M, D, w=None, shift=0.0):
    """Reverse rule of ``poisson_nll``: ``M_bar = E_bar * w * (1 - z_D / z)`` (Eq. 93's
    pattern for this metric: the derivative of each term times the metric's cotangent).

    Parameters
    ----------
    E_bar : float
        Cotangent of ``E``, a real scalar.
    M, D, w, shift
        The arguments of ``poisson_nll``; ``D``, ``w`` and ``shift`` are constants.

    Returns
    -------
    M_bar : ndarray
        Shaped and typed like ``M``.

    Notes
    -----
    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` (Eq. 38-41), as PyTorch's
    ``.grad``; JAX's ``grad`` is its complex conjugate.
    """
    M, D, w, shift, E_bar = poisson_nll_vjp_operands(E_bar, M, D, w, shift)
    slope = _poisson_slope(M, D, shift) * E_bar
    if w is not None:
        slope = slope * w
    return np.asarray(np.broadcast_to(slope, M.shape), dtype=M.dtype).copy()


def poisson_nll_jvp(M, M_dot, D, w=None, shift=0.0):
    """Forward-mode rule of ``poisson_nll``: ``E_dot = sum(w * (1 - z_D / z) * M_dot)``.

    The transpose of ``poisson_nll_vjp``: ``E_bar * E_dot = <M_bar, M_dot>``.

    Parameters
    ----------
    M : ndarray
        The model, as for ``poisson_nll``.
    M_dot : ndarray
        Tangent of ``M``, with its shape and dtype.
    D, w, shift
        As for ``poisson_nll``: constants.

    Returns
    -------
    E, E_dot : float
        ``poisson_nll(M, D, w, shift)`` and its tangent, Python floats.

    Examples
    --------
    >>> import numpy as np
    >>> poisson_nll_jvp(np.array([2.0]), np.array([1.0]), np.array([1.0]))
    (0.3068528194400547, 0.5)
    """
    M, D, w, shift = poisson_nll_operands(M, D, w, shift)
    M_dot = tangent(M_dot, "M_dot", M, "M")
    slope = _poisson_slope(M, D, shift)
    if w is not None:
        slope = slope * w
    return poisson_nll(M, D, w, shift), float(np.sum(slope * M_dot))


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


def poly_detector_jvp(I, a, b, c, I_dot, a_dot, b_dot, c_dot):  # noqa: E741 - the paper's I
    """Forward-mode rule of ``poly_detector`` (Eq. 98-101):
    ``M_dot = (2 a I + b) * I_dot + a_dot * I**2 + b_dot * I + c_dot``.

    The coefficients are real numbers with real-number tangents (a coefficient held fixed has
    tangent 0). The transpose of ``poly_detector_vjp``:
    ``<M_bar, M_dot> = <I_bar, I_dot> + a_bar a_dot + b_bar b_dot + c_bar c_dot`` with
    ``<a, b> = sum(conj(a) * b)`` (everything real; ``Re M_bar`` for a complex ``M_bar``).

    Parameters
    ----------
    I : ndarray
        The intensity, as for ``poly_detector``.
    a, b, c : float
        The coefficients, as for ``poly_detector``.
    I_dot : ndarray
        Tangent of ``I``, with its shape and dtype.
    a_dot, b_dot, c_dot : float
        Tangents of the coefficients: finite real numbers (Python or NumPy scalars, 0-d arrays).

    Returns
    -------
    M : ndarray
        ``poly_detector(I, a, b, c)``.
    M_dot : ndarray
        The tangent of ``M``, shaped and typed like ``I``.

    Raises
    ------
    TypeError, ValueError
        As ``poly_detector``; a tangent ``I_dot`` of the wrong dtype (``TypeError``) or shape
        (``ValueError``); a coefficient tangent that is not a finite real number.

    Examples
    --------
    >>> import numpy as np
    >>> poly_detector_jvp(np.array([2.0]), 0.5, 1.0, 0.0, np.array([1.0]), 1.0, 0.0, 0.5)
    (array([4.]), array([7.5]))
    """
    intensity, a, b, c = poly_detector_operands(I, a, b, c)
    I_dot = tangent(I_dot, "I_dot", intensity, "I")
    a_dot = coefficient_tangent(a_dot, "a_dot")
    b_dot = coefficient_tangent(b_dot, "b_dot")
    c_dot = coefficient_tangent(c_dot, "c_dot")
    M = a * intensity
    M += b
    M *= intensity
    M += c
    # (2 a I + b) I_dot, then Horner's form of a_dot I^2 + b_dot I + c_dot.
    M_dot = (2 * a) * intensity
    M_dot += b
    M_dot *= I_dot
    tangent_part = a_dot * intensity
    tangent_part += b_dot
    tangent_part *= intensity
    tangent_part += c_dot
    M_dot += tangent_part
    return M, M_dot


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


def mean_normalize_jvp(x, x_dot, c):
    """Forward-mode rule of ``mean_normalize``: with ``s = c / mean(x)`` and ``y = s * x`` per
    plane, ``y_dot = s * x_dot - y * sum(x_dot) / sum(x)`` (Eq. 47-61 composed).

    The first term is the product rule for the scale (Eq. 49), the second the tangent that flows
    through ``mean(x)`` (Eq. 52 with c = -1). Sums are per plane and accumulated in float64.
    The transpose of ``mean_normalize_vjp``: ``Re <y_bar, y_dot> = <x_bar, x_dot>`` with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray, shape (..., n, m)
        The input of ``mean_normalize``.
    x_dot : ndarray
        Tangent of ``x``, with its shape and dtype.
    c : float
        The target mean, as for ``mean_normalize``; a constant (it has no tangent).

    Returns
    -------
    y : ndarray
        ``mean_normalize(x, c)``.
    y_dot : ndarray
        The tangent of ``y``, shaped and typed like ``x``.

    Raises
    ------
    TypeError, ValueError
        As ``mean_normalize``; a tangent of the wrong dtype (``TypeError``) or shape
        (``ValueError``).

    Examples
    --------
    Scaling a plane does not change its normalised values:

    >>> import numpy as np
    >>> x = np.array([[1.0, 3.0]])
    >>> mean_normalize_jvp(x, 0.5 * x, 4.0)
    (array([[2., 6.]]), array([[0., 0.]]))
    """
    x, _, total, s = _mean_normalize_operands(x, c)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y = x * _per_plane(s, x.dtype)
    y_dot = x_dot * _per_plane(s, x.dtype)
    y_dot -= y * _per_plane(_plane_sums(x_dot) / total, x.dtype)
    return y, y_dot
