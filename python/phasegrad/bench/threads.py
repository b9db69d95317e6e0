"""OpenMP thread scaling: the fused models and the C++ ops on 1, 2, 4, ... threads.

Run: ``python -m phasegrad.bench.threads [--threads 1,2,4,8,16] [--quick] [--json out.json]``.

For each case it times one call (median of 7 samples, each a loop of at least 50 ms after an
untimed lead-in) at every thread count in turn and reports the speedup over one thread and the
parallel efficiency (speedup / threads). Cases: the fused ``PhaseRetrieval.value_and_grad`` of
the benchmark workload (Jurling Eq. 99: pad 2, 36 modes, quadratic detector, float64), the fused
``Hologram.value_and_grad``, ``ops.dft2`` and two elementwise reverse rules (``expi_vjp``,
``abs2_vjp``, complex128). Thread counts default to the powers of two up to the machine's
cores, and the core count itself. BLAS runs on one thread (see ``phasegrad.bench.threads_setup``).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import phasegrad as pg
from phasegrad import ops

from . import threads_setup, workloads
from .harness import median_seconds, print_table, sample_seconds, write_json


def model_call(workload, n):
    problem = workloads.WORKLOADS[workload](n, np.float64)
    model = problem.model("fused")
    if workload == "pr":
        return lambda: model.value_and_grad(problem.a, problem.p)
    return lambda: model.value_and_grad(problem.phi)


def op_call(name, n):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    if name == "dft2":
        return lambda: ops.dft2(z)
    if name == "expi_vjp":
        y = np.exp(1j * rng.standard_normal((n, n)))
        return lambda: ops.expi_vjp(z, y)
    y_bar = rng.standard_normal((n, n))
    return lambda: ops.abs2_vjp(y_bar, z)


#: (case, what is timed, sizes, quick sizes)
CASES = [
    ("pr", "fused PhaseRetrieval value_and_grad, float64 (n; grid 2n)", (256, 512, 1024), (64,)),
    ("hologram", "fused Hologram value_and_grad, float64", (512, 1024, 2048), (64,)),
    ("dft2", "ops.dft2, complex128", (1024, 2048), (64,)),
    ("expi_vjp", "ops.expi_vjp, complex128", (2048,), (64,)),
    ("abs2_vjp", "ops.abs2_vjp, complex128", (2048,), (64,)),
]


def default_threads():
    cores = os.cpu_count() or 1
    counts = [1]
    while counts[-1] * 2 <= cores:
        counts.append(counts[-1] * 2)
    return counts + ([cores] if cores != counts[-1] else [])


def measure(case, n, threads, quick):
    call = model_call(case, n) if case in workloads.WORKLOADS else op_call(case, n)
    min_time = 0.005 if quick else 0.05
    rows, single = [], None
    for count in threads:
        with pg.threads(count):
            sample_seconds(call, min_time)  # lead-in: plans for this count, caches, wake-up
            seconds = median_seconds(call, repeats=3 if quick else 7, min_time=min_time,
                                     warmup=False)
        single = single or seconds
        speedup = single / seconds
        rows.append({"case": case, "n": n, "threads": count, "ms": f"{seconds * 1e3:.3f}",
                     "speedup": f"{speedup:.2f}", "efficiency": f"{speedup / count:.2f}"})
        print(" ".join(str(v) for v in rows[-1].values()), file=sys.stderr, flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--threads", help="comma-separated thread counts (default: 1, 2, 4, "
                        "... up to the cores)")
    parser.add_argument("--cases", help="comma-separated cases (default: all): "
                        + ", ".join(c[0] for c in CASES))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, short samples")
    parser.add_argument("--json", help="write results and machine info to this file")
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")] if args.threads else default_threads()
    if any(t < 1 for t in threads):
        parser.error("--threads: thread counts must be positive")
    wanted = args.cases.split(",") if args.cases else [c[0] for c in CASES]
    unknown = sorted(set(wanted) - {c[0] for c in CASES})
    if unknown:
        parser.error(f"unknown cases: {', '.join(unknown)}")
    rows = []
    with threads_setup.single_threaded_blas() as blas_note:
        print(f"threads {threads} on {os.cpu_count()} cores; {blas_note}", flush=True)
        for case, what, sizes, quick_sizes in CASES:
            if case in wanted:
                print(f"  {case}: {what}", flush=True)
                for n in quick_sizes if args.quick else sizes:
                    rows += measure(case, n, threads, args.quick)
    print_table(rows, ["case", "n", "threads", "ms", "speedup", "efficiency"])
    if args.json:
        write_json(args.json, rows, threads=threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
