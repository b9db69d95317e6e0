"""Robust under contention: the fused model on two threads against one, with a core kept busy.

Run: ``python -m phasegrad.bench.contention [--rounds 7] [--size 128] [--modes 36]
[--planes 2] [--dtype float64]``.

One fused ``value_and_grad`` (pad 2, a quadratic detector) on 1 and on 2 threads, sampled in
interleaved rounds (``harness.interleaved_medians``), medians: first on the machine as it is
("quiet"), then with a busy-loop process pinned to the last core ("busy"), the case in which a
static split of the work makes every call wait for the thread that shares that core. The
ratio column is the 2-thread time over the 1-thread time of the same run (the target: at most
1.2 with the core busy). The load average is printed with each table: on a shared machine
both rows are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np

from .harness import interleaved_medians, print_table

_SPIN = "while True: pass"


def _model(size, modes, planes, dtype):
    import phasegrad as pg

    rng = np.random.default_rng(0)
    pupil = pg.circular_pupil(size).astype(dtype)
    basis = pg.zernike_basis(modes, size).astype(dtype)
    defocus = pg.zernike_basis(1, size, first=4)[0]
    diversity = np.stack([0.3 * k * defocus for k in range(planes)]).astype(dtype)
    data = rng.uniform(0, 1e-4, size=(planes, 2 * size, 2 * size)).astype(dtype)
    model = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=data, diversity=diversity,
                              detector="quadratic", backend="fused")
    x = model.pack(wavefront=rng.normal(scale=0.05, size=modes), detector=(0.02, 0.9, 0.0))
    return model, x


def _times(model, x, rounds):
    import phasegrad as pg

    def on(count):
        def call():
            with pg.threads(count):
                model.fun_and_jac(x)
        return call

    calls = {"1 thread": on(1), "2 threads": on(2)}
    for call in calls.values():
        for _ in range(5):
            call()
    return interleaved_medians(calls, rounds=rounds, min_time=0.1)


def _row(case, medians):
    one, two = medians["1 thread"], medians["2 threads"]
    return {"case": case, "1 thread ms": f"{one * 1e3:.3f}", "2 threads ms": f"{two * 1e3:.3f}",
            "2 / 1": f"{two / one:.2f}", "load": f"{os.getloadavg()[0]:.1f}"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.contention",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--size", type=int, default=128, help="pupil size n (default 128)")
    parser.add_argument("--modes", type=int, default=36, help="basis modes (default 36)")
    parser.add_argument("--planes", type=int, default=2, help="diversity planes (default 2)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    args = parser.parse_args(argv)
    if min(args.rounds, args.size, args.modes, args.planes) < 1:
        parser.error("--rounds, --size, --modes and --planes must be at least 1")
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        parser.error("needs at least two cores in this process's affinity")
    model, x = _model(args.size, args.modes, args.planes, np.dtype(args.dtype))
    rows = [_row("quiet", _times(model, x, args.rounds))]
    spinner = subprocess.Popen([sys.executable, "-c", _SPIN])
    try:
        os.sched_setaffinity(spinner.pid, {cores[-1]})
        rows.append(_row(f"busy (core {cores[-1]})", _times(model, x, args.rounds)))
    finally:
        spinner.kill()
        spinner.wait()
    print(f"fused value_and_grad, n = {args.size}, N = {2 * args.size}, {args.modes} modes, "
          f"{args.planes} planes, {args.dtype} (medians of {args.rounds} interleaved rounds)")
    print_table(rows, ["case", "1 thread ms", "2 threads ms", "2 / 1", "load"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
