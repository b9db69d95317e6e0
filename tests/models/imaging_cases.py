"""Small imaging models (reference backend) for the tests of docs/imaging-model.md's options."""

import numpy as np

import phasegrad as pg

N_PUPIL = 8


def pupil_and_basis(n=N_PUPIL, modes=4, dtype=np.float64):
    amplitude = pg.circular_pupil(n, dtype=dtype)
    return amplitude / amplitude.sum(), pg.zernike_basis(modes, n, first=2, dtype=dtype)


def scene(size, seed=3):
    """A small non-negative scene with its brightest pixel on axis."""
    rng = np.random.default_rng(seed)
    o = rng.uniform(0.0, 0.3, (size, size))
    o[size // 2, size // 2] = 1.0
    return o


def build(*, planes=1, pad=2, bin=1, window=None, modes=4, basis=True, wavelengths=None,
          spectral_weights=None, detector="linear", weights=False, dtype=np.float64,
          scale=1.0, seed=0, backend="reference", data=None, **options):
    """A model whose data are random (every gradient term non-zero), counts of ``scale``."""
    rng = np.random.default_rng(seed)
    amplitude, zernikes = pupil_and_basis(modes=modes, dtype=dtype)
    size = int(round(pad * N_PUPIL)) // bin
    size = size if window is None else window
    if data is None:
        data = rng.uniform(0.0, 0.02 * scale, size=(planes, size, size))
    data = np.asarray(data).astype(dtype)
    diversity = None
    if planes > 1:
        defocus = pg.zernike_basis(1, N_PUPIL, first=4, dtype=dtype)[0]
        diversity = np.stack([0.3 * k * defocus for k in range(planes)])
    w = rng.uniform(0.5, 1.5, size=data.shape).astype(dtype) if weights else None
    return pg.PhaseRetrieval(amplitude=amplitude, basis=zernikes if basis else None, data=data,
                             pad=pad, bin=bin, wavelengths=wavelengths,
                             spectral_weights=spectral_weights, detector=detector, weights=w,
                             diversity=diversity, backend=backend, **options)


def point(model, seed=1, background=(0.001, 0.003)):
    """A flat parameter vector with every free block away from its start and its bounds (a
    free background uniform in the range ``background``)."""
    rng = np.random.default_rng(seed)
    blocks = {}
    for p in model.parameters:
        if p.name == "wavefront":
            blocks["a"] = rng.normal(scale=0.1, size=p.shape)
        elif p.name == "detector":
            blocks["p"] = (0.05, 1.1, 0.002)
        elif p.name == "positions":
            blocks["positions"] = rng.uniform(-2.5, 2.5, p.shape)
        elif p.name == "fluxes":
            blocks["fluxes"] = rng.uniform(0.5, 1.5, p.shape)
        elif p.name == "object":
            blocks["object"] = scene(p.shape[0], seed)
        elif p.name == "flux":
            blocks["flux"] = rng.uniform(0.7, 1.3, p.shape)
        elif p.name == "background":
            blocks["background"] = rng.uniform(*background, p.shape)
        elif p.name == "shift":
            blocks["shift"] = rng.uniform(-1.5, 1.5, p.shape)
        elif p.name == "jitter":
            blocks["jitter"] = [0.6]
        elif p.name == "amplitude":
            start = model.unpack(model.pack(**_placeholders(model, blocks)))["amplitude"]
            blocks["amplitude"] = start * rng.uniform(0.8, 1.2, p.shape)
    return model.pack(**blocks)


def _placeholders(model, blocks):
    """The blocks pack needs before the others have values (positions have no start)."""
    out = {k: v for k, v in blocks.items() if k in ("a", "p")}
    if "positions" in model.free_blocks:
        out["positions"] = np.zeros((model.n_sources, 2))
    return out


# name -> build() options; every option of docs/imaging-model.md and their combinations.
CASES = {
    "points": {"object": pg.PointSources(2)},
    "known_object": {"object": scene(5)},
    "known_object_full": {"object": scene(16)},
    "free_object": {"object": "free"},
    "nuisance": {"planes": 2, "fit": ("flux", "background", "shift", "jitter")},
    "fixed_nuisance": {"planes": 2, "flux": [1.2, 0.8], "background": 0.001,
                       "shift": [[0.3, -0.7], [1.0, 0.5]], "jitter": 0.4},
    "amplitude_map": {"fit": ("amplitude",)},
    "amplitude_basis": {"fit": ("amplitude",), "amplitude_basis": None},
    "poisson_points": {"object": pg.PointSources(2), "metric": "poisson", "read_noise": 0.01,
                       "scale": 1.0},
    "poisson_plain": {"metric": "poisson", "fit": ("background",)},
    "window_bin_broadband": {"bin": 2, "window": 6, "wavelengths": [0.8, 1.0, 1.25],
                             "spectral_weights": [0.3, 0.3, 0.4], "detector": "quadratic",
                             "weights": True, "fit": ("shift", "jitter"), "planes": 2},
    "pointwise_object": {"basis": False, "object": scene(3), "fit": ("flux",)},
    "odd_window_points": {"window": 13, "object": pg.PointSources(1), "weights": True},
    "points_broadband_bin_quadratic": {"object": pg.PointSources(2), "planes": 2, "bin": 2,
                                       "wavelengths": [0.9, 1.2], "detector": "quadratic",
                                       "weights": True},
    "free_object_planes_window": {"object": "free", "planes": 2, "window": 14, "jitter": 0.3,
                                  "metric": "poisson", "read_noise": 0.05},
    "odd_grid": {"pad": 1.375, "object": scene(3), "fit": ("shift", "background")},
    "everything_poisson": {"planes": 2, "bin": 2, "window": 7, "wavelengths": [0.9, 1.1],
                           "object": scene(4), "metric": "poisson", "read_noise": 0.02,
                           "fit": ("flux", "background", "shift", "jitter", "amplitude")},
}


def case(name, **extra):
    options = dict(CASES[name])
    options.update(extra)
    if "amplitude_basis" in options and options["amplitude_basis"] is None:
        options["amplitude_basis"] = pg.zernike_basis(3, N_PUPIL, first=1)
    return build(**options)
