"""The imaging model (docs/imaging-model.md): what an object, point sources, nuisance blocks or
the Poisson metric cost over the point-source model.

Run: ``python -m phasegrad.bench.imaging [--quick] [--sizes 64,128] [--threads N] [--rounds R]
[--out DIR]``.

For each pupil size n (pad 2, 36 Zernike modes, two planes, ``backend="fused"``) the median
time of one ``value_and_grad`` (the flat form, ``fun_and_jac``) of:

- ``point``: the point-source model (today's fast path, the reference for the ratios);
- ``known_object``: a known (N, N) scene (the transfer: four real transforms per plane);
- ``binary``: ``pg.PointSources(2)``, free positions and fluxes;
- ``nuisance``: free shift, jitter, flux and background per plane;
- ``poisson``: the shifted-Poisson metric with read noise, no transfer;
- ``poisson_binary``: the Poisson metric and two point sources.

sampled in interleaved rounds (``harness.interleaved_medians``), with each ratio to ``point``.
The issue's target for objects and point-source groups is ``<= 1.5`` (see
docs/fused-models.md for what bounds it). ``--quick``: n = 32, two rounds. Writes
``bench_imaging.json`` into ``--out`` when given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import phasegrad as pg

from .harness import interleaved_medians, print_table, write_json

MODES = 36
KINDS = ("point", "known_object", "binary", "nuisance", "poisson", "poisson_binary")


def imaging_model(n, kind, seed=0):
    """A two-plane model of pupil size n and its parameter vector, for one of ``KINDS``."""
    rng = np.random.default_rng(seed)
    amplitude = pg.circular_pupil(n)
    basis = pg.zernike_basis(MODES, n, first=2)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    size = 2 * n
    data = rng.poisson(50.0, (2, size, size)).astype(np.float64)
    options = {
        "point": {},
        "known_object": {"object": rng.uniform(0.0, 1.0, (size, size))},
        "binary": {"object": pg.PointSources(2)},
        "nuisance": {"fit": ("shift", "jitter", "flux", "background")},
        "poisson": {"metric": "poisson", "read_noise": 2.0},
        "poisson_binary": {"object": pg.PointSources(2), "metric": "poisson",
                           "read_noise": 2.0},
    }[kind]
    model = pg.PhaseRetrieval(amplitude=amplitude * 30.0, basis=basis, data=data, pad=2,
                              diversity=np.stack([0.0 * defocus, 0.5 * defocus]), **options)
    blocks = {"a": rng.normal(scale=0.05, size=MODES)}
    if "positions" in model.free_blocks:
        blocks["positions"] = np.array([[0.3, 1.2], [-2.1, 0.7]])
        blocks["fluxes"] = np.array([1.0, 0.6])
    if "shift" in model.free_blocks:
        blocks["shift"] = np.array([[0.2, 0.3], [0.1, -0.4]])
    return model, model.pack(**blocks)


def rows_for(n, rounds):
    calls = {}
    for kind in KINDS:
        model, x = imaging_model(n, kind)
        model.fun_and_jac(x)  # warm-up: plans, buffers
        calls[kind] = (lambda m, y: lambda: m.fun_and_jac(y))(model, x)
    seconds = interleaved_medians(calls, rounds=rounds, min_time=0.05)
    base = seconds["point"]
    return [{"n": n, "model": kind, "ms": f"{value * 1e3:.3f}",
             "x point": f"{value / base:.2f}"} for kind, value in seconds.items()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 32, a smoke run")
    parser.add_argument("--sizes", default=None, help="pupil sizes (default 64,128)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.threads is not None:
        pg.set_num_threads(args.threads)
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else ([32] if args.quick else [64, 128]))
    rounds = 2 if args.quick else args.rounds
    print(f"phasegrad {pg.__version__}, {pg.get_num_threads()} threads, {MODES} modes, "
          "2 planes, pad 2, value_and_grad")
    rows = []
    for n in sizes:
        rows += rows_for(n, rounds)
    print_table(rows, ["n", "model", "ms", "x point"])
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_json(args.out / "bench_imaging.json", rows, threads=pg.get_num_threads(),
                   quick=args.quick)
    return 0


if __name__ == "__main__":
    main()
