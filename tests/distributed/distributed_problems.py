"""Small stacks of phase-retrieval problems for the distributed tests: a 16-pixel pupil, four
Zernike modes, two planes (in focus and defocused), 32 x 32 images, each problem its own
wavefront."""

from __future__ import annotations

import numpy as np

import phasegrad as pg

N, MODES = 16, 4


def geometry():
    """The shared options: amplitude, basis and diversity."""
    amplitude = pg.circular_pupil(N)
    defocus = pg.zernike_basis(1, N, first=4)[0]
    return {"amplitude": amplitude, "basis": pg.zernike_basis(MODES, N, first=2),
            "diversity": np.stack([0.0 * defocus, 0.25 * defocus])}


def stack(problems, seed=0):
    """``(data (problems, 2, 32, 32), truth (problems, MODES))``."""
    rng = np.random.default_rng(seed)
    options = geometry()
    truth = rng.normal(scale=0.04, size=(problems, MODES))
    model = pg.PhaseRetrieval(data=np.zeros((2, 2 * N, 2 * N)), **options)
    data = np.stack([model.simulate(a).reshape(2, 2 * N, 2 * N) for a in truth])
    return data, truth


def one_batch(data, maxiter=200, x0=None, method="lbfgs"):
    """The whole stack as one ``PhaseRetrievalBatch`` solved by ``pg.optimize.lbfgs`` (or
    ``levenberg_marquardt``)."""
    batch = pg.PhaseRetrievalBatch(data=data, **geometry())
    start = np.zeros((len(data), batch.n_params)) if x0 is None else x0
    solver = pg.optimize.lbfgs if method == "lbfgs" else pg.optimize.levenberg_marquardt
    found = solver(batch, start, maxiter=maxiter)
    return found.x, found.cost, found.converged, found.nit


def one_by_one(data, method="lbfgs", maxiter=200, x0=None, restarts=0):
    """Every problem solved alone by ``pg.optimize``: (x, cost, converged, nit)."""
    options = geometry()
    extra = {"restarts": restarts} if method == "lbfgs" else {}
    rows = []
    for frame in data:
        model = pg.PhaseRetrieval(data=frame, **options)
        start = np.zeros(model.n_params) if x0 is None else x0
        solver = pg.optimize.lbfgs if method == "lbfgs" else pg.optimize.levenberg_marquardt
        found = solver(model, start, maxiter=maxiter, **extra)
        rows.append((found.x, found.fun, getattr(found, "converged", found.success), found.nit))
    x, cost, converged, nit = zip(*rows, strict=True)
    return np.array(x), np.array(cost), np.array(converged), np.array(nit)
