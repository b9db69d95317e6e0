"""Error metric, detector response and intensity normalisation in C++ (Jurling & Fienup Eq. 7,
93, 98-101; ``mean_normalize`` of the hologram model).

Sums accumulate in float64 inside the kernels (OpenMP reductions) and come back as Python
floats; ``wsse`` forms its residuals in float64 too, ``poisson_nll`` each term. Each reverse
rule is one pass over memory:
``poly_detector_vjp`` forms ``I_bar`` and the three coefficient gradients together;
``mean_normalize_vjp`` takes both plane sums in one pass, then writes ``x_bar`` in a second.
Each tangent step computes the op's result and its tangent together: ``wsse_jvp`` both sums in
one pass, ``poly_detector_jvp`` ``M`` and ``M_dot`` in one; ``mean_normalize_jvp`` the plane
sums of ``x`` and ``x_dot`` in one pass, then ``y`` and ``y_dot`` in a second.
Arguments are checked by the rules both catalogues share (``phasegrad.arguments.metrics``), so
errors match ``phasegrad.reference``.
"""

from __future__ import annotations

import numpy as np

from ..arguments.docstrings import amend
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
from ..config import get_num_threads
from ..native import as_ufunc_result, ascontiguous, contiguous, core
from ..reference import metrics as _ref

__all__ = [
    "wsse", "wsse_vjp", "wsse_jvp",
    "poisson_nll", "poisson_nll_vjp", "poisson_nll_jvp",
    "poly_detector", "poly_detector_vjp", "poly_detector_jvp",
    "mean_normalize", "mean_normalize_vjp", "mean_normalize_jvp",
]


def _weights(w, M):
    """wsse's validated ``w`` as the core takes it.

    None and numbers pass as they are. The core reads an array's entries cyclically along M's
    flat index, which is NumPy broadcasting when ``w`` (leading ones dropped) matches M's
    trailing axes: a weight per pixel, per plane pixel over a batch, or per column. Any other
    broadcast (a weight per plane or per row) is laid out at M's shape first.
    """
    if not isinstance(w, np.ndarray):
        return w
    shape = w.shape
    while shape and shape[0] == 1:
        shape = shape[1:]
    if shape == M.shape[M.ndim - len(shape):]:
        return contiguous(w)
    return ascontiguous(np.broadcast_to(w, M.shape))


@amend(twin=_ref.wsse)
def wsse(M, D, w=None):
    M, D, w = wsse_operands(M, D, w)
    return core.wsse(contiguous(M), contiguous(D), _weights(w, M), get_num_threads())


@amend(twin=_ref.wsse_vjp)
def wsse_vjp(E_bar, M, D, w=None):
    M, D, w, E_bar = wsse_vjp_operands(E_bar, M, D, w)
    return as_ufunc_result(core.wsse_vjp(E_bar, contiguous(M), contiguous(D), _weights(w, M),
                                          get_num_threads()))


@amend(twin=_ref.wsse_jvp)
def wsse_jvp(M, M_dot, D, w=None):
    M, D, w = wsse_operands(M, D, w)
    M_dot = tangent(M_dot, "M_dot", M, "M")
    return core.wsse_jvp(contiguous(M), contiguous(M_dot), contiguous(D), _weights(w, M),
                         get_num_threads())


@amend(twin=_ref.poisson_nll)
def poisson_nll(M, D, w=None, shift=0.0):
    M, D, w, shift = poisson_nll_operands(M, D, w, shift)
    return core.poisson_nll(contiguous(M), contiguous(D), _weights(w, M), shift,
                            get_num_threads())


@amend(twin=_ref.poisson_nll_vjp)
def poisson_nll_vjp(E_bar, M, D, w=None, shift=0.0):
    M, D, w, shift, E_bar = poisson_nll_vjp_operands(E_bar, M, D, w, shift)
    return as_ufunc_result(core.poisson_nll_vjp(E_bar, contiguous(M), contiguous(D),
                                                 _weights(w, M), shift, get_num_threads()))


@amend(twin=_ref.poisson_nll_jvp)
def poisson_nll_jvp(M, M_dot, D, w=None, shift=0.0):
    M, D, w, shift = poisson_nll_operands(M, D, w, shift)
    M_dot = tangent(M_dot, "M_dot", M, "M")
    return core.poisson_nll_jvp(contiguous(M), contiguous(M_dot), contiguous(D), _weights(w, M),
                                shift, get_num_threads())


@amend(twin=_ref.poly_detector)
def poly_detector(I, a, b, c):  # noqa: E741 - I is the paper's intensity
    I, a, b, c = poly_detector_operands(I, a, b, c)  # noqa: E741
    return as_ufunc_result(core.poly_detector(contiguous(I), a, b, c, get_num_threads()))


@amend(twin=_ref.poly_detector_vjp)
def poly_detector_vjp(M_bar, I, a, b):  # noqa: E741 - I is the paper's intensity
    M_bar, I, a, b = poly_detector_vjp_operands(M_bar, I, a, b)  # noqa: E741
    I_bar, a_bar, b_bar, c_bar = core.poly_detector_vjp(contiguous(M_bar), contiguous(I), a, b,
                                                         get_num_threads())
    return as_ufunc_result(I_bar), a_bar, b_bar, c_bar


@amend(twin=_ref.poly_detector_jvp)
def poly_detector_jvp(I, a, b, c, I_dot, a_dot, b_dot, c_dot):  # noqa: E741 - the paper's I
    I, a, b, c = poly_detector_operands(I, a, b, c)  # noqa: E741
    I_dot = tangent(I_dot, "I_dot", I, "I")
    a_dot = coefficient_tangent(a_dot, "a_dot")
    b_dot = coefficient_tangent(b_dot, "b_dot")
    c_dot = coefficient_tangent(c_dot, "c_dot")
    M, M_dot = core.poly_detector_jvp(contiguous(I), contiguous(I_dot), a, b, c, a_dot, b_dot,
                                      c_dot, get_num_threads())
    return as_ufunc_result(M), as_ufunc_result(M_dot)


@amend(twin=_ref.mean_normalize)
def mean_normalize(x, c):
    x, c = mean_normalize_arguments(x, c)
    x, threads = contiguous(x), get_num_threads()
    s = mean_normalize_scale(x, c, core.plane_sums(x, threads))
    return core.scale_planes(x, s, None, threads)


@amend(twin=_ref.mean_normalize_vjp)
def mean_normalize_vjp(y_bar, x, c):
    x, c = mean_normalize_arguments(x, c)
    x, threads = contiguous(x), get_num_threads()
    try:
        y_bar = mean_normalize_cotangent(y_bar, x)
    except (TypeError, ValueError):
        # The reference refuses a plane of x with zero mean before it looks at y_bar.
        mean_normalize_scale(x, c, core.plane_sums(x, threads))
        raise
    y_bar = contiguous(y_bar)
    total, projection = core.plane_sums_with_projection(y_bar, x, threads)
    s = mean_normalize_scale(x, c, total)
    return core.scale_planes(y_bar, s, s * projection / total, threads)


@amend(twin=_ref.mean_normalize_jvp)
def mean_normalize_jvp(x, x_dot, c):
    x, c = mean_normalize_arguments(x, c)
    x, threads = contiguous(x), get_num_threads()
    try:
        x_dot = tangent(x_dot, "x_dot", x, "x")
    except (TypeError, ValueError):
        # The reference refuses a plane of x with zero mean before it looks at x_dot.
        mean_normalize_scale(x, c, core.plane_sums(x, threads))
        raise
    x_dot = contiguous(x_dot)
    total, total_dot = core.plane_sums_pair(x, x_dot, threads)
    s = mean_normalize_scale(x, c, total)
    return core.mean_normalize_jvp(x, x_dot, s, total_dot / total, threads)
