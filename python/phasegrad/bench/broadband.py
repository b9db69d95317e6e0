"""Broadband at the cost of its wavelengths: the broadband model against the monochromatic one.

Run: ``python -m phasegrad.bench.broadband [--sizes 64,128] [--rounds 7] [--children 5] [--cpu]
[--teams] [--snapped]``.

``--snapped``: the five wavelengths snapped by ``pg.snap_wavelengths`` to the nearest at which
a band is a plain FFT of a 2-3-5-7-smooth length N_lam >= n (at n = 64, N = 128: N_lam = 100,
112, 140 and 150, wavelengths 0.78125-1.171875; at n = 128: 200, 225, 280 and 300), the bands
then running core/czt's periodic mode instead of chirp-z transforms.

Two tables:

- **Cost per wavelength**, in this process: ``fun_and_jac`` of a ``PhaseRetrieval`` with L
  wavelengths (default 0.8, 0.9, 1.0, 1.1, 1.2; the reference 1.0 runs the FFT, the others the
  chirp-z bands) against the same model with one wavelength (20 modes, pad 2, one plane),
  interleaved medians; ``broad / (L mono)`` is the target's ratio (at most 1.5). ``L x ref``
  is the model with L bands all at the reference wavelength: every band then runs the pruned
  FFT, so ``L x ref / (L mono)`` is what the broadband model would cost if a band's transform
  cost no more than the reference's (the floor of any band transform). Run it under
  ``taskset -c 0`` with ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` for the one-core figure
  (``--cpu``: this thread's CPU time instead of wall time, for a loaded machine).
- **One thread against the team** (``--teams``): the same calls on one thread and on the
  default team (``pg.get_num_threads()``, kept even where a busy core would make the model
  fall back to one thread), interleaved wall-time medians: the team's speed-up of each model
  (grids N >= 256 run on the team: n = 128 at pad 2 and up).
- **Other libraries' threads**: the broadband call at the first size in fresh child processes,
  with the environment as it is and with ``OPENBLAS_NUM_THREADS=1``, alternated with the order
  turned child by child and one shared wisdom cache; medians of wall and CPU time and of the
  per-child ratios, with their range (the bands call no BLAS, so the two should agree within
  noise; ``bench.busy_machine`` runs the same comparison under load).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from .harness import child_environment, interleaved_medians, print_table

WAVELENGTHS = (0.8, 0.9, 1.0, 1.1, 1.2)
MODES = 20

_CHILD = """
import json, sys, time
import numpy as np
from phasegrad.bench.broadband import models, wavelengths_for
n = int(sys.argv[1])
mono, broad, x = models(n, sys.argv[2], wavelengths_for(n, sys.argv[4] == "snapped"))
broad.fun_and_jac(x)
wall, cpu = [], []
for _ in range(int(sys.argv[3])):
    start, used = time.perf_counter(), time.process_time()
    for _ in range(20):
        broad.fun_and_jac(x)
    wall.append((time.perf_counter() - start) / 20)
    cpu.append((time.process_time() - used) / 20)
print(json.dumps([sorted(wall)[len(wall) // 2], sorted(cpu)[len(cpu) // 2]]))
"""


def wavelengths_for(n, snapped=False):
    """The benchmark's wavelengths at pupil size n (pad 2), snapped or as they are."""
    import phasegrad as pg

    return pg.snap_wavelengths(WAVELENGTHS, 1.0, 2 * n, n) if snapped else WAVELENGTHS


def models(n, dtype="float64", wavelengths=WAVELENGTHS):
    """The monochromatic and the broadband model (n, pad 2, 20 Zernike modes, one plane, random
    data) and a point: ``(mono, broad, x)``."""
    import numpy as np

    import phasegrad as pg

    kind = np.dtype(dtype)
    rng = np.random.default_rng(0)
    pupil = pg.circular_pupil(n).astype(kind)
    basis = pg.zernike_basis(MODES, n, first=2).astype(kind)
    data = rng.uniform(0, 1e-3, size=(2 * n, 2 * n)).astype(kind)
    mono = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=data)
    broad = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=data,
                              wavelengths=list(wavelengths))
    x = 0.1 * np.random.default_rng(1).standard_normal(MODES)
    return mono, broad, x


def _per_wavelength(sizes, dtype, rounds, clock, snapped=False):
    rows = []
    count = len(WAVELENGTHS)
    for n in sizes:
        mono, broad, x = models(n, dtype, wavelengths_for(n, snapped))
        same = models(n, dtype, wavelengths=(1.0,) * count)[1]
        for model in (mono, broad, same):
            model.fun_and_jac(x)
        times = interleaved_medians({"mono": lambda m=mono, p=x: m.fun_and_jac(p),
                                     "broad": lambda m=broad, p=x: m.fun_and_jac(p),
                                     "same": lambda m=same, p=x: m.fun_and_jac(p)},
                                    rounds=rounds, clock=clock)
        ratio = times["broad"] / times["mono"]
        rows.append({"n": n, "mono_ms": f"{times['mono'] * 1e3:.3f}",
                     "broad_ms": f"{times['broad'] * 1e3:.3f}", "broad/mono": f"{ratio:.2f}",
                     "broad/(L mono)": f"{ratio / count:.2f}",
                     "L x ref/(L mono)": f"{times['same'] / times['mono'] / count:.2f}"})
    return rows


def _teams(sizes, dtype, rounds, snapped=False, calls=5):
    """One thread against the default team, the team kept: a model's measured fallback
    (core/team_choice) runs the calls on one thread while that measures faster (a busy core)
    and starts over on the full team when a call asks for another team, so each team sample
    (``calls`` calls, no probe among so few) follows one untimed call on one more thread.
    Interleaved rounds, medians of wall time."""
    import phasegrad as pg

    team = pg.get_num_threads()
    rows = []
    for n in sizes:
        mono, broad, x = models(n, dtype, wavelengths_for(n, snapped))
        runs = [(name, model, threads) for name, model in (("mono", mono), ("broad", broad))
                for threads in (1, team)]
        for _, model, threads in runs:
            with pg.threads(threads):
                model.fun_and_jac(x)
        samples = {(name, threads): [] for name, _, threads in runs}
        for _ in range(rounds):
            for name, model, threads in runs:
                if threads > 1:
                    with pg.threads(threads + 1):
                        model.fun_and_jac(x)  # untimed: the fallback starts over on the team
                with pg.threads(threads):
                    start = time.perf_counter()
                    for _ in range(calls):
                        model.fun_and_jac(x)
                    samples[name, threads].append((time.perf_counter() - start) / calls)
        t = {key: statistics.median(values) for key, values in samples.items()}
        one, many = t["broad", 1], t["broad", team]
        rows.append({"n": n, "threads": team, "broad_1_ms": f"{one * 1e3:.3f}",
                     "broad_team_ms": f"{many * 1e3:.3f}", "broad 1/team": f"{one / many:.2f}",
                     "mono 1/team": f"{t['mono', 1] / t['mono', team]:.2f}",
                     "broad/mono on the team": f"{many / t['mono', team]:.2f}"})
    return rows


def _environments(n, dtype, children, snapped=False):
    """{environment: (median wall, median CPU, per-child ratios to OPENBLAS_NUM_THREADS=1)}:
    fresh child processes, the two environments alternated and their order turned child by
    child, one FFTW wisdom cache shared in a temporary folder (filled by an untimed child)."""
    import tempfile

    settings = {"as it is": {}, "OPENBLAS_NUM_THREADS=1": {"OPENBLAS_NUM_THREADS": "1"}}
    names = list(settings)
    samples = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as cache:
        def child(name, repeats):
            done = subprocess.run([sys.executable, "-c", _CHILD, str(n), dtype, str(repeats),
                                   "snapped" if snapped else "as given"],
                                  env=child_environment(settings[name], cache),
                                  capture_output=True, text=True, check=True)
            return json.loads(done.stdout)

        child(names[0], 1)  # untimed: plans and writes the wisdom cache
        for index in range(children):
            for name in names[index % 2:] + names[:index % 2]:
                samples[name].append(child(name, 5))
    ratios = [a[0] / b[0] for a, b in zip(samples[names[0]], samples[names[1]], strict=True)]
    return {name: (statistics.median(w for w, _ in values),
                   statistics.median(c for _, c in values)) for name, values in samples.items()
            }, ratios


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.broadband",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,128", help="pupil sizes n (default 64,128)")
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--children", type=int, default=5,
                        help="child processes per environment (default 5; 0: skip)")
    parser.add_argument("--cpu", action="store_true",
                        help="time the first table in CPU time of this thread (one core)")
    parser.add_argument("--teams", action="store_true",
                        help="also time one thread against the default team (wall time)")
    parser.add_argument("--snapped", action="store_true",
                        help="the wavelengths snapped by pg.snap_wavelengths (plain-FFT bands)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be integers separated by commas; got {args.sizes!r}")
    if min(sizes) < 2 or args.rounds < 1 or args.children < 0:
        parser.error("sizes must be at least 2, --rounds at least 1, --children at least 0")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    clock = time.thread_time if args.cpu else time.perf_counter
    which = (", snapped: " + "; ".join(
        f"n = {n}: {', '.join(f'{lam:g}' for lam in wavelengths_for(n, True))}" for n in sizes)
        if args.snapped else "")
    print(f"fun_and_jac, {args.dtype}, {MODES} modes, pad 2, one plane; L = {len(WAVELENGTHS)} "
          f"wavelengths {WAVELENGTHS}{which} against one (interleaved medians of "
          f"{'CPU' if args.cpu else 'wall'} time; load average {load:.1f})")
    print_table(_per_wavelength(sizes, args.dtype, args.rounds, clock, args.snapped),
                ["n", "mono_ms", "broad_ms", "broad/mono", "broad/(L mono)", "L x ref/(L mono)"])
    if args.teams:
        print(f"\none thread against the team, kept ({args.dtype}; interleaved medians of wall "
              "time)")
        print_table(_teams(sizes, args.dtype, args.rounds, args.snapped),
                    ["n", "threads", "broad_1_ms", "broad_team_ms", "broad 1/team", "mono 1/team",
                     "broad/mono on the team"])
    if args.children:
        times, ratios = _environments(sizes[0], args.dtype, args.children, args.snapped)
        print(f"\nbroadband, n = {sizes[0]}, in fresh processes, alternated (median of "
              f"{args.children}; wall, and the child's CPU time over all its threads)")
        print_table([{"environment": name, "ms": f"{wall * 1e3:.3f}",
                      "cpu_ms": f"{cpu * 1e3:.3f}"} for name, (wall, cpu) in times.items()],
                    ["environment", "ms", "cpu_ms"])
        print(f"ratio (as it is / OPENBLAS_NUM_THREADS=1; median of the per-child ratios, "
              f"range; target <= 1.2): {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
