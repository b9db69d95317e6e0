"""Peak memory of one value_and_grad, measured in a fresh subprocess per implementation.

The child builds the inputs (and imports the framework), resets the kernel's high-water mark
(``/proc/self/clear_refs`` with ``5``), then constructs the model and makes the first call; the
peak is VmHWM minus the VmRSS before construction. A second call, after another reset, gives
the steady-state peak of a call (JAX's first call includes compilation). Both are reported in
bytes and in complex N x N buffers (N: the transformed grid; the model's complex itemsize),
the unit of the team's target: fused <= 4 buffers. Linux only (it reads ``/proc/self``).

The child runs with glibc's mmap threshold fixed at 128 KiB (``MALLOC_MMAP_THRESHOLD_``): by
default glibc raises the threshold each time a large block is freed, after which large arrays
come from the heap, whose freed pages stay resident, and a later peak would not show in RSS.

Run: ``python -m phasegrad.bench.memory [--size 512] [--impls fused,reference,jax,torch]
[--threads N] [--json out.json]`` for the memory rows alone (``phasegrad bench`` runs them as its
``memory`` workload). The child is this module too: ``python -m phasegrad.bench.memory --child
'<json spec>'`` prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

TARGET_BUFFERS = 4       # fused: at most 4 complex N^2 buffers


def _status_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"{field} not in /proc/self/status")


def _reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _child(spec):
    from . import threads_setup

    impl, workload, threads = spec["impl"], spec["workload"], spec["threads"]
    if impl == "jax":
        threads_setup.configure_xla(threads)
    import phasegrad as pg

    from . import implementations, workloads

    pg.set_num_threads(threads)
    if impl in ("jax", "torch"):
        try:
            implementations.framework(impl)          # the import is not the model's memory
        except implementations.Unavailable as error:
            return {"unavailable": str(error)}
        if impl == "torch":
            threads_setup.configure_torch(threads)
    problem = workloads.WORKLOADS[workload](spec["n"], spec["dtype"])
    gc.collect()
    exact = _reset_peak()
    before = _status_bytes("VmRSS") if exact else _status_bytes("VmHWM")
    try:
        run = implementations.runner(impl, workload, problem)
    except implementations.Unavailable as error:
        return {"unavailable": str(error)}
    run.call()
    first = _status_bytes("VmHWM") - before
    gc.collect()
    exact = _reset_peak() and exact
    before = _status_bytes("VmRSS") if exact else _status_bytes("VmHWM")
    run.call()
    steady = _status_bytes("VmHWM") - before
    return {"first_call_bytes": first, "steady_call_bytes": steady, "peak_reset": exact}


def measure(impl, workload, n, dtype, threads, timeout=600):
    """Peak memory of ``impl`` on ``workload`` at size ``n``, from a fresh subprocess.

    Returns a row (dict); ``status`` is ``"ok"``, ``"unavailable"`` or ``"failed"``.
    """
    import phasegrad

    from . import workloads

    dtype = np.dtype(dtype)
    grid = workloads.PAD * n if workload == "pr" else n
    buffer_bytes = grid * grid * np.result_type(dtype, np.complex64).itemsize
    row = {"workload": workload, "impl": impl, "n": n, "N": grid, "dtype": dtype.name,
           "buffer_bytes": buffer_bytes}
    if not Path("/proc/self/status").exists():
        return {**row, "status": "unavailable", "reason": "needs Linux /proc/self/status"}
    if impl in ("jax", "torch") and importlib.util.find_spec(impl) is None:
        # what the child would report, without starting one
        return {**row, "status": "unavailable",
                "reason": f"{impl} is not installed (No module named {impl!r})"}
    spec = {"impl": impl, "workload": workload, "n": n, "dtype": dtype.name, "threads": threads}
    # The child imports the phasegrad this process runs (an installed one, or a source tree
    # on PYTHONPATH or the current directory, which the child's own working directory need
    # not have): the folder that holds the package goes first on its path.
    env = dict(os.environ)
    source = str(Path(phasegrad.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env["MALLOC_MMAP_THRESHOLD_"] = str(128 * 1024)
    try:
        child = subprocess.run([sys.executable, "-m", __spec__.name, "--child", json.dumps(spec)],
                               env=env, capture_output=True, text=True, timeout=timeout,
                               check=False)
    except subprocess.TimeoutExpired:
        return {**row, "status": "failed", "reason": f"timed out after {timeout} s"}
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        tail = (child.stderr.strip().splitlines() or ["no output"])[-1]
        return {**row, "status": "failed", "reason": f"exit {child.returncode}: {tail}"}
    result = json.loads(lines[-1])
    if "unavailable" in result:
        return {**row, "status": "unavailable", "reason": result["unavailable"]}
    return {**row, "status": "ok", **result,
            "first_call_buffers": result["first_call_bytes"] / buffer_bytes,
            "steady_call_buffers": result["steady_call_bytes"] / buffer_bytes}


IMPLS = ("fused", "reference", "jax", "torch")
DEFAULT_PR_SIZE = 512    # the hologram is measured on the same grid: n = 2 * 512


def bench(impls, threads, pr_size, say=print):
    """Peak memory rows: PR at ``pr_size``, the hologram on the same grid (n = 2 * pr_size)."""
    rows = []
    for workload, n in (("pr", pr_size), ("hologram", 2 * pr_size)):
        for impl in IMPLS:
            if impl in impls:
                say(f"  memory: {workload} n={n} {impl}")
                rows.append(measure(impl, workload, n, "float64", threads))
    for row in rows:
        if row["impl"] == "fused" and row["status"] == "ok":
            row["meets_target"] = row["steady_call_buffers"] <= TARGET_BUFFERS \
                and row["first_call_buffers"] <= TARGET_BUFFERS
    return rows


def table_row(row):
    """One row of the printed table (strings) for a row of ``bench``."""
    ok = row["status"] == "ok"
    mib = lambda key: f"{row[key] / 2**20:.1f}" if ok else "-"
    buffers = lambda key: f"{row[key]:.2f}" if ok else "-"
    target = {True: "yes", False: "NO"}.get(row.get("meets_target"), "-")
    return {"workload": row["workload"], "impl": row["impl"], "n": row["n"], "N": row["N"],
            "dtype": row["dtype"], "first_MiB": mib("first_call_bytes"),
            "first_bufs": buffers("first_call_buffers"), "steady_MiB": mib("steady_call_bytes"),
            "steady_bufs": buffers("steady_call_buffers"), "<=4": target,
            "status": row["status"]}


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_PR_SIZE,
                        help=f"PR pupil size n; the hologram runs at 2n (default "
                             f"{DEFAULT_PR_SIZE})")
    parser.add_argument("--impls", default=",".join(IMPLS),
                        help=f"comma-separated, any of {','.join(IMPLS)} (default: all)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads (default: phasegrad.get_num_threads())")
    parser.add_argument("--json", help="write results and machine info to this file")
    parser.add_argument("--child", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(json.loads(args.child))))
        return 0
    impls = [i for i in args.impls.split(",") if i]
    unknown = sorted(set(impls) - set(IMPLS))
    if unknown or not impls:
        parser.error(f"--impls: expected a comma-separated subset of {','.join(IMPLS)}")
    if args.size < 4 or (args.threads is not None and args.threads < 1):
        parser.error("--size must be at least 4 and --threads at least 1")
    import phasegrad as pg

    from .harness import print_table, write_json

    threads = args.threads or pg.get_num_threads()
    rows = bench(impls, threads, args.size)
    print("Peak memory of value_and_grad (VmHWM - VmRSS in a fresh process; bufs: complex N^2 "
          f"buffers; target for fused: <= {TARGET_BUFFERS})")
    table = [table_row(r) for r in rows]
    print_table(table, list(table[0]))
    if args.json:
        write_json(args.json, rows, threads=threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
