"""The imaging options of ``PhaseRetrieval`` (docs/imaging-model.md): the scene, the fixed and
free nuisance blocks, the free amplitude, and the parameter layout they make.

``configure(model, ...)`` checks every option and sets the configuration attributes both
backends read (``object_kind``, ``object_size``, ``n_sources``, ``fit``, ``free_blocks``,
``support``, ``transfer``, ``parameters``, ``backend_parameters``, the fixed values); the
start values and bounds of each block live here too.
"""

from __future__ import annotations

import numpy as np

from ..arguments import imaging as im
from ..arguments import validate as v
from .objects import PointSources
from .parameters import layout

__all__ = ["bounds", "configure", "poisson_shift", "start_values"]

# The default start of a free jitter (unbinned pixels): its gradient vanishes at 0.
_JITTER_START = 0.5


def _scene(model, obj):
    """``object=``: None, an (S, S) array, PointSources(k) or "free"."""
    model.sources = None
    model.object = None
    if obj is None:
        return None, None, 0
    if isinstance(obj, PointSources):
        model.sources = obj
        if obj.positions is not None:
            check_positions(obj.positions, model.grid)
        return "points", None, obj.k
    if isinstance(obj, str):
        if obj != "free":
            raise ValueError(f"object must be None, an (S, S) array, pg.PointSources(k) or "
                             f"'free'; got {obj!r}")
        return "free", model.grid, 0
    arr = v.array(obj, "object", kind="real")
    N = model.grid
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] > N:
        raise ValueError(f"object must be a square (S, S) scene with S <= N = pad * n = {N} "
                         f"(the unbinned detector grid); got shape {arr.shape}")
    v.finite(arr, "object")
    if np.any(arr < 0):
        raise ValueError("object must be non-negative (a scene of light)")
    if not np.any(arr):
        raise ValueError("object must not be all zero (there would be no light)")
    model.object = v.cast(arr, model.dtype, "object")
    return "known", arr.shape[0], 0


def check_positions(positions, grid):
    """Sources must lie on the FFT grid: the centre pixel plus the position in [0, N)."""
    c = grid // 2
    outside = (positions + c < 0) | (positions + c > grid - 1)
    if np.any(outside):
        raise ValueError(f"positions must lie inside the field: between {-c} and "
                         f"{grid - 1 - c} unbinned pixels from the centre; got "
                         f"{np.asarray(positions).tolist()}")


def _amplitude_basis(model, amplitude_basis):
    if amplitude_basis is None:
        return None
    if "amplitude" not in model.fit:
        raise ValueError("amplitude_basis needs 'amplitude' in fit (it describes the free "
                         "pupil amplitude)")
    arr = v.array(amplitude_basis, "amplitude_basis", kind="real")
    n = model.n
    if arr.ndim != 3 or arr.shape[1:] != (n, n):
        raise ValueError(f"amplitude_basis must have shape (K, {n}, {n}); got {arr.shape}")
    v.finite(arr, "amplitude_basis")
    return v.cast(arr, model.dtype, "amplitude_basis")


def poisson_shift(read_noise, data):
    """The shift s of the shifted-Poisson metric for ``data``: read_noise^2, plus a floor of
    1e-9 of the brightest count, so that a model pixel that is exactly 0 where a count was
    recorded (a zero of the PSF, the start of a fit) gives a finite E and gradient, not
    inf/NaN."""
    peak = float(np.max(np.abs(data)))
    return read_noise**2 + 1e-9 * max(peak, 1e-300)


def configure(model, obj, metric, read_noise, fit, flux, background, shift, jitter,
              amplitude_basis):
    """Check the imaging options and set ``model``'s configuration attributes."""
    planes = model.data.shape[0]
    model.metric = v.one_of(metric, "metric", im.METRICS)
    model.read_noise = im.read_noise(read_noise, model.metric)
    model.poisson_shift = 0.0
    if model.metric == "poisson":
        im.poisson_data(model.data, model.read_noise)
        model.poisson_shift = poisson_shift(model.read_noise, model.data)
    model.object_kind, model.object_size, model.n_sources = _scene(model, obj)
    model.fit = im.fit_names(fit)
    im.identifiable(model.fit, model.object_kind, model.detector)
    model.amplitude_basis = _amplitude_basis(model, amplitude_basis)

    def fixed(value, name, neutral, width=None, minimum=None):
        if value is None:
            return None
        if name in model.fit:
            raise ValueError(f"{name}= is a fixed value, but {name!r} is in fit (free): give "
                             f"its start value to pack({name}=...) instead")
        arr = im.per_plane(value, name, planes, width, minimum)
        return None if np.all(arr == neutral) else arr

    model.fixed_flux = fixed(flux, "flux", 1.0, minimum=0.0)
    model.fixed_background = fixed(background, "background", 0.0)
    model.fixed_shift = fixed(shift, "shift", 0.0, width=2)
    model.fixed_jitter = None
    if jitter is not None:
        if "jitter" in model.fit:
            raise ValueError("jitter= is a fixed value, but 'jitter' is in fit (free): give "
                             "its start value to pack(jitter=...) instead")
        sigma = v.scalar(jitter, "jitter", allow_complex=False)
        if sigma < 0:
            raise ValueError(f"jitter must be >= 0 (an RMS blur); got {jitter!r}")
        model.fixed_jitter = sigma if sigma > 0 else None

    model.support = model.amplitude != 0
    model.transfer = (model.object_kind is not None or "shift" in model.fit
                      or "jitter" in model.fit or model.fixed_shift is not None
                      or model.fixed_jitter is not None)
    shapes = {"wavefront": model.coefficient_shape}
    if model.detector == "quadratic":
        shapes["detector"] = (3,)
    if model.object_kind == "points":
        shapes["positions"] = (model.n_sources, 2)
        shapes["fluxes"] = (model.n_sources,)
    if model.object_kind == "free":
        shapes["object"] = (model.grid, model.grid)
    block_shapes = {"flux": (planes,), "background": (planes,), "shift": (planes, 2),
                    "jitter": (1,), "amplitude": (model.n, model.n)}
    for name in model.fit:
        shapes[name] = block_shapes[name]
    backend_parameters = layout(shapes)
    if model.amplitude_basis is not None:
        shapes["amplitude"] = (model.amplitude_basis.shape[0],)
    model.parameters = layout(shapes)
    model.backend_parameters = backend_parameters
    model.free_blocks = tuple(p.name for p in model.parameters)


def start_values(model):
    """The start value of each free block but the wavefront's and the detector's (float64)."""
    planes = model.data.shape[0]
    starts = {}
    if model.object_kind == "points":
        if model.sources.positions is not None:
            starts["positions"] = model.sources.positions
        starts["fluxes"] = model.sources.fluxes
    if model.object_kind == "free":
        scene = np.zeros((model.grid, model.grid))
        scene[model.grid // 2, model.grid // 2] = 1.0  # the point-source image
        starts["object"] = scene
    starts["flux"] = np.ones(planes)
    starts["background"] = np.zeros(planes)
    starts["shift"] = np.zeros((planes, 2))
    starts["jitter"] = np.array([_JITTER_START])
    amplitude = model.amplitude.astype(np.float64)
    if model.amplitude_basis is None:
        starts["amplitude"] = amplitude
    else:
        # The coefficients closest to the constructor's amplitude on the support.
        modes = model.amplitude_basis.astype(np.float64)[:, model.support].T
        starts["amplitude"] = np.linalg.lstsq(modes, amplitude[model.support], rcond=None)[0]
    return {name: value for name, value in starts.items() if name in model.free_blocks}


def bounds(model):
    """(lower, upper) float64 arrays of ``n_params``: fluxes, flux, the object's pixels,
    jitter and the amplitude map are >= 0 (an amplitude's basis coefficients are free), and
    with the Poisson metric the background too (a mean count below 0 has no likelihood)."""
    lower = np.full(model.n_params, -np.inf)
    upper = np.full(model.n_params, np.inf)
    non_negative = {"fluxes", "flux", "object", "jitter"}
    if model.metric == "poisson":
        non_negative.add("background")
    if model.amplitude_basis is None:
        non_negative.add("amplitude")
    for p in model.parameters:
        if p.name in non_negative:
            lower[p.offset:p.offset + p.size] = 0.0
    return lower, upper
