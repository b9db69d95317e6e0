"""Argument rules of the Fourier ops (``dft2``, ``idft2``, ``mft``, ``convolve`` and their
reverse rules), shared by ``phasegrad.reference.fourier`` and ``phasegrad.ops.fourier``.

``transform_scale`` turns a ``norm`` into the DFT pair's scale; ``transform_out`` checks an
``out=`` array; the ``*_inputs`` functions validate an op's arguments and return them as the
op computes with them.
"""

from __future__ import annotations

import numbers

import numpy as np

from .validate import array, broadcast_shape, cotangent, plane_shape, same_precision, scalar

__all__ = [
    "convolve_inputs", "convolve_vjp_inputs", "mft_inputs", "mft_vjp_inputs", "transform_out",
    "transform_scale",
]

_NORMS = ("backward", "ortho", "forward")


def transform_scale(norm, plane, inverse):
    """The scale ``a`` (forward) or ``b`` (inverse) that ``norm`` stands for on ``plane``.

    ``"backward"`` puts 1/N on the inverse, ``"forward"`` on the forward transform, ``"ortho"``
    1/sqrt(N) on both (as ``numpy.fft``); a real number is the scale itself.
    """
    if isinstance(norm, str):
        if norm not in _NORMS:
            raise ValueError(f"norm must be one of {', '.join(map(repr, _NORMS))} or a real "
                             f"number (the scale); got {norm!r}")
        size = plane[0] * plane[1]
        divide_by = {"backward": size if inverse else 1,
                     "ortho": np.sqrt(size),
                     "forward": 1 if inverse else size}[norm]
        return 1.0 / divide_by
    if isinstance(norm, numbers.Real) and not isinstance(norm, bool | np.bool_):
        return scalar(norm, "norm", allow_complex=False)
    raise ValueError(f"norm must be one of {', '.join(map(repr, _NORMS))} or a real number "
                     f"(the scale); got {norm!r}")


def transform_out(out, x):
    """Check ``out=`` of ``dft2``/``idft2`` against the validated ``x``: None, or a writeable,
    C-contiguous, aligned ndarray of x's dtype and shape that shares no memory with x."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray) or isinstance(out, np.ma.MaskedArray):
        raise TypeError(f"out must be an ndarray (or None); got {type(out).__name__}")
    if out.dtype != x.dtype:
        raise TypeError(f"out must have x's dtype {x.dtype}; got {out.dtype}")
    if out.shape != x.shape:
        raise ValueError(f"out must have x's shape {x.shape}; got {out.shape}")
    if not out.flags.writeable:
        raise ValueError("out must be writeable")
    if not (out.flags.c_contiguous and out.flags.aligned):
        raise ValueError("out must be C-contiguous and aligned")
    if np.may_share_memory(out, x):
        raise ValueError("out must not overlap x")
    return out


def _mft_scales(scale):
    """``(sr, sc)`` from a number or a pair of finite real numbers."""
    if isinstance(scale, tuple | list | np.ndarray) and np.ndim(scale) == 1:
        if len(scale) != 2:
            raise ValueError(f"scale must be a number or a pair (sr, sc); got {scale!r}")
        return (scalar(scale[0], "scale", allow_complex=False),
                scalar(scale[1], "scale", allow_complex=False))
    sr = scalar(scale, "scale", allow_complex=False)
    return sr, sr


def mft_inputs(x, shape, scale):
    """``(x, (K, L), (sr, sc))``."""
    x = array(x, "x", kind="complex", min_ndim=2)
    plane = plane_shape(shape, "shape", batch_shape=x.shape[:-2])
    return x, plane, _mft_scales(scale)


def mft_vjp_inputs(y_bar, x_shape, scale):
    """``(y_bar, (n, m), (sr, sc))``."""
    y_bar = array(y_bar, "y_bar", kind="complex", min_ndim=2)
    plane = plane_shape(x_shape, "x_shape", batch_shape=y_bar.shape[:-2])
    return y_bar, plane, _mft_scales(scale)


def convolve_inputs(x, h):
    """``(x, h, out_shape)``: one precision, one plane shape, batch axes that broadcast."""
    x = array(x, "x", min_ndim=2)
    h = array(h, "h", min_ndim=2)
    same_precision(("x", x), ("h", h))
    if x.shape[-2:] != h.shape[-2:]:
        raise ValueError(f"x and h must have the same plane shape (last two axes); got "
                         f"x {x.shape} and h {h.shape} (zero-pad the smaller one with pad)")
    return x, h, broadcast_shape(("x", x), ("h", h))


def convolve_vjp_inputs(y_bar, x, h):
    """``(y_bar, x, h)`` checked as ``convolve_vjp`` needs them."""
    x, h, out_shape = convolve_inputs(x, h)
    y_bar = cotangent(y_bar, "y_bar", out_shape, ("x", x), ("h", h))
    return y_bar, x, h
