"""``pg.distributed.retrieve_many``: in this process against a Dask ``LocalCluster``, and Dask's
own cost per task.

Run: ``python -m phasegrad.bench.distributed [--quick] [--problems B] [--size n] [--modes K]
[--chunk C] [--maxiter N] [--workers W] [--rounds R] [--out DIR]``.

The problems: a pupil of n pixels (default 32: 64 x 64 images), K Zernike modes (default 14),
two planes (in focus and 0.5 wave of defocus), each problem its own random wavefront of 0.05
wave RMS per mode, solved by the lockstep L-BFGS batch from zero for ``--maxiter`` iterations
(default 50). Timed, ``--rounds`` times each (median), interleaved:

- ``in-process``: ``retrieve_many(client=None, threads=W)``: every chunk a
  ``PhaseRetrievalBatch`` solved here, one after another, on W kernel threads;
- ``local cluster``: ``retrieve_many(client=...)`` on the ``LocalCluster`` that
  ``client="local"`` starts (``phasegrad.distributed.cluster.connect``: W worker processes of
  one thread each, Dask's profiler off), started and warmed up (every worker has solved a
  chunk) before timing: its start-up is reported apart.

Reported: problems per second of each, their ratio (the issue's target: >= 0.8 on a 2-core
machine with W = 2), the seconds per problem on one core, Dask's round trip per task (an empty
task, a thousand of them in flight) and per chunk's payload, and from those the estimate for
10^6 problems on 100 machines that docs/distributed.md explains. Writes
``bench_distributed.json`` into ``--out`` when given.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import phasegrad as pg

from .harness import print_table, write_json


def problems(count, n, modes, seed=0):
    """``(data (count, 2, 2n, 2n), options)``."""
    rng = np.random.default_rng(seed)
    amplitude = pg.circular_pupil(n)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    options = {"amplitude": amplitude / amplitude.sum(),
               "basis": pg.zernike_basis(modes, n, first=2),
               "diversity": np.stack([0.0 * defocus, 0.5 * defocus])}
    model = pg.PhaseRetrieval(data=np.zeros((2, 2 * n, 2 * n)), **options)
    truth = rng.normal(scale=0.05, size=(count, modes))
    data = np.stack([model.simulate(a).reshape(2, 2 * n, 2 * n) for a in truth])
    return data, options


def _noop():
    return None


def task_overhead(client, count=1000):
    """Seconds per empty task, ``count`` submitted at once and gathered (Dask's scheduler,
    transport and worker bookkeeping, with the workers' threads overlapping)."""
    client.gather(client.map(lambda i: i, range(50), pure=False))  # warm
    began = time.perf_counter()
    client.gather([client.submit(_noop, pure=False) for _ in range(count)])
    return (time.perf_counter() - began) / count


def payload_seconds(client, frames):
    """Seconds to send one chunk's frames to a worker and get them back (a round trip)."""
    def echo(a):
        return a.shape
    client.submit(echo, frames[:1], pure=False).result()
    began = time.perf_counter()
    for _ in range(5):
        client.submit(echo, frames, pure=False).result()
    return (time.perf_counter() - began) / 5


#: Tasks per second one Dask scheduler handles: Dask's documentation puts its overhead at
#: about 1 ms per task.
SCHEDULER_RATE = 1000.0


def estimate(per_problem_core, overhead, chunk, problems=10**6, machines=100, cores=32,
             scheduler_rate=SCHEDULER_RATE):
    """Seconds for ``problems`` on ``machines`` of ``cores`` cores: the compute spread over
    every core, plus each core's share of its tasks' overhead, bounded below by the
    scheduler's rate (tasks per second a single Dask scheduler handles)."""
    tasks = -(-problems // chunk)
    compute = problems * per_problem_core / (machines * cores)
    per_core_overhead = tasks * overhead / (machines * cores)
    return {"tasks": tasks, "compute_s": compute, "overhead_s": per_core_overhead,
            "scheduler_s": tasks / scheduler_rate,
            "total_s": max(compute + per_core_overhead, tasks / scheduler_rate)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="B = 32, n = 16, 6 modes, 20 iterations, one round")
    parser.add_argument("--problems", type=int, default=256, help="B (default 256)")
    parser.add_argument("--size", type=int, default=32, help="pupil size n (default 32)")
    parser.add_argument("--modes", type=int, default=14)
    parser.add_argument("--chunk", type=int, default=32, help="problems per task (default 32)")
    parser.add_argument("--maxiter", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes (x 1 thread); the in-process run's threads")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.problems, args.size, args.modes, args.maxiter, args.rounds = 32, 16, 6, 20, 1
        args.chunk = min(args.chunk, 8)
    from ..distributed.cluster import connect

    data, options = problems(args.problems, args.size, args.modes)
    common = {"chunk": args.chunk, "maxiter": args.maxiter, **options}
    began = time.perf_counter()
    cluster = connect("local", workers=args.workers, threads=1)  # what client="local" starts
    client = cluster.client
    startup = time.perf_counter() - began
    try:
        warm = data[:args.chunk * args.workers]
        pg.distributed.retrieve_many(warm, client=client, **common)  # imports, plans
        pg.distributed.retrieve_many(warm, threads=args.workers, **common)
        here, there = [], []
        for _ in range(args.rounds):
            found = pg.distributed.retrieve_many(data, threads=args.workers, **common)
            here.append(found.seconds)
            other = pg.distributed.retrieve_many(data, client=client, **common)
            there.append(other.seconds)
        same = bool(np.array_equal(found.x, other.x))
        overhead = task_overhead(client)
        payload = payload_seconds(client, data[:args.chunk])
        task_seconds = float(np.median(other.task_seconds))
    finally:
        cluster.close()
    t_here, t_there = float(np.median(here)), float(np.median(there))
    per_problem_core = t_here * args.workers / args.problems
    rows = [
        {"run": "in-process", "seconds": f"{t_here:.3f}",
         "problems/s": f"{args.problems / t_here:.1f}", "ratio": "1.00"},
        {"run": f"local cluster {args.workers}x1", "seconds": f"{t_there:.3f}",
         "problems/s": f"{args.problems / t_there:.1f}", "ratio": f"{t_here / t_there:.2f}"},
    ]
    print(f"phasegrad {pg.__version__}: B = {args.problems}, n = {args.size}, "
          f"{args.modes} modes, 2 planes, {args.maxiter} L-BFGS iterations, chunks of "
          f"{args.chunk}, {args.workers} cores")
    print_table(rows, ["run", "seconds", "problems/s", "ratio"])
    guesses = {chunk: estimate(per_problem_core, overhead + payload, chunk)
               for chunk in sorted({args.chunk, 256})}
    print(f"cluster start-up {startup:.2f} s; results equal: {same}; one problem on one core "
          f"{per_problem_core * 1e3:.2f} ms; a chunk's task {task_seconds * 1e3:.1f} ms; an "
          f"empty task {overhead * 1e3:.3f} ms; a chunk's frames there and back "
          f"{payload * 1e3:.2f} ms")
    for chunk, guess in guesses.items():
        print(f"estimate, 1e6 problems on 100 machines x 32 cores, chunks of {chunk}: "
              f"{guess['tasks']} tasks, compute {guess['compute_s']:.1f} s + overhead "
              f"{guess['overhead_s']:.2f} s per core (scheduler at {SCHEDULER_RATE:.0f} "
              f"tasks/s: {guess['scheduler_s']:.1f} s) -> {guess['total_s']:.1f} s")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_json(args.out / "bench_distributed.json", rows, startup_s=startup,
                   equal=same, per_problem_core_s=per_problem_core, task_s=task_seconds,
                   empty_task_s=overhead, payload_s=payload,
                   estimates={str(chunk): guess for chunk, guess in guesses.items()},
                   problems=args.problems, size=args.size, modes=args.modes,
                   maxiter=args.maxiter, chunk=args.chunk, workers=args.workers)
    return 0


if __name__ == "__main__":
    main()
