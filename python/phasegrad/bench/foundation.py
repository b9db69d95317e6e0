"""First benchmarks: FFTW through phasegrad's core vs numpy.fft, and the reference models.

Run: ``python -m phasegrad.bench.foundation [--json out.json] [--quick]``. Reports medians measured
side by side in one run. The core's transform is still planned per call with FFTW_ESTIMATE
(cached FFTW_MEASURE plans come with the C++ op catalogue), so this is its starting point.
"""

from __future__ import annotations

import argparse

import numpy as np

import phasegrad as pg
from phasegrad.fft import dft2_unnormalized
from phasegrad.models.synthetic import make_problem

from .harness import median_seconds, print_table, write_json


def bench_fft(sizes, dtypes):
    rows = []
    rng = np.random.default_rng(0)
    for size in sizes:
        for dtype in dtypes:
            x = (rng.standard_normal((size, size)) + 1j * rng.standard_normal((size, size)))
            x = x.astype(dtype)
            core = median_seconds(lambda x=x: dft2_unnormalized(x))
            numpy = median_seconds(lambda x=x: np.fft.fft2(x))
            rows.append({"bench": "fft2", "size": f"{size}^2", "dtype": np.dtype(dtype).name,
                         "phasegrad_ms": f"{core * 1e3:.3f}", "numpy_ms": f"{numpy * 1e3:.3f}",
                         "numpy/phasegrad": f"{numpy / core:.2f}"})
    return rows


def bench_models(sizes):
    rows = []
    for size in sizes:
        model, truth, _, _ = make_problem(size=size, modes=36, planes=1)
        a = truth * 0.5
        seconds = median_seconds(lambda m=model, a=a: m.value_and_grad(a), repeats=5)
        rows.append({"bench": "PhaseRetrieval ref", "size": f"n={size}, pad 2, 36 modes",
                     "ms": f"{seconds * 1e3:.2f}"})
        target = np.random.default_rng(0).uniform(size=(2 * size, 2 * size))
        phi = np.random.default_rng(1).uniform(0, 2 * np.pi, size=target.shape)
        for backend, label in (("reference", "Hologram ref"), ("fused", "Hologram fused")):
            hologram = pg.Hologram(target=target, backend=backend)
            seconds = median_seconds(lambda h=hologram, p=phi: h.value_and_grad(p), repeats=5)
            rows.append({"bench": label, "size": f"{2 * size}^2", "ms": f"{seconds * 1e3:.2f}"})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write results and machine info to this file")
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args(argv)
    fft_sizes = (256, 1024) if args.quick else (256, 1024, 2048)
    model_sizes = (128,) if args.quick else (128, 256)
    fft_rows = bench_fft(fft_sizes, (np.complex64, np.complex128))
    print_table(fft_rows, ["bench", "size", "dtype", "phasegrad_ms", "numpy_ms",
                           "numpy/phasegrad"])
    print()
    model_rows = bench_models(model_sizes)
    print_table(model_rows, ["bench", "size", "ms"])
    if args.json:
        write_json(args.json, fft_rows + model_rows)


if __name__ == "__main__":
    main()
