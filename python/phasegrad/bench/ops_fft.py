"""dft2 and idft2: phasegrad.ops (cached FFTW plans) vs pyFFTW vs the NumPy reference.

Run: ``python -m phasegrad.bench.ops_fft [--json out.json] [--quick] [--threads 1 2]``.
pyFFTW is timed as an FFTW object planned with FFTW_MEASURE on aligned arrays and called on
them (no allocation: the strictest baseline), with the same thread count, computing what the
op computes: for idft2 (norm="backward") that includes pyFFTW's 1/N normalisation
(``normalise_idft=True``, its default). ``pyfftw_raw_ms`` is the bare ``execute()``, FFTW's
own transform with no scaling: for idft2 the floor under any normalised inverse. phasegrad
allocates its output on every call (``ops_ms``), as its API returns a new array, or writes into
one it is given (``out_ms``: ``out=`` reused, as pyFFTW's object reuses its arrays). A new
array of 32 MiB or more is fresh memory from the operating system on every call (glibc maps
it), which it must zero: at 2048^2 that is most of the difference between the two columns.
Medians measured side by side, in interleaved rounds.
"""

from __future__ import annotations

import argparse

import numpy as np

import phasegrad as pg
from phasegrad import ops, reference

from .floor import pyfftw  # None when not installed; imported under the core's wait policy
from .harness import interleaved_medians, median_seconds, print_table, write_json


def pyfftw_object(x, threads, inverse):
    a = pyfftw.empty_aligned(x.shape, dtype=x.dtype)
    b = pyfftw.empty_aligned(x.shape, dtype=x.dtype)
    direction = "FFTW_BACKWARD" if inverse else "FFTW_FORWARD"
    plan = pyfftw.FFTW(a, b, axes=(-2, -1), direction=direction, flags=("FFTW_MEASURE",),
                       threads=threads)
    a[...] = x  # after planning: FFTW_MEASURE overwrites the arrays it plans on
    return plan


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write results and machine info to this file")
    parser.add_argument("--quick", action="store_true", help="256^2 and 1024^2 only")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    sizes = (256, 1024) if args.quick else (256, 1024, 2048)
    rng = np.random.default_rng(0)
    rows = []
    for threads in args.threads:
        for size in sizes:
            for dtype in (np.complex64, np.complex128):
                x = (rng.standard_normal((size, size)) + 1j * rng.standard_normal((size, size)))
                x = x.astype(dtype)
                for name in ("dft2", "idft2"):
                    rows.append(measure(name, x, threads))
    columns = ["op", "threads", "size", "dtype", "ops_ms", "out_ms", "numpy_ms", "numpy/ops"]
    if pyfftw is not None:
        columns += ["pyfftw_ms", "ops/pyfftw", "out/pyfftw", "pyfftw_raw_ms", "ops/raw"]
    print(f"norm='backward'; FFTW {pg.fftw_version()}"
          + (f"; pyFFTW {pyfftw.__version__}" if pyfftw else "; pyFFTW not installed"))
    print_table(rows, columns)
    if args.json:
        write_json(args.json, rows)


def measure(name, x, threads):
    inverse = name == "idft2"
    op, ref_op = getattr(ops, name), getattr(reference, name)
    out = np.empty_like(x)
    calls = {"ops": lambda: op(x), "out": lambda: op(x, out=out)}
    if pyfftw is not None:
        plan = pyfftw_object(x, threads, inverse=inverse)
        plan()
        expected = ref_op(x)
        error = np.linalg.norm(plan.output_array - expected) / np.linalg.norm(expected)
        assert error < 1e-5, f"pyFFTW's {name} differs from the reference: {error:.1e}"
        calls["pyfftw"] = plan              # the op's result: idft2 normalised by 1/N
        calls["raw"] = plan.execute         # FFTW's transform alone
    with pg.threads(threads):
        for call in calls.values():
            call()  # warm-up: plans, page faults
        t = interleaved_medians(calls)
    ref = median_seconds(lambda: ref_op(x), repeats=3)
    row = {"op": name, "threads": threads, "size": f"{x.shape[0]}^2",
           "dtype": x.dtype.name, "ops_ms": f"{t['ops'] * 1e3:.3f}",
           "out_ms": f"{t['out'] * 1e3:.3f}", "numpy_ms": f"{ref * 1e3:.3f}",
           "numpy/ops": f"{ref / t['ops']:.2f}"}
    if pyfftw is not None:
        row.update({"pyfftw_ms": f"{t['pyfftw'] * 1e3:.3f}",
                    "ops/pyfftw": f"{t['ops'] / t['pyfftw']:.2f}",
                    "out/pyfftw": f"{t['out'] / t['pyfftw']:.2f}",
                    "pyfftw_raw_ms": f"{t['raw'] * 1e3:.3f}",
                    "ops/raw": f"{t['ops'] / t['raw']:.2f}"})
    return row


if __name__ == "__main__":
    main()
