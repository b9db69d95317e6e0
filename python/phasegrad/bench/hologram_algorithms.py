"""Hologram algorithms side by side: PSNR and time after a fixed number of iterations.

Run: ``python -m phasegrad.bench.hologram_algorithms [--size 256] [--iters 100] [--seed 0]
[--threads N] [--out DIR]``.

All four start from the same uniformly random phase (``--seed``) on the built-in target
(``pg.optimize.default_target``): Adam (default lr) and L-BFGS-B on ``pg.Hologram``'s exact
gradient (fused backend), Gerchberg-Saxton and weighted GS on the C++ transforms. PSNR as
defined in ``pg.optimize.psnr`` (reconstruction scaled to the target's mean, peak = max(T)).
Each algorithm runs once after a short warm-up (plans made, caches filled); the time is the
wall clock of that run. SciPy's L-BFGS-B calls BLAS on 65536-long vectors between model
evaluations; with OpenBLAS's own threads that run took 1.1-8.9 s on a 2-core machine and
0.62 s with ``OPENBLAS_NUM_THREADS=1`` (measured; set it for a fair L-BFGS-B time).
Writes ``bench_hologram_algorithms.json`` into ``--out`` when given.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

import phasegrad as pg


def run(size=256, iters=100, seed=0):
    target = pg.optimize.default_target(size)
    hologram = pg.Hologram(target=target)
    phi0 = np.random.default_rng(seed).uniform(0, 2 * np.pi, target.shape)
    algorithms = {
        "adam": lambda n: pg.optimize.adam(hologram, phi0, iters=n),
        "lbfgs": lambda n: pg.optimize.lbfgs(hologram, phi0, maxiter=n),
        "gs": lambda n: pg.optimize.gs(target, iters=n, phi0=phi0),
        "wgs": lambda n: pg.optimize.wgs(target, iters=n, phi0=phi0),
    }
    rows = []
    for name, algorithm in algorithms.items():
        algorithm(2)  # warm-up
        start = time.perf_counter()
        result = algorithm(iters)
        seconds = time.perf_counter() - start
        quality = pg.optimize.psnr(pg.optimize.reconstruct(np.reshape(result.x, target.shape)),
                                   target)
        rows.append({"algorithm": name, "iterations": int(result.nit),
                     "evaluations": int(result.nfev), "psnr_db": quality, "seconds": seconds,
                     "loss": float(result.fun)})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.threads is not None:
        pg.set_num_threads(args.threads)
    rows = run(args.size, args.iters, args.seed)
    print(f"built-in target {args.size}x{args.size}, {args.iters} iterations, seed {args.seed}, "
          f"{pg.get_num_threads()} threads")
    print(f"{'algorithm':<10}{'iters':>6}{'evals':>7}{'PSNR dB':>9}{'time s':>9}{'loss':>12}")
    for row in rows:
        print(f"{row['algorithm']:<10}{row['iterations']:>6}{row['evaluations']:>7}"
              f"{row['psnr_db']:>9.2f}{row['seconds']:>9.3f}{row['loss']:>12.4e}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        info = {"machine": platform.platform(), "processor": platform.processor(),
                "python": platform.python_version(), "threads": pg.get_num_threads(),
                "size": args.size, "iters": args.iters, "seed": args.seed, "rows": rows}
        from ..arguments.outputs import writing

        with writing(args.out / "bench_hologram_algorithms.json") as destination:
            destination.write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
