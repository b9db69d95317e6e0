"""The two benchmark workloads as inputs: what every implementation is given.

``pr_problem``: Jurling & Fienup Eq. (99) with one plane, padding 2, 36 Zernike modes, weights
and the quadratic detector M = a I^2 + b I + c; the data are the reference model's images at a
random aberration and the parameters are evaluated elsewhere (half the aberration, another
detector), so E and every gradient are far from zero.
``hologram_problem``: the phase-only hologram of ``pg.Hologram`` at a random phase.
Both are made in float64 and cast, so float32 and float64 rows see the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import phasegrad as pg

PAD = 2
MODES = 36
WAVELENGTH = 1.0
TRUE_DETECTOR = (0.05, 1.0, 1e-4)       # (a, b, c) of M = a I^2 + b I + c behind the data
DETECTOR = (0.02, 0.9, 0.0)             # where the gradient is evaluated


@dataclass
class PhaseRetrievalProblem:
    amplitude: np.ndarray   # (n, n), peak in-focus intensity 1
    basis: np.ndarray       # (K, n, n) Zernike modes, Noll 1..K, unit RMS
    data: np.ndarray        # (N, N), N = PAD * n
    weights: np.ndarray     # (N, N), positive
    a: np.ndarray           # (K,) coefficients where E and its gradient are evaluated
    p: np.ndarray           # (3,) detector parameters (float64, as the API takes them)
    wavelength: float = WAVELENGTH
    pad: int = PAD

    @property
    def n(self):
        return self.amplitude.shape[0]

    @property
    def grid(self):
        return self.pad * self.n

    @property
    def dtype(self):
        return self.data.dtype

    def model(self, backend):
        """The ``pg.PhaseRetrieval`` of this problem (raises what the backend raises)."""
        return pg.PhaseRetrieval(amplitude=self.amplitude, basis=self.basis, data=self.data,
                                 wavelength=self.wavelength, pad=self.pad,
                                 weights=self.weights, detector="quadratic", backend=backend)


@dataclass
class HologramProblem:
    target: np.ndarray      # (n, n), non-negative
    phi: np.ndarray         # (n, n) phase where E and its gradient are evaluated

    @property
    def n(self):
        return self.target.shape[0]

    @property
    def grid(self):
        return self.n

    @property
    def dtype(self):
        return self.target.dtype

    def model(self, backend):
        return pg.Hologram(target=self.target, backend=backend)


def pr_problem(n, dtype=np.float64, modes=MODES, seed=0):
    """The phase-retrieval workload on an n-pixel pupil (grid N = 2n), in ``dtype``."""
    rng = np.random.default_rng(seed)
    pupil = pg.circular_pupil(n)
    amplitude = pupil / pupil.sum()
    basis = pg.zernike_basis(modes, n)
    truth = rng.normal(scale=0.05, size=modes)           # ~0.3 waves RMS over 36 modes
    grid = PAD * n
    blank = np.zeros((grid, grid))
    data = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank, pad=PAD,
                             detector="quadratic").simulate(truth, TRUE_DETECTOR)
    weights = rng.uniform(0.5, 1.5, size=(grid, grid))
    dtype = np.dtype(dtype)
    return PhaseRetrievalProblem(
        amplitude=amplitude.astype(dtype), basis=basis.astype(dtype), data=data.astype(dtype),
        weights=weights.astype(dtype), a=(0.5 * truth).astype(dtype),
        p=np.array(DETECTOR, dtype=np.float64))


def hologram_problem(n, dtype=np.float64, seed=0):
    """The hologram workload on an n x n grid, in ``dtype``."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    target = rng.uniform(size=(n, n)).astype(dtype)
    phi = rng.uniform(0, 2 * np.pi, size=(n, n)).astype(dtype)
    return HologramProblem(target=target, phi=phi)


WORKLOADS = {"pr": pr_problem, "hologram": hologram_problem}
