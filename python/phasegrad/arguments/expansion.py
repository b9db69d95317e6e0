"""Argument rules of the basis expansion (``basis``, ``basis_vjp``), shared by
``phasegrad.reference.expansion`` and ``phasegrad.ops.expansion``.

Coefficients and modes are real, of one precision; the modes are a (K, n, m) stack, used as
its (K, n*m) matrix view.
"""

from __future__ import annotations

from .validate import array, cotangent, same_precision

__all__ = ["basis_cotangent", "basis_operands"]


def _modes(B):
    """Validate the mode stack ``B`` (K, n, m); return it and its (K, n*m) matrix view."""
    B = array(B, "B", kind="real")
    if B.ndim != 3:
        raise ValueError(f"B must have shape (K, n, m), a stack of K modes; got shape {B.shape}")
    return B, B.reshape(B.shape[0], -1)


def basis_operands(a, B):
    """Validate ``basis``'s operands; return ``a``, ``B`` and B's (K, n*m) matrix view."""
    a = array(a, "a", kind="real", min_ndim=1)
    B, modes = _modes(B)
    same_precision(("a", a), ("B", B))
    if a.shape[-1] != B.shape[0]:
        raise ValueError(f"a must have K = {B.shape[0]} coefficients on its last axis (one per "
                         f"mode of B {B.shape}); got shape {a.shape}")
    return a, B, modes


def basis_cotangent(y_bar, B):
    """Validate ``basis_vjp``'s arguments; return ``y_bar``, ``B`` and B's matrix view."""
    B, modes = _modes(B)
    y_bar = array(y_bar, "y_bar", min_ndim=2)
    y_bar = cotangent(y_bar, "y_bar", y_bar.shape[:-2] + B.shape[1:], ("B", B))
    return y_bar, B, modes
