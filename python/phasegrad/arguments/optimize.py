"""Argument rules of ``phasegrad.optimize``: the optimizers and the projection algorithms.

Counts, real parameters in a range, callbacks, a model and its starting point, and what a
model's ``fun_and_jac`` returns; each refuses bad input with a ``TypeError``/``ValueError``
naming the argument.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import validate as v

__all__ = ["callback", "evaluate", "model_and_start", "positive_int", "real_number"]


def positive_int(value, name, minimum=1):
    """``value`` as an int >= ``minimum``; TypeError for non-integers (bool included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def real_number(value, name, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a finite float in the given range; TypeError for non-numbers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}; got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}; got {value}")
    return value


def callback(function):
    """``function`` when it is None or callable; TypeError otherwise."""
    if function is not None and not callable(function):
        raise TypeError(f"callback must be callable or None; got {type(function).__name__}")
    return function


def model_and_start(model, x0):
    """Check ``model`` (has ``fun_and_jac``) and ``x0``; return x0 as a flat float64 copy.

    ``x0`` may have any shape whose size is ``model.n_params`` (when the model says); the
    caller reshapes results back to ``x0``'s shape.
    """
    if not callable(getattr(model, "fun_and_jac", None)):
        raise TypeError("model must have a fun_and_jac(x) method returning (cost, gradient) "
                        f"for a flat float64 x (e.g. pg.PhaseRetrieval, pg.Hologram); got "
                        f"{type(model).__name__}")
    x0 = v.array(x0, "x0", kind="real")
    v.finite(x0, "x0")
    n_params = getattr(model, "n_params", None)
    if n_params is not None and x0.size != n_params:
        raise ValueError(f"x0 must hold model.n_params = {n_params} values; got shape "
                         f"{x0.shape}")
    return x0.astype(np.float64).ravel(), x0.shape


def evaluate(model, x):
    """``model.fun_and_jac(x)`` with its results checked: a finite float and a float64 vector."""
    cost, grad = model.fun_and_jac(x)
    cost = float(cost)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != x.shape:
        raise ValueError(f"model.fun_and_jac returned a gradient of shape {grad.shape} for "
                         f"x of shape {x.shape}")
    return cost, grad
