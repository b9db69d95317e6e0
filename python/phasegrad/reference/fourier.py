"""Fourier ops: the 2-D DFT and its inverse, the matrix Fourier transform, circular convolution.

All act on the last two axes and batch over the leading ones. Each is linear, so each reverse
rule is the conjugate transpose of the forward op (Jurling & Fienup 2014, Eq. 69-74); for the
DFT pair that is a scaled unnormalised transform of the other direction (Eq. 75-81).

Gradient convention: for a real scalar E, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``; a real input
gets a real gradient (Eq. 67). PyTorch's ``.grad`` is the same; JAX's ``grad`` is the conjugate.
The argument rules are ``phasegrad.arguments.fourier``.
"""

from __future__ import annotations

import numpy as np

from ..arguments.fourier import (
    convolve_inputs,
    convolve_vjp_inputs,
    mft_inputs,
    mft_vjp_inputs,
    transform_out,
    transform_scale,
)
from ..arguments.tangents import tangent
from ..arguments.validate import array, is_complex
from ..arrays import sum_to_shape

__all__ = [
    "dft2", "dft2_vjp", "dft2_jvp", "idft2", "idft2_vjp", "idft2_jvp",
    "mft", "mft_vjp", "mft_jvp",
    "convolve", "convolve_vjp", "convolve_jvp",
]

def _dft2_unnormalized(x, inverse):
    """``DFT_u x`` (kernel e^{-2 pi i k.x/N}) or ``IDFT_u x`` (e^{+...}), no 1/N either way."""
    if inverse:
        # numpy's "forward" norm leaves the inverse transform unscaled.
        y = np.fft.ifft2(x, axes=(-2, -1), norm="forward")
    else:
        y = np.fft.fft2(x, axes=(-2, -1), norm="backward")
    # NumPy < 2 computes complex64 transforms in complex128: keep the input's precision.
    return y.astype(x.dtype, copy=False)


def _scaled_transform(x, scale, inverse, out=None):
    y = _dft2_unnormalized(x, inverse)
    if scale != 1.0:
        y *= scale  # y is a fresh array: scale it in place
    if out is None:
        return y
    np.copyto(out, y)
    return out


def dft2(x, norm="backward", *, out=None):
    """Forward 2-D discrete Fourier transform over the last two axes (Eq. 75).

    ``y[k, l] = a * sum_{p, q} x[p, q] exp(-2 pi i (k p / n + l q / m))``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        Leading axes are a batch. Real arrays are refused: promote them with ``to_complex``.
    norm : {"backward", "ortho", "forward"} or float
        As in ``numpy.fft``: ``a = 1``, ``1/sqrt(n m)`` or ``1/(n m)``; or the scale ``a``
        itself. With ``"backward"`` this is ``numpy.fft.fft2``.
    out : ndarray, optional
        Where to write ``y`` (keyword only): x's dtype and shape, C-contiguous, writeable, not
        overlapping x. Reusing it saves allocating (and the operating system zeroing) a new
        array on every call, which is most of the cost beyond the transform for large planes.

    Returns
    -------
    ndarray
        ``y``, shape and dtype of ``x`` (``out`` when given).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((2, 2), np.complex64); x[0, 0] = 1
    >>> dft2(x, norm=0.5)
    array([[0.5+0.j, 0.5+0.j],
           [0.5+0.j, 0.5+0.j]], dtype=complex64)
    """
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=False)
    return _scaled_transform(x, scale, inverse=False, out=transform_out(out, x))


def dft2_vjp(y_bar, norm="backward"):
    """Reverse rule of ``dft2``: ``x_bar = a * IDFT_u(y_bar)`` (Eq. 77, 79, 80).

    The conjugate transpose of ``a * DFT_u`` is ``a * IDFT_u`` (``a`` real): an unnormalised
    inverse transform scaled by the forward scale ``a``, i.e. ``idft2(y_bar, norm=a)``. It
    is the inverse of ``dft2`` only for ``norm="ortho"``.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, complex64 or complex128, shape (..., n, m)
        Cotangent of ``y = dft2(x, norm)``.
    norm : {"backward", "ortho", "forward"} or float
        The ``norm`` that ``dft2`` was called with.

    Returns
    -------
    ndarray
        ``x_bar``, shape and dtype of ``y_bar``.
    """
    y_bar = array(y_bar, "y_bar", kind="complex", min_ndim=2)
    return idft2(y_bar, norm=transform_scale(norm, y_bar.shape[-2:], inverse=False))


def dft2_jvp(x, x_dot, norm="backward"):
    """Forward rule of ``dft2``: ``y_dot = a * DFT_u(x_dot)``, i.e. ``dft2(x_dot, norm)`` (Eq. 75).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``dft2_vjp``: ``Re<y_bar, y_dot> = Re<dft2_vjp(y_bar, norm), x_dot>`` for every ``y_bar``,
    with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        The point, as for ``dft2``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    norm : {"backward", "ortho", "forward"} or float
        As for ``dft2``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = dft2(x, norm)`` and its tangent, each of ``x``'s shape and dtype.
    """
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=False)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return (_scaled_transform(x, scale, inverse=False),
            _scaled_transform(x_dot, scale, inverse=False))


def idft2(x, norm="backward", *, out=None):
    """Inverse 2-D discrete Fourier transform over the last two axes (Eq. 78).

    ``y[k, l] = b * sum_{p, q} x[p, q] exp(+2 pi i (k p / n + l q / m))``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        Leading axes are a batch. Real arrays are refused: promote them with ``to_complex``.
    norm : {"backward", "ortho", "forward"} or float
        As in ``numpy.fft``: ``b = 1/(n m)``, ``1/sqrt(n m)`` or ``1``; or the scale ``b``
        itself. With ``"backward"`` this is ``numpy.fft.ifft2``.
    out : ndarray, optional
        Where to write ``y`` (keyword only): x's dtype and shape, C-contiguous, writeable, not
        overlapping x. Reusing it saves allocating (and the operating system zeroing) a new
        array on every call, which is most of the cost beyond the transform for large planes.

    Returns
    -------
    ndarray
        ``y``, shape and dtype of ``x`` (``out`` when given).
    """
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=True)
    return _scaled_transform(x, scale, inverse=True, out=transform_out(out, x))


def idft2_vjp(y_bar, norm="backward"):
    """Reverse rule of ``idft2``: ``x_bar = b * DFT_u(y_bar)`` (Eq. 81).

    The conjugate transpose of ``b * IDFT_u`` is ``b * DFT_u`` (``b`` real), i.e.
    ``dft2(y_bar, norm=b)``.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, complex64 or complex128, shape (..., n, m)
        Cotangent of ``y = idft2(x, norm)``.
    norm : {"backward", "ortho", "forward"} or float
        The ``norm`` that ``idft2`` was called with.

    Returns
    -------
    ndarray
        ``x_bar``, shape and dtype of ``y_bar``.
    """
    y_bar = array(y_bar, "y_bar", kind="complex", min_ndim=2)
    return dft2(y_bar, norm=transform_scale(norm, y_bar.shape[-2:], inverse=True))


def idft2_jvp(x, x_dot, norm="backward"):
    """Forward rule of ``idft2``: ``y_dot = b * IDFT_u(x_dot)``, i.e. ``idft2(x_dot, norm)``
    (Eq. 78).

    The op is linear, so its tangent is the op applied to the tangent. It pairs with
    ``idft2_vjp``: ``Re<y_bar, y_dot> = Re<idft2_vjp(y_bar, norm), x_dot>`` for every
    ``y_bar``, with ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        The point, as for ``idft2``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    norm : {"backward", "ortho", "forward"} or float
        As for ``idft2``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = idft2(x, norm)`` and its tangent, each of ``x``'s shape and dtype.
    """
    x = array(x, "x", kind="complex", min_ndim=2)
    scale = transform_scale(norm, x.shape[-2:], inverse=True)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return (_scaled_transform(x, scale, inverse=True),
            _scaled_transform(x_dot, scale, inverse=True))


def _mft_matrix(n_out, n_in, scale, dtype):
    """The (n_out, n_in) matrix ``exp(-2 pi i scale (k - n_out//2) p)`` of one MFT axis."""
    centred_k = np.arange(n_out, dtype=np.float64) - n_out // 2
    cycles = scale * np.outer(centred_k, np.arange(n_in, dtype=np.float64))
    return np.exp(-2j * np.pi * cycles).astype(dtype, copy=False)


def mft(x, shape, scale):
    """Matrix Fourier transform with a centred output (Soummer et al. 2007; Eq. 69).

    ``y[k, l] = sum_{p, q} x[p, q] exp(-2 pi i (sr p (k - K//2) + sc q (l - L//2)))``, computed
    as two matrix products ``y = R x C^T`` with ``R[k, p] = exp(-2 pi i sr p (k - K//2))`` and
    ``C[l, q] = exp(-2 pi i sc q (l - L//2))``. The input origin is index (0, 0); the output
    frequency zero sits at (K//2, L//2). ``mft(x, (N, N), 1/N)`` equals
    ``fftshift(dft2(pad(x, (N, N))))``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        Leading axes are a batch. Real arrays are refused: promote them with ``to_complex``.
    shape : tuple of int
        ``(K, L)``, the output plane, or a full shape whose leading entries equal the batch shape.
    scale : float or (float, float)
        ``sr`` and ``sc``, in cycles per input pixel per output pixel (``1/N`` samples like an
        ``N``-point DFT); one number is used for both axes.

    Returns
    -------
    ndarray
        ``y``, shape ``(..., K, L)``, dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from phasegrad.reference import dft2, fftshift, pad
    >>> x = np.arange(6.0).reshape(2, 3) + 0j
    >>> np.allclose(mft(x, (8, 8), 1 / 8), fftshift(dft2(pad(x, (8, 8)))))
    True
    """
    x, (rows, cols), (sr, sc) = mft_inputs(x, shape, scale)
    row_matrix = _mft_matrix(rows, x.shape[-2], sr, x.dtype)
    col_matrix = _mft_matrix(cols, x.shape[-1], sc, x.dtype)
    return row_matrix @ x @ col_matrix.T


def mft_vjp(y_bar, x_shape, scale):
    """Reverse rule of ``mft``: the conjugate-transpose MFT ``x_bar = R^H y_bar conj(C)`` (Eq. 74).

    With ``y = R x C^T`` (see ``mft``), Eq. 50 twice gives ``x_bar = R^H y_bar (C^T)^H``:
    ``x_bar[p, q] = sum_{k, l} y_bar[k, l] exp(+2 pi i (sr p (k - K//2) + sc q (l - L//2)))``.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, complex64 or complex128, shape (..., K, L)
        Cotangent of ``y = mft(x, shape, scale)``.
    x_shape : tuple of int
        The shape of ``x``: ``(n, m)`` or the full shape (leading entries equal the batch shape).
    scale : float or (float, float)
        The ``scale`` that ``mft`` was called with.

    Returns
    -------
    ndarray
        ``x_bar``, shape ``(..., n, m)``, dtype of ``y_bar``.
    """
    y_bar, (rows, cols), (sr, sc) = mft_vjp_inputs(y_bar, x_shape, scale)
    row_matrix = _mft_matrix(y_bar.shape[-2], rows, sr, y_bar.dtype)
    col_matrix = _mft_matrix(y_bar.shape[-1], cols, sc, y_bar.dtype)
    return row_matrix.conj().T @ y_bar @ col_matrix.conj()


def mft_jvp(x, x_dot, shape, scale):
    """Forward rule of ``mft``: ``y_dot = R x_dot C^T``, i.e. ``mft(x_dot, shape, scale)``
    (Eq. 69).

    The op is linear, so its tangent is the op applied to the tangent; the two DFT matrices
    ``R`` and ``C`` are built once for ``y`` and ``y_dot``. It pairs with ``mft_vjp``:
    ``Re<y_bar, y_dot> = Re<mft_vjp(y_bar, x.shape, scale), x_dot>`` for every ``y_bar``, with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x : ndarray, complex64 or complex128, shape (..., n, m)
        The point, as for ``mft``.
    x_dot : ndarray
        The tangent of ``x``: its shape and dtype.
    shape : tuple of int
        As for ``mft``.
    scale : float or (float, float)
        As for ``mft``.

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = mft(x, shape, scale)`` and its tangent, each of shape ``(..., K, L)`` and
        ``x``'s dtype.
    """
    x, (rows, cols), (sr, sc) = mft_inputs(x, shape, scale)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    row_matrix = _mft_matrix(rows, x.shape[-2], sr, x.dtype)
    col_matrix = _mft_matrix(cols, x.shape[-1], sc, x.dtype)
    return (row_matrix @ x @ col_matrix.T, row_matrix @ x_dot @ col_matrix.T)


def _circular_product(u, v, conjugate_v):
    """``IDFT(DFT(u) * DFT(v))`` over the last two axes, or with ``conj(DFT(v))``.

    Real ``u`` and ``v`` use the real-input transforms and give a real result.
    """
    plane = u.shape[-2:]
    dtype = np.result_type(u, v)
    if not np.iscomplexobj(u) and not np.iscomplexobj(v):
        spectrum_v = np.fft.rfft2(v, axes=(-2, -1))
        if conjugate_v:
            np.conjugate(spectrum_v, out=spectrum_v)
        spectrum = np.fft.rfft2(u, axes=(-2, -1)) * spectrum_v
        product = np.fft.irfft2(spectrum, s=plane, axes=(-2, -1))
    else:
        spectrum_v = np.fft.fft2(v, axes=(-2, -1))
        if conjugate_v:
            np.conjugate(spectrum_v, out=spectrum_v)
        spectrum = np.fft.fft2(u, axes=(-2, -1)) * spectrum_v
        product = np.fft.ifft2(spectrum, axes=(-2, -1))
    return product.astype(dtype, copy=False)


def convolve(x, h):
    """Circular 2-D convolution over the last two axes: ``y = IDFT(DFT(x) * DFT(h))`` (Eq. 69).

    ``y[k, l] = sum_{p, q} x[p, q] h[(k - p) mod n, (l - q) mod m]``: ``h`` has its origin at
    index (0, 0) (pass ``ifftshift(h)`` for a centred kernel); zero-pad both to avoid
    wrap-around. Leading (batch) axes broadcast as in NumPy.

    Parameters
    ----------
    x, h : ndarray, shape (..., n, m)
        float32/complex64 or float64/complex128, one precision for both; the same plane shape.

    Returns
    -------
    ndarray
        ``y``, shape ``broadcast(x, h)``; real when ``x`` and ``h`` are real, else complex.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0, 3.0]])
    >>> h = np.array([[0.0, 1.0, 0.0]])  # a delta one pixel right of the origin
    >>> convolve(x, h)
    array([[3., 1., 2.]])
    """
    x, h, _ = convolve_inputs(x, h)
    return _circular_product(x, h, conjugate_v=False)


def convolve_vjp(y_bar, x, h):
    """Reverse rule of ``convolve``: circular correlations with ``h*`` and ``x*`` (Eq. 74).

    ``x_bar = IDFT(DFT(y_bar) * conj(DFT(h)))`` and ``h_bar = IDFT(DFT(y_bar) * conj(DFT(x)))``,
    each summed over the batch axes its input was broadcast along (Eq. 61); a real ``x`` or
    ``h`` gets the real part (Eq. 67), so real inputs have real gradients.

    Gradient convention: ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)`` for a real scalar E (PyTorch's
    convention; JAX's ``grad`` is its complex conjugate).

    Parameters
    ----------
    y_bar : ndarray, shape ``broadcast(x, h)``
        Cotangent of ``y = convolve(x, h)``, in the precision of ``x`` and ``h``.
    x, h : ndarray
        The inputs of ``convolve``.

    Returns
    -------
    (x_bar, h_bar) : tuple of ndarray
        Shapes of ``x`` and ``h``; each real for a real input.
    """
    y_bar, x, h = convolve_vjp_inputs(y_bar, x, h)
    x_bar = _circular_product(y_bar, h, conjugate_v=True)
    h_bar = _circular_product(y_bar, x, conjugate_v=True)
    return (sum_to_shape(x_bar, x.shape, x.dtype, copy=False),
            sum_to_shape(h_bar, h.shape, h.dtype, copy=False))


def convolve_jvp(x, h, x_dot, h_dot):
    """Forward rule of ``convolve``: ``y_dot = convolve(x_dot, h) + convolve(x, h_dot)``
    (Eq. 69; the product rule, Eq. 49, in the Fourier domain).

    The op is bilinear. With ``X, H, X', H'`` the DFTs of ``x, h, x_dot, h_dot``,
    ``y = IDFT(X H)`` and ``y_dot = IDFT(X' H + X H')``: four forward and two inverse
    transforms (real ones when ``x`` and ``h`` are real), not the nine of three convolutions.
    Leading (batch) axes broadcast as in ``convolve``. It pairs with ``convolve_vjp``:
    ``Re<y_bar, y_dot> = Re<x_bar, x_dot> + Re<h_bar, h_dot>`` with
    ``(x_bar, h_bar) = convolve_vjp(y_bar, x, h)``, for every ``y_bar``, with
    ``<a, b> = sum(conj(a) * b)``.

    Parameters
    ----------
    x, h : ndarray, shape (..., n, m)
        The point, as for ``convolve``.
    x_dot, h_dot : ndarray
        The tangents of ``x`` and ``h``: each its input's shape and dtype (a real input takes a
        real tangent).

    Returns
    -------
    (y, y_dot) : tuple of ndarray
        ``y = convolve(x, h)`` and its tangent, each of shape ``broadcast(x, h)``; real when
        ``x`` and ``h`` are real, else complex.
    """
    x, h, _ = convolve_inputs(x, h)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    h_dot = tangent(h_dot, "h_dot", h, "h")
    plane = x.shape[-2:]
    dtype = np.result_type(x, h)
    if is_complex(dtype):
        forward = lambda a: np.fft.fft2(a, axes=(-2, -1))  # noqa: E731
        inverse = lambda s: np.fft.ifft2(s, axes=(-2, -1))  # noqa: E731
    else:  # both real: the real-input transforms, real results
        forward = lambda a: np.fft.rfft2(a, axes=(-2, -1))  # noqa: E731
        inverse = lambda s: np.fft.irfft2(s, s=plane, axes=(-2, -1))  # noqa: E731
    spectrum_x, spectrum_h = forward(x), forward(h)
    y = inverse(spectrum_x * spectrum_h)
    y_dot = inverse(forward(x_dot) * spectrum_h + spectrum_x * forward(h_dot))
    return y.astype(dtype, copy=False), y_dot.astype(dtype, copy=False)
