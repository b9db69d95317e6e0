"""Classic projection algorithms for Fourier-magnitude phase retrieval (Fienup 1982; Luke 2005).

The problem: find an object x (n, m) that lies in the object-domain constraint set S (zero
outside a known support; optionally real and non-negative) and whose Fourier magnitudes
``|dft2(x)|`` (NumPy's ``fft2`` convention: unnormalised, zero frequency at [0, 0], no shift)
equal the measured ``magnitudes``. Every iteration runs one forward and one inverse FFT with the
C++ kernels of ``phasegrad.ops``.

Projections::

    P_M(x) = idft2( |F| * G / |G| ),   G = dft2(x)     (phase kept; where G = 0, phase 0)
    P_S(x) = support * x               (also real part clipped at 0 when nonnegative=True)

Algorithms (y = P_M(x)):

- error reduction (= Gerchberg-Saxton for this problem): ``x <- P_S(y)``
- HIO (Fienup 1982): ``x <- y`` where y satisfies S, ``x - beta y`` elsewhere
- RAAR (Luke 2005): ``x <- beta (x + P_S(2y - x) - y) + (1 - beta) y``

The cost reported each iteration is the relative Fourier-magnitude error of the current
object estimate ``x_hat = P_S(P_M(x))`` (for error reduction, the iterate itself)::

    error = || |dft2(x_hat)| - |F| || / || |F| ||

Solutions are unique only up to the trivial ambiguities: a global phase factor, a circular
shift and the conjugate inversion ``conj(x(-r))``.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..arguments import optimize as c
from ..arguments import validate as v
from ..arguments.docstrings import amend
from ..config import single_threaded_blas
from ._result import OptimizeResult

__all__ = ["error_reduction", "gerchberg_saxton", "hio", "raar"]


class _Problem:
    """The checked inputs and both projections of one Fourier phase retrieval problem."""

    def __init__(self, magnitudes, support, nonnegative, x0, seed):
        magnitudes = v.array(magnitudes, "magnitudes", kind="real")
        if magnitudes.ndim != 2:
            raise ValueError(f"magnitudes must be a 2-D array (n, m); got shape "
                             f"{magnitudes.shape}")
        v.finite(magnitudes, "magnitudes")
        if np.any(magnitudes < 0):
            raise ValueError("magnitudes must be non-negative (Fourier moduli |F|)")
        if not np.any(magnitudes > 0):
            raise ValueError("magnitudes must not be all zero")
        self.magnitudes = magnitudes.astype(np.float64)
        self.norm = float(np.linalg.norm(self.magnitudes))
        shape = magnitudes.shape

        if support is None:
            raise TypeError("support must be an array shaped like magnitudes (bool or 0/1); "
                            "got None")
        support = np.asarray(support)
        if support.dtype != bool:
            if support.dtype.kind not in "biuf":
                raise TypeError(f"support must be a boolean or 0/1 array; got dtype "
                                f"{support.dtype}")
            if not np.all((support == 0) | (support == 1)):
                raise ValueError("support must hold only 0 and 1 (or be boolean)")
            support = support != 0
        if support.shape != shape:
            raise ValueError(f"support must have the shape of magnitudes {shape}; got "
                             f"{support.shape}")
        if not support.any():
            raise ValueError("support must contain at least one pixel")
        self.support = support
        if not isinstance(nonnegative, (bool, np.bool_)):
            raise TypeError(f"nonnegative must be True or False; got {nonnegative!r}")
        self.nonnegative = bool(nonnegative)

        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None; got {type(seed).__name__}")
        if x0 is None:
            # A random start: the measured magnitudes with random phases, taken to the object
            # domain and constrained (a common start; zero would be a fixed point).
            rng = np.random.default_rng(seed)
            phases = np.exp(2j * np.pi * rng.random(shape))
            x0 = self.support_projection(ops.idft2(self.magnitudes * phases))
        else:
            x0 = v.array(x0, "x0")
            if x0.shape != shape:
                raise ValueError(f"x0 must have the shape of magnitudes {shape}; got "
                                 f"{x0.shape}")
            v.finite(x0, "x0")
        self.x0 = x0.astype(np.complex128)

    def fourier_projection(self, x):
        """P_M: keep the phase of dft2(x), impose the measured magnitudes."""
        spectrum = ops.dft2(x)
        modulus = np.abs(spectrum)
        phase = np.divide(spectrum, modulus, out=np.ones_like(spectrum), where=modulus > 0)
        return ops.idft2(self.magnitudes * phase)

    def support_projection(self, x):
        """P_S: zero outside the support; real part clipped at 0 when non-negative."""
        if self.nonnegative:
            return np.where(self.support, np.maximum(x.real, 0.0), 0.0).astype(np.complex128)
        return np.where(self.support, x, 0.0)

    def satisfies(self, y):
        """Where y meets the object constraints (for HIO's update)."""
        if self.nonnegative:
            return self.support & (y.real >= 0)
        return self.support

    def error(self, x):
        """|| |dft2(x)| - |F| || / || |F| ||."""
        return float(np.linalg.norm(np.abs(ops.dft2(x)) - self.magnitudes) / self.norm)

    def output(self, x):
        return x.real.copy() if self.nonnegative else x


def _run(problem, update, estimate, iters, callback, name):
    iters = c.positive_int(iters, "iters")
    user_callback = c.callback(callback)
    x = problem.x0
    history = [problem.error(estimate(x))]
    message = f"{name}: done {iters} iterations"
    nit = 0
    for step in range(1, iters + 1):
        x = update(x)
        x_hat = estimate(x)
        cost = problem.error(x_hat)
        history.append(cost)
        nit = step
        if user_callback is not None and user_callback(step, problem.output(x_hat), cost):
            message = f"{name}: stopped by the callback at iteration {step}"
            break
    x_hat = estimate(x)
    return OptimizeResult(x=problem.output(x_hat), fun=history[-1], nit=nit,
                          nfev=2 * nit + 1, history=np.asarray(history), message=message,
                          success=True)


_PARAMETERS = """
    Parameters
    ----------
    magnitudes : array_like, (n, m), float32 or float64
        Measured Fourier moduli ``|np.fft.fft2(x_true)|`` (non-negative, not all zero).
    support : array_like, (n, m), bool or 0/1
        The object-domain support: the object is zero outside it.
    iters : int
        Number of iterations (default 200).{extra}
    nonnegative : bool
        Also constrain the object to be real and non-negative (default False).
    x0 : array_like, (n, m), optional
        Starting object (real or complex). Default: the magnitudes with uniformly random
        phases (from ``seed``), inverse transformed and projected on the constraints.
    seed : int or None
        Seed of the random start (default 0).
    callback : callable, optional
        ``callback(iteration, x_hat, error)`` after each iteration with the current object
        estimate and its relative Fourier-magnitude error. Returning True stops the run.

    Returns
    -------
    OptimizeResult
        ``x`` (complex128, or float64 when ``nonnegative``), ``fun`` (its relative
        Fourier-magnitude error), ``nit``, ``nfev`` (FFT pairs), ``history`` (the error of the
        start and after each iteration).
"""

_EXAMPLE = """
    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> x_true = np.zeros((16, 16)); x_true[6:10, 5:11] = np.arange(24).reshape(4, 6) % 5 + 1
    >>> support = x_true > 0
    >>> result = pg.optimize.{name}(np.abs(np.fft.fft2(x_true)), support, iters=50,
    ...                             nonnegative=True)
    >>> bool(result.fun < 0.5 * result.history[0])
    True
"""

_BETA = """
    beta : float
        The {what} parameter, in (0, 1] (default {default})."""


def _sections(extra=""):
    """The Parameters, Returns and Examples sections of the three algorithms."""
    return _PARAMETERS.format(extra=extra) + _EXAMPLE


@amend(append=_sections())
@single_threaded_blas()
def error_reduction(magnitudes, support, iters=200, nonnegative=False, x0=None, seed=0,
                    callback=None):
    """Error reduction (Gerchberg-Saxton for Fourier phase retrieval): ``x <- P_S(P_M(x))``.

    The error never increases (Fienup 1982) but the iteration stagnates easily; it is often
    run for a few iterations after HIO or RAAR to polish their estimate.
    """
    problem = _Problem(magnitudes, support, nonnegative, x0, seed)
    problem.x0 = problem.support_projection(problem.x0)
    update = lambda x: problem.support_projection(problem.fourier_projection(x))
    return _run(problem, update, lambda x: x, iters, callback, "error reduction")


gerchberg_saxton = error_reduction


@amend(append=_sections(_BETA.format(what="feedback", default=0.9)))
@single_threaded_blas()
def hio(magnitudes, support, iters=200, beta=0.9, nonnegative=False, x0=None, seed=0,
        callback=None):
    """Fienup's hybrid input-output: ``x <- y`` where ``y = P_M(x)`` meets the constraints,
    ``x - beta y`` elsewhere. Escapes the stagnation of error reduction; the estimate
    reported is ``P_S(P_M(x))``."""
    beta = c.real_number(beta, "beta", low=0.0, high=1.0, low_open=True)
    problem = _Problem(magnitudes, support, nonnegative, x0, seed)

    def update(x):
        y = problem.fourier_projection(x)
        return np.where(problem.satisfies(y), y, x - beta * y)

    estimate = lambda x: problem.support_projection(problem.fourier_projection(x))
    return _run(problem, update, estimate, iters, callback, "HIO")


@amend(append=_sections(_BETA.format(what="relaxation", default=0.99)))
@single_threaded_blas()
def raar(magnitudes, support, iters=200, beta=0.99, nonnegative=False, x0=None, seed=0,
         callback=None):
    """Luke's relaxed averaged alternating reflections:
    ``x <- beta/2 (R_S R_M + I) x + (1 - beta) P_M x`` with reflections ``R = 2P - I``; the
    estimate reported is ``P_S(P_M(x))``. Luke recommends beta in [0.75, 0.99]; the default
    0.99 is the value that recovered the test objects (12x12 in 32x32, five random starts)
    in 300 iterations, where 0.75-0.9 stagnated near a 3% Fourier error like error
    reduction."""
    beta = c.real_number(beta, "beta", low=0.0, high=1.0, low_open=True)
    problem = _Problem(magnitudes, support, nonnegative, x0, seed)

    def update(x):
        y = problem.fourier_projection(x)
        return beta * (x + problem.support_projection(2.0 * y - x) - y) + (1.0 - beta) * y

    estimate = lambda x: problem.support_projection(problem.fourier_projection(x))
    return _run(problem, update, estimate, iters, callback, "RAAR")
