"""Argument rules of the models' least-squares view (``residuals``, ``jvp``, ``vjp``,
``jacobian``, ``gauss_newton``, ``gauss_newton_product``, ``fisher``).

Every vector of that view is flat and float64 whatever the model's precision: a parameter
vector ``x`` and a tangent ``v`` of ``n_params`` values, a cotangent ``u`` of one value per
residual. A dense result is refused, before any work, when it would not fit in memory.
"""

from __future__ import annotations

import numpy as np

from . import validate as v

__all__ = ["DENSE_LIMIT_BYTES", "dense_size", "flat_vector"]

# The largest dense matrix (Jacobian, Gauss-Newton or Fisher matrix) a model builds: 2 GiB.
DENSE_LIMIT_BYTES = 2 << 30


def flat_vector(x, name, size, what):
    """``x`` as a flat, C-contiguous float64 array of ``size`` finite values (a copy only when
    cast or strided: the kernels read it in place).

    ``what`` says what the vector is, for the error (``"parameters"``, ``"residuals"``).
    ``TypeError`` for a complex, integer or non-array value; ``ValueError`` for the wrong
    shape or a non-finite value.
    """
    arr = v.array(x, name, kind="real")
    if arr.shape != (size,):
        raise ValueError(f"{name} must be a flat vector of {size} {what}; got shape "
                         f"{arr.shape}")
    v.finite(arr, name)
    return np.ascontiguousarray(arr, dtype=np.float64)


def dense_size(rows, cols, what, instead):
    """Refuse a dense float64 (rows, cols) matrix above ``DENSE_LIMIT_BYTES``.

    ``what`` names the matrix, ``instead`` the matrix-free method to use instead.
    """
    size = 8 * int(rows) * int(cols)
    if size > DENSE_LIMIT_BYTES:
        raise ValueError(f"the dense {what} would take {size / 2**30:.1f} GiB ({rows} x {cols} "
                         f"float64); use {instead}, which never forms it")
    return rows, cols
