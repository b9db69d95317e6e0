"""Forward mode and the second-order solvers: what a tangent, a Jacobian and a solve cost.

Run: ``python -m phasegrad.bench.second_order [--quick] [--threads N] [--out DIR]``.

Derivatives (``--sizes``, 36 Zernike modes, two planes; and the extreme case below): the
median time of ``value_and_grad``, ``jvp``, ``gauss_newton_product``, ``jacobian`` and
``gauss_newton``, sampled in interleaved rounds, with the ratios the design aims at:
``jvp / value_and_grad <= 1.2`` and ``jacobian / value_and_grad <= (K + 1) / 2`` (a tangent
costs one pruned forward transform, half of the pair).

Solvers, from a flat wavefront, each once after a warm-up, with iterations, evaluations, wall
time, the final relative coefficient error ``max|x - truth| / max|truth|`` and the time at
which the error first reached the workload's target (from the callback; ``-`` if never):

- ``photon``: n = 128 pupil pixels, pad 2, 36 Zernike modes, planes in focus and at 1 wave
  RMS of defocus, 0.075 wave RMS, 1e6 photons per image with Poisson and read noise (3
  photons), inverse-variance weights from the data (``models.synthetic.photon_problem``);
  target: 1.05 x the best final error of the three methods (the noise floor).
- ``extreme``: n = 128, Noll 2-101 circular Zernikes on a 0.4-obscured pupil (correlated
  modes), planes at 0 and 0.25 wave RMS of defocus, 0.08 wave RMS with a 1/j spectrum,
  noiseless, unweighted (``models.synthetic.ill_conditioned_problem``); target: 1e-6.

The methods: ``pg.optimize.lbfgs`` (maxiter 2000), ``pg.optimize.levenberg_marquardt``
(``lm``: its default ``method="auto"``, CG solves until one stalls, then dense;
``lm_dense``: dense from the start, on ``gauss_newton``) and
``scipy.optimize.least_squares(m.residuals, x0, jac=m.jacobian)`` (its default trust-region
method). ``--quick``: n = 64 and fewer modes,
for a smoke run. Writes ``bench_second_order.json`` into ``--out`` when given.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import phasegrad as pg
from phasegrad.models import synthetic

from .harness import interleaved_medians, median_seconds, print_table, write_json


def _relative_error(x, truth):
    return float(np.abs(np.asarray(x) - truth).max() / np.abs(truth).max())


def derivative_rows(model, label, rounds):
    """Median times of the least-squares view's pieces on ``model`` at a random point."""
    rng = np.random.default_rng(0)
    x = 0.01 * rng.standard_normal(model.n_params)
    v = rng.standard_normal(model.n_params)
    calls = {
        "value_and_grad": lambda: model.fun_and_jac(x),
        "jvp": lambda: model.jvp(x, v),
        "gauss_newton_product": lambda: model.gauss_newton_product(x, v),
        "jacobian": lambda: model.jacobian(x),
    }
    for call in calls.values():
        call()  # warm-up: plans, buffers
    seconds = interleaved_medians(calls, rounds=rounds, min_time=0.05, single=("jacobian",))
    # gauss_newton's J^T J goes through BLAS, whose idle workers spin for a while after it
    # and slowed whichever kernel came next in a round (value_and_grad on 2 threads measured
    # 2.3x slower than on one): it is timed on its own, after the others.
    seconds["gauss_newton"] = median_seconds(lambda: model.gauss_newton(x), repeats=rounds,
                                             min_time=0.0)
    base = seconds["value_and_grad"]
    k = model.n_params
    rows = []
    for name, value in seconds.items():
        rows.append({"workload": label, "K": k, "call": name, "ms": f"{value * 1e3:.2f}",
                     "x value_and_grad": f"{value / base:.2f}",
                     "target": {"jvp": "<= 1.2", "jacobian": f"<= {(k + 1) / 2:g}"}.get(name,
                                                                                       "")})
    return rows


def _solve(method, model, x0, truth, target):
    """Run one method; its row (time to target from the callback's clock)."""
    from scipy.optimize import least_squares

    reached = []
    start = time.perf_counter()

    def callback(iteration, x, cost):
        if not reached and _relative_error(x, truth) <= target:
            reached.append(time.perf_counter() - start)

    if method == "lbfgs":
        found = pg.optimize.lbfgs(model, x0, maxiter=2000, callback=callback)
        seconds = time.perf_counter() - start
        row = {"iterations": found.nit, "evaluations": found.nfev, "jacobians": 0,
               "converged": bool(found.success), "x": found.x}
    elif method in ("lm", "lm_dense"):
        found = pg.optimize.levenberg_marquardt(model, x0, maxiter=200, callback=callback,
                                                method="dense" if method == "lm_dense"
                                                else "auto")
        seconds = time.perf_counter() - start
        row = {"iterations": found.nit, "evaluations": found.nfev, "jacobians": found.njev,
               "converged": found.converged, "x": found.x,
               "solver": f"{found.method}, {found.cg_iterations} CG"}
    else:
        found = least_squares(model.residuals, x0, jac=model.jacobian)
        seconds = time.perf_counter() - start
        row = {"iterations": found.nfev, "evaluations": found.nfev, "jacobians": found.njev,
               "converged": found.status > 0, "x": found.x}
        if _relative_error(found.x, truth) <= target:
            reached.append(seconds)  # no callback: only the end is known
    row["seconds"] = seconds
    row["reached"] = reached[0] if reached else None
    return row


def solver_rows(model, truth, label, target=None):
    """Every method on one workload; ``target`` None: 1.05 x the best final error."""
    x0 = np.zeros(model.n_params)
    model.fun_and_jac(x0)
    model.gauss_newton(x0)  # warm-up: plans, the tangent buffers
    methods = ("lbfgs", "lm", "lm_dense", "least_squares")
    runs = {m: _solve(m, model, x0, truth, np.inf if target is None else target)
            for m in methods}
    if target is None:
        best = min(_relative_error(run["x"], truth) for run in runs.values())
        target = 1.05 * best
        runs = {m: _solve(m, model, x0, truth, target) for m in methods}
    rows = []
    for method, run in runs.items():
        rows.append({"workload": label, "method": method, "iterations": run["iterations"],
                     "evaluations": run["evaluations"], "jacobians": run["jacobians"],
                     "seconds": f"{run['seconds']:.3f}",
                     "error": f"{_relative_error(run['x'], truth):.2e}",
                     "target": f"{target:.2e}",
                     "to_target_s": "-" if run["reached"] is None else f"{run['reached']:.3f}",
                     "converged": run["converged"], "solver": run.get("solver", "-")})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--sizes", default=None, help="pupil sizes of the derivative table "
                                                      "(default 64,128,256; quick: 32)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.threads is not None:
        pg.set_num_threads(args.threads)
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else ([32] if args.quick else [64, 128, 256]))
    n, extreme_modes, modes = (32, 20, 12) if args.quick else (128, 100, 36)
    rounds = 2 if args.quick else args.rounds
    print(f"phasegrad {pg.__version__}, {pg.get_num_threads()} threads")

    derivatives = []
    for size in sizes:
        model, _ = synthetic.photon_problem(size=size, modes=modes)
        derivatives += derivative_rows(model, f"n={size}, {modes} modes, 2 planes", rounds)
    extreme, extreme_truth = synthetic.ill_conditioned_problem(size=n, modes=extreme_modes)
    derivatives += derivative_rows(extreme, f"extreme n={n}", rounds)
    print_table(derivatives, ["workload", "K", "call", "ms", "x value_and_grad", "target"])

    photon, photon_truth = synthetic.photon_problem(size=n, modes=modes)
    solvers = solver_rows(photon, photon_truth, "photon")
    solvers += solver_rows(extreme, extreme_truth, "extreme", target=1e-6)
    print()
    print_table(solvers, ["workload", "method", "iterations", "evaluations", "jacobians",
                          "seconds", "to_target_s", "error", "target", "converged", "solver"])
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_json(args.out / "bench_second_order.json", derivatives + solvers,
                   threads=pg.get_num_threads(), quick=args.quick)
    return 0


if __name__ == "__main__":
    main()
