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

Run as a script, this file is the child: ``python memory.py '<json spec>'`` prints one JSON line.
"""

from __future__ import annotations

import gc
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
    import threads_setup

    impl, workload, threads = spec["impl"], spec["workload"], spec["threads"]
    if impl == "jax":
        threads_setup.configure_xla(threads)
    import implementations
    import workloads

    import phasegrad as pg

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
    import workloads

    import phasegrad

    dtype = np.dtype(dtype)
    grid = workloads.PAD * n if workload == "pr" else n
    buffer_bytes = grid * grid * np.result_type(dtype, np.complex64).itemsize
    row = {"workload": workload, "impl": impl, "n": n, "N": grid, "dtype": dtype.name,
           "buffer_bytes": buffer_bytes}
    if not Path("/proc/self/status").exists():
        return {**row, "status": "unavailable", "reason": "needs Linux /proc/self/status"}
    spec = {"impl": impl, "workload": workload, "n": n, "dtype": dtype.name, "threads": threads}
    env = dict(os.environ)
    source = str(Path(phasegrad.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env["MALLOC_MMAP_THRESHOLD_"] = str(128 * 1024)
    try:
        child = subprocess.run([sys.executable, __file__, json.dumps(spec)], env=env,
                               capture_output=True, text=True, timeout=timeout, check=False)
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


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
