"""How good is a fit? ``assess`` compares a phase-retrieval fit's cost with what the noise
predicts, gives each parameter's uncertainty and collects the problem's warnings.

A fit can stop at a point that is not the answer (a local minimum, the iteration cap) and look
like one. Three numbers tell most such cases apart without knowing the truth: whether the solver
converged, the cost against its expectation under the noise (the reduced chi-square of a
Gaussian fit, the deviance of a Poisson one: about 1 at the right answer, far above it in a
wrong basin), and the uncertainties (inf for a parameter the data cannot determine). The checks
of ``phasegrad.models.diagnostics`` add what no cost can see (ambiguities, sampling, clipping,
saturation, an unmodelled background).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..arguments import validate as v
from ..models import diagnostics as dx
from ..models.fisher import standard_deviations

__all__ = ["FitReport", "NOISE", "agreement_threshold", "assess", "eliminated_residuals",
           "expected_deviance", "is_eliminated", "problem_findings"]

#: The noise models ``assess`` knows: "weights" (the weights are the pixels' inverse
#: variances), "gaussian" (read noise ``read_noise`` in the data's units, every pixel),
#: "poisson" (photon counts plus Gaussian read noise), "spectrum" (the mean variance per
#: pixel measured in the data's spectrum beyond the optics' cut-off).
NOISE = ("weights", "gaussian", "poisson", "spectrum")

# The reduced chi-square of a right fit is 1 +- sqrt(2 / dof) (a chi-square of dof degrees of
# freedom has variance 2 dof); five standard deviations above 1 is "far above the noise". The
# floor keeps a model's own rounding or a slightly wrong noise level (5 %) from counting at
# very large dof.
_SIGMAS = 5.0
_FLOOR = 0.05
# A noise level measured in the data's own spectrum is itself uncertain by 10-20 % on peaked
# images (a few bright pixels carry most of the shot noise): its threshold is at least 2
# (the battery's wrong answers lie at 100 and above).
_MEASURED_FLOOR = 2.0
# Below that floor, a measured noise's reduced chi-square above 1 + max(5 sqrt(2 / dof), 0.25)
# is a warning ("noise-level"): more than the noise explains unless the measured level is 20 %
# low. Right fits measured 0.85-1.2; a model at pad 2.56 on data at pad 2 with read noise of
# 1 % of the peak, 0.017 waves RMS wrong, 1.27 and 1.72.
_MEASURED_WARNING = 0.25
# The least noise ``noise="spectrum"`` assumes, relative to the brightest pixel.
_NOISELESS = 1e-6
# The object-eliminated metric's uncertainties come from its Hessian by central differences of
# the exact gradient: the step (in wavelengths of OPD), the largest model they are formed for,
# and the relative curvature below which a coefficient counts as undetermined (the differences'
# own error is about step^2 = 1e-8 of the curvature).
_HESSIAN_STEP = 1e-4
_HESSIAN_PARAMS = 200
_HESSIAN_RTOL = 1e-7


def agreement_threshold(dof):
    """The largest reduced chi-square (or deviance per degree of freedom) that agrees with the
    noise: ``1 + max(5 sqrt(2 / dof), 0.05)``; inf when ``dof <= 0``."""
    if dof <= 0:
        return float("inf")
    return 1.0 + max(_SIGMAS * np.sqrt(2.0 / dof), _FLOOR)


@dataclass
class FitReport:
    """What ``assess`` found about one fit.

    Attributes
    ----------
    converged : bool or None
        The solver's verdict (a convergence test passed, not the iteration cap); None when no
        result was given.
    stop_reason : str
        Why the solver stopped (its ``stop_reason`` or ``message``).
    cost : float
        The model's cost E at ``x``.
    gradient_norm : float
        ``max |dE/dx|`` over the parameters not held at a bound.
    n_data, dof : int
        Pixels of non-zero weight R, and R - K (K = ``n_params``); for the
        object-eliminated metric R - K - (the scene's effective parameters), rounded
        (``eliminated_residuals``).
    noise : str or None
        The noise model the cost was compared with (None: unknown, no comparison;
        "spectrum" is reported as "gaussian" with the sigma it measured).
    reduced_chi2 : float or None
        chi^2 / dof for a Gaussian comparison (``E / dof`` with inverse-variance weights,
        ``E / (sigma^2 dof)`` with read noise sigma, Pearson's ``sum (M - D)^2 / var / dof``
        for a sum-of-squares fit of counts).
    deviance : float or None
        ``2 E`` of a Poisson fit (``metric="poisson"``); ``reduced_chi2`` is then the
        deviance over its expectation less K: ``sum_i w_i expected_deviance(M_i + s) - K``
        (R - K for bright pixels; a few counts per pixel raise it, below one count lower it).
    threshold : float
        ``agreement_threshold(dof)``.
    agrees : bool or None
        ``reduced_chi2 <= threshold``; None when the noise is unknown.
    uncertainties : numpy.ndarray
        One standard deviation per parameter (flat, ``parameters``' order): the Cramer-Rao
        bound where the noise is known, else the inverse Gauss-Newton matrix scaled by the
        residual variance ``E / dof``; inf for a parameter the data do not determine.
    uncertainty_source : str
        "cramer_rao", "gauss_newton", "profile_hessian" (the object-eliminated metric) or
        "none" (no dense matrix possible).
    findings : tuple of Finding
        The diagnostics' findings (and the fit's own: not converged, far above the noise,
        undetermined parameters).
    """

    converged: bool | None
    stop_reason: str
    cost: float
    gradient_norm: float
    n_data: int
    dof: int
    noise: str | None
    reduced_chi2: float | None
    deviance: float | None
    threshold: float
    agrees: bool | None
    uncertainties: np.ndarray = field(repr=False)
    uncertainty_source: str = "none"
    findings: tuple = ()

    @property
    def warnings(self):
        """The findings' messages, one line each."""
        return [f.message for f in self.findings]

    @property
    def refused(self):
        """Whether a finding says the problem as posed cannot give a right answer."""
        return any(f.refuse for f in self.findings)

    @property
    def trustworthy(self):
        """Converged (or no solver verdict), the cost agrees with the noise (or the noise is
        unknown), and nothing refused."""
        return (self.converged is not False and self.agrees is not False
                and not self.refused)

    @property
    def flagged(self):
        """Not trustworthy, or any warning: the answer must not be taken silently."""
        return not self.trustworthy or bool(self.findings)


# Poisson means above this take the expansion 1 + 1/(6 mu) + 1/(6 mu^2) of a pixel's expected
# deviance; below it the expectation is summed over the counts.
_SERIES_MEAN = 50.0


def expected_deviance(mean):
    """The expected Poisson deviance ``2 [k log(k / mu) - (k - mu)]`` of one pixel of count
    ``k ~ Poisson(mu)``, elementwise (float64): 1 for large means (the chi-square of one
    degree of freedom), more for a few counts (1.03 at mu = 5), less below about one count
    (it goes to 0 with mu). Summed exactly over the counts below ``mu = 50``; above, the
    expansion ``1 + 1/(6 mu) + 1/(6 mu^2)`` (McCullagh and Nelder, Generalized Linear
    Models, section 6.2), within 1e-5 of the sum there."""
    mu = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    out = np.zeros_like(mu)
    large = mu >= _SERIES_MEAN
    out[large] = 1.0 + 1.0 / (6.0 * mu[large]) + 1.0 / (6.0 * mu[large] ** 2)
    small = (~large) & (mu > 0)
    if np.any(small):
        m = mu[small][:, None]
        k = np.arange(0, int(_SERIES_MEAN + 12 * np.sqrt(_SERIES_MEAN) + 30))[None, :]
        log_p = k * np.log(m) - m - _log_factorial(k)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(k > 0, k * np.log(np.where(k > 0, k, 1) / m), 0.0) - (k - m)
        out[small] = np.sum(np.exp(log_p) * 2.0 * term, axis=1)
    return out


def _log_factorial(k):
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k.size)))])[None, :]


def _used_pixels(model):
    return np.ones(model.data.shape, bool) if model.weights is None else model.weights > 0


def _noise_statistic(model, x, cost, noise, read_noise, dof, gain=1.0):
    """(reduced_chi2, deviance) for the noise model."""
    if model.metric == "poisson":
        deviance = 2.0 * cost
        images = model.simulate(x).reshape(model.data.shape).astype(np.float64)
        w = np.ones(images.shape) if model.weights is None else \
            model.weights.astype(np.float64)
        mean = images + float(model.read_noise) ** 2
        expected = float(np.sum(np.where(_used_pixels(model), w * expected_deviance(mean),
                                          0.0)))
        freedom = expected - model.n_params
        return (deviance / freedom if freedom > 0 else None), deviance
    if noise is None:
        return None, None
    if noise == "weights":
        return (cost / dof if dof > 0 else None), None
    images = model.simulate(x).reshape(model.data.shape).astype(np.float64)
    residual = images - model.data.astype(np.float64)
    w = 1.0 if model.weights is None else model.weights.astype(np.float64)
    sigma2 = float(read_noise) ** 2
    variance = sigma2 if noise == "gaussian" else gain * images + sigma2
    used = _used_pixels(model) & (np.broadcast_to(variance, images.shape) > 0)
    chi2 = float(np.sum(np.where(used, w * residual**2 / np.where(used, variance, 1.0), 0.0)))
    return (chi2 / dof if dof > 0 else None), None


def is_eliminated(model):
    """Whether ``model`` is an object-eliminated phase-diversity model (``pg.PhaseDiversity``:
    its scene is solved for, not a parameter)."""
    return hasattr(model, "estimate_object") and hasattr(model, "regularization")


def eliminated_residuals(model, x):
    """The object-eliminated fit's residual in the image domain and the scene's effective
    number of parameters (docs/trust.md).

    At the wavefront ``x`` the scene is the multi-frame Wiener estimate
    ``o = model.estimate_object(x)`` and the model images are ``o * I_k`` (the PSFs of
    ``model.psf_model``, circular convolution). The Wiener scene is a ridge estimate, linear
    in the data, frequency by frequency: with ``s = sum_k |S_k|^2`` its hat matrix has the
    eigenvalue ``h = s / (s + gamma)`` once and 0 K - 1 times, so white noise of variance
    sigma^2 leaves ``sigma^2 [K N^2 - sum_f (2 h_f - h_f^2)]`` in the residual (the residual
    degrees of freedom of a linear smoother, ``n - tr(2H - H H^T)``).

    Parameters
    ----------
    model : pg.PhaseDiversity
    x : array_like
        The flat wavefront parameters.

    Returns
    -------
    residuals, images : numpy.ndarray
        ``d_k - o * I_k`` and ``o * I_k``, (K, N, N) float64.
    scene_dof : float
        ``sum_f (2 h_f - h_f^2)``, the scene's effective parameters.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    scene = np.asarray(model.estimate_object(x.reshape(model.coefficient_shape)),
                       dtype=np.float64)
    otfs, power = _eliminated_otfs(model, x)
    images = np.real(np.fft.ifft2(otfs * np.fft.fft2(np.fft.ifftshift(scene))))
    hat = power / (power + float(model.regularization))
    residuals = model.data.astype(np.float64) - images
    return residuals, images, float(np.sum(2.0 * hat - hat**2))


def _eliminated_otfs(model, x):
    """The PSFs' spectra (K, N, N) (DFT2 of the centred PSFs: the model's |S_k|, a shift
    being a phase) and ``sum_k |S_k|^2``."""
    psfs = np.asarray(model.psf_model.simulate(x), dtype=np.float64).reshape(model.data.shape)
    otfs = np.fft.fft2(psfs)
    return otfs, np.sum(np.abs(otfs) ** 2, axis=0)


# Probes of the residual filter that give the expected Pearson sum of non-white noise (each
# probe's sum scatters by about sqrt(2 / dof); 16 of them by a quarter of that), from a fixed
# seed: the same data give the same report.
_PROBES = 16


def _expected_pearson(model, x, variance):
    """The expectation of ``sum (r / sqrt(variance))^2`` for noise of per-pixel ``variance``
    passed through the object-eliminated residual filter (``r = D - S O`` per frequency), by
    ``_PROBES`` Gaussian probes of that variance. Non-white (shot) noise does not leave the
    white ``K N^2 - sum (2h - h^2)``: the Wiener scene spreads each pixel's noise over its
    neighbourhood, and Pearson's weights 1 / var_i then sum to more (by Jensen's inequality)."""
    otfs, power = _eliminated_otfs(model, x)
    inverse = 1.0 / (power + float(model.regularization))
    rng = np.random.default_rng(0)
    scale = np.sqrt(variance)
    used = variance > 0
    total = 0.0
    for _ in range(_PROBES):
        spectra = np.fft.fft2(scale * rng.normal(size=variance.shape))
        scene = np.sum(spectra * np.conj(otfs), axis=0) * inverse
        filtered = np.real(np.fft.ifft2(spectra - scene * otfs))
        total += float(np.sum(np.where(used, filtered**2 / np.where(used, variance, 1.0),
                                       0.0)))
    return total / _PROBES


def _eliminated_statistic(model, x, noise, read_noise, gain):
    """(reduced_chi2, the white noise variance, dof (float)) of an object-eliminated fit;
    reduced_chi2 None when the noise is unknown (the variance is then the residual's)."""
    residuals, images, scene_dof = eliminated_residuals(model, x)
    dof = residuals.size - model.n_params - scene_dof
    if noise is None:
        return None, float(np.sum(residuals**2)) / dof if dof > 0 else np.inf, dof
    sigma2 = float(read_noise) ** 2
    variance = np.full(images.shape, sigma2) if noise == "gaussian" else \
        gain * np.maximum(images, 0.0) + sigma2
    used = variance > 0
    chi2 = float(np.sum(np.where(used, residuals**2 / np.where(used, variance, 1.0), 0.0)))
    if noise == "poisson":
        dof = _expected_pearson(model, x, variance) - model.n_params
    return (chi2 / dof if dof > 0 else None), float(np.mean(variance)), dof


def _profile_hessian(model, x):
    """The object-eliminated metric's Hessian at ``x`` by central differences of its exact
    gradient (2 K gradients), symmetrised."""
    size = x.size
    step = _HESSIAN_STEP * float(model.wavelength)
    hessian = np.empty((size, size))
    for j in range(size):
        e = np.zeros(size)
        e[j] = step
        hessian[:, j] = (model.fun_and_jac(x + e)[1] - model.fun_and_jac(x - e)[1]) / \
            (2.0 * step)
    return 0.5 * (hessian + hessian.T)


def _moves_the_scene(model):
    """Per coefficient: whether its mode is piston, tip, tilt or a sum of them on the pupil's
    support (least squares on 1, x, y leaves below 1e-6 of it), a shift of the scene that the
    object-eliminated metric is exactly invariant to; all False without a basis."""
    if model.basis is None:
        return np.zeros(model.n_params, bool)
    support = model.amplitude > 0
    y, x = np.indices(support.shape)
    plane = np.stack([np.ones(np.count_nonzero(support)), x[support], y[support]], axis=1)
    modes = model.basis.astype(np.float64)[:, support].T
    fitted = plane @ np.linalg.lstsq(plane, modes, rcond=None)[0]
    left = np.linalg.norm(modes - fitted, axis=0)
    return left <= 1e-6 * np.linalg.norm(modes, axis=0)


def _eliminated_uncertainties(model, x, variance):
    """One standard deviation per coefficient: E is the residual sum of squares at the best
    scene, so for white noise of ``variance`` sigma^2 the profile likelihood's information is
    the Hessian of E over 2 sigma^2; a coefficient whose mode is a tilt (``_moves_the_scene``)
    or whose curvature is below 1e-7 of the largest is undetermined (inf)."""
    if model.n_params > _HESSIAN_PARAMS or not np.isfinite(variance) or variance <= 0:
        return np.full(model.n_params, np.nan), "none"
    hessian = _profile_hessian(model, x)
    diagonal = np.diagonal(hessian)
    # Relative to the largest, and whatever the largest: with only tip and tilt fitted it is
    # itself rounding (a finite "uncertainty" of hundreds of waves before).
    flat = (diagonal <= _HESSIAN_RTOL * max(float(diagonal.max()), 0.0)) | \
        _moves_the_scene(model)
    hessian[flat, :] = 0.0
    hessian[:, flat] = 0.0
    sigma = standard_deviations(hessian / (2.0 * variance), rtol=_HESSIAN_RTOL)
    return sigma, "profile_hessian"


def eliminated_findings(model, x=None):
    """The diagnostics that apply to an object-eliminated model (a scene fills the frame and
    absorbs any background: no clipping, sampling or background check): saturation, the mode
    count, the twin-image ambiguity and, with ``x``, phase wrapping."""
    found = list(dx.saturated(model.data))
    amplitude = model.amplitude.astype(np.float64)
    if model.basis is not None:
        found += dx.mode_count(model.basis.shape[0], amplitude)
    diversity = None if model.diversity is None else model.diversity.astype(np.float64)
    found += dx.twin_image_ambiguity(amplitude, diversity)
    if x is not None:
        wavefront = model.wavefront(np.asarray(x, dtype=np.float64).reshape(
            model.coefficient_shape)).astype(np.float64)
        found += dx.wrapping(wavefront / model.wavelength, amplitude)
    return found


def _uncertainties(model, x, noise, read_noise, cost, dof, gain=1.0):
    try:
        if noise == "poisson" and gain != 1.0:
            # counts times gain: var = gain M + sigma^2, each pixel's own Gaussian sigma
            images = model.simulate(x).reshape(model.data.shape).astype(np.float64)
            sigma = np.sqrt(gain * np.maximum(images, 0.0) + float(read_noise) ** 2)
            fisher = model.fisher(x, "gaussian", sigma)
            return standard_deviations(fisher), "cramer_rao"
        if noise in ("gaussian", "poisson"):
            fisher = model.fisher(x, noise, read_noise)
            return standard_deviations(fisher), "cramer_rao"
        jtj = model.gauss_newton(x)[0]
    except (ValueError, AttributeError):  # too large to form densely, or no such method
        return np.full(model.n_params, np.nan), "none"
    scale = 1.0 if noise == "weights" else (cost / dof if dof > 0 else np.inf)
    return standard_deviations(jtj) * np.sqrt(scale), "gauss_newton"


def _projected_gradient_norm(model, x, gradient):
    lower, upper = getattr(model, "bounds", (None, None))
    g = np.asarray(gradient, dtype=np.float64)
    if lower is not None:
        pinned = ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
        g = np.where(pinned, 0.0, g)
    return float(np.max(np.abs(g))) if g.size else 0.0


def problem_findings(model, x=None):
    """The diagnostics' findings about a phase-retrieval model (and, with ``x``, about the
    wavefront found there): the data's clipping, saturation and sampling against ``pad`` (of
    a point source without blur: a scene narrows the spectrum), an
    unmodelled background, the number of modes, the twin-image ambiguity, phase wrapping."""
    data = model.data
    found = []
    found += dx.clipped(data)
    found += dx.saturated(data)
    if model.object_kind is None and "jitter" not in model.free_blocks and \
            not model.fixed_jitter:
        # A scene or a blur narrows the images' spectrum: only a point source shows the pad.
        found += dx.sampling_mismatch(data, model.pad, model.bin)
    fixed = model.fixed_background
    modelled = model.detector == "quadratic" or "background" in model.free_blocks or \
        (fixed is not None and bool(np.any(np.asarray(fixed) != 0)))
    if not modelled:
        found += dx.unmodelled_background(data)
    amplitude = model.amplitude.astype(np.float64)
    if model.basis is not None:
        found += dx.mode_count(model.basis.shape[0], amplitude)
    diversity = None if model.diversity is None else model.diversity.astype(np.float64)
    if model.basis is None or model.basis.shape[0] >= 3:  # even modes present
        found += dx.twin_image_ambiguity(amplitude, diversity)
    if x is not None:
        wavefront = model.wavefront(model.unpack(x)["wavefront"]).astype(np.float64)
        found += dx.wrapping(wavefront / model.wavelength, amplitude)
    return found


def assess(model, x, result=None, *, noise=None, read_noise=None, gain=1.0,
           uncertainties=True):
    """Report on a fit of ``model`` at ``x``: convergence, cost against the noise,
    uncertainties and warnings.

    Parameters
    ----------
    model : pg.PhaseRetrieval or pg.PhaseDiversity
        The fitted model. For the object-eliminated ``PhaseDiversity`` the residual is the
        data less the scene ``estimate_object(x)`` seen through the PSFs, and the degrees of
        freedom are reduced by the scene's effective parameters (``eliminated_residuals``);
        its uncertainties come from the metric's Hessian (by central differences of the
        exact gradient, 2K gradients) over 2 sigma^2.
    x : array_like
        The flat parameter vector found (``model.pack``'s layout).
    result : OptimizeResult, optional
        The solver's result: its ``converged`` (or ``success``) and ``stop_reason`` (or
        ``message``) are reported.
    noise : {None, "weights", "gaussian", "poisson"}, keyword-only
        How the data's noise is known. ``metric="poisson"`` models imply "poisson" (the
        deviance 2E is the statistic). For ``metric="sse"``: "weights", the weights are the
        inverse variances (chi^2 = E); "gaussian", every pixel has read noise ``read_noise``
        (chi^2 = E / sigma^2 with the weights as relative ones); "poisson", the data are
        counts of variance ``M + read_noise^2`` (Pearson's chi^2); "spectrum", the mean
        variance per pixel measured in the data's spectrum beyond the optics' cut-off
        (``diagnostics.spectral_noise``, data at pad >= 2; at least 1e-6 of the brightest
        pixel, or 1000 eps of it for a float32 model: noiseless data), then as "gaussian"
        with that sigma and a threshold of at least 2; None, the noise is unknown: no
        comparison, and the uncertainties take the residual variance ``E / dof``.
    read_noise : float, keyword-only
        sigma in the data's units (required, > 0, with "gaussian"; default the model's own
        ``read_noise`` with "poisson").
    gain : float, keyword-only
        With ``noise="poisson"`` and ``metric="sse"``: the data's units per count (data
        divided by a flux scale f have gain 1/f); a pixel's variance is ``gain M +
        read_noise^2``. Default 1 (the data are counts). A ``metric="poisson"`` model's data
        are counts: gain 1.
    uncertainties : bool, keyword-only
        Compute them (default; a dense K x K matrix from K Jacobian columns per plane).
        False: NaN, source "none" (a scene of N^2 pixels).

    Returns
    -------
    FitReport
        ``agrees`` is ``reduced_chi2 <= agreement_threshold(dof)``: the cost is within five
        of its standard deviations (sqrt(2 / dof)) of its expectation, or 5 % of it when dof
        is so large that five standard deviations are less. A fit that did not converge or
        lies above the threshold gets a finding that says so.

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> A = pg.circular_pupil(16); Z = pg.zernike_basis(5, 16, first=2)
    >>> D = pg.PhaseRetrieval(A, Z, np.zeros((32, 32))).simulate(np.full(5, 0.05))
    >>> m = pg.PhaseRetrieval(A, Z, D + 1e-6 * np.random.default_rng(0).normal(size=D.shape))
    >>> fit = pg.optimize.levenberg_marquardt(m, np.full(5, 0.04))
    >>> report = pg.optimize.assess(m, fit.x, fit, noise="gaussian", read_noise=1e-6)
    >>> bool(report.agrees)
    True
    """
    if noise is not None:
        v.one_of(noise, "noise", NOISE)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape != (model.n_params,):
        raise ValueError(f"x must hold model.n_params = {model.n_params} values; got "
                         f"{x.size}")
    v.finite(x, "x")
    gain = v.scalar(gain, "gain", allow_complex=False)
    if not gain > 0 or not np.isfinite(gain):
        raise ValueError(f"gain must be > 0 and finite; got {gain!r}")
    eliminated = is_eliminated(model)
    if eliminated and noise == "weights":
        raise ValueError("an object-eliminated model has no weights: give noise='gaussian', "
                         "'poisson', 'spectrum' or None")
    if getattr(model, "metric", "sse") == "poisson":
        if noise not in (None, "poisson"):
            raise ValueError(f"a metric='poisson' model's noise is 'poisson'; got {noise!r}")
        if gain != 1.0:
            raise ValueError(f"a metric='poisson' model's data are counts: gain must be 1; "
                             f"got {gain!r}")
        noise = "poisson"
    measured = noise == "spectrum"
    if measured:
        if read_noise is not None:
            raise ValueError("noise='spectrum' measures the noise: give no read_noise")
        level = float(np.mean(dx.spectral_noise(model.data)))
        # Noiseless (simulated) data: no camera measures below a millionth of its brightest
        # pixel, and a float32 model's rounding lies higher (1000 eps of the peak).
        rounding = max(1e3 * np.finfo(model.dtype).eps, _NOISELESS) * \
            float(np.abs(model.data).max())
        level = max(level, rounding**2) if np.isfinite(level) else level
        noise, read_noise = ("gaussian", float(np.sqrt(level))) if level > 0 else (None, 0.0)
    elif read_noise is None:
        if noise == "gaussian":
            raise ValueError("noise='gaussian' needs read_noise (sigma, in the data's units)")
        read_noise = float(getattr(model, "read_noise", 0.0))
    else:
        read_noise = v.scalar(read_noise, "read_noise", allow_complex=False)
        if read_noise < 0 or (noise == "gaussian" and read_noise == 0):
            raise ValueError(f"read_noise must be {'> 0' if noise == 'gaussian' else '>= 0'}; "
                             f"got {read_noise!r}")
    cost, gradient = model.fun_and_jac(x)
    if eliminated:
        n_data = int(model.data.size)
        reduced, variance, dof = _eliminated_statistic(model, x, noise, read_noise, gain)
        deviance = None
        sigma, source = (_eliminated_uncertainties(model, x, variance) if uncertainties
                         else (np.full(model.n_params, np.nan), "none"))
    else:
        n_data = int(np.count_nonzero(_used_pixels(model)))
        dof = n_data - model.n_params
        reduced, deviance = _noise_statistic(model, x, cost, noise, read_noise, dof, gain)
        sigma, source = (_uncertainties(model, x, noise, read_noise, cost, dof, gain)
                         if uncertainties else (np.full(model.n_params, np.nan), "none"))
    threshold = agreement_threshold(dof)
    if measured:
        threshold = max(threshold, _MEASURED_FLOOR)
    agrees = None if reduced is None else bool(reduced <= threshold)
    converged = None
    stop_reason = ""
    if result is not None:
        converged = bool(getattr(result, "converged", getattr(result, "success", False)))
        stop_reason = str(getattr(result, "stop_reason", "") or getattr(result, "message", ""))
    findings = list(eliminated_findings(model, x) if eliminated else
                    problem_findings(model, x))
    sampling = float(model.pad) / getattr(model, "bin", 1)
    if measured and sampling < 2.0:
        findings.append(dx.Finding("noise-unmeasured", f"the images are sampled at pad / bin = "
                                                       f"{sampling:.3g} < 2: their spectrum's "
                                                       "corners hold aliased light, so the "
                                                       "noise measured there, and the "
                                                       "uncertainties, are overstated and the "
                                                       "residual check is loose; give the "
                                                       "noise (--noise)"))
    if converged is False:
        findings.append(dx.Finding("not-converged", f"the fit did not converge (it stopped: "
                                                    f"{stop_reason or 'unknown'})"))
    if agrees is False:
        name = "deviance per degree of freedom" if deviance is not None else \
            "reduced chi-square"
        findings.append(dx.Finding("residual", f"the residual is far above the noise: {name} "
                                               f"{reduced:.4g} > {threshold:.4g} (a wrong "
                                               "basin, a wrong model or a wrong noise level)"))
    warning_level = 1.0 + max(_SIGMAS * np.sqrt(2.0 / dof), _MEASURED_WARNING) if dof > 0 \
        else np.inf
    if measured and agrees and reduced > warning_level:
        findings.append(dx.Finding("noise-level", f"the residual is {reduced:.3g} times the "
                                                  "noise measured in the images' spectrum: "
                                                  "more than the noise explains unless that "
                                                  "measure is 20 % low (a model that does not "
                                                  "describe the data?); give the noise to "
                                                  "judge the fit strictly"))
    # A noise told (not measured) that the residual lies five standard deviations below: the
    # noise is overstated and the check above loose by the same factor (counts with a bias,
    # the wrong units).
    floor_level = 1.0 - max(_SIGMAS * np.sqrt(2.0 / dof), _FLOOR) if dof > 0 else -np.inf
    if not measured and reduced is not None and reduced < floor_level:
        findings.append(dx.Finding("noise-overstated", f"the residual is {reduced:.3g} times "
                                                       "the noise told, below "
                                                       f"{floor_level:.3g}: that noise is "
                                                       "overstated (a bias or background not "
                                                       "subtracted from counts? the wrong "
                                                       "units?), and the check against it is "
                                                       "loose by as much"))
    blocks = [p for p in model.parameters
              if not np.all(np.isfinite(sigma[p.offset:p.offset + p.size]))]
    # With the scene eliminated, tip and tilt only move it: their infinite uncertainty is the
    # method's, expected in every fit, and a warning on every right answer would teach users to
    # ignore warnings. Warned: any other undetermined coefficient, or a fit of nothing else.
    moves = _moves_the_scene(model) if eliminated else None
    shown = None
    if source != "none" and eliminated and blocks:
        undetermined = ~np.isfinite(sigma)
        shown = undetermined if moves.all() else undetermined & ~moves
    if shown is not None and shown.any():
        free = np.flatnonzero(shown)
        findings.append(dx.Finding("undetermined", "the data do not determine wavefront "
                                                   "coefficient(s) " +
                                   ", ".join(str(int(j)) for j in free[:10]) +
                                   (", ..." if free.size > 10 else "") +
                                   (" (an infinite uncertainty; with the scene eliminated, "
                                    "tip and tilt only move it, and nothing else is fitted)"
                                    if moves.all() else " (an infinite uncertainty)")))
    elif source != "none" and blocks and not eliminated:
        findings.append(dx.Finding("undetermined", "the data do not determine every "
                                                   "parameter of the block(s) " +
                                   ", ".join(p.name for p in blocks) +
                                   " (an infinite uncertainty)"))
    return FitReport(converged=converged, stop_reason=stop_reason, cost=float(cost),
                     gradient_norm=_projected_gradient_norm(model, x, gradient), n_data=n_data,
                     dof=int(round(dof)), noise=noise, reduced_chi2=reduced, deviance=deviance,
                     threshold=threshold, agrees=agrees, uncertainties=sigma,
                     uncertainty_source=source, findings=tuple(findings))
