"""Robust under contention: the fused models on two threads against one, with a core kept busy.

Run: ``python -m phasegrad.bench.contention [--rounds 7] [--size 128] [--modes 36]
[--planes 2] [--dtype float64] [--models phase_retrieval,imaging,phase_diversity]``.

One fused ``value_and_grad`` of each model (pad 2, so N = 2 n; n = 128 gives N = 256, the
smallest grid the models run threaded) on 1 and on 2 threads, sampled in interleaved rounds
(``harness.interleaved_medians``), medians: first on the machine as it is ("quiet"), then with
a busy-loop process pinned to the last core ("busy"), the case in which a static split of the
work makes every call wait for the thread that shares that core. The models:

- ``phase_retrieval``: point source, ``--planes`` diversity planes, a quadratic detector;
- ``imaging``: the imaging model (docs/imaging-model.md) of a known extended scene (an (N, N)
  array: the transfer's four real transforms per plane), the same planes and detector;
- ``phase_diversity``: ``pg.PhaseDiversity`` (object eliminated) of ``max(planes, 2)``
  images.

The ratio column is the 2-thread time over the 1-thread time of the same run (the target: at
most 1.2 with the core busy). The load average is printed with each row: on a shared machine
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
MODELS = ("phase_retrieval", "imaging", "phase_diversity")


def _model(kind, size, modes, planes, dtype):
    """A fused model of ``kind`` and its flat parameter vector."""
    import phasegrad as pg

    rng = np.random.default_rng(0)
    pupil = pg.circular_pupil(size).astype(dtype)
    basis = pg.zernike_basis(modes, size).astype(dtype)
    defocus = pg.zernike_basis(1, size, first=4)[0]
    grid = 2 * size
    if kind == "phase_diversity":
        images = max(planes, 2)
        diversity = np.stack([0.5 * (k - (images - 1) / 2) * defocus
                              for k in range(images)]).astype(dtype)
        data = rng.uniform(0, 1e-4, size=(images, grid, grid)).astype(dtype)
        model = pg.PhaseDiversity(amplitude=pupil, basis=basis, data=data, diversity=diversity,
                                  regularization=1e-6, backend="fused")
        return model, rng.normal(scale=0.05, size=modes).astype(dtype)
    diversity = np.stack([0.3 * k * defocus for k in range(planes)]).astype(dtype)
    data = rng.uniform(0, 1e-4, size=(planes, grid, grid)).astype(dtype)
    options = {}
    if kind == "imaging":
        options["object"] = rng.uniform(0.0, 1.0, (grid, grid)).astype(dtype)
    model = pg.PhaseRetrieval(amplitude=pupil, basis=basis, data=data, diversity=diversity,
                              detector="quadratic", backend="fused", **options)
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


def _row(kind, case, medians):
    one, two = medians["1 thread"], medians["2 threads"]
    return {"model": kind, "case": case, "1 thread ms": f"{one * 1e3:.3f}",
            "2 threads ms": f"{two * 1e3:.3f}", "2 / 1": f"{two / one:.2f}",
            "load": f"{os.getloadavg()[0]:.1f}"}


def _model_list(text):
    kinds = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [kind for kind in kinds if kind not in MODELS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(
            f"--models takes a comma-separated list of {', '.join(MODELS)} (got {text!r})")
    return kinds


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m phasegrad.bench.contention",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--size", type=int, default=128, help="pupil size n (default 128)")
    parser.add_argument("--modes", type=int, default=36, help="basis modes (default 36)")
    parser.add_argument("--planes", type=int, default=2, help="diversity planes (default 2)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--models", type=_model_list, default=MODELS,
                        help=f"comma-separated, of {', '.join(MODELS)} (default all)")
    args = parser.parse_args(argv)
    if min(args.rounds, args.size, args.modes, args.planes) < 1:
        parser.error("--rounds, --size, --modes and --planes must be at least 1")
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        parser.error("needs at least two cores in this process's affinity")
    models = {kind: _model(kind, args.size, args.modes, args.planes, np.dtype(args.dtype))
              for kind in args.models}
    rows = [_row(kind, "quiet", _times(model, x, args.rounds))
            for kind, (model, x) in models.items()]
    spinner = subprocess.Popen([sys.executable, "-c", _SPIN])
    try:
        os.sched_setaffinity(spinner.pid, {cores[-1]})
        rows += [_row(kind, f"busy (core {cores[-1]})", _times(model, x, args.rounds))
                 for kind, (model, x) in models.items()]
    finally:
        spinner.kill()
        spinner.wait()
    print(f"fused value_and_grad, n = {args.size}, N = {2 * args.size}, {args.modes} modes, "
          f"{args.planes} planes, {args.dtype} (medians of {args.rounds} interleaved rounds)")
    print_table(rows, ["model", "case", "1 thread ms", "2 threads ms", "2 / 1", "load"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
