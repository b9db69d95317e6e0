"""The phase-retrieval model of Jurling & Fienup (2014), Eq. (3)-(7) and (98)-(101).

``PhaseRetrieval`` holds the validated configuration (pupil, basis, data, diversity planes,
wavelengths, binning, weights, detector) and hands the computation to a backend:
``"fused"`` (the default) runs it as fused C++/OpenMP/FFTW kernels (``fused_pr.py``);
``"reference"`` composes it from ``phasegrad.reference`` ops, forward then reverse
(``reference_pr.py``), and is the specification the fused backend is tested against.
"""

from __future__ import annotations

import numpy as np

from ..arguments import least_squares as lsq
from ..arguments import validate as v
from . import fisher as fi
from .fused_pr import FusedPhaseRetrieval
from .reference_pr import ReferencePhaseRetrieval

_BACKENDS = ("fused", "reference")
_DETECTORS = ("linear", "quadratic")
# The largest padded grid N: an N x N complex128 field of 2^62 bytes; sizes beyond would wrap
# around in the kernels' size_t arithmetic (an allocation that large fails anyway).
_MAX_GRID = 2**29


def _real_numbers(values, name, count=None, what="a non-empty sequence of real numbers"):
    """``values`` (a number or a 1-D sequence) as a tuple of finite Python floats.

    ``TypeError`` for anything but real numbers (bools and complex included), ``ValueError``
    for a ragged or nested sequence, the wrong count (``count``) or a non-finite value.
    """
    try:
        arr = np.atleast_1d(np.asarray(values))
    except ValueError:
        raise ValueError(f"{name} must be {what}; got {values!r}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be {what}; got {values!r}")
    if arr.ndim != 1 or arr.size == 0 or (count is not None and arr.size != count):
        raise ValueError(f"{name} must be {what}; got {values!r}")
    return tuple(v.scalar(value, name, allow_complex=False) for value in arr)


class PhaseRetrieval:
    """Phase retrieval by nonlinear optimisation: error metric, model images and gradients.

    The forward model (docs/design.md's conventions; Jurling & Fienup Eq. 99): for diversity plane
    ``P`` and wavelength ``lam``::

        W      = sum_k a_k Z_k                         (or W = a, a point-by-point map)
        theta  = 2 pi / lam * (W + Phi_P)              (Phi_P: the plane's known diversity)
        g      = A * exp(i theta), zero-padded to N = pad * n (top-left)
        G      = fftshift(fft2(g))                     at lam == wavelength (zero frequency at
                                                       pixel (N//2, N//2)); at another lam an
                                                       MFT with the frequency axis scaled by
                                                       wavelength / lam, on the same pixels
        I      = sum_lam s_lam |G_lam|^2
        I_b    = bin(I, bin)                           (sum of bin x bin pixels)
        M      = I_b  or  a I_b^2 + b I_b + c          (detector="linear" / "quadratic")
        E      = sum w (M - D)^2

    Parameters
    ----------
    amplitude : array_like, (n, n), real
        Pupil amplitude A.
    basis : array_like, (K, n, n), real, or None
        Wavefront modes Z_k in OPD units (e.g. ``zernike_basis``). ``None``: the parameters are
        the (n, n) wavefront map itself (point-by-point phase retrieval).
    data : array_like, (M, M) or (P, M, M), float32 or float64
        Measured images D, one per diversity plane, with ``M = pad * n / bin``. Its dtype sets
        the model's precision: amplitude, basis, diversity and weights are converted to it
        once, here, and parameters at every call.
    wavelength : float
        The reference wavelength (same units as ``wavelengths``; W is in OPD units of it).
    pad : int or float
        Padding factor Q: the FFT grid is N = pad * n pixels (must be an integer >= n).
    weights : array_like or None
        Non-negative weights w, shaped like ``data`` or (M, M) for every plane. Default 1.
    detector : {"linear", "quadratic"}
        ``"quadratic"`` adds the detector response M = a I^2 + b I + c with parameters
        p = (a, b, c) estimated together with the wavefront (Eq. 98-101).
    diversity : array_like, (P, n, n) or (n, n), or None
        The known phase of each plane in OPD units (e.g. multiples of a defocus mode).
        Required when ``data`` has several planes.
    wavelengths : sequence of float or None
        Wavelengths of broadband light (default: ``[wavelength]``).
    spectral_weights : sequence of float or None
        Weight s of each wavelength (default: equal weights summing to 1).
    bin : int
        Detector pixel binning factor (undersampled data; Eq. 87-90).
    backend : {"fused", "reference"}
        ``"fused"`` (default): C++ kernels that compute E and every gradient in a few passes
        over memory around a pruned FFT pair (the all-zero rows of the padded pupil and the
        columns the crop discards are never transformed), skipping pixels where the
        amplitude is zero; wavelengths other than ``wavelength`` use an MFT through SciPy's
        BLAS. The model keeps its work buffers and FFTW plans (about 1.25 complex N x N
        buffers per wavelength) and runs on ``phasegrad.get_num_threads()`` threads; one
        model serialises concurrent calls. ``"reference"``: the same model composed from
        NumPy reference ops (the specification; slower).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> A = pg.circular_pupil(32)
    >>> Z = pg.zernike_basis(6, 32, first=2)
    >>> truth = pg.PhaseRetrieval(amplitude=A, basis=Z, data=np.zeros((64, 64)))
    >>> D = truth.simulate(np.full(6, 0.05))
    >>> m = pg.PhaseRetrieval(amplitude=A, basis=Z, data=D)
    >>> E, a_bar = m.value_and_grad(np.zeros(6))
    >>> a_bar.shape
    (6,)
    """

    def __init__(self, amplitude, basis, data, wavelength=1.0, pad=2, weights=None,
                 detector="linear", diversity=None, wavelengths=None, spectral_weights=None,
                 bin=1, backend="fused"):
        v.one_of(backend, "backend", _BACKENDS)
        self.detector = v.one_of(detector, "detector", _DETECTORS)
        data = v.array(data, "data", kind="real", min_ndim=2)
        if data.ndim > 3:
            raise ValueError(f"data must have shape (M, M) or (P, M, M); got {data.shape}")
        v.finite(data, "data")
        self.dtype = data.dtype
        self._data_was_2d = data.ndim == 2
        # C order whatever the caller's layout (a transposed or sliced view included): the
        # fused kernels read it in place.
        data = np.ascontiguousarray(data)
        self.data = data.reshape((1,) + data.shape) if data.ndim == 2 else data
        n_planes, rows, cols = self.data.shape

        v.float32_scale(self.data, "data")
        self.amplitude = self._real_const(amplitude, "amplitude", ndim=2)
        # The brightest pixel an amplitude can make is (sum A)^2 (all its light in one).
        v.float32_scale(np.float32(np.sum(np.abs(self.amplitude.astype(np.float64))) ** 2)
                        if self.dtype == np.float32 else self.amplitude, "amplitude",
                        "brightest possible pixel, (sum |A|)^2, would")
        n = self.amplitude.shape[0]
        if self.amplitude.shape != (n, n) or n < 2:
            raise ValueError(f"amplitude must be square (n, n) with n >= 2; got "
                             f"{self.amplitude.shape}")
        if not np.any(self.amplitude):
            raise ValueError("amplitude must not be all zero (there would be no light)")
        self.n = n

        if basis is None:
            self.basis = None
        else:
            self.basis = self._real_const(basis, "basis", ndim=3)
            if self.basis.shape[1:] != (n, n):
                raise ValueError(f"basis must have shape (K, {n}, {n}) to match amplitude; got "
                                 f"{self.basis.shape}")

        self.wavelength = v.scalar(wavelength, "wavelength", allow_complex=False)
        if self.wavelength <= 0:
            raise ValueError(f"wavelength must be positive; got {wavelength!r}")
        pad_value = v.scalar(pad, "pad", allow_complex=False)
        grid = pad_value * n
        if pad_value < 1 or not np.isfinite(grid) or abs(grid - round(grid)) > 1e-9:
            raise ValueError(f"pad must be >= 1 with pad * n an integer (n = {n}); got {pad!r}")
        self.pad = pad_value
        self.grid = int(round(grid))
        if self.grid > _MAX_GRID:
            raise ValueError(f"pad * n = {self.grid} is too large a grid: its N x N complex "
                             f"field alone would take {16 * self.grid**2 / 2**30:.3g} GiB (at "
                             f"most N = {_MAX_GRID})")
        self.bin = v.positive_int(bin, "bin")
        if self.grid % self.bin:
            raise ValueError(f"bin ({self.bin}) must divide the padded grid N = pad * n = "
                             f"{self.grid}")
        size = self.grid // self.bin
        if (rows, cols) != (size, size):
            raise ValueError(f"data must have shape (..., {size}, {size}) = pad * n / bin with "
                             f"n = {n}, pad = {pad!r}, bin = {self.bin}; got {data.shape}")

        self.diversity = self._diversity(diversity, n_planes)
        self.wavelengths, self.spectral_weights = self._spectrum(wavelengths, spectral_weights)
        self.weights = self._weights(weights)
        self.backend = backend
        self._impl = FusedPhaseRetrieval(self) if backend == "fused" else \
            ReferencePhaseRetrieval(self)

    # -- configuration checks ------------------------------------------------------------
    def _real_const(self, x, name, ndim):
        arr = v.array(x, name, kind="real")
        if arr.ndim != ndim:
            raise ValueError(f"{name} must have {ndim} axes; got shape {arr.shape}")
        v.finite(arr, name)
        return v.cast(arr, self.dtype, name)

    def _diversity(self, diversity, n_planes):
        n = self.n
        if diversity is None:
            if n_planes > 1:
                raise ValueError(f"data has {n_planes} planes: give diversity, the known phase "
                                 "of each plane, shaped (P, n, n)")
            return None
        arr = v.array(diversity, "diversity", kind="real", min_ndim=2)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[1:] != (n, n):
            raise ValueError(f"diversity must have shape (P, {n}, {n}) or ({n}, {n}); got "
                             f"{np.shape(diversity)}")
        if arr.shape[0] != n_planes:
            raise ValueError(f"diversity has {arr.shape[0]} planes but data has {n_planes}")
        v.finite(arr, "diversity")
        return v.cast(arr, self.dtype, "diversity")

    def _spectrum(self, wavelengths, spectral_weights):
        if wavelengths is None:
            if spectral_weights is not None:
                raise ValueError("spectral_weights needs wavelengths")
            return (self.wavelength,), (1.0,)
        lams = _real_numbers(wavelengths, "wavelengths")
        if min(lams) <= 0:
            raise ValueError(f"wavelengths must be positive; got {wavelengths!r}")
        if spectral_weights is None:
            return lams, (1.0 / len(lams),) * len(lams)
        weights = _real_numbers(spectral_weights, "spectral_weights", count=len(lams),
                                what=f"one real number per wavelength ({len(lams)})")
        if min(weights) < 0:
            raise ValueError("spectral_weights must be non-negative")
        if max(weights) == 0:
            raise ValueError("spectral_weights must not all be zero (there would be no light)")
        return lams, weights

    def _weights(self, weights):
        if weights is None:
            return None
        w = v.array(weights, "weights", kind="real", min_ndim=2)
        if w.shape not in (self.data.shape, self.data.shape[1:], self._data_shape):
            planes = "" if self._data_was_2d else f" or {self.data.shape[1:]} for every plane"
            raise ValueError(f"weights must have the shape of data {self._data_shape}{planes}; "
                             f"got {w.shape}")
        v.finite(w, "weights")
        if np.any(w < 0):
            raise ValueError("weights must be non-negative")
        if not np.any(w):
            raise ValueError("weights must not all be zero (E would be 0 for every parameter)")
        return np.ascontiguousarray(np.broadcast_to(v.cast(w, self.dtype, "weights"),
                                                    self.data.shape))

    @property
    def _data_shape(self):
        return self.data.shape[1:] if self._data_was_2d else self.data.shape

    # -- parameters ------------------------------------------------------------------------
    @property
    def coefficient_shape(self):
        """Shape of the wavefront parameters ``a``: (K,) with a basis, (n, n) without."""
        return (self.basis.shape[0],) if self.basis is not None else (self.n, self.n)

    @property
    def n_params(self):
        """Length of the flat parameter vector of ``fun_and_jac`` (``a``, then ``p``)."""
        return int(np.prod(self.coefficient_shape)) + (3 if self.detector == "quadratic" else 0)

    def _coefficients(self, a):
        a = v.array(a, "a", kind="real")
        if a.shape != self.coefficient_shape:
            what = "one per basis mode" if self.basis is not None else "the (n, n) wavefront map"
            raise ValueError(f"a must have shape {self.coefficient_shape} ({what}); got "
                             f"{a.shape}")
        v.finite(a, "a")
        return v.cast(a, self.dtype, "a")

    def _detector_params(self, p):
        if self.detector == "linear":
            if p is not None:
                raise ValueError("p is only used with detector='quadratic'; this model's "
                                 "detector is linear")
            return None
        if p is None:
            raise ValueError("p = (a, b, c), the detector parameters, is required with "
                             "detector='quadratic'")
        return _real_numbers(p, "p", count=3, what="three numbers (a, b, c)")

    def pack(self, a, p=None):
        """The flat float64 vector ``[a.ravel(), p]`` used by ``fun_and_jac``."""
        a = np.asarray(a, dtype=np.float64)
        if a.shape != self.coefficient_shape:
            raise ValueError(f"a must have shape {self.coefficient_shape}; got {a.shape}")
        parts = [a.ravel()]
        if self.detector == "quadratic":
            parts.append(np.asarray(self._detector_params(p), dtype=np.float64))
        return np.concatenate(parts)

    def unpack(self, x):
        """Split a flat vector into ``(a,)`` or ``(a, p)`` (the inverse of ``pack``)."""
        x = v.array(x, "x", kind="real")
        if x.shape != (self.n_params,):
            raise ValueError(f"x must be a flat vector of {self.n_params} parameters; got "
                             f"shape {x.shape}")
        v.finite(x, "x")
        k = int(np.prod(self.coefficient_shape))
        a = x[:k].reshape(self.coefficient_shape)
        return (a, x[k:]) if self.detector == "quadratic" else (a,)

    # -- the computations ------------------------------------------------------------------
    def value_and_grad(self, a, p=None):
        """Error metric E and its gradients.

        Returns ``(E, a_bar)`` with a linear detector and ``(E, a_bar, p_bar)`` with the
        quadratic one, where ``a_bar = dE/da`` (shaped like ``a``, in the model's precision)
        and ``p_bar = (dE/da, dE/db, dE/dc)`` of the detector (float64, Eq. 101). E is a
        Python float accumulated in double.
        """
        a = self._coefficients(a)
        params = self._detector_params(p)
        energy, a_bar, p_bar = self._impl.value_and_grad(a, params)
        if self.detector == "quadratic":
            return energy, a_bar, np.asarray(p_bar, dtype=np.float64)
        return energy, a_bar

    def simulate(self, a, p=None):
        """The model images M (after binning and the detector), shaped like ``data``."""
        a = self._coefficients(a)
        model = self._impl.simulate(a, self._detector_params(p))
        return model.reshape(self._data_shape)

    def fun_and_jac(self, x):
        """E and its gradient for a flat float64 parameter vector (see ``pack``).

        For ``scipy.optimize.minimize(m.fun_and_jac, x0, jac=True)``; both results are float64
        whatever the model's precision.
        """
        parts = self.unpack(x)
        result = self.value_and_grad(*parts)
        grads = [np.asarray(g, dtype=np.float64).ravel() for g in result[1:]]
        return float(result[0]), np.concatenate(grads)

    # -- the least-squares view -------------------------------------------------------------
    @property
    def n_residuals(self):
        """Number of residuals R = P M^2 (one per detector pixel of every plane)."""
        return int(np.prod(self.data.shape))

    def _split(self, x, name="x"):
        """A flat parameter vector as ``(a, p)``: ``a`` in the model's precision and shape,
        ``p`` a tuple of three floats or None."""
        x = lsq.flat_vector(x, name, self.n_params, "parameters (see pack)")
        k = int(np.prod(self.coefficient_shape))
        a = v.cast(x[:k].reshape(self.coefficient_shape), self.dtype, name)
        p = tuple(float(value) for value in x[k:]) if self.detector == "quadratic" else None
        return a, p

    def _join(self, a_part, p_part):
        """The flat float64 vector ``[a_part.ravel(), p_part]``."""
        parts = [np.asarray(a_part, dtype=np.float64).ravel()]
        if self.detector == "quadratic":
            parts.append(np.asarray(p_part, dtype=np.float64))
        return np.concatenate(parts)

    def residuals(self, x):
        """The residuals ``r = sqrt(w) (M - D)``, flat float64 over (P, M, M): ``E = |r|^2``.

        ``x`` is the flat parameter vector of ``fun_and_jac`` (``pack(a, p)``). With the
        residuals, ``scipy.optimize.least_squares(m.residuals, x0, jac=m.jacobian)`` solves
        the retrieval as a least-squares problem.
        """
        a, p = self._split(x)
        return self._impl.residuals(a, p)

    def jvp(self, x, v):
        """``J v``: the residuals' directional derivative along ``v`` (forward mode).

        ``J = dr/dx`` is (R, n_params); ``v`` a flat vector of ``n_params`` values. One pass:
        the primal field of each plane and one more pruned forward transform for the tangent.
        Returns a flat float64 vector of ``n_residuals`` values.
        """
        a, p = self._split(x)
        a_dot, p_dot = self._split(v, "v")
        return self._impl.jvp(a, p, a_dot, p_dot)

    def vjp(self, x, u):
        """``J^T u`` for a cotangent ``u`` of the residuals (reverse mode), flat float64.

        ``fun_and_jac``'s gradient is ``2 vjp(x, residuals(x))``.
        """
        a, p = self._split(x)
        u = lsq.flat_vector(u, "u", self.n_residuals, "values, one per residual")
        a_bar, p_bar = self._impl.vjp(a, p, u)
        return self._join(a_bar, p_bar)

    def jacobian(self, x):
        """The dense Jacobian ``J = dr/dx``, (n_residuals, n_params) float64.

        The fused backend transforms each plane's primal field once and each parameter's
        tangent field once (a pruned forward transform per column, columns in parallel on
        ``phasegrad.get_num_threads()`` threads); the result is a Fortran-ordered array.
        Refused (``ValueError``) when it would take more than 2 GiB: use ``jvp``, ``vjp`` or
        ``gauss_newton_product`` then.
        """
        lsq.dense_size(self.n_residuals, self.n_params, "Jacobian",
                       "jvp/vjp or gauss_newton_product")
        a, p = self._split(x)
        return self._impl.jacobian_planes(a, p, 0, self.data.shape[0]).T

    def _plane_jacobians(self, a, p):
        """The transposed Jacobian of each plane in turn: (n_params, M^2) float64 blocks."""
        for plane in range(self.data.shape[0]):
            yield plane, self._impl.jacobian_planes(a, p, plane, plane + 1)

    def gauss_newton(self, x):
        """``(J^T J, J^T r)``: the Gauss-Newton matrix and the half-gradient, float64.

        Accumulated plane by plane (only one plane's Jacobian is held at a time), in double.
        ``J^T r`` is half of ``fun_and_jac``'s gradient.
        """
        k = self.n_params
        lsq.dense_size(k, k, "Gauss-Newton matrix", "gauss_newton_product")
        lsq.dense_size(k, self.data.shape[1] * self.data.shape[2], "Jacobian of one plane",
                       "gauss_newton_product")
        a, p = self._split(x)
        r = self._impl.residuals(a, p).reshape(self.data.shape[0], -1)
        jtj = np.zeros((k, k))
        jtr = np.zeros(k)
        for plane, block in self._plane_jacobians(a, p):
            jtj += block @ block.T
            jtr += block @ r[plane]
        return jtj, jtr

    def gauss_newton_product(self, x, v):
        """``J^T J v``, matrix-free: per plane the primal, one tangent and one adjoint
        transform (the fused backend does it in one call). Flat float64."""
        a, p = self._split(x)
        a_dot, p_dot = self._split(v, "v")
        a_out, p_out = self._impl.gauss_newton_product(a, p, a_dot, p_dot)
        return self._join(a_out, p_out)

    def fisher(self, x, noise="poisson", read_noise=0.0):
        """The Fisher information matrix of the parameters for data of the given noise.

        The model images ``M`` are the expected data; the information in pixel ``i`` is
        ``(dM_i/dx)(dM_i/dx)^T / var_i`` with

        - ``noise="poisson"``: ``var = M + read_noise^2`` (shot noise, ``M`` in photons or
          detected electrons, plus Gaussian read noise in the same units; the usual
          approximation of a Poisson-Gaussian pixel);
        - ``noise="gaussian"``: ``var = read_noise^2`` (``read_noise > 0``, a number or an
          array shaped like ``data``).

        Pixels of zero weight are masked: they carry no information. The data's units must
        be those of the noise (scale counts to photons first). Returns (n_params, n_params)
        float64; its inverse bounds the covariance of any unbiased estimate (Cramer-Rao, see
        ``cramer_rao``).
        """
        k = self.n_params
        lsq.dense_size(k, k, "Fisher matrix", "jvp/vjp products")
        lsq.dense_size(k, self.data.shape[1] * self.data.shape[2], "Jacobian of one plane",
                       "jvp/vjp products")
        a, p = self._split(x)
        used = None if self.weights is None else self.weights > 0
        variance = fi.pixel_variance(self.simulate(a, p).reshape(self.data.shape), noise,
                                     read_noise, self._data_shape, used)
        root_w = None if self.weights is None else np.sqrt(self.weights.astype(np.float64))

        def blocks():  # one plane's Jacobian at a time
            for plane, block in self._plane_jacobians(a, p):
                if root_w is None:
                    yield block, 1.0 / variance[plane].ravel()
                    continue
                # J of the residuals is sqrt(w) dM/dx: undo it where w > 0, mask w == 0.
                rw = root_w[plane].ravel()
                denominator = rw * rw * variance[plane].ravel()
                yield block, np.divide(1.0, denominator, out=np.zeros_like(rw),
                                       where=rw > 0)

        return fi.information(blocks(), k)

    def cramer_rao(self, x, noise="poisson", read_noise=0.0):
        """The Cramer-Rao lower bound on each parameter's standard deviation.

        ``sqrt(diag(F^-1))`` of ``fisher(x, noise, read_noise)``, flat float64 of
        ``n_params`` values; ``inf`` for a parameter the data cannot determine (a direction
        in which F is singular, as piston's), and ``inf`` or a bound many orders of magnitude
        above the others where the information left is rounding (the even modes at a flat
        wavefront seen in one in-focus image). Discrete ambiguities (the even modes' sign)
        are not visible in F.
        """
        return fi.standard_deviations(self.fisher(x, noise, read_noise))

    def wavefront(self, a):
        """The wavefront W (OPD units, (n, n)) for parameters ``a``."""
        a = self._coefficients(a)
        if self.basis is None:
            return a.copy()
        return np.tensordot(a, self.basis, axes=1)

    def __repr__(self):
        modes = "point-by-point" if self.basis is None else f"{self.basis.shape[0]} modes"
        return (f"PhaseRetrieval(n={self.n}, {modes}, planes={self.data.shape[0]}, "
                f"grid={self.grid}, bin={self.bin}, wavelengths={len(self.wavelengths)}, "
                f"detector={self.detector!r}, dtype={self.dtype}, backend={self.backend!r})")
