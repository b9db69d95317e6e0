"""Argument rules of the ops between real and complex arrays and the exponentials (``abs2``,
``real``, ``imag``, ``exp``, ``expi``, ``to_complex``), shared by
``phasegrad.reference.complex_parts`` and ``phasegrad.ops.complex_parts``.

The domains are strict: ``real``/``imag`` need a complex ``x``, ``expi``/``to_complex`` a real
one; a cotangent of a real output may be complex (only its real part counts).
"""

from __future__ import annotations

from .validate import array, cotangent, is_complex

__all__ = ["complex_input", "expi_input", "rule_operands", "to_complex_input"]


def complex_input(x, op):
    """``x`` for an op defined on complex arrays only (``real``, ``imag``)."""
    x = array(x, "x")
    if not is_complex(x):
        raise TypeError(f"{op}(x) needs a complex x (complex64 or complex128); got {x.dtype}. "
                        f"A real array has no separate {op} part to take")
    return x


def _real_input(x, op, hint):
    """``x`` for an op defined on real arrays only (``expi``, ``to_complex``)."""
    x = array(x, "x")
    if is_complex(x):
        raise TypeError(f"{op}(x) needs a real x (float32 or float64); got {x.dtype}. {hint}")
    return x


def expi_input(x):
    """``x`` for ``expi``: a real phase."""
    return _real_input(x, "expi", "For a complex argument use exp(1j * x).")


def to_complex_input(x):
    """``x`` for ``to_complex``: a real array."""
    return _real_input(x, "to_complex", "It is complex already.")


def rule_operands(y_bar, primal, name, kind="any"):
    """The array ``name`` a reverse rule needs (``x`` or ``y``), then ``y_bar`` shaped like it.

    Returns ``(primal, y_bar)``; ``y_bar`` may be complex for a real output.
    """
    primal = array(primal, name, kind=kind)
    return primal, cotangent(y_bar, "y_bar", primal.shape, (name, primal))
