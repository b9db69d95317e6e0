"""Small and medium grids at the limit: the fused value_and_grad against the floor, in CPU time.

Run: ``python -m phasegrad.bench.floor_ratio [--sizes 128,256,512,1024] [--dtypes
float32,float64] [--threads 1] [--rounds 7] [--jax]``; for one core pin it:
``taskset -c 0 env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m
phasegrad.bench.floor_ratio``.

The model suite's phase-retrieval workload (``phasegrad.bench.workloads.pr_problem``: pad 2,
36 modes, weights, a quadratic detector). Per size and precision the fused ``value_and_grad``,
the floor (``phasegrad.bench.floor``: pyFFTW's FFT pair of the grid plus the two BLAS basis
contractions) and, with ``--jax``, JAX's ``jit(value_and_grad)`` are sampled in interleaved
rounds, each sample after an untimed lead-in; the medians are printed with the ratios the
targets name (fused / floor, JAX / fused) and the load average. On one thread a sample is the
process's CPU time per call (``time.process_time``), which another process sharing the core
does not inflate as it does wall time; on more threads it is wall time.

On more threads the floor's two parts are sampled apart: its FFT pair with the run's thread
count (pyFFTW under the core's OpenMP wait policy, see ``phasegrad.bench.floor``) and its two
basis contractions in BLAS on one thread, counted as if they scaled perfectly (their time
divided by the threads): a bound no implementation beats, which does not depend on how
OpenBLAS's busy-waiting workers share the cores with the FFT threads (on 2 cores they made the
floor of n = 128 take 32 ms). BLAS runs on one thread for the whole run (a no-op under the
pinned one-thread command above); on one thread the floor is one call, as before.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

LEAD_IN = 0.3   # of a sample's length, untimed, before each sample (see harness.LEAD_IN)


def _calls(n, dtype, threads, with_jax):
    from . import implementations, workloads
    from .floor import Floor

    problem = workloads.pr_problem(n, dtype)
    floor = Floor(problem.grid, dtype, threads, basis=problem.basis)
    if threads == 1:
        calls = {"floor": floor}
    else:
        calls = {"floor transforms": floor.transforms, "floor contractions": floor.contractions}
    calls["fused"] = implementations.runner("fused", "pr", problem).call
    if with_jax:
        calls["jax"] = implementations.runner("jax", "pr", problem).call
    return calls


def _floor(medians, threads):
    """The floor's seconds per call: one sample on one thread, else the transforms plus the
    contractions at perfect scaling."""
    if threads == 1:
        return medians["floor"]
    return medians["floor transforms"] + medians["floor contractions"] / threads


def _row(n, dtype, medians):
    row = {"dtype": dtype, "n": n, "N": 2 * n,
           "floor ms": f"{medians['floor'] * 1e3:.3f}", "fused ms": f"{medians['fused'] * 1e3:.3f}",
           "fused / floor": f"{medians['fused'] / medians['floor']:.2f}"}
    if "floor transforms" in medians:
        row["floor FFTs ms"] = f"{medians['floor transforms'] * 1e3:.3f}"
    if "jax" in medians:
        row["jax / fused"] = f"{medians['jax'] / medians['fused']:.2f}"
    row["load"] = f"{os.getloadavg()[0]:.1f}"
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.floor_ratio",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,256,512,1024",
                        help="pupil sizes n, comma-separated (default 128,256,512,1024)")
    parser.add_argument("--dtypes", default="float32,float64",
                        help="precisions, comma-separated (default float32,float64)")
    parser.add_argument("--threads", type=int, default=1, help="threads (default 1)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--jax", action="store_true", help="also time JAX (jit)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes integers separated by commas")
    dtypes = args.dtypes.split(",")
    if min(sizes) < 1 or args.threads < 1 or args.rounds < 1:
        parser.error("--sizes, --threads and --rounds must be at least 1")
    if not set(dtypes) <= {"float32", "float64"}:
        parser.error("--dtypes takes float32 and/or float64")

    import phasegrad as pg

    from . import threads_setup
    from .floor import Unavailable
    from .harness import print_table, sample_seconds

    clock = time.process_time if args.threads == 1 else time.perf_counter
    if args.jax:
        threads_setup.configure_xla(args.threads)
    rows = []
    with pg.threads(args.threads), threads_setup.single_threaded_blas() as blas_note:
        for dtype in dtypes:
            for n in sizes:
                try:
                    calls = _calls(n, dtype, args.threads, args.jax)
                except Unavailable as error:
                    parser.exit(1, f"{error}\n")
                for call in calls.values():   # warm-up: plans, compilation, caches
                    call()
                budget = 0.05 if n <= 256 else 0.2
                samples = {name: [] for name in calls}
                for _ in range(args.rounds):
                    for name, call in calls.items():
                        sample_seconds(call, LEAD_IN * budget, clock)
                        samples[name].append(sample_seconds(call, budget, clock))
                medians = {name: statistics.median(values) for name, values in samples.items()}
                medians["floor"] = _floor(medians, args.threads)
                rows.append(_row(n, dtype, medians))
                print(f"{dtype} n = {n}: fused / floor {rows[-1]['fused / floor']}", flush=True)
    timing = "CPU time" if args.threads == 1 else "wall time"
    floor = ("one call" if args.threads == 1 else
             f"FFT pair on {args.threads} threads + contractions / {args.threads}")
    print(f"fused value_and_grad vs the floor ({floor}), {args.threads} thread(s), {timing}, "
          f"medians of {args.rounds} interleaved rounds; {blas_note}; OpenMP wait policy: "
          f"{pg.config.openmp_policy()}")
    print_table(rows, list(rows[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
