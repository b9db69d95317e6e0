"""Timing helpers shared by the benchmarks: medians of repeated runs, machine info, JSON."""

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


def median_seconds(function, repeats=7, min_time=0.05, warmup=True):
    """Median wall time of ``function()``: each sample loops until ``min_time`` has passed.

    ``warmup=False`` when the caller has already made the warm-up call (plans, caches, page
    faults, compilation) itself.
    """
    if warmup:
        function()
    return statistics.median(sample_seconds(function, min_time) for _ in range(repeats))


def sample_seconds(function, min_time):
    """One timing sample: the mean seconds per call of as many calls as fill ``min_time``
    (at least one)."""
    loops, start = 0, time.perf_counter()
    while True:
        function()
        loops += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / loops


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
    with open(path, "w") as handle:
        json.dump({"machine": machine_info(), **extra, "results": rows}, handle, indent=2)


def print_table(rows, columns):
    widths = [max(len(c), *(len(f"{r[c]}") for r in rows)) for c in columns]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(f"{row[c]}".rjust(w) for c, w in zip(columns, widths, strict=True)))
