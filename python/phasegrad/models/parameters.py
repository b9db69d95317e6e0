"""Parameters as a structure: the named blocks of an imaging model's flat parameter vector.

The flat float64 vector x of ``fun_and_jac``, ``residuals``, ``jvp``, ... is the free blocks
of docs/imaging-model.md in a fixed order (``BLOCK_ORDER``); ``layout`` describes where each
lies (``Parameter(name, shape, units, offset, size)``), ``split`` cuts x into the blocks and
``join`` puts blocks back into one vector.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

__all__ = ["BLOCK_ORDER", "Blocks", "Parameter", "UNITS", "join", "layout", "split"]

Parameter = namedtuple("Parameter", "name shape units offset size")
Parameter.__doc__ = ("One block of the flat parameter vector: its name, shape, units, and "
                     "where it lies (x[offset:offset + size]).")

#: The order of the blocks in the flat vector (only the free ones appear).
BLOCK_ORDER = ("wavefront", "detector", "positions", "fluxes", "object", "flux", "background",
               "shift", "jitter", "amplitude")

UNITS = {
    "wavefront": "OPD units of wavelength",
    "detector": "(a, b, c) of Eq. 98",
    "positions": "unbinned pixels from the centre, (y, x)",
    "fluxes": "PSF units (1 = one PSF)",
    "object": "PSF units per pixel",
    "flux": "multiplies the image",
    "background": "data units per binned pixel",
    "shift": "unbinned pixels, (y, x)",
    "jitter": "unbinned pixels, RMS per axis",
    "amplitude": "the pupil's amplitude",
}


class Blocks(dict):
    """The free blocks of a parameter vector by name (``unpack``'s result), in block order.

    ``blocks[i]`` with an integer is the i-th block, as the tuple ``(a, p)`` that ``unpack``
    returned before the blocks had names (``blocks[0]`` the wavefront, ``blocks[1]`` the
    detector's (a, b, c)).
    """

    def __getitem__(self, key):
        if isinstance(key, int | np.integer):
            return list(self.values())[key]
        return super().__getitem__(key)


def layout(shapes):
    """The ``Parameter`` of each block in ``shapes`` (a dict name -> shape), in block order."""
    parameters, offset = [], 0
    for name in BLOCK_ORDER:
        if name in shapes:
            shape = tuple(int(d) for d in shapes[name])
            size = int(np.prod(shape))
            parameters.append(Parameter(name, shape, UNITS[name], offset, size))
            offset += size
    return tuple(parameters)


def split(x, parameters):
    """A dict of each block's part of the flat vector ``x``, shaped (views of ``x``)."""
    return {p.name: x[p.offset:p.offset + p.size].reshape(p.shape) for p in parameters}


def join(blocks, parameters):
    """The flat float64 vector of ``blocks`` (a dict with every parameter's block)."""
    if not parameters:
        return np.zeros(0)
    return np.concatenate([np.asarray(blocks[p.name], dtype=np.float64).ravel()
                           for p in parameters])
