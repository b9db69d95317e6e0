"""Real <-> complex ops and the exponentials in C++ (Jurling & Fienup Eq. 53-57, 67).

Each op and each reverse rule is one pass over memory with no temporaries; a complex cotangent
of a real output is read in place (only its real part counts, as in the reference). Each
tangent step of a non-linear op is one pass too, writing ``y`` and ``y_dot`` side by side; the
linear ops' tangent steps are the op's kernel run on ``x`` and on ``x_dot``. Arguments
are checked by the rules both catalogues share (``phasegrad.arguments.complex_parts``), so errors
match ``phasegrad.reference`` exactly.
"""

from __future__ import annotations

from ..arguments.complex_parts import complex_input, expi_input, rule_operands, to_complex_input
from ..arguments.docstrings import amend
from ..arguments.tangents import tangent
from ..arguments.validate import array
from ..config import get_num_threads
from ..native import as_ufunc_result, contiguous, core
from ..reference import complex_parts as _ref

__all__ = [
    "abs2", "abs2_vjp", "abs2_jvp",
    "real", "real_vjp", "real_jvp",
    "imag", "imag_vjp", "imag_jvp",
    "exp", "exp_vjp", "exp_jvp",
    "expi", "expi_vjp", "expi_jvp",
    "to_complex", "to_complex_vjp", "to_complex_jvp",
]


@amend(twin=_ref.abs2)
def abs2(x):
    return as_ufunc_result(core.abs2(contiguous(array(x, "x")), get_num_threads()))


@amend(twin=_ref.abs2_vjp)
def abs2_vjp(y_bar, x):
    x, y_bar = rule_operands(y_bar, x, "x")
    return as_ufunc_result(core.abs2_vjp(contiguous(y_bar), contiguous(x), get_num_threads()))


@amend(twin=_ref.abs2_jvp)
def abs2_jvp(x, x_dot):
    x = array(x, "x")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y, y_dot = core.abs2_jvp(contiguous(x), contiguous(x_dot), get_num_threads())
    return as_ufunc_result(y), as_ufunc_result(y_dot)


@amend(twin=_ref.real)
def real(x):
    return core.real_part(contiguous(complex_input(x, "real")), get_num_threads())


@amend(twin=_ref.real_vjp)
def real_vjp(y_bar):
    return core.embed(contiguous(array(y_bar, "y_bar")), False, get_num_threads())


@amend(twin=_ref.real_jvp)
def real_jvp(x, x_dot):
    x = complex_input(x, "real")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    threads = get_num_threads()
    return core.real_part(contiguous(x), threads), core.real_part(contiguous(x_dot), threads)


@amend(twin=_ref.imag)
def imag(x):
    return core.imag_part(contiguous(complex_input(x, "imag")), get_num_threads())


@amend(twin=_ref.imag_vjp)
def imag_vjp(y_bar):
    return core.embed(contiguous(array(y_bar, "y_bar")), True, get_num_threads())


@amend(twin=_ref.imag_jvp)
def imag_jvp(x, x_dot):
    x = complex_input(x, "imag")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    threads = get_num_threads()
    return core.imag_part(contiguous(x), threads), core.imag_part(contiguous(x_dot), threads)


@amend(twin=_ref.exp)
def exp(x):
    return as_ufunc_result(core.exp(contiguous(array(x, "x")), get_num_threads()))


@amend(twin=_ref.exp_vjp)
def exp_vjp(y_bar, y):
    y, y_bar = rule_operands(y_bar, y, "y")
    return as_ufunc_result(core.exp_vjp(contiguous(y_bar), contiguous(y), get_num_threads()))


@amend(twin=_ref.exp_jvp)
def exp_jvp(x, x_dot):
    x = array(x, "x")
    x_dot = tangent(x_dot, "x_dot", x, "x")
    y, y_dot = core.exp_jvp(contiguous(x), contiguous(x_dot), get_num_threads())
    return as_ufunc_result(y), as_ufunc_result(y_dot)


@amend(twin=_ref.expi)
def expi(x):
    return core.expi(contiguous(expi_input(x)), get_num_threads())


@amend(twin=_ref.expi_vjp)
def expi_vjp(y_bar, y):
    y, y_bar = rule_operands(y_bar, y, "y", kind="complex")
    return as_ufunc_result(core.expi_vjp(contiguous(y_bar), contiguous(y), get_num_threads()))


@amend(twin=_ref.expi_jvp)
def expi_jvp(x, x_dot):
    x = expi_input(x)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return core.expi_jvp(contiguous(x), contiguous(x_dot), get_num_threads())


@amend(twin=_ref.to_complex)
def to_complex(x):
    return core.embed(contiguous(to_complex_input(x)), False, get_num_threads())


@amend(twin=_ref.to_complex_vjp)
def to_complex_vjp(y_bar):
    return core.real_part(contiguous(array(y_bar, "y_bar")), get_num_threads())


@amend(twin=_ref.to_complex_jvp)
def to_complex_jvp(x, x_dot):
    x = to_complex_input(x)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    threads = get_num_threads()
    return (core.embed(contiguous(x), False, threads),
            core.embed(contiguous(x_dot), False, threads))
