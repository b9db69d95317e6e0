"""The model benchmark suite: phase retrieval (Jurling Eq. 99) and the hologram, every backend.

Run: ``phasegrad bench [--quick] [--out DIR] [--sizes 128,256] [--workloads
pr,hologram,memory] [--impls fused,reference,floor,jax,torch] [--threads N] [--quiet]`` or
``python -m phasegrad.bench`` with the same options (``phasegrad.bench.main``).

For each workload, precision and size it times one value_and_grad (E and the gradient w.r.t.
every parameter) of each implementation, side by side in one run: phasegrad's ``fused`` and
``reference`` backends, the floor (``phasegrad.bench.floor``: pyFFTW's FFT pair of the grid
plus the basis contractions), JAX (``jit(value_and_grad)``) and PyTorch (autograd). Each time
is a median over 7 rounds after a warm-up call, every round taking one sample of each
implementation in turn, each after an untimed lead-in (so a change of load on a shared machine
hits all rows alike, and no row pays for the idle cores the one before it left), with ratios to
the floor and to fused. Before timing anything else, each implementation's E and gradient are
checked once against the reference backend (relative error <= 1e-8 in float64, 1e-3 in
float32): a benchmark of a wrong model is worthless. Unavailable implementations (not
installed; ``backend="fused"`` raising ``NotImplementedError``) are reported as such.
``memory`` measures the peak memory of one call in a fresh subprocess
(``phasegrad.bench.memory``).

Writes ``bench_models.json`` (machine info, versions, threads, the OpenMP wait policy, every
row) and ``bench_models.png`` (when matplotlib is installed) into ``--out``, which is checked
before anything runs. ``--quiet`` prints only the tables, what was not measured, warnings
and the ``wrote`` lines.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

import phasegrad as pg
from phasegrad.arguments.options import Parser, choice_list, int_at_least, int_list
from phasegrad.arguments.outputs import OutputError, check_outputs, make_output_folder, writing

from . import SUITES, harness, threads_setup
from .harness import print_table, write_json

WORKLOADS = ("pr", "hologram", "memory")
IMPLS = ("floor", "fused", "reference", "jax", "torch")
DEFAULT_SIZES = {"pr": (128, 256, 512, 1024), "hologram": (256, 512, 1024)}
QUICK_SIZES = {"pr": (32,), "hologram": (64,)}   # a smoke run: seconds, not a benchmark
DTYPES = ("float64", "float32")
TOLERANCE = {"float64": 1e-8, "float32": 1e-3}
MEMORY_PR_SIZE = 512       # the hologram is measured on the same grid: n = 2 * 512
SLOW_CALL_SECONDS = 1.0    # slower calls get a few single-call repeats
DEFAULT_OUT = "bench-results"
OUTPUTS = ("bench_models.json", "bench_models.png")


def warm_up(call):
    """``(result, seconds)`` of the first call (plans, compilation, caches)."""
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def interleaved_medians(calls, firsts, quick):
    """Median seconds per call of every entry of ``calls`` (``harness.interleaved_medians``);
    implementations whose first call took longer than ``SLOW_CALL_SECONDS`` are sampled with
    single calls."""
    rounds, min_time = (3, 0.01) if quick else (7, 0.05)
    slow = {name for name in calls if firsts[name] > SLOW_CALL_SECONDS}
    return harness.interleaved_medians(calls, rounds, min_time, single=slow)


def relative_error(result, expected):
    """max(|E - E_ref| / |E_ref|, ||g - g_ref|| / ||g_ref||) of two ``(E, flat g)`` pairs."""
    (energy, grad), (energy_ref, grad_ref) = result, expected
    energy_error = abs(energy - energy_ref) / max(abs(energy_ref), np.finfo(float).tiny)
    grad_error = np.linalg.norm(grad - grad_ref) / max(np.linalg.norm(grad_ref),
                                                       np.finfo(float).tiny)
    return float(max(energy_error, grad_error))


def bench_case(workload, dtype, n, impls, threads, quick, say):
    """The rows of one workload, precision and size: every implementation, side by side."""
    from . import implementations, workloads
    from .floor import Floor
    from .floor import Unavailable as FloorUnavailable

    problem = workloads.WORKLOADS[workload](n, dtype)
    base = {"workload": workload, "dtype": dtype, "n": n, "N": problem.grid}
    rows, calls, firsts = {}, {}, {}
    if "floor" in impls:
        try:
            floor = Floor(problem.grid, dtype, threads,
                          basis=problem.basis if workload == "pr" else None)
            _, firsts["floor"] = warm_up(floor)
            calls["floor"] = floor
            rows["floor"] = {**base, "impl": "floor", "status": "ok"}
        except FloorUnavailable as error:
            rows["floor"] = {**base, "impl": "floor", "status": "unavailable",
                             "reason": str(error)}

    # The reference runs first: its warm-up result is what the others are checked against.
    model_impls = [i for i in ("reference", "fused", "jax", "torch") if i in impls]
    if model_impls:
        reference = implementations.runner("reference", workload, problem)
        result, first = warm_up(reference.call)
        expected = reference.flat(result)
        if "reference" in impls:
            calls["reference"], firsts["reference"] = reference.call, first
            rows["reference"] = {**base, "impl": "reference", "status": "ok"}
    for impl in model_impls:
        if impl == "reference":
            continue
        row = {**base, "impl": impl}
        try:
            run = implementations.runner(impl, workload, problem)
            result, first = warm_up(run.call)
        except implementations.Unavailable as error:
            rows[impl] = {**row, "status": "unavailable", "reason": str(error)}
            continue
        except Exception as error:  # a framework's failure must not end the whole run
            rows[impl] = {**row, "status": "failed", "reason": f"{type(error).__name__}: {error}"}
            say(f"WARNING: {impl} failed on {workload} {dtype} n={n}: {rows[impl]['reason']}")
            continue
        error = relative_error(run.flat(result), expected)
        agrees = error <= TOLERANCE[dtype]
        rows[impl] = {**row, "status": "ok", "check_error": error,
                      "check": "ok" if agrees else "MISMATCH"}
        calls[impl], firsts[impl] = run.call, first
        if not agrees:
            say(f"WARNING: {impl} disagrees with the reference on {workload} {dtype} n={n}: "
                f"relative error {error:.2e} > {TOLERANCE[dtype]:g}")

    for impl, seconds in interleaved_medians(calls, firsts, quick).items():
        rows[impl].update(seconds=seconds, first_call_seconds=firsts[impl])

    for row in rows.values():
        for other in ("floor", "fused"):
            reference_row = rows.get(other)
            if row["status"] == "ok" and reference_row and reference_row["status"] == "ok":
                row[f"vs_{other}"] = row["seconds"] / reference_row["seconds"]
    return [rows[impl] for impl in IMPLS if impl in rows]


def _table_row(row):
    def number(key, fmt, scale=1.0):
        return format(row[key] * scale, fmt) if key in row else "-"

    if row["status"] != "ok":
        check = row["status"]
    elif "check" in row:
        check = f"{row['check']} {row['check_error']:.0e}"
    else:
        check = "(spec)" if row["impl"] == "reference" else "-"
    return {"workload": row["workload"], "dtype": row["dtype"], "n": row["n"], "N": row["N"],
            "impl": row["impl"], "ms": number("seconds", ".3f", 1e3),
            "first_ms": number("first_call_seconds", ".1f", 1e3),
            "x_floor": number("vs_floor", ".2f"), "x_fused": number("vs_fused", ".2f"),
            "check": check}


def run(args):
    """Run the suite for parsed options (``build_parser``); returns the exit code.

    OutputError (``phasegrad.arguments.outputs``) when ``--out`` cannot take the outputs:
    checked first, before anything runs, and again when the files are written.
    """
    say = lambda line: print(line, flush=True)                       # always shown
    progress = (lambda line: None) if args.quiet else say            # not with --quiet
    threads = args.threads or pg.get_num_threads()
    workloads_wanted = args.workloads or WORKLOADS
    impls = args.impls or IMPLS
    out = Path(args.out or DEFAULT_OUT)
    paths = check_outputs(out, OUTPUTS)

    # Load phasegrad's compiled core now, before anything imports torch (configure_torch
    # below, the implementations later). libgomp reads its wait policy once, when it is first
    # loaded, and phasegrad.native sets phasegrad's policy only while the core loads: were
    # torch first, its libgomp would already be loaded with libgomp's default policy, every
    # phasegrad row would run under that, and openmp_policy would say "not applied".
    openmp_policy = pg.config.openmp_policy()
    notes = {"xla": threads_setup.configure_xla(threads) if "jax" in impls else "not run",
             "torch": threads_setup.configure_torch(threads) if "torch" in impls else
             "not run"}
    from . import implementations, memory

    sizes = {w: tuple(args.sizes) if args.sizes else
             (QUICK_SIZES if args.quick else DEFAULT_SIZES)[w] for w in DEFAULT_SIZES}
    versions = implementations.versions()
    progress(f"phasegrad {pg.__version__} (FFTW {pg.fftw_version()}), NumPy {np.__version__}, "
             + ", ".join(f"{k} {v}" for k, v in versions.items()
                         if v and k != "threadpoolctl"))
    rows, memory_rows = [], []
    with pg.threads(threads), threads_setup.single_threaded_blas() as blas_note:
        notes["blas"] = blas_note
        progress(f"threads {threads} on {os.cpu_count()} cores; OpenMP wait policy: "
                 f"{openmp_policy}; " + "; ".join(notes.values()))
        for workload in ("pr", "hologram"):
            if workload not in workloads_wanted:
                continue
            for dtype in DTYPES:
                for n in sizes[workload]:
                    progress(f"  {workload} {dtype} n={n}")
                    rows += bench_case(workload, dtype, n, impls, threads, args.quick, say)
        if "memory" in workloads_wanted:
            pr_size = min(max(sizes["pr"]), MEMORY_PR_SIZE) if args.sizes or args.quick \
                else MEMORY_PR_SIZE
            memory_rows = memory.bench(impls, threads, pr_size, progress)

    progress("")
    say("Time of one value_and_grad (median ms); x_floor, x_fused: time / that row's time; "
        "check: relative error vs the reference backend")
    table = [_table_row(r) for r in rows]
    if table:
        print_table(table, list(table[0]))
    unavailable = sorted({f"{r['impl']}: {r['reason']}" for r in rows + memory_rows
                          if r["status"] != "ok"})
    for line in unavailable:
        say(f"  not measured - {line}")
    if memory_rows:
        say("")
        say("Peak memory of value_and_grad (VmHWM - VmRSS in a fresh process; bufs: complex "
            "N^2 buffers; target for fused: <= 4)")
        memory_table = [memory.table_row(r) for r in memory_rows]
        print_table(memory_table, list(memory_table[0]))

    make_output_folder(out)
    path = paths["bench_models.json"]
    with writing(path):  # an OSError names the file; write_json writes it atomically
        write_json(path, rows, environment={
            "threads": threads, "versions": versions, "thread_notes": notes,
            "openmp_policy": openmp_policy, "quick": bool(args.quick), "sizes": sizes,
            "impls": list(impls), "xla_flags": os.environ.get("XLA_FLAGS")},
            memory=memory_rows)
    say("")
    say(f"wrote {path}")
    if rows:
        from .plot import plot

        picture = paths["bench_models.png"]
        with writing(picture) as destination:
            note = plot(rows, destination,
                        title=f"phasegrad {pg.__version__}, {threads} threads")
        say(note or f"wrote {picture}")
    return 0


def _sizes_text(sizes):
    return "; ".join(f"{'PR' if w == 'pr' else w} {','.join(map(str, n))}"
                     for w, n in sizes.items())


def build_parser(prog="phasegrad bench"):
    """The options of ``phasegrad bench`` / ``python -m phasegrad.bench``."""
    parser = Parser(
        prog=prog,
        description="Time one value_and_grad of the phase-retrieval (Jurling Eq. 99) and "
                    "hologram models for every backend side by side, with ratios to the floor "
                    "(FFTW's transform pair plus the basis contractions), check JAX and PyTorch "
                    "against the reference, measure peak memory; print a table, write JSON "
                    "and a plot. JAX, PyTorch and pyFFTW (the floor) are used when installed.",
        epilog="The other suites: python -m phasegrad.bench.<name> for "
               f"{', '.join(name for name in SUITES if name != 'models')} (--help on each).")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: tiny sizes ({_sizes_text(QUICK_SIZES)}; memory at "
                             "those), few repeats")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help="where bench_models.json and bench_models.png go (default "
                             f"./{DEFAULT_OUT}, relative to the current directory; "
                             "overwritten if there); checked before anything runs")
    parser.add_argument("--sizes", type=int_list(4), metavar="N,N,...",
                        help="pupil sizes n for every workload (default: "
                             f"{_sizes_text(DEFAULT_SIZES)})")
    parser.add_argument("--workloads", type=choice_list(WORKLOADS), metavar="W,W,...",
                        help=f"any of {','.join(WORKLOADS)} (default: all three)")
    parser.add_argument("--impls", type=choice_list(IMPLS), metavar="I,I,...",
                        help=f"any of {','.join(IMPLS)} (default: all; those not installed or "
                             "not built are reported as unavailable)")
    parser.add_argument("--threads", type=int_at_least(1),
                        help="threads for phasegrad, pyFFTW, BLAS, PyTorch and (one thread "
                             "only) XLA (default: phasegrad.get_num_threads())")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only the result tables, what was not measured, warnings "
                             "and the 'wrote' lines (and errors): no versions, no progress")
    return parser


def _error(prog, message, code):
    print(f"{prog}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def main(argv=None, *, prog="phasegrad bench"):
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the suite; returns the exit code.

    ``--help`` returns 0; a bad argument prints one line on stderr and returns 2; an output
    that cannot be written (``--out`` is checked before anything runs) or not enough memory
    prints one line, ``<prog>: error: ...``, and returns 1. Anything else is a bug and keeps
    its traceback.
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a bad argument (2, its one line printed)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        return run(args)
    except OutputError as error:
        return _error(prog, error, 1)
    except MemoryError as error:  # numpy's ArrayMemoryError included
        return _error(prog, f"not enough memory: {error or type(error).__name__}; try "
                            "smaller --sizes", 1)


if __name__ == "__main__":
    sys.exit(main(prog="python -m phasegrad.bench.models"))
