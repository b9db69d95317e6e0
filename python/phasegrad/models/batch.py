"""Many phase-retrieval problems at once: ``PhaseRetrievalBatch`` (issue 13).

B independent problems share the geometry and every option of ``PhaseRetrieval`` (pupil, basis,
diversity planes, wavelengths, binning, detector, metric, scene, nuisance blocks) but not their
data, and optionally not their weights. Each method takes the parameters of all problems as a
(B, n_params) float64 array and returns per-problem results; ``active=`` (bool (B,)) leaves the
masked problems out (they cost nothing; their rows of the results are 0 or NaN, see below).

Two paths (chosen once, at construction):

- native (every ``backend="fused"`` configuration): one C++ call over the B problems on the
  schedule of ``cpp/include/phasegrad/models/batch_run.hpp``: with more than one thread
  (``phasegrad.get_num_threads()``), OpenMP across the problems with one engine (a single
  model's work buffers) per thread, pointed at problem b's data and weights for each problem,
  at every grid size (measured faster than threads inside the transforms: docs/batch.md);
  with one thread the problems in turn. The point-source configurations (no object,
  transfer, flux/background/amplitude, the ``sse`` metric on the full binned grid; any pupil,
  basis or map, planes, wavelengths, binning and detector) run on ``FusedPhaseRetrieval``
  engines (``FusedPhaseRetrievalBatch``, whose ``gauss_newton`` is native too); every other
  option on ``FusedImaging`` engines (``FusedImagingBatch``; the blocks of all problems as
  ``phasegrad.models.batch_blocks`` stacks them).
- a loop over single ``PhaseRetrieval`` models (the reference backend; and ``vjp``, and
  ``gauss_newton`` with a free amplitude block): the same results, one Python call per problem;
  the single models are made at their first use and kept (each holds its own work buffers).

Either way problem b's results equal ``problem(b)``'s: bit for bit on the loop, and on the
native path wherever the single model runs on one thread (one thread, or padded grids below
256 x 256, where the single model never threads); from N = 256 on with several threads the
single model splits its sums among threads and the results agree to rounding (1e-12). The
native ``gauss_newton`` sums J^T J in its own order: to rounding (1e-12).
"""

from __future__ import annotations

import numpy as np

from ..arguments import least_squares as lsq
from ..arguments import validate as v
from ..config import get_num_threads
from ..native import core
from . import batch_blocks
from .fused_pr import OBJECT_KINDS, is_point_source
from .imaging_options import poisson_shift
from .phase_retrieval import PhaseRetrieval

__all__ = ["PhaseRetrievalBatch"]


def _batch_weights(weights, data):
    """``(per_problem, weights)``: weights of data's full (B, ...) shape are per problem;
    anything else (None included) is shared and checked by the single model."""
    if weights is None:
        return False, None
    shape = np.shape(weights)
    if len(shape) == data.ndim and shape[0] == data.shape[0] and shape[1:] == data.shape[1:]:
        w = v.array(weights, "weights", kind="real")
        return True, w
    if len(shape) >= data.ndim:
        raise ValueError(f"weights must be shared (the shape of one problem's data "
                         f"{data.shape[1:]}, or of one plane) or per problem (the shape of "
                         f"data {data.shape}); got {shape}")
    return False, weights


class PhaseRetrievalBatch:
    """B independent phase-retrieval problems that share every option but the data.

    Parameters
    ----------
    amplitude, basis
        As ``PhaseRetrieval``'s (shared by every problem).
    data : array_like, (B, M, M) or (B, P, M, M), float32 or float64
        The measured images of each problem (B >= 1): problem b's are ``data[b]``.
    weights : array_like or None
        Shared (the shape ``PhaseRetrieval`` takes for one problem's data: (M, M) or
        (P, M, M)) or per problem (the shape of ``data``).
    **options
        Every other option of ``PhaseRetrieval`` (``wavelength``, ``pad``, ``detector``,
        ``diversity``, ``wavelengths``, ``spectral_weights``, ``bin``, ``backend``,
        ``object``, ``metric``, ``read_noise``, ``fit``, ``flux``, ``background``, ``shift``,
        ``jitter``, ``amplitude_basis``), shared by every problem.

    Notes
    -----
    Every ``backend="fused"`` configuration runs as one C++ call over the problems (the
    point-source model on ``FusedPhaseRetrieval`` engines, every imaging option on
    ``FusedImaging`` engines); the reference backend runs as a loop over the single models
    (``problem(b)``): correct, one Python call per problem. ``native`` says which path a batch
    takes.

    Problem b's results equal ``problem(b)``'s bit for bit (to rounding on the native path
    at N = pad * n >= 256 with several threads: the single model's sums are split among its
    threads there).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> A = pg.circular_pupil(16)
    >>> Z = pg.zernike_basis(5, 16, first=2)
    >>> truth = pg.PhaseRetrieval(amplitude=A, basis=Z, data=np.zeros((32, 32)))
    >>> X = np.random.default_rng(1).normal(0, 0.05, (3, 5))
    >>> D = np.stack([truth.simulate(x) for x in X])
    >>> batch = pg.PhaseRetrievalBatch(amplitude=A, basis=Z, data=D)
    >>> costs, grads = batch.value_and_grad(np.zeros((3, 5)))
    >>> costs.shape, grads.shape
    ((3,), (3, 5))
    """

    #: The optimizers solve a batch's problems in lockstep (``phasegrad.optimize.batch``).
    is_batch = True

    def __init__(self, amplitude, basis, data, weights=None, **options):
        if "backend" in options:
            v.one_of(options["backend"], "backend", ("fused", "reference"))
        data = v.array(data, "data", kind="real", min_ndim=3)
        if data.ndim > 4:
            raise ValueError(f"data must have shape (B, M, M) or (B, P, M, M); got "
                             f"{data.shape}")
        if data.shape[0] == 0:
            raise ValueError(f"data must hold at least one problem (B >= 1); got shape "
                             f"{data.shape}")
        v.finite(data, "data")
        self.size = data.shape[0]
        per_problem, w = _batch_weights(weights, data)
        self._per_problem_weights = per_problem
        self._amplitude, self._basis, self._options = amplitude, basis, dict(options)
        # The template: every option checked once, here, on problem 0.
        self._template = PhaseRetrieval(amplitude, basis, data[0],
                                        weights=w[0] if per_problem else w, **options)
        t = self._template
        self.dtype = t.dtype
        self.data = np.ascontiguousarray(v.cast(data, self.dtype, "data"))
        for b in range(1, self.size):  # problem 0's range was checked by the template
            v.float32_scale(self.data[b], f"data[{b}]")
        if per_problem:
            v.finite(w, "weights")
            if np.any(w < 0):
                raise ValueError("weights must be non-negative")
            w = np.ascontiguousarray(v.cast(w, self.dtype, "weights"))
            for b in range(self.size):
                if not np.any(w[b]):
                    raise ValueError(f"weights of problem {b} must not all be zero (its E "
                                     "would be 0 for every parameter)")
        self.weights = w
        self._models = {0: t}
        self._native = None
        self._imaging = None
        if t.backend == "fused":
            if t.fixed_flux is None and t.fixed_background is None and is_point_source(t):
                self._native = self._make_native()
            else:
                self._imaging = self._make_imaging()

    def _make_native(self):
        t = self._template
        kind = core.FusedPhaseRetrievalBatch64 if self.dtype == np.float64 else \
            core.FusedPhaseRetrievalBatch32
        planes = t.data.shape
        data = self.data.reshape((self.size,) + planes)
        if self._per_problem_weights:
            weights = self.weights.reshape((self.size,) + planes)
        else:
            weights = t.weights  # (P, M, M) or None, shared
        return kind(t.amplitude, t.basis, t.diversity, data, weights, t.grid, t.bin,
                    t.wavelength, list(t.wavelengths), list(t.band_weights))

    def _make_imaging(self):
        """The native imaging batch: the single fused model's general path
        (``FusedImaging``) over every problem, each with its own data, weights and Poisson
        shift (which depends on the data: ``1e-9`` of its brightest count)."""
        t = self._template
        kind = core.FusedImagingBatch64 if self.dtype == np.float64 else \
            core.FusedImagingBatch32
        planes = t.data.shape
        data = self.data.reshape((self.size,) + planes)
        if self._per_problem_weights:
            weights = self.weights.reshape((self.size,) + planes)
        else:
            weights = t.weights
        shifts = [t.poisson_shift] * self.size
        if t.metric == "poisson":
            shifts = [poisson_shift(t.read_noise, d) for d in data]
        return kind(t.amplitude, t.basis, t.diversity, data, weights, t.grid, t.bin,
                    t.wavelength, list(t.wavelengths), list(t.band_weights), t.window_offset,
                    t.metric, [float(np.sqrt(s)) for s in shifts],
                    OBJECT_KINDS[t.object_kind], int(t.object_size or 0), int(t.n_sources),
                    bool(t.transfer), t.detector == "quadratic", list(t.free_blocks))

    # -- the configuration -------------------------------------------------------------------
    @property
    def native(self):
        """Whether the batch runs as one C++ call (True) or a loop over single models."""
        return self._native is not None or self._imaging is not None

    @property
    def parameters(self):
        """Each problem's parameter layout (``PhaseRetrieval.parameters``)."""
        return self._template.parameters

    @property
    def free_blocks(self):
        return self._template.free_blocks

    @property
    def n_params(self):
        """Parameters per problem (the columns of X)."""
        return self._template.n_params

    @property
    def n_residuals(self):
        """Residuals per problem."""
        return self._template.n_residuals

    @property
    def bounds(self):
        """``(lower, upper)`` of one problem (every problem's are the same), n_params each."""
        return self._template.bounds

    @property
    def template(self):
        """Problem 0's single model (the shared configuration)."""
        return self._template

    def pack(self, *args, **blocks):
        """One problem's flat vector (``PhaseRetrieval.pack``); stack them for X, or use
        ``pack_all``."""
        return self._template.pack(*args, **blocks)

    def pack_all(self, *args, **blocks):
        """X (B, n_params): ``pack(...)`` for every problem.

        Each argument is either one problem's value (shared by all) or a stack of B values
        (its first axis of length B and one more axis than a problem's value).
        """
        shapes = {p.name: p.shape for p in self.parameters}
        shapes["wavefront"] = self._template.coefficient_shape

        def pick(value, name, b):
            arr = None if value is None else np.asarray(value)
            if arr is not None and arr.ndim == len(shapes.get(name, ())) + 1 \
                    and arr.shape[0] == self.size:
                return arr[b]
            return value

        rows = []
        for b in range(self.size):
            positional = [pick(x, name, b) for x, name in zip(args, ("wavefront", "detector"),
                                                               strict=False)]
            keywords = {name: pick(x, name, b) for name, x in blocks.items()}
            rows.append(self._template.pack(*positional, **keywords))
        return np.stack(rows)

    def unpack(self, X):
        """A list of each problem's blocks (``PhaseRetrieval.unpack``)."""
        X = self._params(X)
        return [self._template.unpack(x) for x in X]

    def problem(self, b):
        """The single ``PhaseRetrieval`` of problem ``b`` (made at first use and kept)."""
        if isinstance(b, bool) or not isinstance(b, int | np.integer):
            raise TypeError(f"b must be an integer; got {type(b).__name__}")
        b = int(b)
        if not -self.size <= b < self.size:
            raise IndexError(f"problem {b} is out of range for a batch of {self.size}")
        b %= self.size
        if b not in self._models:
            w = self.weights[b] if self._per_problem_weights else self.weights
            self._models[b] = PhaseRetrieval(self._amplitude, self._basis, self.data[b],
                                             weights=w, **self._options)
        return self._models[b]

    # -- argument checks ---------------------------------------------------------------------
    def _params(self, X, name="X"):
        X = v.array(X, name, kind="real")
        if X.shape != (self.size, self.n_params):
            raise ValueError(f"{name} must have shape (B, n_params) = ({self.size}, "
                             f"{self.n_params}); got {X.shape}")
        v.finite(X, name)
        return np.ascontiguousarray(X, dtype=np.float64)

    def _active(self, active):
        if active is None:
            return np.ones(self.size, dtype=bool)
        arr = np.asarray(active)
        if arr.dtype != np.bool_:
            raise TypeError(f"active must be a boolean mask of B = {self.size} values; got "
                            f"dtype {arr.dtype}")
        if arr.shape != (self.size,):
            raise ValueError(f"active must have shape ({self.size},); got {arr.shape}")
        return np.ascontiguousarray(arr)

    # -- the native path's arguments -----------------------------------------------------------
    def _split(self, X):
        """The native path's (wavefront (B, ...) in the model's precision, detector (B, 3)
        float64 or None)."""
        t = self._template
        k = int(np.prod(t.coefficient_shape))
        a = np.ascontiguousarray(X[:, :k], dtype=self.dtype).reshape((self.size,) +
                                                                      t.coefficient_shape)
        p = np.ascontiguousarray(X[:, k:k + 3]) if t.detector == "quadratic" else None
        return a, p

    def _join(self, a_bar, p_bar):
        grads = np.asarray(a_bar, dtype=np.float64).reshape(self.size, -1)
        if p_bar is not None:
            grads = np.concatenate([grads, np.asarray(p_bar, dtype=np.float64)], axis=1)
        return grads

    # -- the computations ------------------------------------------------------------------------
    def value_and_grad(self, X, active=None):
        """Costs E (B,) float64 and gradients (B, n_params) float64 at X (B, n_params).

        Inactive problems (``active[b]`` False) are not computed: cost NaN, gradient 0.
        """
        X = self._params(X)
        active = self._active(active)
        if self._native is not None:
            a, p = self._split(X)
            costs, a_bar, p_bar = self._native.value_and_grad(a, p, active.view(np.uint8),
                                                                 get_num_threads())
            return np.asarray(costs), self._join(a_bar, p_bar)
        if self._imaging is not None:
            costs, grads = self._imaging.value_and_grad(
                batch_blocks.stacked_blocks(self._template, X), active.view(np.uint8),
                get_num_threads())
            return np.asarray(costs), batch_blocks.flat_gradients(self._template, grads,
                                                                  self.size)
        costs = np.full(self.size, np.nan)
        grads = np.zeros((self.size, self.n_params))
        for b in np.flatnonzero(active):
            costs[b], grads[b] = self.problem(int(b)).fun_and_jac(X[b])
        return costs, grads

    def fun_and_jac(self, X, active=None):
        """``value_and_grad`` (the name the optimizers call)."""
        return self.value_and_grad(X, active)

    def simulate(self, X, active=None):
        """The model images of every problem, shaped like ``data`` ((B, M, M) or
        (B, P, M, M)) in the model's precision; inactive problems' are 0."""
        X = self._params(X)
        active = self._active(active)
        if self._native is not None:
            a, p = self._split(X)
            out = self._native.simulate(a, p, active.view(np.uint8), get_num_threads())
            return np.asarray(out).reshape(self.data.shape)
        if self._imaging is not None:
            out = self._imaging.simulate(batch_blocks.stacked_blocks(self._template, X),
                                         active.view(np.uint8), get_num_threads())
            return np.asarray(out).reshape(self.data.shape)
        out = np.zeros(self.data.shape, dtype=self.dtype)
        for b in np.flatnonzero(active):
            out[b] = self.problem(int(b)).simulate(X[b])
        return out

    def residuals(self, X, active=None):
        """The residuals of every problem, (B, n_residuals) float64 (``PhaseRetrieval.
        residuals``); inactive problems' are 0."""
        X = self._params(X)
        active = self._active(active)
        if self._native is not None:
            a, p = self._split(X)
            return np.asarray(self._native.residuals(a, p, active.view(np.uint8),
                                                          get_num_threads()))
        if self._imaging is not None:
            return np.asarray(self._imaging.residuals(
                batch_blocks.stacked_blocks(self._template, X), active.view(np.uint8),
                get_num_threads()))
        out = np.zeros((self.size, self.n_residuals))
        for b in np.flatnonzero(active):
            out[b] = self.problem(int(b)).residuals(X[b])
        return out

    def jvp(self, X, V, active=None):
        """``J v`` of every problem: (B, n_residuals) float64 for tangents V (B, n_params);
        inactive problems' are 0."""
        X = self._params(X)
        V = self._params(V, "V")
        active = self._active(active)
        if self._native is not None:
            a, p = self._split(X)
            a_dot, p_dot = self._split(V)
            return np.asarray(self._native.jvp(a, p, a_dot, p_dot, active.view(np.uint8),
                                                    get_num_threads()))
        if self._imaging is not None:
            return np.asarray(self._imaging.jvp(
                batch_blocks.stacked_blocks(self._template, X),
                batch_blocks.stacked_dots(self._template, V), active.view(np.uint8),
                get_num_threads()))
        out = np.zeros((self.size, self.n_residuals))
        for b in np.flatnonzero(active):
            out[b] = self.problem(int(b)).jvp(X[b], V[b])
        return out

    def vjp(self, X, U, active=None):
        """``J^T u`` of every problem: (B, n_params) float64 for cotangents U
        (B, n_residuals); inactive problems' are 0."""
        X = self._params(X)
        U = v.array(U, "U", kind="real")
        if U.shape != (self.size, self.n_residuals):
            raise ValueError(f"U must have shape (B, n_residuals) = ({self.size}, "
                             f"{self.n_residuals}); got {U.shape}")
        active = self._active(active)
        out = np.zeros((self.size, self.n_params))
        for b in np.flatnonzero(active):
            out[b] = self.problem(int(b)).vjp(X[b], lsq.flat_vector(U[b], "U", self.n_residuals,
                                                                    "residuals"))
        return out

    def gauss_newton(self, X, active=None):
        """``(J^T J, J^T r)`` of every problem: (B, n_params, n_params) and (B, n_params)
        float64; inactive problems' are 0.

        On the native paths one C++ call forms every problem's system (each plane's Jacobian
        into one buffer per thread, its products summed in double; equal to
        ``problem(b).gauss_newton``'s to rounding, as BLAS groups the sums differently); a free
        amplitude block (whose Jacobian rows the single model maps in Python) and the
        reference backend loop over ``problem(b).gauss_newton``.
        """
        X = self._params(X)
        active = self._active(active)
        t = self._template
        imaging = self._imaging is not None and t.amplitude_basis is None \
            and "amplitude" not in t.free_blocks
        if self._native is not None or imaging:
            k = self.n_params
            lsq.dense_size(k, k, "Gauss-Newton matrix", "jvp/vjp")
            lsq.dense_size(k, self.data.shape[-2] * self.data.shape[-1], "Jacobian of one plane",
                           "jvp/vjp")
            if imaging:
                jtj, jtr = self._imaging.gauss_newton(batch_blocks.stacked_blocks(t, X),
                                                      active.view(np.uint8), get_num_threads())
            else:
                a, p = self._split(X)
                jtj, jtr = self._native.gauss_newton(a, p, active.view(np.uint8),
                                                     get_num_threads())
            return np.asarray(jtj), np.asarray(jtr)
        k = self.n_params
        jtj = np.zeros((self.size, k, k))
        jtr = np.zeros((self.size, k))
        for b in np.flatnonzero(active):
            jtj[b], jtr[b] = self.problem(int(b)).gauss_newton(X[b])
        return jtj, jtr

    def __len__(self):
        return self.size

    def __repr__(self):
        path = "native" if self.native else "loop"
        return f"PhaseRetrievalBatch(B={self.size}, {path}, problem={self._template!r})"
