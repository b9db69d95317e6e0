"""Speed where users run it: BLAS thread fights on a busy machine, and the first call of a model.

Run: ``python -m phasegrad.bench.busy_machine [--rounds 7] [--load 4] [--cases ...]
[--no-limit] [--json PATH]``.

**Thread fights** (issue 15's target: the default environment within 1.2x of
``OPENBLAS_NUM_THREADS=1``, idle and under load). Each case runs in fresh child processes, once
per setting per round, the settings' order turned round by round so that a change of load hits
them alike; first idle, then with ``--load`` busy-loop processes beside it. The cases:

- ``lbfgs``: ``pg.optimize.lbfgs`` on a 64-pixel, 15-mode, 2-plane problem (the solve alone,
  median of 5 in the child);
- ``retrieve``: the whole command ``phasegrad retrieve`` on a 3-plane PSF stack with photon
  noise (32-pixel pupil, pad 2), start-up and plots included;
- ``hologram``: the whole command ``phasegrad hologram --method lbfgs`` on its built-in target;
- ``broadband``: the broadband model's ``fun_and_jac`` (n = 64, 5 wavelengths;
  ``bench.broadband.models``), median of 5 samples of 20 calls in the child.

The settings: ``default`` (the environment as it is, phasegrad's ``single_threaded_blas`` in
force), ``OPENBLAS_NUM_THREADS=1``, and with ``--no-limit`` also OpenBLAS's threads with the
limit off (``PHASEGRAD_LIMIT_BLAS=0``). Every child shares one FFTW wisdom cache in a
temporary folder, written by an untimed first round, so no child plans with FFTW_MEASURE.
For each case: the median wall time with its quartiles, the median CPU time of the child (all
its threads: a spinning pool shows here even when the wall clock hides it), and
``default / OB=1``, the median of the per-round ratios with their range. The load average
is printed at the start and end of each phase.

**The first call** (target: a model's first call in a second process, wisdom cached, at most
2x a warm call): a float32 ``PhaseRetrieval`` (n = 128 by default, N = 256, 15 modes, 2 planes)
in a new process with an empty cache (it plans, and writes the cache at exit), then in another
with that cache: the import (``phasegrad.models`` included), the constructor (which also makes
the model's plans and runs each transform once on the team: the set-up the first call no longer
pays), the first ``fun_and_jac`` and the median of 9 warm calls (after 40 untimed ones: each
kind of call times its first calls on the team before it settles on a team or one thread), in
wall time and in the calling thread's CPU time (``--first-one-core`` pins the children to one
core with one thread, so that the CPU times measure the call alone on a busy machine).
``--first-model imaging`` times the same model with an extended object (the imaging model
every call), ``--first-model pd`` a ``PhaseDiversity`` with two images (defocus +-basis[2],
``fun_and_jac``), ``--first-model hologram`` a far-field ``Hologram`` on the 2n x 2n grid and
``--first-model planes`` one at three planes (2, 3 and 4 cm, 532 nm, an 8 um pitch: the CLI's
example) on that grid (``value_and_grad``). Each child also counts the process's minor page
faults in the first call and in a warm one (the median).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from .harness import child_environment, print_table

_LBFGS = """
import json, sys, time
import numpy as np
import phasegrad as pg
from phasegrad.models.synthetic import make_problem
model, _, _, _ = make_problem(size=64, modes=15, planes=2)
x0 = np.zeros(model.n_params)
pg.optimize.lbfgs(model, x0, maxiter=5)
wall, cpu = [], []
for _ in range(5):
    start, used = time.perf_counter(), time.process_time()
    pg.optimize.lbfgs(model, x0, maxiter=200)
    wall.append(time.perf_counter() - start)
    cpu.append(time.process_time() - used)
print(json.dumps([sorted(wall)[2], sorted(cpu)[2]]))
"""

_BROADBAND = """
import json, sys, time
from phasegrad.bench.broadband import models
mono, broad, x = models(64)
broad.fun_and_jac(x)
wall, cpu = [], []
for _ in range(5):
    start, used = time.perf_counter(), time.process_time()
    for _ in range(20):
        broad.fun_and_jac(x)
    wall.append((time.perf_counter() - start) / 20)
    cpu.append((time.process_time() - used) / 20)
print(json.dumps([sorted(wall)[2], sorted(cpu)[2]]))
"""

_FIRST = """
import json, os, resource, sys, time
if sys.argv[2] == "one-core" and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
start = time.perf_counter()
import numpy as np
import phasegrad as pg
from phasegrad.native import core
PhaseRetrieval = pg.PhaseRetrieval  # loads phasegrad.models: an import, not the constructor
loaded = time.perf_counter() - start
n, kind = int(sys.argv[1]), sys.argv[3]
pupil = pg.circular_pupil(n, dtype=np.float32)
basis = pg.zernike_basis(15, n, first=2).astype(np.float32)
data = np.zeros((2, 2 * n, 2 * n), np.float32)
diversity = np.stack([basis[2], -basis[2]])  # basis[2]: defocus
x = np.zeros(15)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def timed(call):
    wall, cpu = time.perf_counter(), time.thread_time()
    result = call()
    return result, time.perf_counter() - wall, time.thread_time() - cpu
rng = np.random.default_rng(0)
if kind in ("hologram", "planes"):  # the PR model's grid, 2n x 2n
    # planes: the CLI's example, three planes at 2, 3 and 4 cm, 532 nm, an 8 um pitch
    shape = (3, 2 * n, 2 * n) if kind == "planes" else (2 * n, 2 * n)
    target = rng.random(shape).astype(np.float32)
    options = ({"distances": [0.02, 0.03, 0.04], "wavelengths": [532e-9], "pitch": 8e-6}
               if kind == "planes" else {})
    model, built, built_cpu = timed(lambda: pg.Hologram(target=target, **options))
    x = rng.uniform(-3, 3, shape[-2:]).astype(np.float32)
    call = lambda: model.value_and_grad(x)
elif kind == "pd":  # two images at +-0.5 wave of defocus, as the contention bench's
    images = rng.uniform(0, 1e-4, (2, 2 * n, 2 * n)).astype(np.float32)
    model, built, built_cpu = timed(lambda: pg.PhaseDiversity(
        amplitude=pupil, basis=basis, data=images, diversity=diversity,
        regularization=1e-6))
    x = np.zeros(model.n_params)
    call = lambda: model.fun_and_jac(x)
else:  # imaging: the same with an extended object, which runs the imaging model every call
    extra = ({"object": rng.random((2 * n, 2 * n)).astype(np.float32)}
             if kind == "imaging" else {})
    model, built, built_cpu = timed(lambda: PhaseRetrieval(
        amplitude=pupil, basis=basis, data=data, diversity=diversity, **extra))
    x = np.zeros(model.n_params)
    call = lambda: model.fun_and_jac(x)
before = faults()
_, first, first_cpu = timed(call)
first_faults = faults() - before
for _ in range(40):  # untimed: the thread fallback settles (it times its first calls)
    call()
samples = []
for _ in range(9):
    before = faults()
    samples.append(timed(call)[1:] + (faults() - before,))
warm = [sorted(s[k] for s in samples)[4] for k in range(3)]  # each its median
print(json.dumps([loaded, built, first, warm[0], built_cpu, first_cpu, warm[1],
                  first_faults, warm[2]]))
"""

CASES = ("lbfgs", "retrieve", "hologram", "broadband")

SETTINGS = {
    "default": {},
    "OPENBLAS_NUM_THREADS=1": {"OPENBLAS_NUM_THREADS": "1"},
}
NO_LIMIT = {"no limit (PHASEGRAD_LIMIT_BLAS=0)": {"PHASEGRAD_LIMIT_BLAS": "0"}}

def _psf_stack(folder):
    """A 3-plane PSF stack with photon noise (32-pixel pupil, pad 2, 8 modes): the file
    ``phasegrad retrieve`` reads."""
    import numpy as np

    import phasegrad as pg

    n, defocus = 32, np.array([-0.5, 0.0, 0.5])
    pupil = pg.circular_pupil(n)
    basis = pg.zernike_basis(8, n, first=2)
    diversity = defocus[:, None, None] * pg.zernike_basis(1, n, first=4)[0]
    model = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(), basis=basis,
                              data=np.zeros((3, 2 * n, 2 * n)), diversity=diversity)
    truth = np.array([0.03, -0.05, 0.04, 0.02, -0.03, 0.01, 0.02, -0.01])
    psfs = np.random.default_rng(0).poisson(3e4 * model.simulate(truth)).astype(float)
    path = os.path.join(folder, "psfs.npz")
    np.savez(path, psfs=psfs, defocus=defocus)
    return path


def _commands(folder):
    """The argument vector of each case's child."""
    python = [sys.executable]
    cli = python + ["-m", "phasegrad"]
    return {
        "lbfgs": python + ["-c", _LBFGS],
        "retrieve": cli + ["retrieve", _psf_stack(folder), "--out",
                           os.path.join(folder, "retrieve"), "--force", "-q"],
        "hologram": cli + ["hologram", "--method", "lbfgs", "--out",
                           os.path.join(folder, "hologram"), "--force", "-q"],
        "broadband": python + ["-c", _BROADBAND],
    }


def _run(command, env):
    """(wall, cpu) seconds: what the child printed, or the whole child's when it printed
    nothing (a command)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    accepted = (0, 3) if "retrieve" in command else (0,)  # 3: a fit judged against the noise
    if done.returncode not in accepted:
        raise RuntimeError(f"{' '.join(command[:4])} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-500:]}")
    if command[1] == "-c":
        return tuple(json.loads(done.stdout.strip().splitlines()[-1]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _load_average():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _fights(commands, settings, rounds, cache):
    """{case: {setting: [(wall, cpu), ...]}}, settings interleaved and turned round by round."""
    names = list(settings)
    samples = {case: {name: [] for name in names} for case in commands}
    for index in range(rounds):
        order = names[index % len(names):] + names[:index % len(names)]
        for case, command in commands.items():
            for name in order:
                samples[case][name].append(_run(command, child_environment(settings[name], cache)))
    return samples


def _quartiles(values):
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def _rows(samples, phase):
    rows, ratios = [], {}
    reference = "OPENBLAS_NUM_THREADS=1"
    for case, by_setting in samples.items():
        for name, values in by_setting.items():
            walls = [w for w, _ in values]
            low, high = _quartiles(walls)
            rows.append({"phase": phase, "case": case, "setting": name,
                         "wall_ms": f"{statistics.median(walls) * 1e3:.1f}",
                         "quartiles_ms": f"{low * 1e3:.1f}-{high * 1e3:.1f}",
                         "cpu_ms": f"{statistics.median(c for _, c in values) * 1e3:.1f}"})
        per_round = [d[0] / o[0] for d, o in zip(by_setting["default"], by_setting[reference],
                                                  strict=True)]
        ratios[case] = (statistics.median(per_round), min(per_round), max(per_round))
    return rows, ratios


FIRST_MODELS = ("phase_retrieval", "imaging", "hologram", "pd", "planes")


def _first_calls(n, rounds, one_core, kind="phase_retrieval"):
    """Medians of [import, constructor, first call, warm call] wall seconds, [constructor,
    first, warm] CPU seconds of the calling thread and [first, warm] minor page faults of the
    process, without and with a cache."""
    cold, cached = [], []
    extra = {"PHASEGRAD_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"} if one_core else {}
    argument = "one-core" if one_core else "as-is"
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as home:
            env = child_environment(extra, home)
            for kept in (cold, cached):  # the first child plans and writes the cache at exit
                done = subprocess.run([sys.executable, "-c", _FIRST, str(n), argument, kind],
                                      env=env, capture_output=True, text=True, check=True)
                kept.append(json.loads(done.stdout))
    return ([statistics.median(column) for column in zip(*cold, strict=True)],
            [statistics.median(column) for column in zip(*cached, strict=True)])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.busy_machine",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7,
                        help="children per case and setting in each phase (default 7)")
    parser.add_argument("--load", type=int, default=4,
                        help="busy-loop processes for the loaded phase (default 4; 0: none)")
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"which cases, comma-separated (default {','.join(CASES)}; "
                             "none: only the first call)")
    parser.add_argument("--no-limit", action="store_true",
                        help="also run OpenBLAS's threads with the limit off")
    parser.add_argument("--first-size", type=int, default=128,
                        help="pupil size of the first-call model (default 128; 0: skip)")
    parser.add_argument("--first-model", choices=FIRST_MODELS, default="phase_retrieval",
                        help="the first-call model: phase_retrieval (default), imaging (the "
                             "same with an extended object), pd (phase diversity, two "
                             "images), hologram (the far field, 2n x 2n) or planes (a "
                             "hologram at three planes, 2n x 2n)")
    parser.add_argument("--first-one-core", action="store_true",
                        help="run the first-call children on one core and one thread (CPU "
                             "times then measure the call alone on a loaded machine)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c and c != "none"]
    if not set(cases) <= set(CASES):
        parser.error(f"--cases must name some of {', '.join(CASES)}; got {args.cases!r}")
    if args.rounds < 1 or args.first_size < 0 or args.load < 0:
        parser.error("--rounds must be at least 1, --first-size and --load at least 0")
    settings = dict(SETTINGS, **(NO_LIMIT if args.no_limit else {}))
    rows, ratios, loads = [], {}, {}
    with tempfile.TemporaryDirectory() as folder:
        cache = os.path.join(folder, "cache")
        commands = {case: command for case, command in _commands(folder).items()
                    if case in cases}
        if commands:
            _fights(commands, SETTINGS, 1, cache)  # untimed: fills the wisdom cache
        phases = [("idle", 0)] + ([("loaded", args.load)] if args.load else [])
        for phase, count in phases if commands else ():
            spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                        for _ in range(count)]
            try:
                start = _load_average()
                samples = _fights(commands, settings, args.rounds, cache)
                loads[phase] = (start, _load_average())
            finally:
                for spinner in spinners:
                    spinner.kill()
                    spinner.wait()
            phase_rows, ratios[phase] = _rows(samples, phase)
            rows += phase_rows
    for phase, (start, end) in loads.items():
        print(f"{phase}: {args.rounds} rounds, {dict(phases)[phase]} busy-loop processes "
              f"beside it; load average {start:.1f} at the start, {end:.1f} at the end")
    if rows:
        print_table(rows, ["phase", "case", "setting", "wall_ms", "quartiles_ms", "cpu_ms"])
        print("\ndefault / OPENBLAS_NUM_THREADS=1 (wall; median of the per-round ratios, "
              "range; target <= 1.2)")
        table = [{"case": case, **{phase: f"{r[case][0]:.2f} ({r[case][1]:.2f}-"
                                          f"{r[case][2]:.2f})" for phase, r in ratios.items()}}
                 for case in commands]
        print_table(table, ["case", *ratios])
    first = None
    if args.first_size:
        cold, cached = _first_calls(args.first_size, args.rounds, args.first_one_core,
                                    args.first_model)
        first = {"no cache": cold, "wisdom cached": cached}
        where = "one core, one thread" if args.first_one_core else "threads as they are"
        what = {"phase_retrieval": f"PhaseRetrieval, n = {args.first_size}, 15 modes, 2 planes",
                "imaging": f"PhaseRetrieval with an object, n = {args.first_size}, 15 modes, "
                           "2 planes",
                "hologram": f"Hologram, {2 * args.first_size}^2",
                "pd": f"PhaseDiversity, n = {args.first_size}, 15 modes, 2 images",
                "planes": f"Hologram, 3 planes at 2-4 cm, {2 * args.first_size}^2"
                }[args.first_model]
        print(f"\nfloat32 {what}, in a new process ({where}; median of {args.rounds}); target: "
              "first / warm <= 2 with the cache. Wall ms, then the calling thread's CPU ms")
        print_table([{"process": name, "import": f"{v[0] * 1e3:.0f}",
                      "constructor": f"{v[1] * 1e3:.2f}", "first": f"{v[2] * 1e3:.2f}",
                      "warm": f"{v[3] * 1e3:.3f}", "first/warm": f"{v[2] / v[3]:.2f}",
                      "cpu: constructor": f"{v[4] * 1e3:.2f}", "first ": f"{v[5] * 1e3:.2f}",
                      "warm ": f"{v[6] * 1e3:.3f}", "first/warm ": f"{v[5] / v[6]:.2f}",
                      "faults: first": f"{v[7]:.0f}", "warm  ": f"{v[8]:.0f}"}
                     for name, v in first.items()],
                    ["process", "import", "constructor", "first", "warm", "first/warm",
                     "cpu: constructor", "first ", "warm ", "first/warm ", "faults: first",
                     "warm  "])
    if args.json:
        from .harness import write_json

        write_json(args.json, rows, ratios=ratios, load_averages=loads, first_call=first)
    return 0


if __name__ == "__main__":
    sys.exit(main())
