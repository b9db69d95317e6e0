"""What the benchmarks share: medians of repeated runs, machine info, JSON, output checks."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from datetime import datetime, timezone

import numpy as np


def cpu_model():
    """The CPU's model name (Linux ``/proc/cpuinfo``), else what ``platform`` says."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# Variables that change how many threads BLAS runs: removed from a child's environment by
# child_environment, so that each setting a bench compares is what its name says.
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS",
                  "PHASEGRAD_LIMIT_BLAS")


def child_environment(extra, cache):
    """A child process's environment: this one without ``BLAS_VARIABLES``, the FFTW wisdom cache
    on in folder ``cache`` (shared by the children a comparison runs), then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    env.update({"XDG_CACHE_HOME": cache, "PHASEGRAD_WISDOM_CACHE": "1"}, **extra)
    return env


def median_seconds(function, repeats=7, min_time=0.05, warmup=True):
    """Median wall time of ``function()``: each sample loops until ``min_time`` has passed.

    ``warmup=False`` when the caller has already made the warm-up call (plans, caches, page
    faults, compilation) itself.
    """
    if warmup:
        function()
    return statistics.median(sample_seconds(function, min_time) for _ in range(repeats))


def sample_seconds(function, min_time, clock=time.perf_counter):
    """One timing sample: the mean seconds per call of as many calls as fill ``min_time``
    (at least one), on ``clock`` (wall time; ``time.thread_time`` for CPU time)."""
    loops, start = 0, clock()
    while True:
        function()
        loops += 1
        elapsed = clock() - start
        if elapsed >= min_time:
            return elapsed / loops


# Each interleaved sample follows an untimed lead-in of this fraction of its length. A call right
# after another implementation's (or after idling) runs slow on a VM: measured on the 2-core
# development VM, the fused PR at n=512 in float32 took 10, 8.3, 7.6, 7.1 ms on the four calls
# after a reference call, 7.0 from then on, and as slow after time.sleep. Without the lead-in
# the rows that follow a slow single-threaded one pay for the idle core's wake-up, not their own
# work (float32 fused read 1.34x the floor with the reference before it, 0.94x without).
LEAD_IN = 0.5


def interleaved_medians(calls, rounds=7, min_time=0.05, single=(), clock=time.perf_counter):
    """Median seconds per call of every entry of ``calls`` (name -> callable), sampled in
    rounds: one sample of each in turn, so that a change of load on a shared machine hits every
    entry alike and the ratios stay fair. A sample is the mean of as many calls as fill
    ``min_time``, after an untimed lead-in (``LEAD_IN``); the names in ``single`` (slow calls)
    are sampled with one call each and no lead-in. The caller makes the warm-up calls.
    ``clock``: wall time, or ``time.thread_time`` for the calling thread's CPU time (one-thread
    calls on a loaded machine)."""
    samples = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            budget = 0.0 if name in single else min_time
            if budget:
                sample_seconds(call, LEAD_IN * budget, clock)  # untimed: see LEAD_IN
            samples[name].append(sample_seconds(call, budget, clock))
    return {name: statistics.median(values) for name, values in samples.items()}


def machine_info():
    import phasegrad

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "phasegrad": phasegrad.__version__,
        "fftw": phasegrad.fftw_version(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def write_json(path, rows, **extra):
    """The results as JSON, written atomically (``phasegrad.arguments.outputs.writing``)."""
    from ..arguments.outputs import writing

    with writing(path) as destination, open(destination, "w") as handle:
        json.dump({"machine": machine_info(), **extra, "results": rows}, handle, indent=2)


def print_table(rows, columns):
    widths = [max(len(c), *(len(f"{r[c]}") for r in rows)) for c in columns]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(f"{row[c]}".rjust(w) for c, w in zip(columns, widths, strict=True)))
