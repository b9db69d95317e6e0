"""The native batch (``pg.PhaseRetrievalBatch``): problems per second against a Python loop over
single models on the same cores.

Run: ``python -m phasegrad.bench.batch [--quick] [--sizes 32,64,96,128] [--problems 256]
[--threads 1,2] [--maxiter 40] [--lm] [--out DIR]``.

For each pupil size n (pad 2, 21 Zernike modes, two planes of through-focus data,
``backend="fused"``, float64) and each thread count, with B problems (``--problems``; at
n >= 128 a quarter of it, at least 16, to bound the time):

- ``value_and_grad``: one ``batch.value_and_grad(X)`` against ``m.fun_and_jac(x)`` for each
  of B single models (``PhaseRetrieval`` on each problem's data), medians of interleaved
  samples; problems per second and the ratio ``x loop``;
- ``bound``: what no batch can beat, beside it: the FFTW transforms every problem needs
  (``_core.BatchTransforms64``: per problem and plane exactly the kernel's pruned transforms
  of the padded grid, the n pupil columns and every row forward, every row and the n kept
  columns back, with the kernel's plans; the B problems split across the threads with no
  other work), plus the two basis products (W = Z^T a, a_bar = Z w_bar; one BLAS product each
  way over all B problems on one thread, divided by the thread count as if split perfectly).
  ``fft x loop`` and ``bound x loop`` are the loop's time over the transforms' alone and over
  the whole bound: the largest ratio ``x loop`` any batch could reach. For the solve, the
  bound is that of one evaluation times the batch solve's evaluations (``nfev``, summed);
- ``solve``: ``pg.optimize.lbfgs(batch, X0)`` (lockstep) against ``pg.optimize.lbfgs(m, x0)``
  per model, both limited to ``--maxiter`` iterations, from the same starts; problems per
  second and the ratio; ``median |x - truth|`` of each says they solved the same problems.
- with ``--lm``, ``solve LM``: ``pg.optimize.levenberg_marquardt(batch, X0)`` (lockstep; the
  Gauss-Newton systems of all running problems in one native call) against the single solver
  (``method="dense"``) per model, on a quarter of the problems (at least 8), both limited to 20
  iterations.

The issue's target: ``x loop >= 3`` at n <= 64 and ``>= 1`` beyond. ``--quick``: n = 32, B = 16,
one thread count, a few rounds. Writes ``bench_batch.json`` into ``--out`` when given.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import phasegrad as pg
from phasegrad.config import single_threaded_blas
from phasegrad.native import core

from .harness import interleaved_medians, print_table, write_json

MODES = 21
PLANES = 2


def problems(n, count, seed=0):
    """``(batch, singles, truth, X0)``: ``count`` through-focus problems of pupil size n."""
    rng = np.random.default_rng(seed)
    amplitude = pg.circular_pupil(n)
    amplitude = amplitude / amplitude.sum()
    basis = pg.zernike_basis(MODES, n, first=2)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    diversity = np.stack([0.0 * defocus, 0.5 * defocus])
    truth = rng.normal(0.0, 0.05, (count, MODES))
    maker = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, diversity=diversity,
                              data=np.zeros((PLANES, 2 * n, 2 * n)))
    data = np.stack([maker.simulate(t) for t in truth])
    common = {"amplitude": amplitude, "basis": basis, "diversity": diversity}
    batch = pg.PhaseRetrievalBatch(data=data, **common)
    singles = [pg.PhaseRetrieval(data=d, **common) for d in data]
    X0 = truth + rng.normal(0.0, 0.02, truth.shape)
    return batch, singles, truth, X0


def _loop_value_and_grad(singles, X):
    for model, x in zip(singles, X, strict=True):
        model.fun_and_jac(x)


class Bound:
    """The bound's two parts for B problems of pupil size n (``transforms(threads)``,
    ``products()``): see the module's notes."""

    def __init__(self, batch, n, count):
        self._transforms = core.BatchTransforms64(n, 2 * n, PLANES, count)
        rng = np.random.default_rng(0)
        self._basis = np.ascontiguousarray(batch.template.basis).reshape(MODES, -1)
        self._a = rng.standard_normal((count, MODES))
        self._wavefront = np.empty((count, self._basis.shape[1]))
        self._wavefront_bar = rng.standard_normal((count, self._basis.shape[1]))
        self._a_bar = np.empty((count, MODES))

    def transforms(self, threads):
        self._transforms.run(threads)

    def products(self):
        with single_threaded_blas():
            np.matmul(self._a, self._basis, out=self._wavefront)
            np.matmul(self._wavefront_bar, self._basis.T, out=self._a_bar)


def _rate(count, seconds):
    return f"{count / seconds:.0f}"


def rows_for(n, count, threads, rounds, maxiter, lm=False):
    batch, singles, truth, X0 = problems(n, count)
    rows = []
    with pg.threads(threads):
        batch.value_and_grad(X0)  # warm-up: plans, every thread's engine
        _loop_value_and_grad(singles, X0)
        bound = Bound(batch, n, count)
        bound.transforms(threads)
        bound.products()
        seconds = interleaved_medians(
            {"batch": lambda: batch.value_and_grad(X0),
             "loop": lambda: _loop_value_and_grad(singles, X0),
             "transforms": lambda: bound.transforms(threads),
             "products": bound.products},
            rounds=rounds, min_time=0.05)
        # One evaluation of every problem: the transforms, and the products split perfectly.
        transforms = seconds["transforms"]
        floor = transforms + seconds["products"] / threads
        rows.append({"n": n, "B": count, "threads": threads, "what": "value_and_grad",
                     "batch /s": _rate(count, seconds["batch"]),
                     "loop /s": _rate(count, seconds["loop"]),
                     "x loop": f"{seconds['loop'] / seconds['batch']:.2f}",
                     "bound /s": _rate(count, floor),
                     "fft x loop": f"{seconds['loop'] / transforms:.2f}",
                     "bound x loop": f"{seconds['loop'] / floor:.2f}",
                     "err batch": "", "err loop": ""})
        pg.optimize.lbfgs(batch, X0, maxiter=1)  # warm-up: the solvers' first calls
        pg.optimize.lbfgs(singles[0], X0[0], maxiter=1)
        start = time.perf_counter()
        solved = pg.optimize.lbfgs(batch, X0, maxiter=maxiter)
        batch_time = time.perf_counter() - start
        start = time.perf_counter()
        loop_x = np.stack([pg.optimize.lbfgs(model, x0, maxiter=maxiter).x
                           for model, x0 in zip(singles, X0, strict=True)])
        loop_time = time.perf_counter() - start
        evaluations = int(solved.nfev.sum()) / count  # the bound's calls of every problem
        rows.append({"n": n, "B": count, "threads": threads, "what": f"solve ({maxiter} it)",
                     "batch /s": _rate(count, batch_time), "loop /s": _rate(count, loop_time),
                     "x loop": f"{loop_time / batch_time:.2f}",
                     "bound /s": _rate(count, evaluations * floor),
                     "fft x loop": f"{loop_time / (evaluations * transforms):.2f}",
                     "bound x loop": f"{loop_time / (evaluations * floor):.2f}",
                     "err batch": f"{np.median(np.abs(solved.x - truth)):.1e}",
                     "err loop": f"{np.median(np.abs(loop_x - truth)):.1e}"})
        if lm:
            count_lm = max(8, count // 4)
            lm_batch, lm_singles, lm_truth, lm_X0 = problems(n, count_lm, seed=1)
            pg.optimize.levenberg_marquardt(lm_batch, lm_X0, maxiter=1)  # warm-up
            start = time.perf_counter()
            solved = pg.optimize.levenberg_marquardt(lm_batch, lm_X0, maxiter=20)
            batch_time = time.perf_counter() - start
            start = time.perf_counter()
            loop_x = np.stack([pg.optimize.levenberg_marquardt(model, x0, maxiter=20,
                                                               method="dense").x
                               for model, x0 in zip(lm_singles, lm_X0, strict=True)])
            loop_time = time.perf_counter() - start
            rows.append({"n": n, "B": count_lm, "threads": threads, "what": "solve LM (20 it)",
                         "batch /s": _rate(count_lm, batch_time),
                         "loop /s": _rate(count_lm, loop_time),
                         "x loop": f"{loop_time / batch_time:.2f}",
                         "bound /s": "", "fft x loop": "", "bound x loop": "",
                         "err batch": f"{np.median(np.abs(solved.x - lm_truth)):.1e}",
                         "err loop": f"{np.median(np.abs(loop_x - lm_truth)):.1e}"})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 32, B = 16: a smoke run")
    parser.add_argument("--sizes", default=None, help="pupil sizes (default 32,64,96,128)")
    parser.add_argument("--problems", type=int, default=256, help="B (default 256)")
    parser.add_argument("--threads", default=None, help="thread counts (default 1,2)")
    parser.add_argument("--maxiter", type=int, default=40, help="L-BFGS iterations (40)")
    parser.add_argument("--lm", action="store_true",
                        help="also Levenberg-Marquardt solves (a quarter of the problems)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else ([32] if args.quick else [32, 64, 96, 128]))
    thread_counts = ([int(t) for t in args.threads.split(",")] if args.threads
                     else ([1] if args.quick else [1, 2]))
    count = 16 if args.quick else args.problems
    rounds = 2 if args.quick else args.rounds
    print(f"phasegrad {pg.__version__}, {MODES} modes, {PLANES} planes, pad 2, float64; "
          "problems per second")
    rows = []
    for n in sizes:
        b = count if n < 128 or args.quick else max(16, count // 4)
        for threads in thread_counts:
            rows += rows_for(n, b, threads, rounds, args.maxiter, args.lm)
    print_table(rows, ["n", "B", "threads", "what", "batch /s", "loop /s", "x loop",
                       "bound /s", "fft x loop", "bound x loop", "err batch", "err loop"])
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_json(args.out / "bench_batch.json", rows, quick=args.quick)
    return 0


if __name__ == "__main__":
    main()
