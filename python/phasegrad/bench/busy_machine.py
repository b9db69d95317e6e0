"""Speed where users run it: BLAS thread fights on a busy machine, and the first call of a model.

Run: ``python -m phasegrad.bench.busy_machine [--rounds 5] [--load 4] [--size 64]``.

Two tables, each from fresh child processes, settings interleaved round by round, medians:

- **Thread fights**: ``pg.optimize.lbfgs`` on a ``size``-pixel, 15-mode, 2-plane problem with
  OpenBLAS's default threads and no limit (``PHASEGRAD_LIMIT_BLAS=0``), as phasegrad runs it
  (``single_threaded_blas`` inside the solver) and with ``OPENBLAS_NUM_THREADS=1``; idle, then
  with ``load`` busy-loop processes beside it (``--load 0`` skips that).
- **The first call**: a float32 model (n = 128 by default, N = 256, 15 modes, 2 planes) in a new
  process without the wisdom cache, with a cache another process has just written, and a warm
  call, each in its own children (``XDG_CACHE_HOME`` points at a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from .harness import print_table

_FIGHT = """
import json, sys, time
import numpy as np
import phasegrad as pg
from phasegrad.models.synthetic import make_problem
model, _, _, _ = make_problem(size=int(sys.argv[1]), modes=15, planes=2)
x0 = np.zeros(model.n_params)
pg.optimize.lbfgs(model, x0, maxiter=5)
times = []
for _ in range(3):
    start = time.perf_counter(); pg.optimize.lbfgs(model, x0, maxiter=200)
    times.append(time.perf_counter() - start)
print(json.dumps(sorted(times)[1]))
"""

_FIRST = """
import json, sys, time
import numpy as np
import phasegrad as pg
n = int(sys.argv[1])
pupil = pg.circular_pupil(n, dtype=np.float32)
basis = pg.zernike_basis(15, n, first=2).astype(np.float32)
data = np.zeros((2, 2 * n, 2 * n), np.float32)
model = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=data,
                          diversity=np.stack([basis[2], -basis[2]]))
x = np.zeros(15)
start = time.perf_counter(); model.fun_and_jac(x); first = time.perf_counter() - start
warm = []
for _ in range(5):
    start = time.perf_counter(); model.fun_and_jac(x); warm.append(time.perf_counter() - start)
print(json.dumps([first, sorted(warm)[2]]))
"""

FIGHT_SETTINGS = {
    "no limit (PHASEGRAD_LIMIT_BLAS=0)": {"PHASEGRAD_LIMIT_BLAS": "0"},
    "phasegrad (single_threaded_blas)": {},
    "OPENBLAS_NUM_THREADS=1": {"PHASEGRAD_LIMIT_BLAS": "0", "OPENBLAS_NUM_THREADS": "1"},
}


def _child(script, argument, extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PHASEGRAD_LIMIT_BLAS", "OPENBLAS_NUM_THREADS")}
    env.update(extra)
    done = subprocess.run([sys.executable, "-c", script, str(argument)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _fights(size, rounds):
    samples = {name: [] for name in FIGHT_SETTINGS}
    for _ in range(rounds):
        for name, extra in FIGHT_SETTINGS.items():
            samples[name].append(_child(_FIGHT, size, extra))
    return {name: statistics.median(values) for name, values in samples.items()}


def _first_calls(n, rounds):
    cold, cached, warm = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as home:
            extra = {"XDG_CACHE_HOME": home, "PHASEGRAD_WISDOM_CACHE": "1"}
            first, steady = _child(_FIRST, n, extra)  # plans, writes the cache at exit
            cold.append(first)
            warm.append(steady)
            cached.append(_child(_FIRST, n, extra)[0])
    return statistics.median(cold), statistics.median(cached), statistics.median(warm)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.busy_machine",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="children per setting (default 5)")
    parser.add_argument("--load", type=int, default=4,
                        help="busy-loop processes for the loaded run (default 4; 0: none)")
    parser.add_argument("--size", type=int, default=64, help="pupil size of the lbfgs problem")
    parser.add_argument("--first-size", type=int, default=128,
                        help="pupil size of the first-call model (default 128)")
    args = parser.parse_args(argv)
    if min(args.rounds, args.size, args.first_size) < 1 or args.load < 0:
        parser.error("--rounds, --size and --first-size must be at least 1, --load at least 0")
    idle = _fights(args.size, args.rounds)
    loaded = None
    if args.load:
        spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                    for _ in range(args.load)]
        try:
            loaded = _fights(args.size, args.rounds)
        finally:
            for spinner in spinners:
                spinner.kill()
                spinner.wait()
    rows = []
    for name in FIGHT_SETTINGS:
        row = {"setting": name, "idle_ms": f"{idle[name] * 1e3:.1f}"}
        if loaded is not None:
            row["loaded_ms"] = f"{loaded[name] * 1e3:.1f}"
        rows.append(row)
    print(f"pg.optimize.lbfgs, {args.size}-pixel pupil, 15 modes, 2 planes (median of "
          f"{args.rounds} children; loaded: {args.load} busy-loop processes beside it)")
    print_table(rows, ["setting", "idle_ms"] + (["loaded_ms"] if loaded is not None else []))
    cold, cached, warm = _first_calls(args.first_size, args.rounds)
    print(f"\nfloat32 model, n = {args.first_size}, 15 modes, 2 planes: fun_and_jac in a new "
          f"process (median of {args.rounds})")
    print_table([{"call": "first, no cache", "ms": f"{cold * 1e3:.1f}"},
                 {"call": "first, wisdom cached", "ms": f"{cached * 1e3:.1f}"},
                 {"call": "warm", "ms": f"{warm * 1e3:.2f}"}], ["call", "ms"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
