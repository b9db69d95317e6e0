"""Poisson maximum likelihood against the Cramer-Rao bound: how fast a fit reaches the accuracy
the photons allow.

Run: ``python -m phasegrad.bench.poisson_ml [--photons 1e7] [--size 64] [--rounds 3]
[--threads 1]``.

The problem: a ``size``-pixel circular pupil (N = 2 size: 128^2 images by default), 36 Zernike
modes from Noll 2 at 0.05 waves RMS each (drawn), two planes at +-0.5 wave of defocus,
``photons`` photons per image, Poisson noise drawn once. ``metric="poisson"`` fits from a flat
wavefront with ``pg.optimize.lbfgs`` and ``levenberg_marquardt``; the table gives the median
wall time of ``rounds`` solves, the error (the RMS over modes of the fitted minus the true
coefficients) and the Cramer-Rao bound's RMS over modes at the truth (``cramer_rao``). The
issue's target: the bound's accuracy in <= 0.05 s on one core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import phasegrad as pg

from .harness import print_table

MODES = 36


def problem(size, photons, seed=3):
    """The model (Poisson metric) and the true coefficients."""
    rng = np.random.default_rng(seed)
    pupil = pg.circular_pupil(size)
    basis = pg.zernike_basis(MODES, size, first=2)
    diversity = np.stack([0.5 * basis[2], -0.5 * basis[2]])
    truth = 0.05 * rng.normal(size=MODES)
    grid = 2 * size
    simulator = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=np.zeros((2, grid, grid)),
                                  diversity=diversity)
    clean = simulator.simulate(truth)
    scale = photons / clean[0].sum()
    data = rng.poisson(clean * scale).astype(np.float64)
    model = pg.PhaseRetrieval(amplitude=pupil * np.sqrt(scale), basis=basis, data=data,
                              diversity=diversity, metric="poisson")
    return model, truth


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.poisson_ml",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--photons", type=float, default=1e7, help="photons per image")
    parser.add_argument("--size", type=int, default=64, help="pupil size (default 64)")
    parser.add_argument("--rounds", type=int, default=3, help="solves per method (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="phasegrad threads (default 1)")
    args = parser.parse_args(argv)
    if args.photons <= 0 or args.size < 8 or args.rounds < 1 or args.threads < 1:
        parser.error("--photons must be > 0, --size >= 8, --rounds and --threads >= 1")
    model, truth = problem(args.size, args.photons)
    bound = float(np.sqrt(np.mean(model.cramer_rao(model.pack(truth)) ** 2)))
    solvers = {"lbfgs": lambda: pg.optimize.lbfgs(model, np.zeros(MODES), maxiter=500),
               "lm": lambda: pg.optimize.levenberg_marquardt(model, np.zeros(MODES))}
    rows = []
    with pg.threads(args.threads):
        for name, solve in solvers.items():
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                result = solve()
                times.append(time.perf_counter() - start)
            error = float(np.sqrt(np.mean((result.x - truth) ** 2)))
            rows.append({"method": name, "ms": f"{statistics.median(times) * 1e3:.1f}",
                         "iterations": result.nit, "error_waves": f"{error:.3g}",
                         "error / bound": f"{error / bound:.2f}"})
    print(f"Poisson ML, {2 * args.size}^2 images, {MODES} modes, 2 planes, {args.photons:g} "
          f"photons per image, {args.threads} thread(s); Cramer-Rao bound {bound:.3g} waves "
          "RMS per mode")
    print_table(rows, ["method", "ms", "iterations", "error_waves", "error / bound"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
