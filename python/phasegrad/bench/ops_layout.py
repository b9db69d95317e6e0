"""Throughput of the C++ layout ops (indexing, sampling, mft, convolve) against NumPy.

Run: ``python -m phasegrad.bench.ops_layout [--json out.json] [--quick] [--threads 1 2]``.

Each row times ``phasegrad.ops`` and the NumPy expression a user would write for the same
result (``np.fft.fftshift``, slicing, boolean indexing, reshape-sum for ``bin``, ``np.repeat``
for ``tile``; the NumPy reference for ``mft`` and ``convolve``), side by side in one run,
medians of repeated runs. GB/s counts the bytes an op must read and write at the least (its
input and output once), the same for both, so the ratio of GB/s is the ratio of times.
The data-movement ops run on complex64/complex128 (fields), bin/tile on float32/float64
(detector images). NumPy's side is single-threaded, except the BLAS inside ``mft``, which
uses its own threads in both implementations.
"""

from __future__ import annotations

import argparse

import numpy as np

import phasegrad as pg
from phasegrad import ops, reference

from .harness import median_seconds, print_table, write_json

COMPLEX = (np.complex64, np.complex128)
REAL = (np.float32, np.float64)


def field(n, dtype, rng):
    x = rng.standard_normal((n, n))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal((n, n))
    return x.astype(dtype)


def numpy_pad(x, shape):
    y = np.zeros(shape, x.dtype)
    y[: x.shape[0], : x.shape[1]] = x
    return y


def numpy_put(values, mask):
    y = np.zeros(mask.shape, values.dtype)
    y[mask] = values
    return y


def cases(n, rng):
    """``(op, dtypes, make(dtype) -> (phasegrad_call, numpy_call, bytes))`` at an n x n plane."""
    mask = np.hypot(*np.mgrid[:n, :n] - n / 2) < n / 2  # a circular pupil: 79% of the pixels
    half, double = (n // 2, n // 2), (2 * n, 2 * n)

    def shift(name):
        numpy_shift = getattr(np.fft, name)

        def make(dtype):
            x = field(n, dtype, rng)
            return (lambda: getattr(ops, name)(x), lambda: numpy_shift(x), 2 * x.nbytes)
        return make

    def pad(dtype):
        x = field(n, dtype, rng)
        return (lambda: ops.pad(x, double), lambda: numpy_pad(x, double), 5 * x.nbytes)

    def crop(dtype):
        x = field(n, dtype, rng)
        return (lambda: ops.crop(x, half), lambda: x[: n // 2, : n // 2].copy(),
                x.nbytes // 2)

    def take(dtype):
        x = field(n, dtype, rng)
        k = int(mask.sum()) * x.itemsize
        return (lambda: ops.take(x, mask), lambda: x[mask], 2 * k)

    def put(dtype):
        values = field(n, dtype, rng)[mask]
        return (lambda: ops.put(values, mask, (n, n)), lambda: numpy_put(values, mask),
                values.nbytes + n * n * values.itemsize)

    def take_vjp(dtype):  # a scatter into zeros: the mask's indices are unique
        values = field(n, dtype, rng)[mask]
        return (lambda: ops.take_vjp(values, mask, (n, n)), lambda: numpy_put(values, mask),
                values.nbytes + n * n * values.itemsize)

    def bin_(dtype):
        x = field(n, dtype, rng)
        return (lambda: ops.bin(x, 2), lambda: x.reshape(n // 2, 2, n // 2, 2).sum(axis=(1, 3)),
                x.nbytes * 5 // 4)

    def tile(dtype):
        x = field(n // 2, dtype, rng)
        return (lambda: ops.tile(x, 2),
                lambda: np.repeat(np.repeat(x, 2, axis=0), 2, axis=1), x.nbytes * 5)

    def mft(dtype):  # an n x n pupil onto a 256 x 256 detector patch
        x = field(n, dtype, rng)
        plane, scale = (256, 256), 1 / (2 * n)
        return (lambda: ops.mft(x, plane, scale), lambda: reference.mft(x, plane, scale),
                x.nbytes + 256 * 256 * x.itemsize)

    def mft_vjp(dtype):
        y_bar = field(256, dtype, rng)
        scale = 1 / (2 * n)
        return (lambda: ops.mft_vjp(y_bar, (n, n), scale),
                lambda: reference.mft_vjp(y_bar, (n, n), scale),
                y_bar.nbytes + n * n * y_bar.itemsize)

    def convolve(dtype):
        x, h = field(n, dtype, rng), field(n, dtype, rng)
        return (lambda: ops.convolve(x, h), lambda: reference.convolve(x, h), 3 * x.nbytes)

    def convolve_vjp(dtype):
        y_bar, x, h = field(n, dtype, rng), field(n, dtype, rng), field(n, dtype, rng)
        return (lambda: ops.convolve_vjp(y_bar, x, h),
                lambda: reference.convolve_vjp(y_bar, x, h), 5 * x.nbytes)

    return [
        ("fftshift", COMPLEX, shift("fftshift")), ("ifftshift", COMPLEX, shift("ifftshift")),
        ("pad 2x", COMPLEX, pad), ("crop 1/2", COMPLEX, crop),
        ("take mask", COMPLEX, take), ("put mask", COMPLEX, put),
        ("take_vjp mask", COMPLEX, take_vjp), ("bin 2x2", REAL, bin_), ("tile 2x2", REAL, tile),
        ("mft ->256^2", COMPLEX, mft), ("mft_vjp 256^2->", COMPLEX, mft_vjp),
        ("convolve", COMPLEX + REAL, convolve), ("convolve_vjp", COMPLEX + REAL, convolve_vjp),
    ]


def bench(sizes, thread_counts, only=None):
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        for op, dtypes, make in cases(n, rng):
            if only and not any(word in op for word in only):
                continue
            for dtype in dtypes:
                ours, theirs, nbytes = make(dtype)
                for threads in thread_counts:
                    with pg.threads(threads):
                        ours_s = median_seconds(ours)
                    numpy_s = median_seconds(theirs)
                    rows.append({
                        "op": op, "size": f"{n}^2", "dtype": np.dtype(dtype).name,
                        "threads": threads,
                        "phasegrad_ms": f"{ours_s * 1e3:.3f}", "numpy_ms": f"{numpy_s * 1e3:.3f}",
                        "phasegrad_GB/s": f"{nbytes / ours_s / 1e9:.2f}",
                        "numpy_GB/s": f"{nbytes / numpy_s / 1e9:.2f}",
                        "speedup": f"{numpy_s / ours_s:.2f}",
                    })
                    print_table(rows[-1:], list(rows[-1])) if len(rows) == 1 else print(
                        "  ".join(str(v) for v in rows[-1].values()), flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write results and machine info to this file")
    parser.add_argument("--quick", action="store_true", help="256^2 and 1024^2 only")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="+", help="ops whose name contains one of these words")
    args = parser.parse_args(argv)
    sizes = (256, 1024) if args.quick else (256, 1024, 2048)
    rows = bench(sizes, args.threads, args.only)
    print()
    print_table(rows, list(rows[0]))
    if args.json:
        write_json(args.json, rows, threads=args.threads)


if __name__ == "__main__":
    main()
