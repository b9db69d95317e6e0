"""Real <-> complex ops and the exponentials in C++ (Jurling & Fienup Eq. 53-57, 67).

Each op and each reverse rule is one pass over memory with no temporaries; a complex cotangent
of a real output is read in place (only its real part counts, as in the reference). Arguments
are checked by the rules both catalogues share (``phasegrad.arguments.complex_parts``), so errors
match ``phasegrad.reference`` exactly.
"""

from __future__ import annotations

from ..arguments.complex_parts import complex_input, expi_input, rule_operands, to_complex_input
from ..arguments.docstrings import amend
from ..arguments.validate import array
from ..config import get_num_threads
from ..native import as_ufunc_result, contiguous, core
from ..reference import complex_parts as _ref

__all__ = [
    "abs2", "abs2_vjp",
    "real", "real_vjp",
    "imag", "imag_vjp",
    "exp", "exp_vjp",
    "expi", "expi_vjp",
    "to_complex", "to_complex_vjp",
]


@amend(twin=_ref.abs2)
def abs2(x):
    return as_ufunc_result(core.abs2(contiguous(array(x, "x")), get_num_threads()))


@amend(twin=_ref.abs2_vjp)
def abs2_vjp(y_bar, x):
    x, y_bar = rule_operands(y_bar, x, "x")
    return as_ufunc_result(core.abs2_vjp(contiguous(y_bar), contiguous(x), get_num_threads()))


@amend(twin=_ref.real)
def real(x):
    return core.real_part(contiguous(complex_input(x, "real")), get_num_threads())


@amend(twin=_ref.real_vjp)
def real_vjp(y_bar):
    return core.embed(contiguous(array(y_bar, "y_bar")), False, get_num_threads())


@amend(twin=_ref.imag)
def imag(x):
    return core.imag_part(contiguous(complex_input(x, "imag")), get_num_threads())


@amend(twin=_ref.imag_vjp)
def imag_vjp(y_bar):
    return core.embed(contiguous(array(y_bar, "y_bar")), True, get_num_threads())


@amend(twin=_ref.exp)
def exp(x):
    return as_ufunc_result(core.exp(contiguous(array(x, "x")), get_num_threads()))


@amend(twin=_ref.exp_vjp)
def exp_vjp(y_bar, y):
    y, y_bar = rule_operands(y_bar, y, "y")
    return as_ufunc_result(core.exp_vjp(contiguous(y_bar), contiguous(y), get_num_threads()))


@amend(twin=_ref.expi)
def expi(x):
    return core.expi(contiguous(expi_input(x)), get_num_threads())


@amend(twin=_ref.expi_vjp)
def expi_vjp(y_bar, y):
    y, y_bar = rule_operands(y_bar, y, "y", kind="complex")
    return as_ufunc_result(core.expi_vjp(contiguous(y_bar), contiguous(y), get_num_threads()))


@amend(twin=_ref.to_complex)
def to_complex(x):
    return core.embed(contiguous(to_complex_input(x)), False, get_num_threads())


@amend(twin=_ref.to_complex_vjp)
def to_complex_vjp(y_bar):
    return core.real_part(contiguous(array(y_bar, "y_bar")), get_num_threads())
