"""Elementwise C++ ops and their fused reverse rules vs the equivalent NumPy expressions.

Run: ``python -m phasegrad.bench.ops_elementwise [--json out.json] [--quick]
[--ops abs2,wsse_vjp]``.

For each op of ``phasegrad.ops``' complex_parts and metrics groups, at 256^2, 1024^2 and 2048^2
in single and double precision (complex64/float32, complex128/float64), the table gives the
median time of the C++ op with 1 and 2 threads and of the NumPy expression one would write
for it (single-threaded, as NumPy's elementwise loops are), all measured in one run. GB/s
counts the bytes an op must move at the least: its array inputs read once and its outputs
written once; NumPy's temporaries are what the fused kernels save. The issue's target: fused
elementwise reverse rules at least 2x faster than NumPy at 1024^2 complex128.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import phasegrad as pg
from phasegrad import ops

from .harness import median_seconds, print_table, write_json

PRECISIONS = {"single": (np.float32, np.complex64), "double": (np.float64, np.complex128)}
PLANE = (-2, -1)


def _poly_detector_vjp(M_bar, intensity, a, b):
    return (M_bar * (2 * a * intensity + b), float(np.sum(M_bar * intensity ** 2)),
            float(np.sum(M_bar * intensity)), float(np.sum(M_bar)))


def _mean_normalize(x, c):
    return x * (c / x.mean(axis=PLANE, keepdims=True))


def _mean_normalize_vjp(y_bar, x, c):
    s = c / x.mean(axis=PLANE, keepdims=True)
    projection = (y_bar * x).sum(axis=PLANE, keepdims=True)
    return s * y_bar - s / x.sum(axis=PLANE, keepdims=True) * projection


#: name -> (argument kinds, NumPy expression taking the op's own arguments). Kinds: "c" a
#: complex array, "r" a real one, "+" a positive real one (intensities: plane means away from
#: zero), or a number (a constant). Every array is n x n.
CASES = {
    "abs2": ("c", lambda x: x.real ** 2 + x.imag ** 2),
    "abs2_vjp": ("rc", lambda y_bar, x: 2 * y_bar * x),
    "real": ("c", lambda x: x.real.copy()),
    "real_vjp": ("r", lambda y_bar: y_bar.astype(np.result_type(y_bar, 1j))),
    "imag": ("c", lambda x: x.imag.copy()),
    "imag_vjp": ("r", lambda y_bar: 1j * y_bar),
    "exp": ("c", np.exp),
    "exp_vjp": ("cc", lambda y_bar, y: y_bar * np.conj(y)),
    "expi": ("r", lambda x: np.exp(1j * x)),
    "expi_vjp": ("cc", lambda y_bar, y: np.imag(y_bar * np.conj(y))),
    "to_complex": ("r", lambda x: x.astype(np.result_type(x, 1j))),
    "to_complex_vjp": ("c", lambda y_bar: y_bar.real.copy()),
    "wsse": ("rr+", lambda M, D, w: float(np.sum(w * (M - D) ** 2))),
    "wsse_vjp": ((1.0, "r", "r", "+"), lambda E_bar, M, D, w: 2 * E_bar * w * (M - D)),
    "poly_detector": (("+", 0.3, 1.2, -0.4), lambda i, a, b, c: a * i ** 2 + b * i + c),
    "poly_detector_vjp": (("r", "+", 0.3, 1.2), _poly_detector_vjp),
    "mean_normalize": (("+", 2.0), _mean_normalize),
    "mean_normalize_vjp": (("r", "+", 2.0), _mean_normalize_vjp),
}


def arguments(name, n, precision, rng):
    """The op's arguments, and the bytes it moves at the least (array inputs and outputs)."""
    real, complex_ = PRECISIONS[precision]
    args = []
    for kind in CASES[name][0]:
        if kind == "c":
            a = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
            args.append(a.astype(complex_))
        elif kind in ("r", "+"):
            a = rng.standard_normal((n, n))
            args.append((np.abs(a) + 0.5 if kind == "+" else a).astype(real))
        else:
            args.append(kind)
    result = getattr(ops, name)(*args)
    outputs = result if isinstance(result, tuple) else (result,)
    moved = sum(a.nbytes for a in (*args, *outputs) if isinstance(a, np.ndarray))
    return args, moved


def bench(names, sizes, threads, repeats):
    rows = []
    rng = np.random.default_rng(0)
    for name in names:
        for precision in PRECISIONS:
            for n in sizes:
                args, moved = arguments(name, n, precision, rng)
                op, expression = getattr(ops, name), CASES[name][1]
                numpy_s = median_seconds(lambda f=expression, a=args: f(*a), repeats=repeats)
                dtype = "/".join(sorted({a.dtype.name for a in args
                                         if isinstance(a, np.ndarray)}))
                for count in threads:
                    with pg.threads(count):
                        ours_s = median_seconds(lambda f=op, a=args: f(*a), repeats=repeats)
                    rows.append({
                        "op": name, "size": f"{n}^2", "dtype": dtype, "threads": count,
                        "phasegrad_ms": f"{ours_s * 1e3:.3f}",
                        "phasegrad_GB/s": f"{moved / ours_s / 1e9:.1f}",
                        "numpy_ms": f"{numpy_s * 1e3:.3f}",
                        "numpy_GB/s": f"{moved / numpy_s / 1e9:.1f}",
                        "speedup": f"{numpy_s / ours_s:.2f}",
                    })
                    print(" ".join(str(v) for v in rows[-1].values()), file=sys.stderr)
    return rows


COLUMNS = ["op", "size", "dtype", "threads", "phasegrad_ms", "phasegrad_GB/s", "numpy_ms",
           "numpy_GB/s", "speedup"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write results and machine info to this file")
    parser.add_argument("--quick", action="store_true", help="256^2 and 1024^2, fewer repeats")
    parser.add_argument("--ops", help="comma-separated op names (default: all)")
    parser.add_argument("--threads", default="1,2", help="thread counts (default: 1,2)")
    args = parser.parse_args(argv)
    names = args.ops.split(",") if args.ops else list(CASES)
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        parser.error(f"unknown ops: {', '.join(unknown)}")
    sizes = (256, 1024) if args.quick else (256, 1024, 2048)
    threads = [int(t) for t in args.threads.split(",")]
    rows = bench(names, sizes, threads, repeats=3 if args.quick else 7)
    print_table(rows, COLUMNS)
    if args.json:
        write_json(args.json, rows, threads=threads)


if __name__ == "__main__":
    main()
