"""Phase diversity with the object eliminated (Gonsalves 1982; Paxman, Schulz & Fienup 1992).

``PhaseDiversity`` holds K >= 2 images of one unknown extended scene, each seen through the
same unknown wavefront plus a known diversity phase, and minimises over the wavefront alone:
for each trial wavefront the scene that fits best (the multi-frame Wiener object) is solved for
in closed form and eliminated. Its PSFs are ``PhaseRetrieval``'s (same pupil, basis,
wavelengths and conventions); the backends are ``"fused"`` (C++, ``fused_pd.py``) and
``"reference"`` (composed from ``phasegrad.reference`` ops, ``reference_pd.py``, the
specification). docs/phase-diversity.md has the derivation.
"""

from __future__ import annotations

import numpy as np

from ..arguments import least_squares as lsq
from ..arguments import phase_diversity as pda
from ..arguments import validate as v
from .fused_pd import FusedPhaseDiversity
from .phase_retrieval import PhaseRetrieval
from .reference_pd import ReferencePhaseDiversity

_BACKENDS = ("fused", "reference")


class PhaseDiversity:
    """The object-eliminated phase-diversity metric and its exact gradient.

    The images ``d_k`` (k = 1..K) are one unknown scene ``o`` convolved (circularly, on the
    N x N grid) with the K PSFs ``I_k`` of the wavefront ``W = sum_j a_j Z_j`` plus the known
    diversity ``Phi_k``; ``I_k`` is exactly ``PhaseRetrieval``'s image of plane k (centred at
    pixel (N//2, N//2), band weights as photon fractions). With the spectra::

        S_k = DFT2(ifftshift(I_k))     the OTFs
        D_k = DFT2(ifftshift(d_k))     the data's spectra (computed once)
        Q   = gamma + sum_k |S_k|^2,   U = sum_k D_k conj(S_k),   O = U / Q

    ``O`` is the multi-frame Wiener object, the scene that minimises the Tikhonov-regularised
    misfit for the trial wavefront, and the metric is that misfit at ``O``::

        E = (1 / N^2) sum_f [ sum_k |D_k - O S_k|^2 + gamma |O|^2 ]
          = (1 / N^2) sum_f [ sum_k |D_k|^2 - |U|^2 / Q ]

    By Parseval, ``E = sum_k sum_x (d_k - o * I_k)^2 + gamma sum_x o^2`` with
    ``o = estimate_object(a)`` and ``*`` the circular convolution: an image-domain sum of
    squares in the data's units squared. Its gradient with respect to the OTFs is
    ``S_k_bar = -(2 / N^2) conj(O) (D_k - O S_k)`` (the object's own variation drops out: E is
    stationary in O), carried back to the wavefront through the PSFs' reverse pass (Eq. 100).

    Parameters
    ----------
    amplitude : array_like, (n, n), real
        Pupil amplitude A.
    basis : array_like, (J, n, n), real, or None
        Wavefront modes Z_j in OPD units; ``None``: the parameters are the (n, n) wavefront
        map itself.
    data : array_like, (K, M, M), float32 or float64
        The K >= 2 diversity images, centred like the PSFs, Nyquist-sampled on the FFT grid:
        ``M = N = pad * n`` (no binning, no window). Their dtype sets the model's precision.
    diversity : array_like, (K, n, n), real
        The known phase of each image in OPD units (e.g. +-defocus).
    regularization : float
        gamma > 0, absolute, in the units of ``|S_k|^2``: it is compared with
        ``sum_k |S_k(f)|^2``, at most ``K F^2`` (the zero frequency) with ``F = N^2 sum A^2
        sum_lam s_lam`` the light of each PSF. In the image domain it weighs ``sum o^2``. It
        is the Wiener constant, noise power over scene power per frequency: noise-free images
        take a tiny one (1e-10 K F^2); Poisson noise has a power of the images' total count
        per frequency, so for PSFs that sum to 1 and a scene whose power at the frequencies
        that carry the aberrations is 1e-2 of its light squared, ``100 / photons``
        (``models.synthetic_pd``). Too large a gamma biases the wavefront towards sharper
        OTFs and can stall the descent. docs/phase-diversity.md has the measurements.
    wavelength : float
        The reference wavelength (W is in OPD units of it).
    pad : int or float
        Padding factor: the FFT grid is N = pad * n (an integer); Nyquist sampling of the
        scene needs pad >= 2.
    wavelengths, spectral_weights : sequence of float or None
        Broadband light, as for ``PhaseRetrieval`` (weights are photon fractions).
    backend : {"fused", "reference"}
        ``"fused"`` (default): C++ kernels; ``"reference"``: composed from NumPy reference
        ops (the specification; slower).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> A = pg.circular_pupil(16)
    >>> Z = pg.zernike_basis(5, 16, first=2)
    >>> defocus = pg.zernike_basis(1, 16, first=4)[0]
    >>> div = np.stack([defocus, -defocus])
    >>> m = pg.PhaseDiversity(amplitude=A, basis=Z, data=np.ones((2, 32, 32)),
    ...                       diversity=div, regularization=1e-3)
    >>> E, a_bar = m.value_and_grad(np.zeros(5))
    >>> a_bar.shape
    (5,)
    """

    def __init__(self, amplitude, basis, data, diversity, regularization, wavelength=1.0,
                 pad=2, wavelengths=None, spectral_weights=None, backend="fused"):
        v.one_of(backend, "backend", _BACKENDS)
        data = pda.diversity_images(data)
        self.regularization = pda.regularization(regularization)
        # The PSFs are PhaseRetrieval's: its rules check the pupil, basis, diversity phases,
        # sampling and spectrum (and that the images fit on the grid N = pad * n); its
        # reference backend makes the reference backend's PSFs.
        self.psf_model = PhaseRetrieval(
            amplitude=amplitude, basis=basis, data=np.zeros_like(data), wavelength=wavelength,
            pad=pad, diversity=diversity, wavelengths=wavelengths,
            spectral_weights=spectral_weights, backend="reference")
        psf = self.psf_model
        if psf.pad < 2:
            raise ValueError(f"pad must be >= 2 for phase diversity (got {pad!r}): below "
                             "Nyquist sampling the images' spectra wrap around the grid and "
                             "the object-eliminated metric no longer describes them")
        if data.shape[1] != psf.grid:
            raise ValueError(f"data must have shape (K, {psf.grid}, {psf.grid}): the images on "
                             f"the whole FFT grid N = pad * n (n = {psf.n}, pad = {pad!r}), "
                             f"with no binning or window; got {data.shape}")
        self.data = data
        self.dtype = data.dtype
        self.n, self.grid, self.pad = psf.n, psf.grid, psf.pad
        self.amplitude, self.basis, self.diversity = psf.amplitude, psf.basis, psf.diversity
        self.wavelength, self.wavelengths = psf.wavelength, psf.wavelengths
        self.spectral_weights, self.band_weights = psf.spectral_weights, psf.band_weights
        self.backend = backend
        self._shape = psf.coefficient_shape
        self._size = int(np.prod(self._shape))
        self._impl = FusedPhaseDiversity(self) if backend == "fused" else \
            ReferencePhaseDiversity(self, psf)

    # -- parameters ------------------------------------------------------------------------
    @property
    def band_transforms(self):
        """How the fused backend computes each wavelength's band (``PhaseRetrieval``'s
        ``band_transforms``): ``("fft", grid)``, ``("periodic", N_lam)`` or
        ``("chirp-z", None)`` per entry of ``wavelengths``."""
        return self.psf_model.band_transforms

    @property
    def coefficient_shape(self):
        """Shape of the wavefront parameters ``a``: (J,) with a basis, (n, n) without."""
        return self._shape

    @property
    def n_params(self):
        """Length of the flat parameter vector of ``fun_and_jac``."""
        return self._size

    @property
    def parameters(self):
        """The one block of the flat vector: ``wavefront`` (``PhaseRetrieval.parameters``'
        layout; the scene is eliminated, not a parameter)."""
        return self.psf_model.parameters

    def pack(self, a=None, **blocks):
        """The flat float64 vector of the wavefront ``a`` (or ``wavefront=``; zeros when
        neither is given), as ``PhaseRetrieval.pack``."""
        return self.psf_model.pack(a, **blocks)

    def unpack(self, x):
        """``{"wavefront": a}`` from a flat vector (the inverse of ``pack``)."""
        return self.psf_model.unpack(x)

    def _coefficients(self, a):
        """``a`` in the model's precision and coefficient shape; the flat vector is taken too."""
        a = v.array(a, "a", kind="real")
        shape = self.coefficient_shape
        if a.shape != shape and a.shape != (self.n_params,):
            what = "one per basis mode" if self.basis is not None else "the (n, n) wavefront map"
            raise ValueError(f"a must have shape {shape} ({what}) or be the flat vector of "
                             f"{self.n_params}; got {a.shape}")
        v.finite(a, "a")
        return v.cast(a.reshape(shape), self.dtype, "a")

    # -- the computations ------------------------------------------------------------------
    def value_and_grad(self, a):
        """``(E, a_bar)``: the metric (a Python float, summed in double) and ``dE/da``,
        shaped like ``a`` in the model's precision."""
        shape = np.shape(a)
        coefficients = self._coefficients(a)
        energy, a_bar = self._impl.value_and_grad(coefficients)
        return energy, a_bar.reshape(shape)

    def fun_and_jac(self, x):
        """E and its gradient for a flat float64 vector, both float64 (for
        ``pg.optimize.lbfgs`` and ``scipy.optimize.minimize(..., jac=True)``)."""
        x = lsq.flat_vector(x, "x", self.n_params, "parameters (see pack)")
        a = x.reshape(self.coefficient_shape)
        energy, a_bar = self._impl.value_and_grad(a if self.dtype == np.float64 else
                                                  v.cast(a, self.dtype, "x"))
        return float(energy), a_bar.astype(np.float64, copy=False).ravel()

    def estimate_object(self, a):
        """The scene the wavefront ``a`` implies: ``fftshift(Re(IDFT2(O)))``, (N, N) in the
        model's precision, centred like the data (its pixel (N//2, N//2) is the on-axis
        point, as ``PhaseRetrieval``'s ``object=``), in units of the data per unit PSF
        (``d_k ~= o * I_k``)."""
        return self._impl.estimate_object(self._coefficients(a))

    def wavefront(self, a):
        """The wavefront W (OPD units, (n, n)) for parameters ``a``."""
        return self.psf_model.wavefront(self._coefficients(a))

    def __repr__(self):
        modes = "point-by-point" if self.basis is None else f"{self.basis.shape[0]} modes"
        return (f"PhaseDiversity(n={self.n}, {modes}, images={self.data.shape[0]}, "
                f"grid={self.grid}, wavelengths={len(self.wavelengths)}, "
                f"regularization={self.regularization:g}, dtype={self.dtype}, "
                f"backend={self.backend!r})")
