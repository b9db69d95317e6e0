"""Sampling ops in C++: detector pixel binning (sums in double precision) and pixel tiling,
each the other's reverse rule (Eq. 87-90), each one pass over memory. Their forward rules run
the op's kernel on the input and on its tangent, two calls: stacking the two into one batch
would add a copy of both, a pass as long as the op itself.

The argument rules are shared with the reference (``phasegrad.arguments.sampling``), so both
raise the same errors; a strided input is copied to a contiguous one first and never written to.
"""

from __future__ import annotations

from ..arguments.docstrings import amend
from ..arguments.sampling import bin_inputs, tile_inputs
from ..arguments.tangents import tangent
from ..config import get_num_threads
from ..native import ascontiguous, core
from ..reference import sampling as _ref

__all__ = ["bin", "bin_vjp", "bin_jvp", "tile", "tile_vjp", "tile_jvp"]


def _binned(x, p, q):
    return core.bin(ascontiguous(x), p, q, get_num_threads())


def _tiled(x, p, q):
    return core.tile(ascontiguous(x), p, q, get_num_threads())


@amend(twin=_ref.bin)
def bin(x, factor):  # the catalogue's name; it shadows the builtin in this module only
    return _binned(*bin_inputs(x, factor))


@amend(twin=_ref.bin_vjp)
def bin_vjp(y_bar, factor):
    return _tiled(*tile_inputs(y_bar, factor, "y_bar"))


@amend(twin=_ref.tile)
def tile(x, factor):
    return _tiled(*tile_inputs(x, factor))


@amend(twin=_ref.tile_vjp)
def tile_vjp(y_bar, factor):
    return _binned(*bin_inputs(y_bar, factor, "y_bar"))


@amend(twin=_ref.bin_jvp)
def bin_jvp(x, x_dot, factor):
    x, p, q = bin_inputs(x, factor)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _binned(x, p, q), _binned(x_dot, p, q)


@amend(twin=_ref.tile_jvp)
def tile_jvp(x, x_dot, factor):
    x, p, q = tile_inputs(x, factor)
    x_dot = tangent(x_dot, "x_dot", x, "x")
    return _tiled(x, p, q), _tiled(x_dot, p, q)
