"""Basis expansion in C++: ``W = sum_k a_k B_k`` and its projection on every mode (Eq. 3, 58)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..reference import expansion as _ref
from ._twin import get_num_threads, twin

__all__ = ["basis", "basis_vjp"]


@twin(_ref.basis)
def basis(a, B):
    a, B, _ = _ref._basis_operands(a, B)
    return _core.basis(np.ascontiguousarray(a), np.ascontiguousarray(B), get_num_threads())


@twin(_ref.basis_vjp)
def basis_vjp(y_bar, B):
    y_bar, B, _ = _ref._basis_cotangent(y_bar, B)
    return _core.basis_vjp(np.ascontiguousarray(y_bar), np.ascontiguousarray(B),
                           get_num_threads())


_NOTE = """
A C++ kernel over blocks of pixels: every mode's block stays in cache while all batch items
use it, each sum runs in double precision, and ``basis_vjp`` reads ``y_bar`` once for all
modes. ``bench/bench_ops_arithmetic.py`` measures it against the BLAS matrix product of the
reference.
"""
for _function in (basis, basis_vjp):
    _marker = "\n    Parameters\n"
    _paragraph = "\n".join(f"    {line}" if line else "" for line in _NOTE.strip().splitlines())
    _function.__doc__ = _function.__doc__.replace(_marker, f"\n{_paragraph}\n{_marker}", 1)
