"""The OpenMP wait policy: phasegrad's, passive, and libgomp's default, side by side.

Run: ``python -m phasegrad.bench.openmp_policy [--rounds 3] [--threads 2]``.

libgomp reads its wait policy once, when it loads, so each policy needs a process of its own:
each round starts one child per policy, in turn, and the table reports the median over rounds
of each child's median. Two cases: a ``threads``-thread ``ops.abs2`` of 256² (what a parallel
region's wake-up costs), and the same call alternating with a 128² NumPy matmul (what spinning
workers cost the BLAS work between kernel calls).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from .harness import print_table

POLICIES = {
    "phasegrad": {"PHASEGRAD_OMP_POLICY": "phasegrad"},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "libgomp default": {"PHASEGRAD_OMP_POLICY": "openmp"},
}

_CHILD = """
import json, statistics, sys, time
import numpy as np
import phasegrad as pg
threads = int(sys.argv[1])
x, a = np.ones((256, 256), complex), np.ones((128, 128))
def median(step, count):
    times = []
    for _ in range(count):
        start = time.perf_counter(); step(); times.append(time.perf_counter() - start)
    return statistics.median(times)
with pg.threads(threads):
    median(lambda: pg.ops.abs2(x), 200)  # lead-in: plans, pages, clocks
    alone = median(lambda: pg.ops.abs2(x), 2000)
    mixed = median(lambda: (pg.ops.abs2(x), a @ a), 300)
print(json.dumps([pg.config.openmp_policy(), alone, mixed]))
"""


def run_child(policy, threads):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "PHASEGRAD_OMP_POLICY")}
    env.update(POLICIES[policy])
    done = subprocess.run([sys.executable, "-c", _CHILD, str(threads)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.openmp_policy",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="children per policy (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="OpenMP threads (default 2)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.threads < 1:
        parser.error("--rounds and --threads must be at least 1")
    samples = {policy: [] for policy in POLICIES}
    described = {}
    for _ in range(args.rounds):
        for policy in POLICIES:
            description, alone, mixed = run_child(policy, args.threads)
            described[policy] = description
            samples[policy].append((alone, mixed))
    rows = []
    for policy, values in samples.items():
        rows.append({
            "policy": policy,
            "abs2_us": f"{statistics.median(v[0] for v in values) * 1e6:.1f}",
            "abs2+matmul_ms": f"{statistics.median(v[1] for v in values) * 1e3:.3f}",
            "in force": described[policy],
        })
    print(f"{args.threads}-thread ops.abs2 of 256^2 alone, and alternating with a 128^2 matmul "
          f"(median of {args.rounds} children per policy)")
    print_table(rows, ["policy", "abs2_us", "abs2+matmul_ms", "in force"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
