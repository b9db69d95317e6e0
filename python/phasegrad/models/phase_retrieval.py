"""The phase-retrieval model of Jurling & Fienup (2014), Eq. (3)-(7) and (98)-(101).

``PhaseRetrieval`` holds the validated configuration (pupil, basis, data, diversity planes,
wavelengths, binning, weights, detector) and hands the computation to a backend:
``"fused"`` (the default) runs it as fused C++/OpenMP/FFTW kernels (``fused_pr.py``);
``"reference"`` composes it from ``phasegrad.reference`` ops, forward then reverse
(``reference_pr.py``), and is the specification the fused backend is tested against.
"""

from __future__ import annotations

import math

import numpy as np

from ..arguments import least_squares as lsq
from ..arguments import validate as v
from ..arguments.spectrum import MAX_GRID
from . import fisher as fi
from . import imaging_options as opts
from .deviance import deviance_slope
from .fused_pr import FusedPhaseRetrieval
from .objects import source_fluxes, source_positions
from .parameters import Blocks, join, split
from .reference_pr import ReferencePhaseRetrieval
from .snapping import band_transforms

# Coefficient vectors up to this length are checked for finiteness by one dot product (below
# BLAS's threading threshold for a dot, about 10^4 in OpenBLAS).
_SHORT_DOT = 4096
# _call_blocks' default: the call's arguments are still to be checked.
_UNCHECKED = object()

_BACKENDS = ("fused", "reference")
_DETECTORS = ("linear", "quadratic")


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
    floats = arr.astype(np.float64)
    if not np.isfinite(floats).all():
        for value in arr:  # the first non-finite one raises, named
            v.scalar(value, name, allow_complex=False)
    return tuple(floats.tolist())


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
        I      = sum_lam s_lam (wavelength / lam)^2 |G_lam|^2   (photon fractions s_lam)
        I_b    = bin(I, bin)                           (sum of bin x bin pixels)
        M      = I_b  or  a I_b^2 + b I_b + c          (detector="linear" / "quadratic")
        E      = sum w (M - D)^2

    With ``object=``, ``fit=`` and the fixed nuisance values, the image is the scene seen
    through the PSF, shifted, blurred, scaled and offset per plane, cropped to the data's
    window, and ``metric="poisson"`` replaces the sum of squares by the shifted-Poisson
    negative log-likelihood: docs/imaging-model.md is the contract, step by step. The flat
    parameter vector is described by ``parameters`` (``pack``, ``unpack``, ``bounds``).

    Parameters
    ----------
    amplitude : array_like, (n, n), real
        Pupil amplitude A.
    basis : array_like, (K, n, n), real, or None
        Wavefront modes Z_k in OPD units (e.g. ``zernike_basis``). ``None``: the parameters are
        the (n, n) wavefront map itself (point-by-point phase retrieval).
    data : array_like, (M, M) or (P, M, M), float32 or float64
        Measured images D, one per diversity plane, with ``M <= pad * n / bin``: the central
        M x M window of the binned grid (rows and columns from ``Nb//2 - M//2``, Nb =
        pad * n / bin; the binned grid's centre is the data's pixel M//2). Its dtype sets
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
        Wavelengths of broadband light (default: ``[wavelength]``). ``pg.snap_wavelengths``
        proposes nearby ones whose bands cost about one monochromatic transform each.
    spectral_weights : sequence of float or None
        Photon fraction s of each wavelength (default: equal fractions summing to 1): each
        wavelength's image carries the share s of the light (its PSF is weighted by
        s (wavelength / lam)^2, ``band_weights``, so that every band's image has the same
        total for the same s).
    bin : int
        Detector pixel binning factor (undersampled data; Eq. 87-90).
    backend : {"fused", "reference"}
        ``"fused"`` (default): C++ kernels that compute E and every gradient in a few passes
        over memory around a pruned FFT pair (the all-zero rows of the padded pupil and the
        columns the crop discards are never transformed), skipping pixels where the
        amplitude is zero; wavelengths other than ``wavelength`` compute that MFT by chirp-z
        transforms on FFTW, or by plain FFTs at the wavelengths ``snap_wavelengths`` gives.
        The model keeps its work buffers and FFTW plans (about 1.25 complex N x N buffers
        per wavelength) and runs on ``phasegrad.get_num_threads()`` threads; one model
        serialises concurrent calls. ``"reference"``: the same model composed from NumPy
        reference ops (the specification; slower).
    object : None, array_like (S, S), PointSources or "free"
        The scene (keyword only): None, a point source on axis; an array, a known scene on the
        unbinned detector grid (S <= N, its pixel (S//2, S//2) on axis, non-negative); a
        ``pg.PointSources(k)``, k sources with free positions and fluxes; ``"free"``, an
        unknown non-negative (N, N) scene estimated pixel by pixel.
    metric : {"sse", "poisson"}
        ``"sse"``: E = sum w (M - D)^2. ``"poisson"``: the shifted-Poisson negative
        log-likelihood of the counts D (less its value at M = D; ``poisson_nll``).
    read_noise : float
        Gaussian read noise sigma in the data's units (``metric="poisson"`` only): the
        likelihood of D + sigma^2 given M + sigma^2; negative data need it.
    fit : sequence of str
        The free nuisance blocks: ``"flux"`` and ``"background"`` (per plane), ``"shift"``
        (per plane, unbinned pixels), ``"jitter"`` (a Gaussian blur's RMS width) and
        ``"amplitude"`` (the pupil amplitude on its support, or its coefficients on
        ``amplitude_basis``).
    flux, background, shift, jitter : fixed values
        Of the blocks not in ``fit``: flux (default 1) and background (default 0) a number or
        one per plane; shift (default 0) a (y, x) pair or one per plane; jitter (default 0)
        a number.
    amplitude_basis : array_like (Ka, n, n) or None
        With ``"amplitude"`` in ``fit``: the amplitude is sum c_j B_j on the support.

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
                 bin=1, backend="fused", *, object=None, metric="sse", read_noise=0.0,
                 fit=(), flux=None, background=None, shift=None, jitter=None,
                 amplitude_basis=None):
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
        data = v.cast(data, data.dtype, "data")  # C order and aligned, copied only if not
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
        if self.grid > MAX_GRID:
            raise ValueError(f"pad * n = {self.grid} is too large a grid: its N x N complex "
                             f"field alone would take {16 * self.grid**2 / 2**30:.3g} GiB (at "
                             f"most N = {MAX_GRID})")
        self.bin = v.positive_int(bin, "bin")
        if self.grid % self.bin:
            raise ValueError(f"bin ({self.bin}) must divide the padded grid N = pad * n = "
                             f"{self.grid}")
        size = self.grid // self.bin
        if rows != cols or rows > size:
            raise ValueError(f"data must have shape (..., M, M) with M <= {size} = pad * n / bin "
                             f"(n = {n}, pad = {pad!r}, bin = {self.bin}; a smaller M is the "
                             f"central window); got {data.shape}")
        self.window = rows
        self.window_offset = size // 2 - rows // 2

        self.diversity = self._diversity(diversity, n_planes)
        self.wavelengths, self.spectral_weights = self._spectrum(wavelengths, spectral_weights)
        self.band_weights = tuple(s * (self.wavelength / lam) ** 2
                                  for lam, s in zip(self.wavelengths, self.spectral_weights,
                                                    strict=True))
        self.weights = self._weights(weights)
        opts.configure(self, object, metric, read_noise, fit, flux, background, shift, jitter,
                       amplitude_basis)
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
        """Length of the flat parameter vector (the free blocks of ``parameters``)."""
        return sum(p.size for p in self.parameters)

    @property
    def bounds(self):
        """``(lower, upper)``: float64 arrays of ``n_params`` bounds (-inf/inf where free):
        the sources' fluxes, flux, the object's pixels, jitter and the amplitude map are
        >= 0, and the background with the Poisson metric. ``pg.optimize.lbfgs`` passes them to
        L-BFGS-B; ``levenberg_marquardt`` projects its steps onto them."""
        return opts.bounds(self)

    @property
    def _legacy(self):
        """Whether the free blocks are today's ``a`` and ``p`` (the tuple forms work)."""
        return set(self.free_blocks) <= {"wavefront", "detector"}

    def _coefficients(self, a):
        # The common call first: an aligned C-contiguous ndarray of the model's dtype and
        # shape, which the checks below would hand back as it is once it is finite (any other
        # input, a non-finite one included, takes them and gets their error). A finite sum of
        # squares proves it finite (NaN and inf propagate; one that overflows takes the checks
        # below) in half the time of isfinite's array. Only for a short vector (the modes):
        # BLAS threads a longer dot (a wavefront map's n^2 values), and its waking workers are
        # the thread fights `config.single_threaded_blas` keeps out of the solvers.
        if (type(a) is np.ndarray and a.dtype == self.dtype
                and a.shape == self.coefficient_shape and a.flags.c_contiguous
                and a.flags.aligned
                and (math.isfinite(np.vdot(a, a)) if a.size <= _SHORT_DOT
                     else bool(np.isfinite(a).all()))):
            return a
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
        if type(p) is np.ndarray and p.dtype == np.float64 and p.shape == (3,):
            values = tuple(p.tolist())  # what _real_numbers makes of it, without its copies
            if all(map(math.isfinite, values)):
                return values
        return _real_numbers(p, "p", count=3, what="three numbers (a, b, c)")

    def _block_value(self, name, value):
        """A block given to ``pack``: a finite float64 array of its shape, within bounds."""
        shape = next(p.shape for p in self.parameters if p.name == name)
        if name == "positions":
            arr = source_positions(value, self.n_sources)
            opts.check_positions(arr, self.grid)
            return arr
        if name == "fluxes":
            return source_fluxes(value, self.n_sources)
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
        if name == "jitter":
            arr = arr.reshape(-1)
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {np.shape(value)}")
        v.finite(arr, name)
        lower = opts.bounds(self)[0]
        offset = next(p.offset for p in self.parameters if p.name == name)
        if np.any(arr.ravel() < lower[offset:offset + arr.size]):
            raise ValueError(f"{name} must be non-negative")
        return arr

    def pack(self, a=None, p=None, **blocks):
        """The flat float64 parameter vector from blocks (see ``parameters``).

        ``pack(a)`` and ``pack(a, p)`` keep working (``a`` the wavefront, ``p`` the
        detector's (a, b, c), required with ``detector="quadratic"``); other free blocks are
        keywords (``positions=``, ``fluxes=``, ``object=``, ``flux=``, ``background=``,
        ``shift=``, ``jitter=``, ``amplitude=``). A free block not given takes its start
        value: wavefront 0; fluxes (``PointSources``' or 1 each) and flux 1; background and
        shift 0; jitter 0.5 (unbinned pixels); a free object the one-pixel scene on axis (the
        point source's image); the amplitude the constructor's (with ``amplitude_basis``,
        the least-squares coefficients of it on the support); positions ``PointSources``'
        (otherwise they must be given).
        """
        for name in blocks:
            if name not in self.free_blocks:
                raise ValueError(f"{name!r} is not a free block of this model; its free blocks "
                                 f"are {', '.join(self.free_blocks)}")
        if a is not None and "wavefront" in blocks:
            raise ValueError("give the wavefront once: a or wavefront=")
        if p is not None and "detector" in blocks:
            raise ValueError("give the detector's parameters once: p or detector=")
        a = blocks.pop("wavefront", a)
        p = blocks.pop("detector", p)
        values = {}
        if a is None:
            values["wavefront"] = np.zeros(self.coefficient_shape)
        else:
            arr = np.asarray(a, dtype=np.float64)
            if arr.shape != self.coefficient_shape:
                raise ValueError(f"a must have shape {self.coefficient_shape}; got {arr.shape}")
            values["wavefront"] = v.finite(arr, "a")
        params = self._detector_params(p)
        if params is not None:
            values["detector"] = np.asarray(params, dtype=np.float64)
        starts = opts.start_values(self)
        for name in self.free_blocks:
            if name in values:
                continue
            value = blocks.get(name, starts.get(name))
            if value is None:
                raise ValueError(f"{name} has no start value: give pack({name}=...) (or "
                                 f"PointSources(k, {name}=...))")
            values[name] = self._block_value(name, value)
        return join(values, self.parameters)

    def unpack(self, x):
        """The free blocks of a flat vector: a dict name -> float64 array of the block's shape
        (``parameters``' order; ``unpack(x)[0]`` and ``[1]`` are ``a`` and ``p`` as before)."""
        x = lsq.flat_vector(x, "x", self.n_params, "parameters (see pack)")
        return Blocks((name, block.copy()) for name, block in split(x, self.parameters).items())

    # -- between the flat vector and the backends' blocks ----------------------------------
    def _amplitude_map(self, coefficients):
        """The effective (n, n) amplitude of the free amplitude block, on the support."""
        c = np.asarray(coefficients, dtype=np.float64)
        if self.amplitude_basis is not None:
            c = np.tensordot(c, self.amplitude_basis.astype(np.float64), axes=1)
        return v.cast(np.where(self.support, c, 0.0), self.dtype, "amplitude")

    def _blocks(self, x, name="x"):
        """The backends' blocks (every block of the chain) at the flat vector ``x``."""
        x = lsq.flat_vector(x, name, self.n_params, "parameters (see pack)")
        parts = split(x, self.parameters)
        return self._assemble(v.cast(parts["wavefront"], self.dtype, name), parts, name)

    def _assemble(self, wavefront, parts, name):
        """Every block of the chain: ``wavefront`` (cast), the other free blocks from
        ``parts`` (name -> float64 array) and the fixed ones from the configuration."""
        blocks = {"wavefront": wavefront,
                  "detector": (tuple(float(c) for c in parts["detector"])
                               if "detector" in parts else None)}
        if self.object_kind == "points":
            blocks["positions"] = parts["positions"].copy()
            blocks["fluxes"] = parts["fluxes"].copy()
        if self.object_kind == "known":
            blocks["object"] = self.object
        elif self.object_kind == "free":
            blocks["object"] = v.cast(parts["object"], self.dtype, name)
        for block, fixed in (("flux", self.fixed_flux), ("background", self.fixed_background),
                             ("shift", self.fixed_shift)):
            blocks[block] = parts[block].copy() if block in parts else fixed
        blocks["jitter"] = float(parts["jitter"][0]) if "jitter" in parts else \
            self.fixed_jitter
        blocks["amplitude"] = (self._amplitude_map(parts["amplitude"]) if "amplitude" in parts
                               else self.amplitude)
        return blocks

    def _legacy_blocks(self, a, params):
        """The blocks of ``(a, p)`` (the fixed ones from the configuration), ``a`` already
        checked and cast: straight to the blocks, not through the flat vector (whose second
        round of checks cost the point-source call ~10 us)."""
        return self._assemble(a, {} if params is None else {"detector": params}, "a")

    def _dots(self, v_flat, name="v"):
        """The tangents of the free blocks (the amplitude's as its effective map)."""
        v_flat = lsq.flat_vector(v_flat, name, self.n_params, "parameters (see pack)")
        dots = {}
        for block, part in split(v_flat, self.parameters).items():
            if block in ("wavefront", "object"):
                dots[block] = v.cast(part, self.dtype, name)
            elif block == "amplitude":
                dots[block] = self._amplitude_map(part)
            elif block == "jitter":
                dots[block] = float(part[0])
            else:
                dots[block] = part.copy()
        return dots

    def _flat(self, grads):
        """A dict of the free blocks' gradients as one flat float64 vector; the amplitude's
        (n, n) gradient masked by the support and projected onto ``amplitude_basis``."""
        grads = dict(grads)
        if "amplitude" in grads:
            g = np.where(self.support, np.asarray(grads["amplitude"], dtype=np.float64), 0.0)
            if self.amplitude_basis is not None:
                g = np.tensordot(self.amplitude_basis.astype(np.float64), g,
                                 axes=([1, 2], [0, 1]))
            grads["amplitude"] = g
        return join(grads, self.parameters)

    def _rows(self, block):
        """A backend's transposed Jacobian (backend_parameters, R) in ``parameters``' rows."""
        if self.amplitude_basis is None and "amplitude" not in self.free_blocks:
            return block
        out = []
        for p in self.backend_parameters:
            rows = block[p.offset:p.offset + p.size]
            if p.name == "amplitude":
                rows = rows * self.support.reshape(-1, 1)
                if self.amplitude_basis is not None:
                    basis = self.amplitude_basis.astype(np.float64).reshape(
                        self.amplitude_basis.shape[0], -1)
                    rows = basis @ rows
            out.append(rows)
        return np.concatenate(out)

    def _tuple_args(self, args):
        """A call's ``(a)`` or ``(a, p)`` checked: ``(a, params)`` with ``a`` cast to the
        model's precision and ``params`` the detector's three floats (or None); None for the
        flat vector ``(x)``."""
        if not 1 <= len(args) <= 2:
            raise TypeError(f"expected (a), (a, p) or the flat vector (x); got {len(args)} "
                            "arguments")
        if self._legacy and (len(args) == 2 or np.shape(args[0]) == self.coefficient_shape):
            a = self._coefficients(args[0])
            return a, self._detector_params(args[1] if len(args) == 2 else None)
        if len(args) == 2:
            raise ValueError("(a, p) is only for models whose free blocks are the wavefront "
                             f"and the detector; this one's are {', '.join(self.free_blocks)}: "
                             "give the flat vector of pack(...)")
        if self._legacy and np.shape(args[0]) != (self.n_params,):
            self._coefficients(args[0])  # the message of the tuple form
        return None

    def _call_blocks(self, args, checked=_UNCHECKED):
        """The blocks of a call's parameters: ``(a)``, ``(a, p)`` or the flat ``(x)``; and
        whether the call used the tuple form (its results keep their old form). ``checked``:
        what ``_tuple_args(args)`` returned, when the caller already has it."""
        if checked is _UNCHECKED:
            checked = self._tuple_args(args)
        if checked is not None:
            return self._legacy_blocks(*checked), True
        return self._blocks(args[0]), False

    # -- the computations ------------------------------------------------------------------
    def value_and_grad(self, *args):
        """Error metric E and its gradients.

        ``value_and_grad(x)`` with the flat vector (``pack``) returns ``(E, gradient)``, the
        gradient a flat float64 vector like ``x``. For a model whose free blocks are the
        wavefront (and the detector) the tuple forms keep their results: ``(E, a_bar)`` for
        ``(a)`` with a linear detector and ``(E, a_bar, p_bar)`` for ``(a, p)`` with the
        quadratic one, where ``a_bar = dE/da`` (shaped like ``a``, in the model's precision)
        and ``p_bar = (dE/da, dE/db, dE/dc)`` of the detector (float64, Eq. 101). E is a
        Python float accumulated in double.
        """
        checked = self._tuple_args(args)
        point = getattr(self._impl, "point_value_and_grad", None)
        if checked is not None and point is not None:
            # The fused point-source model straight from the checked (a, p), without the
            # blocks (measured: ~5 us of a 0.36 ms call at n = 128 float32, one core).
            result = point(*checked)
            if result is not None:
                energy, a_bar, p_bar = result
                if self.detector == "quadratic":
                    return energy, a_bar, np.asarray(p_bar, dtype=np.float64)
                return energy, a_bar
        blocks, legacy = self._call_blocks(args, checked)
        energy, grads = self._impl.value_and_grad(blocks)
        if not legacy:
            return float(energy), self._flat(grads)
        if self.detector == "quadratic":
            return energy, grads["wavefront"], np.asarray(grads["detector"], dtype=np.float64)
        return energy, grads["wavefront"]

    def simulate(self, *args):
        """The model images M (after every step of the chain), shaped like ``data``; takes
        ``(a)``, ``(a, p)`` or the flat vector ``(x)``."""
        blocks, _ = self._call_blocks(args)
        return self._impl.simulate(blocks).reshape(self._data_shape)

    def fun_and_jac(self, x):
        """E and its gradient for a flat float64 parameter vector (see ``pack``).

        For ``scipy.optimize.minimize(m.fun_and_jac, x0, jac=True)``; both results are float64
        whatever the model's precision.
        """
        energy, grads = self._impl.value_and_grad(self._blocks(x))
        return float(energy), self._flat(grads)

    def negative_log_likelihood(self, x):
        """The negative log-likelihood of the data at ``x``, up to a constant of the data.

        ``metric="poisson"``: E itself (the likelihood's minus logarithm less its value at
        M = D). ``metric="sse"``: E / 2, the Gaussian likelihood with the weights taken as
        the inverse variances of the pixels (w = 1 / sigma^2). Compare models fitted to the
        same data with the same metric and weights.
        """
        energy = self.fun_and_jac(x)[0] if self.metric == "poisson" else \
            0.5 * self.fun_and_jac(x)[0]
        return float(energy)

    def information_criteria(self, x):
        """``dict(nll, n_params, n_data, aic, bic)`` at ``x`` (usually a fit's optimum).

        ``aic = 2 k + 2 nll`` and ``bic = k log(n) + 2 nll`` with ``k = n_params`` and ``n``
        the pixels of non-zero weight: the smaller, the better the model explains the data
        for its number of parameters (one star, two stars or an extended object).
        """
        nll = self.negative_log_likelihood(x)
        k = self.n_params
        n = int(np.count_nonzero(self.weights)) if self.weights is not None else \
            self.n_residuals
        return {"nll": nll, "n_params": k, "n_data": n, "aic": 2.0 * k + 2.0 * nll,
                "bic": k * float(np.log(n)) + 2.0 * nll}

    # -- the least-squares view -------------------------------------------------------------
    @property
    def n_residuals(self):
        """Number of residuals R = P M^2 (one per detector pixel of every plane)."""
        return int(np.prod(self.data.shape))

    def residuals(self, x):
        """The residuals r with ``E = |r|^2``, flat float64 over (P, M, M).

        ``metric="sse"``: ``r = sqrt(w) (M - D)``; ``"poisson"``: the deviance residuals
        ``sign(z - z_D) sqrt(w d)`` of docs/imaging-model.md. ``x`` is the flat parameter
        vector (``pack``). With the residuals,
        ``scipy.optimize.least_squares(m.residuals, x0, jac=m.jacobian)`` solves the retrieval
        as a least-squares problem.
        """
        return self._impl.residuals(self._blocks(x))

    def jvp(self, x, v):
        """``J v``: the residuals' directional derivative along ``v`` (forward mode).

        ``J = dr/dx`` is (R, n_params); ``v`` a flat vector of ``n_params`` values. Returns a
        flat float64 vector of ``n_residuals`` values.
        """
        return self._impl.jvp(self._blocks(x), self._dots(v))

    def vjp(self, x, u):
        """``J^T u`` for a cotangent ``u`` of the residuals (reverse mode), flat float64.

        ``fun_and_jac``'s gradient is ``2 vjp(x, residuals(x))``.
        """
        blocks = self._blocks(x)
        u = lsq.flat_vector(u, "u", self.n_residuals, "values, one per residual")
        return self._flat(self._impl.vjp(blocks, u))

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
        blocks = self._blocks(x)
        return self._rows(self._impl.jacobian_planes(blocks, 0, self.data.shape[0])).T

    def _plane_jacobians(self, blocks):
        """The transposed Jacobian of each plane in turn: (n_params, M^2) float64 blocks."""
        for plane in range(self.data.shape[0]):
            yield plane, self._rows(self._impl.jacobian_planes(blocks, plane, plane + 1))

    def gauss_newton(self, x):
        """``(J^T J, J^T r)``: the Gauss-Newton matrix and the half-gradient, float64.

        Accumulated plane by plane (only one plane's Jacobian is held at a time), in double.
        ``J^T r`` is half of ``fun_and_jac``'s gradient.
        """
        k = self.n_params
        lsq.dense_size(k, k, "Gauss-Newton matrix", "gauss_newton_product")
        lsq.dense_size(k, self.data.shape[1] * self.data.shape[2], "Jacobian of one plane",
                       "gauss_newton_product")
        blocks = self._blocks(x)
        r = self._impl.residuals(blocks).reshape(self.data.shape[0], -1)
        jtj = np.zeros((k, k))
        jtr = np.zeros(k)
        for plane, block in self._plane_jacobians(blocks):
            jtj += block @ block.T
            jtr += block @ r[plane]
        return jtj, jtr

    def gauss_newton_product(self, x, v):
        """``J^T J v``, matrix-free: per plane the primal, one tangent and one adjoint
        transform (the fused backend does it in one call). Flat float64."""
        blocks = self._blocks(x)
        return self._flat(self._impl.gauss_newton_product(blocks, self._dots(v)))

    def fisher(self, x, noise="poisson", read_noise=None):
        """The Fisher information matrix of the parameters for data of the given noise.

        The model images ``M`` are the expected data; the information in pixel ``i`` is
        ``(dM_i/dx)(dM_i/dx)^T / var_i`` with

        - ``noise="poisson"``: ``var = M + read_noise^2`` (shot noise, ``M`` in photons or
          detected electrons, plus Gaussian read noise in the same units; the usual
          approximation of a Poisson-Gaussian pixel);
        - ``noise="gaussian"``: ``var = read_noise^2`` (``read_noise > 0``, a number or an
          array shaped like ``data``).

        ``read_noise=None`` takes the model's own (``read_noise=``, 0 unless
        ``metric="poisson"`` was given one). Pixels of zero weight are masked: they carry no
        information. The data's units must be those of the noise (scale counts to photons
        first). Every free block is a parameter (``parameters``' order), whatever the metric
        (dM/dx is the residuals' Jacobian over dr/dM). Returns (n_params, n_params)
        float64; its inverse bounds the covariance of any unbiased estimate (Cramer-Rao, see
        ``cramer_rao``).
        """
        k = self.n_params
        lsq.dense_size(k, k, "Fisher matrix", "jvp/vjp products")
        lsq.dense_size(k, self.data.shape[1] * self.data.shape[2], "Jacobian of one plane",
                       "jvp/vjp products")
        parameters = self._blocks(x)
        read_noise = self.read_noise if read_noise is None else read_noise
        used = None if self.weights is None else self.weights > 0
        model = self._impl.simulate(parameters).reshape(self.data.shape)
        variance = fi.pixel_variance(model, noise, read_noise, self._data_shape, used)
        slope = self._residual_slope(model)

        def blocks():  # one plane's Jacobian at a time
            for plane, block in self._plane_jacobians(parameters):
                if slope is None:
                    yield block, 1.0 / variance[plane].ravel()
                    continue
                # J of the residuals is dr/dM dM/dx: undo dr/dM where it is positive, mask
                # the rest (w == 0).
                s = slope[plane].ravel()
                denominator = s * s * variance[plane].ravel()
                yield block, np.divide(1.0, denominator, out=np.zeros_like(s),
                                       where=(s > 0) & np.isfinite(s))

        return fi.information(blocks(), k)

    def _residual_slope(self, model):
        """dr/dM per pixel (float64; None when it is 1 everywhere)."""
        if self.metric == "poisson":
            return deviance_slope(model, self.data, self.weights, self.poisson_shift)
        return None if self.weights is None else np.sqrt(self.weights.astype(np.float64))

    def cramer_rao(self, x, noise="poisson", read_noise=None):
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

    @property
    def band_transforms(self):
        """How the fused backend computes each wavelength's band, one ``(kind, length)`` per
        entry of ``wavelengths``: ``("fft", grid)`` at the reference wavelength,
        ``("periodic", N_lam)`` where the band runs plain FFTs of length N_lam (wavelengths
        from ``pg.snap_wavelengths``), ``("chirp-z", None)`` elsewhere (several times dearer;
        docs/fused-models.md, "Snapped wavelengths"). The results are exact either way."""
        return band_transforms(self.wavelengths, self.wavelength, self.grid, self.n)

    def __repr__(self):
        modes = "point-by-point" if self.basis is None else f"{self.basis.shape[0]} modes"
        return (f"PhaseRetrieval(n={self.n}, {modes}, planes={self.data.shape[0]}, "
                f"grid={self.grid}, bin={self.bin}, wavelengths={len(self.wavelengths)}, "
                f"detector={self.detector!r}, object={self.object_kind!r}, "
                f"metric={self.metric!r}, free={self.free_blocks!r}, dtype={self.dtype}, "
                f"backend={self.backend!r})")
