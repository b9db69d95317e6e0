"""Argument rules of ``phasegrad.optimize``: the optimizers and the projection algorithms.

Counts, real parameters in a range, callbacks, a model and its starting point, and what a
model's ``fun_and_jac`` returns; for ``levenberg_marquardt`` a least-squares model (one with
``residuals``), the solver it can use, and what its ``residuals``, ``gauss_newton``,
``jacobian``, ``vjp`` and ``gauss_newton_product`` return. Each refuses bad input with a
``TypeError``/``ValueError`` naming the argument.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import validate as v

__all__ = [
    "callback", "evaluate", "least_squares_method", "least_squares_model", "model_and_start",
    "model_matrix", "model_vector", "positive_int", "real_number",
]

# What each solver of levenberg_marquardt calls on the model, besides ``residuals``: the dense
# one needs either entry of its tuple, the matrix-free one both.
_DENSE_METHODS = ("gauss_newton", "jacobian")
_CG_METHODS = ("gauss_newton_product", "vjp")


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


def model_bounds(model, size):
    """``model.bounds`` (when the model has that attribute, not None) as two float64 arrays
    ``(lower, upper)`` of ``size`` values (-inf/inf where unbounded); None otherwise, and
    None when every bound is infinite (the unconstrained solvers run unchanged).

    ``ValueError`` for the wrong shapes, NaN, or a lower bound above its upper one.
    """
    bounds = getattr(model, "bounds", None)
    if bounds is None:
        return None
    try:
        lower, upper = bounds
    except (TypeError, ValueError):
        raise ValueError("model.bounds must be a pair (lower, upper) of arrays") from None
    lower = np.asarray(lower, dtype=np.float64).ravel()
    upper = np.asarray(upper, dtype=np.float64).ravel()
    if lower.shape != (size,) or upper.shape != (size,):
        raise ValueError(f"model.bounds must hold {size} lower and {size} upper bounds (one "
                         f"per parameter); got {lower.size} and {upper.size}")
    if np.isnan(lower).any() or np.isnan(upper).any() or np.any(lower > upper):
        raise ValueError("model.bounds must have lower <= upper and no NaN")
    if np.isneginf(lower).all() and np.isposinf(upper).all():
        return None
    return lower, upper


def evaluate(model, x):
    """``model.fun_and_jac(x)`` with its results checked: a finite float and a float64 vector."""
    cost, grad = model.fun_and_jac(x)
    cost = float(cost)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != x.shape:
        raise ValueError(f"model.fun_and_jac returned a gradient of shape {grad.shape} for "
                         f"x of shape {x.shape}")
    return cost, grad


def _has(model, name):
    return callable(getattr(model, name, None))


def least_squares_model(model, x0):
    """Check a least-squares ``model`` (has ``residuals``) and ``x0``; return ``(x0, shape)``.

    ``x0`` comes back as a flat float64 copy, ``shape`` is its own shape (any shape whose size
    is ``model.n_params``, when the model says), for the caller to reshape results to.
    """
    if not _has(model, "residuals"):
        raise TypeError("model must have a residuals(x) method returning the flat residual "
                        "vector r for a flat float64 x, its cost being ||r||^2 (e.g. "
                        f"pg.PhaseRetrieval, pg.Hologram); got {type(model).__name__}")
    x0 = v.array(x0, "x0", kind="real")
    v.finite(x0, "x0")
    n_params = getattr(model, "n_params", None)
    if n_params is not None and x0.size != n_params:
        raise ValueError(f"x0 must hold model.n_params = {n_params} values; got shape "
                         f"{x0.shape}")
    return x0.astype(np.float64).ravel(), x0.shape


def least_squares_method(method, model, n_params, dense_limit):
    """The solver ``"dense"``, ``"cg"`` or ``"auto"`` that ``method`` asks for, checked against
    ``model``.

    ``"dense"`` needs ``gauss_newton`` or ``jacobian``; ``"cg"`` needs ``gauss_newton_product``
    and ``vjp``. ``"auto"`` stays ``"auto"`` (CG first, dense once a CG solve stalls) when the
    model offers both and ``n_params <= dense_limit``; else it is ``"cg"`` when the model
    offers it, else ``"dense"`` (the only one the model offers). ``ValueError`` for an unknown
    method, ``TypeError`` naming ``model`` when it lacks what the method needs.
    """
    method = v.one_of(method, "method", ("auto", "dense", "cg"))
    dense = any(_has(model, name) for name in _DENSE_METHODS)
    cg = all(_has(model, name) for name in _CG_METHODS)
    if method == "auto":
        if not (dense or cg):
            raise TypeError(f"model must have {' or '.join(_DENSE_METHODS)} (the dense solver) "
                            f"or both {' and '.join(_CG_METHODS)} (the matrix-free one); "
                            f"{type(model).__name__} has neither")
        if dense and cg:
            return "auto" if n_params <= dense_limit else "cg"
        return "dense" if dense else "cg"
    if method == "dense" and not dense:
        raise TypeError(f"model must have {' or '.join(_DENSE_METHODS)} for method='dense'; "
                        f"{type(model).__name__} has neither")
    if method == "cg" and not cg:
        missing = [name for name in _CG_METHODS if not _has(model, name)]
        raise TypeError(f"model must have {' and '.join(_CG_METHODS)} for method='cg'; "
                        f"{type(model).__name__} lacks {', '.join(missing)}")
    return method


def model_vector(value, size, what, finite=True):
    """A vector a model returned, as a flat float64 array (cast from float32, never copied
    otherwise); ``size`` None accepts any length.

    ``what`` names the call (``"model.vjp(x, u)"``). ``TypeError`` for a non-real result,
    ``ValueError`` for a wrong shape or, with ``finite``, NaN or infinity (``finite=False``
    leaves those to the caller: a residual vector at a trial point).
    """
    arr = _real_result(value, what)
    if arr.ndim != 1 or (size is not None and arr.size != size):
        expected = "a flat vector" if size is None else f"a flat vector of {size} values"
        raise ValueError(f"{what} must return {expected}; got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} returned NaN or infinity")
    return arr.astype(np.float64, copy=False)


def model_matrix(value, shape, what):
    """A matrix a model returned (``jacobian``, ``gauss_newton``'s J^T J), as finite float64.

    ``TypeError`` for a non-real result, ``ValueError`` for a wrong shape or non-finite values.
    """
    arr = _real_result(value, what)
    if arr.shape != tuple(shape):
        raise ValueError(f"{what} must return shape {tuple(shape)}; got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} returned NaN or infinity")
    return arr.astype(np.float64, copy=False)


def _real_result(value, what):
    arr = np.asarray(value)
    if arr.dtype not in v.REAL_DTYPES:
        raise TypeError(f"{what} must return float32 or float64 values; got {arr.dtype}")
    return arr
