"""The one check of a forward-mode tangent (the ``*_dot`` arguments of every ``op_jvp``).

A tangent ``x_dot`` is a direction in the space of its input ``x``: it has ``x``'s shape and
dtype (a real input takes a real tangent, a complex one a complex tangent of the same
precision), or is a Python number when ``x`` is one (``add``/``mul``'s ``x``). Nothing is
cast: the wrong dtype is a ``TypeError``, the wrong shape a ``ValueError``, both naming the
tangent and its input.
"""

from __future__ import annotations

import numpy as np

from .validate import scalar


def tangent(value, name, like, like_name):
    """Return the tangent ``value`` of the input ``like`` after checking it.

    Parameters
    ----------
    value : ndarray or Python number
        The tangent (``x_dot``).
    name : str
        Its name in error messages (``"x_dot"``).
    like : ndarray or Python number
        The (already validated) input it is a direction for.
    like_name : str
        That input's name (``"x"``).

    Returns
    -------
    ndarray or Python number
        ``value`` itself (an ndarray is not copied) or, for a Python-number input, the tangent
        as a Python ``float`` (``complex`` when the input is complex).

    Raises
    ------
    TypeError
        A tangent whose dtype is not its input's (a complex tangent for a real input included),
        a masked array, or a non-number tangent of a Python-number input.
    ValueError
        A tangent whose shape is not its input's, or a non-finite Python-number tangent.
    """
    if isinstance(like, int | float | complex) and not isinstance(like, np.generic):
        if isinstance(value, np.ndarray) or not isinstance(value, int | float | complex) \
                or isinstance(value, bool):
            raise TypeError(f"{name} must be a Python number, as {like_name} is; got "
                            f"{type(value).__name__}")
        number = scalar(value, name, allow_complex=isinstance(like, complex))
        return complex(number) if isinstance(like, complex) else float(number)
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} must be an ndarray, not a masked array")
    if isinstance(value, np.generic) and isinstance(like, np.ndarray) and like.ndim == 0:
        value = np.asarray(value)  # a NumPy scalar is a 0-d array, as for the op's inputs
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be an ndarray of {like_name}'s dtype {like.dtype}; got "
                        f"{type(value).__name__}")
    if value.dtype != like.dtype:
        raise TypeError(f"{name} must have {like_name}'s dtype {like.dtype}; got {value.dtype}"
                        + (" (a real input takes a real tangent)"
                           if value.dtype.kind == "c" and like.dtype.kind != "c" else ""))
    if value.shape != like.shape:
        raise ValueError(f"{name} must have {like_name}'s shape {like.shape}; got "
                         f"{value.shape}")
    return value
