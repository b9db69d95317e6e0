"""Throughput of the C++ arithmetic and expansion ops against the equivalent NumPy expression.

Run: ``python -m phasegrad.bench.ops_arithmetic [--json out.json] [--quick] [--threads 1 2]
[--sizes 256 1024 2048] [--dtypes complex128 ...] [--ops mul_vjp ...]``.

For every op, size (256², 1024², 2048²), dtype and thread count, the table gives the median
time of ``phasegrad.ops.<op>`` and of the NumPy expression that computes the same thing (the
legend lists them), both measured in this run, and their throughput in GB/s: the bytes the op
must move at least (every input read once, every output written once) over the time. The
NumPy element-wise expressions run on one thread whatever the count; the BLAS calls (matmul,
and the matrix products that stand for basis/basis_vjp) use OpenBLAS's own threads. The issue's
target: the fused element-wise vjps (mul_vjp, power_vjp) at least 2x the NumPy expression at
1024² complex128.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import phasegrad as pg
from phasegrad import ops
from phasegrad.native import core

from .harness import median_seconds, print_table, write_json

REAL = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64,
        np.dtype(np.float32): np.float32, np.dtype(np.float64): np.float64}
ALL = (np.float32, np.float64, np.complex64, np.complex128)
MODES = 15      # basis modes (Zernike terms up to the 4th radial order)
PLANES = 4      # the stack of a plane-over-stack broadcast


def draw(shape, dtype, rng):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def conj(v):
    """NumPy's cheapest conjugate: none for a real array (as the reference does it)."""
    return np.conj(v) if v.dtype.kind == "c" else v


def cases(n, dtype, rng):
    """(op name, dtypes it runs for, phasegrad call, NumPy call, bytes moved, legend)."""
    dtype = np.dtype(dtype)
    real = REAL[dtype]
    x, y, z_bar = draw((n, n), dtype, rng), draw((n, n), dtype, rng), draw((n, n), dtype, rng)
    stack, stack_bar = draw((PLANES, n, n), dtype, rng), draw((PLANES, n, n), dtype, rng)
    positive = np.abs(x) + 0.5 if dtype.kind == "f" else x
    plane = x.nbytes
    B = draw((MODES, n, n), real, rng)
    a = draw((MODES,), real, rng)
    modes = B.reshape(MODES, -1)
    y_real = draw((n, n), real, rng)
    double = np.result_type(dtype, np.float64)
    return [
        ("add", ALL, lambda: ops.add(x, y), lambda: x + y, 3 * plane, "x + y"),
        ("mul", ALL, lambda: ops.mul(x, y), lambda: x * y, 3 * plane, "x * y"),
        ("mul scalar", ALL, lambda: ops.mul(2.5, y), lambda: 2.5 * y, 2 * plane, "2.5 * y"),
        ("mul plane*stack", ALL, lambda: ops.mul(x, stack), lambda: x * stack,
         (2 * PLANES + 1) * plane, "x * stack"),
        ("add_vjp", ALL, lambda: ops.add_vjp(z_bar, x, y), lambda: (z_bar.copy(), z_bar.copy()),
         3 * plane, "(z_bar.copy(), z_bar.copy())"),
        ("mul_vjp", ALL, lambda: ops.mul_vjp(z_bar, x, y),
         lambda: (conj(y) * z_bar, conj(x) * z_bar), 5 * plane,
         "(conj(y) * z_bar, conj(x) * z_bar)"),
        ("mul_vjp scalar", ALL, lambda: ops.mul_vjp(z_bar, 2.5, y),
         lambda: (np.sum(conj(y) * z_bar, dtype=double).real, 2.5 * z_bar), 3 * plane,
         "(Re sum(conj(y) * z_bar), 2.5 * z_bar)"),
        ("mul_vjp plane*stack", ALL, lambda: ops.mul_vjp(stack_bar, x, stack),
         lambda: (np.sum(conj(stack) * stack_bar, axis=0, dtype=double).astype(dtype),
                  conj(x) * stack_bar),
         (3 * PLANES + 2) * plane, "(sum_0(conj(stack) * z_bar), conj(x) * z_bar)"),
        ("power c=2", ALL, lambda: ops.power(positive, 2), lambda: positive ** 2,
         2 * plane, "x ** 2"),
        ("power_vjp c=2", ALL, lambda: ops.power_vjp(z_bar, positive, 2),
         lambda: 2 * conj(positive) ** 1 * z_bar, 3 * plane, "2 * conj(x) ** 1 * y_bar"),
        ("power_vjp c=2.5", ALL, lambda: ops.power_vjp(z_bar, positive, 2.5),
         lambda: 2.5 * conj(positive) ** 1.5 * z_bar, 3 * plane,
         "2.5 * conj(x) ** 1.5 * y_bar"),
        ("broadcast", ALL, lambda: ops.broadcast(x, (PLANES, n, n)),
         lambda: np.broadcast_to(x, (PLANES, n, n)).copy(), (PLANES + 1) * plane,
         "broadcast_to(x, (4, n, n)).copy()"),
        ("broadcast_vjp", ALL, lambda: ops.broadcast_vjp(stack_bar, (n, n)),
         lambda: np.sum(stack_bar, axis=0, dtype=double).astype(dtype), (PLANES + 1) * plane,
         "sum(y_bar, axis=0, dtype=double)"),
        ("basis", (np.float32, np.float64), lambda: ops.basis(a, B),
         lambda: (a @ modes).reshape(n, n), B.nbytes + y_real.nbytes,
         f"a @ B.reshape({MODES}, -1) (BLAS GEMV)"),
        ("basis C++ kernel", (np.float32, np.float64),
         lambda: core.basis(a, B, pg.get_num_threads()),
         lambda: (a @ modes).reshape(n, n), B.nbytes + y_real.nbytes,
         "as basis: the C++ kernel that basis does not use"),
        ("basis_vjp", (np.float32, np.float64), lambda: ops.basis_vjp(y_real, B),
         lambda: y_real.reshape(-1).astype(np.float64) @ modes.T.astype(np.float64, copy=False),
         B.nbytes + y_real.nbytes,
         "y_bar.ravel() @ B.reshape(K, -1).T in double (BLAS; float32: on float64 copies)"),
        ("basis_vjp C++ kernel", (np.float32, np.float64),
         lambda: core.basis_vjp(y_real, B, pg.get_num_threads()),
         lambda: y_real.reshape(-1) @ modes.T, B.nbytes + y_real.nbytes,
         "y_bar.ravel() @ B.reshape(K, -1).T in the input precision (BLAS)"),
    ]


def matmul_cases(n, dtype, rng):
    x, y, z_bar = (draw((n, n), dtype, rng) for _ in range(3))
    plane = x.nbytes
    return [
        ("matmul", ALL, lambda: ops.matmul(x, y), lambda: x @ y, 3 * plane, "x @ y (BLAS)"),
        ("matmul_vjp", ALL, lambda: ops.matmul_vjp(z_bar, x, y),
         lambda: (z_bar @ conj(y).T, conj(x).T @ z_bar), 5 * plane,
         "(z_bar @ y^H, x^H @ z_bar) (BLAS)"),
    ]


def measure(sizes, dtypes, thread_counts, matmul_sizes, repeats, only=None):
    rows, legend = [], {}
    rng = np.random.default_rng(0)
    for n in sizes:
        for dtype in dtypes:
            chosen = cases(n, dtype, rng)
            if n in matmul_sizes:
                chosen += matmul_cases(n, dtype, rng)
            for name, kinds, ours, theirs, nbytes, expression in chosen:
                if dtype not in kinds or (only and name not in only):
                    continue
                legend[name] = expression
                numpy_s = median_seconds(theirs, repeats=repeats)
                for threads in thread_counts:
                    with pg.threads(threads):
                        ours_s = median_seconds(ours, repeats=repeats)
                    rows.append({
                        "op": name, "size": f"{n}^2", "dtype": np.dtype(dtype).name,
                        "threads": threads, "phasegrad_ms": f"{ours_s * 1e3:.3f}",
                        "numpy_ms": f"{numpy_s * 1e3:.3f}",
                        "phasegrad_GB/s": f"{nbytes / ours_s / 1e9:.2f}",
                        "numpy_GB/s": f"{nbytes / numpy_s / 1e9:.2f}",
                        "speedup": f"{numpy_s / ours_s:.2f}",
                    })
                    print(f"{name:22s} {n:5d} {np.dtype(dtype).name:10s} t={threads} "
                          f"x{numpy_s / ours_s:.2f}", file=sys.stderr, flush=True)
    return rows, legend


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write results and machine info to this file")
    parser.add_argument("--quick", action="store_true", help="1024^2 complex128 only")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 2048])
    parser.add_argument("--dtypes", nargs="+", default=[np.dtype(d).name for d in ALL])
    parser.add_argument("--ops", nargs="+", help="only these rows (names as in the legend)")
    args = parser.parse_args(argv)
    if args.quick:
        sizes, dtypes = (1024,), (np.complex128,)
    else:
        sizes, dtypes = tuple(args.sizes), tuple(np.dtype(d).type for d in args.dtypes)
    matmul_sizes = tuple(n for n in sizes if n <= 1024)  # a 2048^2 GEMM takes seconds
    rows, legend = measure(sizes, dtypes, args.threads, matmul_sizes, args.repeats, args.ops)
    print("NumPy expressions:")
    for name, expression in legend.items():
        print(f"  {name:22s} {expression}")
    load = os.getloadavg()
    print(f"load average before the table: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")
    print_table(rows, ["op", "size", "dtype", "threads", "phasegrad_ms", "numpy_ms",
                       "phasegrad_GB/s", "numpy_GB/s", "speedup"])
    if args.json:
        write_json(args.json, rows, legend=legend, load_average=load, bench="ops_arithmetic")


if __name__ == "__main__":
    main()
