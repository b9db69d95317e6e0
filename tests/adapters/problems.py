"""Small models shared by the adapter tests (imported by file path: no torch or jax here).

The amplitude is scaled so that E and its gradients are O(1..1e3): float64 finite differences
(torch.autograd.gradcheck) then resolve them well.
"""

import numpy as np

import phasegrad as pg

N_PUPIL = 8
N_MODES = 4
WAVELENGTH = 1.0
TRUE_P = (0.01, 1.0, 0.02)


def phase_retrieval(detector="linear", dtype=np.float64, basis=True):
    """A 8x8 pupil on a 16x16 grid with weights; data simulated at other coefficients."""
    amplitude = 0.05 * pg.circular_pupil(N_PUPIL)
    modes = pg.zernike_basis(N_MODES, N_PUPIL, first=2) if basis else None
    shape = (N_MODES,) if basis else (N_PUPIL, N_PUPIL)
    truth = np.random.default_rng(1).normal(0.0, 0.05, shape)
    weights = np.random.default_rng(2).uniform(0.5, 1.5, (2 * N_PUPIL, 2 * N_PUPIL))
    simulator = pg.PhaseRetrieval(amplitude=amplitude, basis=modes,
                                  data=np.zeros((2 * N_PUPIL,) * 2), detector=detector)
    data = simulator.simulate(truth, TRUE_P if detector == "quadratic" else None)
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=modes, data=data.astype(dtype),
                              weights=weights, detector=detector, wavelength=WAVELENGTH)
    return model, dict(amplitude=amplitude, basis=modes, data=data, weights=weights)


def nuisance(dtype=np.float64):
    """The phase retrieval with free flux and background: a flat parameter vector x."""
    amplitude = 0.05 * pg.circular_pupil(N_PUPIL)
    modes = pg.zernike_basis(N_MODES, N_PUPIL, first=2)
    fit = ("flux", "background")
    simulator = pg.PhaseRetrieval(amplitude=amplitude, basis=modes,
                                  data=np.zeros((2 * N_PUPIL,) * 2), fit=fit)
    truth = simulator.pack(np.random.default_rng(1).normal(0.0, 0.05, N_MODES), flux=[1.3],
                           background=[0.01])
    data = simulator.simulate(truth)
    return pg.PhaseRetrieval(amplitude=amplitude, basis=modes, data=data.astype(dtype), fit=fit)


def hologram(dtype=np.float64, shape=(12, 12)):
    target = np.zeros(shape)
    target[3:7, 4:9] = 1.0
    target[8, 2] = 0.5
    return pg.Hologram(target=target.astype(dtype))


def start(model, seed=0):
    """A starting point for every argument of the model, as float64 NumPy arrays."""
    rng = np.random.default_rng(seed)
    if isinstance(model, pg.Hologram):
        return (rng.uniform(-np.pi, np.pi, model.shape),)
    a = rng.normal(0.0, 0.05, model.coefficient_shape)
    if set(model.free_blocks) - {"wavefront", "detector"}:
        return (model.pack(a, flux=[1.0], background=[0.0]),)
    return (a, np.array([0.0, 1.0, 0.0])) if model.detector == "quadratic" else (a,)
