"""Basis expansion: ``W = sum_k a_k B_k`` and its projection on every mode (Eq. 3, 58).

Both ops are matrix-vector products of the (K, n*m) mode matrix, and where BLAS computes them
to the package's precision rules it is the fastest code measured
(``phasegrad.bench.ops_arithmetic``: its AVX2/AVX-512 GEMV against the C++ kernels' baseline
x86-64 SIMD), so NumPy's BLAS runs them. The exception is ``basis_vjp`` in single precision: each
coefficient's gradient is a sum over every pixel, which must accumulate in double, and single
precision BLAS would not; there the C++ kernel of ``phasegrad._core`` projects the cotangent on
every mode in one pass, in double, without the double-precision copy of the modes that a
float64 GEMV would need.
"""

from __future__ import annotations

import numpy as np

from ..arguments.docstrings import amend
from ..arguments.expansion import basis_cotangent
from ..config import get_num_threads
from ..native import ascontiguous, core
from ..reference import expansion as _ref

__all__ = ["basis", "basis_vjp", "basis_jvp"]

_BASIS_NOTE = """
Delegates to NumPy's ``matmul``, the GEMV of the BLAS NumPy links (with that library's own
threads): measured as fast as the C++ synthesis kernel on large planes and 2-3x faster on
planes that fit in cache. Each pixel's sum has only K terms, summed in the input precision as
the reference does.
"""
_BASIS_JVP_NOTE = """
Two GEMVs of NumPy's BLAS, as ``basis``: one for ``a``, one for ``a_dot``. One GEMM of the two
stacked coefficient vectors, reading the modes once, measured slower (1.6x for 36 modes of
256 x 256, 1.1x of 1024 x 1024, one thread): BLAS's GEMM is not tuned for two rows.
"""
_BASIS_VJP_NOTE = """
In double precision, NumPy's BLAS GEMV (it accumulates in double, and measured faster than the
C++ kernel); in single precision, the C++ kernel of ``phasegrad._core`` with
``phasegrad.get_num_threads()`` threads: one pass over ``y_bar`` and the modes, every sum in
double (single-precision BLAS would sum each coefficient's pixels in single precision).
"""


@amend(twin=_ref.basis, before_parameters=_BASIS_NOTE)
def basis(a, B):
    return _ref.basis(a, B)


@amend(twin=_ref.basis_vjp, before_parameters=_BASIS_VJP_NOTE)
def basis_vjp(y_bar, B):
    y_bar, B, modes = basis_cotangent(y_bar, B)
    if B.dtype == np.float64:
        # A double-precision GEMV on B as it is (its transpose is a view, never a copy).
        planes = np.real(y_bar).reshape(y_bar.shape[:-2] + (-1,))
        return np.matmul(planes, modes.T)
    return core.basis_vjp(ascontiguous(y_bar), ascontiguous(B),
                           get_num_threads())


@amend(twin=_ref.basis_jvp, before_parameters=_BASIS_JVP_NOTE)
def basis_jvp(a, a_dot, B):
    return _ref.basis_jvp(a, a_dot, B)
