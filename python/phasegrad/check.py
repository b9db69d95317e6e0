"""Gradient verification: dot tests for linear ops and finite differences for any vjp.

These are the checks phasegrad's own tests run on every op and model; they are public so that
users can verify the reverse rules of their own ops in the same way.

Both checks use the gradient convention of the whole package (Jurling & Fienup Eq. 38-41): for a
real scalar E and a complex array x, ``x_bar = dE/dRe(x) + 1j * dE/dIm(x)``; for a real x,
``x_bar`` is real.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arguments.validate import is_complex, real_dtype

#: Default tolerances of the dot test, keyed by the real precision of the operand.
ADJOINT_RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a gradient check.

    Attributes
    ----------
    check : str
        ``"adjoint"`` or ``"vjp"``.
    error : float
        The measured relative error.
    tolerance : float
        The bound it is compared with.
    detail : str
        What was compared, for a readable failure message.
    """

    check: str
    error: float
    tolerance: float
    detail: str

    @property
    def ok(self):
        """True when ``error <= tolerance`` (and the error is a number)."""
        return bool(np.isfinite(self.error) and self.error <= self.tolerance)

    def __bool__(self):
        return self.ok

    def __str__(self):
        verdict = "ok" if self.ok else "FAILED"
        return (f"{self.check} check {verdict}: error {self.error:.3e} "
                f"(tolerance {self.tolerance:.1e}); {self.detail}")


def relative_error(actual, expected):
    """Relative L2 error ``||actual - expected|| / ||expected||``, computed in double.

    Returns the absolute error when ``expected`` is exactly zero.
    """
    actual = np.asarray(actual, dtype=np.complex128 if np.iscomplexobj(actual) else np.float64)
    expected = np.asarray(expected,
                          dtype=np.complex128 if np.iscomplexobj(expected) else np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"shapes differ: {actual.shape} vs {expected.shape}")
    scale = np.linalg.norm(expected.ravel())
    diff = np.linalg.norm((actual - expected).ravel())
    return float(diff / scale) if scale > 0 else float(diff)


def random_like(x, rng):
    """A standard-normal array with the shape and dtype of ``x`` (complex parts independent)."""
    x = np.asarray(x)
    shape = x.shape
    if is_complex(x):
        draw = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    else:
        draw = rng.standard_normal(shape)
    return np.asarray(draw, dtype=x.dtype)


def check_adjoint(forward, adjoint, x, *, real_inner=False, rtol=None, seed=0):
    """Dot test of a linear op against its adjoint (its reverse rule).

    Draws random ``x`` (shaped and typed like the example ``x``) and random ``y`` (like
    ``forward(x)``) and compares ``<A x, y>`` with ``<x, A^H y>``::

        |<A x, y> - <x, A^H y>| <= rtol * ||A x|| * ||y||

    Parameters
    ----------
    forward : callable
        ``forward(x) -> y``, the linear op A.
    adjoint : callable
        ``adjoint(y) -> x``, its reverse rule (A^H for a C-linear op).
    x : ndarray
        An example input: only its shape and dtype are used.
    real_inner : bool
        Compare the real parts of the inner products only. Needed for ops that are linear over
        the reals but not over the complex numbers (real/imag parts, promotion to complex,
        most of the Jacobians of phase retrieval): their reverse rule is the adjoint under
        ``Re<u, v>``.
    rtol : float, optional
        Defaults to 1e-5 in single and 1e-12 in double precision (of ``x``).
    seed : int
        Seed of the random draws.

    Returns
    -------
    CheckResult
        Truthy when the test passes; ``str()`` of it explains the numbers. An adjoint that
        returns a complex array for a real ``x`` fails (Eq. 67), whatever the inner products.
    """
    rng = np.random.default_rng(seed)
    x = random_like(x, rng)
    ax = np.asarray(forward(x))
    y = random_like(ax, rng)
    aty = np.asarray(adjoint(y))
    if aty.shape != x.shape:
        raise ValueError(f"adjoint returned shape {aty.shape}; the input has shape {x.shape}")
    precision = real_dtype(np.result_type(x.dtype, ax.dtype))
    if rtol is None:
        rtol = ADJOINT_RTOL[precision]
    if not is_complex(x) and is_complex(aty):
        # Re<x, A^H y> would drop the imaginary part unseen: a real input must get a real
        # gradient (Eq. 67).
        return CheckResult("adjoint", float("inf"), rtol,
                           f"x is real ({x.dtype}) but the adjoint returned {aty.dtype} (Eq. 67)")
    as_double = lambda a: np.asarray(a, dtype=np.complex128).ravel()  # noqa: E731
    lhs = np.vdot(as_double(y), as_double(ax))
    rhs = np.vdot(as_double(aty), as_double(x))
    if real_inner:
        lhs, rhs = lhs.real, rhs.real
    scale = np.linalg.norm(as_double(ax)) * np.linalg.norm(as_double(y))
    error = float(abs(lhs - rhs) / scale) if scale > 0 else float(abs(lhs - rhs))
    detail = (f"<Ax,y>={complex(lhs):.6g}, <x,A^H y>={complex(rhs):.6g}, "
              f"x {x.shape} {x.dtype} -> y {ax.shape} {ax.dtype}"
              f"{', real inner product' if real_inner else ''}")
    return CheckResult("adjoint", error, rtol, detail)


def _as_tuple(value):
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def check_vjp(fun, vjp, inputs, *, directions=3, eps=1e-5, rtol=1e-6, seed=0):
    """Check a reverse rule against float64 central finite differences.

    Picks a random cotangent ``y_bar`` of the output and forms the real scalar
    ``L(x) = Re sum(conj(y_bar) * fun(x))``, whose gradient in phasegrad's convention is exactly
    ``vjp(y_bar)``. For each input and several random real directions ``d`` (and, for complex
    inputs, separately along ``1j * d``, so real and imaginary parts are each perturbed), the
    central difference ``(L(x + eps d) - L(x - eps d)) / (2 eps)`` is compared with the
    directional derivative ``Re sum(conj(x_bar) * d)``.

    A real input must get a real gradient (Eq. 67): a complex ``x_bar`` for a real ``x`` fails.

    Parameters
    ----------
    fun : callable
        ``fun(*inputs) -> y`` (an array or a scalar, real or complex).
    vjp : callable
        ``vjp(y_bar) -> x_bar`` for one input, or a tuple with one gradient per input.
        Bind everything else the rule needs (``x``, ``y``, constants) in a closure.
    inputs : ndarray or tuple of ndarray
        The point of evaluation; float64 or complex128 only (finite differences in single
        precision measure rounding, not gradients).
    directions : int
        Random directions per input (and per real/imaginary part).
    eps : float
        The finite-difference step.
    rtol : float
        Bound on ``||fd - analytic|| / max(||fd||, ||analytic||)`` over all directions.
    seed : int
        Seed of the random draws.

    Returns
    -------
    CheckResult
    """
    inputs = tuple(np.asarray(v) for v in _as_tuple(inputs))
    for k, v in enumerate(inputs):
        if v.dtype not in (np.float64, np.complex128):
            raise TypeError(f"inputs[{k}] must be float64 or complex128 for finite differences; "
                            f"got {v.dtype}")
    rng = np.random.default_rng(seed)
    y = fun(*inputs)
    y_arr = np.asarray(y)
    y_bar = random_like(y_arr.astype(np.complex128 if is_complex(y_arr) else np.float64), rng)
    if y_arr.ndim == 0:
        y_bar = y_bar[()]
    grads = _as_tuple(vjp(y_bar))
    if len(grads) != len(inputs):
        raise ValueError(f"vjp returned {len(grads)} gradients for {len(inputs)} inputs")

    def scalar_loss(*xs):
        out = np.asarray(fun(*xs), dtype=np.complex128)
        return float(np.real(np.vdot(np.asarray(y_bar, dtype=np.complex128).ravel(),
                                     out.ravel())))

    analytic, numeric, problems = [], [], []
    for k, (x, g) in enumerate(zip(inputs, grads, strict=True)):
        g = np.asarray(g)
        if g.shape != x.shape:
            problems.append(f"gradient {k} has shape {g.shape}, input has {x.shape}")
            continue
        if not is_complex(x) and is_complex(g):
            problems.append(f"input {k} is real but its gradient is complex (Eq. 67)")
            continue
        parts = (1.0, 1j) if is_complex(x) else (1.0,)
        for unit in parts:
            for _ in range(directions):
                d = unit * rng.standard_normal(x.shape)
                step = np.asarray(eps * d, dtype=x.dtype)
                shifted_up = list(inputs)
                shifted_down = list(inputs)
                shifted_up[k] = x + step
                shifted_down[k] = x - step
                fd = (scalar_loss(*shifted_up) - scalar_loss(*shifted_down)) / (2 * eps)
                an = float(np.real(np.vdot(np.asarray(g, dtype=np.complex128).ravel(),
                                           np.asarray(d, dtype=np.complex128).ravel())))
                numeric.append(fd)
                analytic.append(an)
    if problems:
        return CheckResult("vjp", float("inf"), rtol, "; ".join(problems))
    analytic = np.array(analytic)
    numeric = np.array(numeric)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    diff = np.linalg.norm(analytic - numeric)
    error = float(diff / scale) if scale > 0 else float(diff)
    detail = (f"{len(analytic)} directional derivatives; worst |fd - analytic| = "
              f"{np.max(np.abs(analytic - numeric)):.3e}, ||analytic|| = "
              f"{np.linalg.norm(analytic):.3e}")
    return CheckResult("vjp", error, rtol, detail)
