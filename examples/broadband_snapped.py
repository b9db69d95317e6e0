"""Broadband phase retrieval: sample wavelengths where each band is a plain FFT.

Light with a flat spectrum from 0.8 to 1.2 (the reference wavelength 1.0; Jurling & Fienup's
broadband model, Section 10) images a circular pupil with a random aberration in ``--modes``
Zernike modes, at ``--planes`` known defocus positions. The data are simulated with a fine
quadrature of the band (``--truth-samples`` wavelengths) and Poisson noise (``--photons`` at the
in-focus peak). Then models with a few sample wavelengths fit them by Levenberg-Marquardt
(``pg.optimize.levenberg_marquardt``) from zero aberration:

- ``even 5``: the midpoints of five equal cells (0.84, ..., 1.16), equal weights. Off the
  reference, a band's detector sampling is a scaled DFT that the fused core computes by
  chirp-z transforms, several times a monochromatic transform;
- ``snapped 5`` and ``snapped 9``: the midpoints of five or nine cells moved by
  ``pg.snap_wavelengths`` to the nearest wavelengths at which each band is a plain FFT (about
  one monochromatic transform a band), repeated ones merged, each weighted by the part of the
  band nearer to it than to its neighbours (the spectral weights belong to the new points).

Every model is exact for its own wavelengths; they differ in the quadrature that stands for the
spectrum. The script prints how each band runs (``model.band_transforms``), the cost of one
``fun_and_jac`` against the monochromatic model's, and each fit's convergence, final cost and
RMS wavefront error against the truth.

Run: ``PYTHONPATH=python python examples/broadband_snapped.py [--size 64] [--modes 15]
[--planes 2] [--photons 1e6] [--truth-samples 21] [--seed 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import phasegrad as pg
from phasegrad.models.synthetic import rms_wavefront_error

BAND = (0.8, 1.2)


def midpoints(count):
    """The midpoints of ``count`` equal cells of the band."""
    edges = np.linspace(*BAND, count + 1)
    return 0.5 * (edges[1:] + edges[:-1])


def cell_weights(nodes):
    """Distinct ``nodes`` (ascending) and, for each, the share of the band nearer to it than
    to its neighbours: a flat spectrum's weights for nodes that are not evenly spaced."""
    nodes = np.unique(np.asarray(nodes, dtype=float))
    bounds = np.concatenate([[BAND[0]], 0.5 * (nodes[1:] + nodes[:-1]), [BAND[1]]])
    widths = np.clip(np.diff(np.clip(bounds, *BAND)), 0, None)
    return tuple(nodes.tolist()), tuple((widths / widths.sum()).tolist())


def call_ms(model, x, rounds):
    """Median wall milliseconds of ``model.fun_and_jac(x)`` (after one warm-up call)."""
    model.fun_and_jac(x)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        model.fun_and_jac(x)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Broadband phase retrieval with evenly spaced and with snapped sample "
                    "wavelengths (pg.snap_wavelengths): speed and accuracy.")
    parser.add_argument("--size", type=int, default=64, help="pupil side in pixels (64)")
    parser.add_argument("--modes", type=int, default=15, help="Zernike modes, Noll 2.. (15)")
    parser.add_argument("--planes", type=int, default=2, help="diversity planes (2)")
    parser.add_argument("--rms", type=float, default=0.05,
                        help="RMS of each true coefficient, waves (0.05)")
    parser.add_argument("--photons", type=float, default=1e6,
                        help="photons at the in-focus peak for Poisson noise; 0: none (1e6)")
    parser.add_argument("--truth-samples", type=int, default=21,
                        help="wavelengths of the fine quadrature that makes the data (21)")
    parser.add_argument("--rounds", type=int, default=15,
                        help="timed calls per model for the cost figures (15)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="small and fast (32-pixel pupil, 8 modes): for tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.modes, args.truth_samples, args.rounds = 32, 8, 9, 5
    if args.size < 8 or args.modes < 1 or args.planes < 1 or args.truth_samples < 2:
        parser.error("--size must be at least 8, --modes, --planes at least 1, "
                     "--truth-samples at least 2")
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()

    n, pad = args.size, 2
    grid = pad * n
    pupil = pg.circular_pupil(n)
    amplitude = pupil / pupil.sum()
    basis = pg.zernike_basis(args.modes, n, first=2)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    steps = np.arange(args.planes) - (args.planes - 1) / 2
    diversity = np.stack([0.5 * k * defocus for k in steps])
    truth = rng.normal(scale=args.rms, size=args.modes)
    blank = np.zeros((args.planes, grid, grid))

    def model(data, wavelengths, weights=None):
        return pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, pad=pad,
                                 diversity=diversity, wavelengths=wavelengths,
                                 spectral_weights=weights)

    # The data: a flat spectrum by a fine midpoint quadrature, then Poisson noise.
    clean = model(blank, midpoints(args.truth_samples)).simulate(truth)
    data = rng.poisson(np.maximum(clean, 0) * args.photons) / args.photons \
        if args.photons > 0 else clean
    print(f"Broadband retrieval: n = {n}, N = {grid}, {args.modes} modes, {args.planes} "
          f"planes; data from {args.truth_samples} wavelengths over {BAND[0]}-{BAND[1]}, "
          + (f"Poisson noise at {args.photons:.0e} photons" if args.photons > 0 else "no noise"))

    mono = model(data, None)
    x0 = np.zeros(args.modes)
    mono_ms = call_ms(mono, x0, args.rounds)
    print(f"  monochromatic model: fun_and_jac {mono_ms:.3f} ms")
    before = rms_wavefront_error(mono, x0, truth, pupil)
    spectra = [("even 5", tuple(midpoints(5).tolist()), None)]
    for count in (5, 9):
        spectra.append((f"snapped {count}",
                        *cell_weights(pg.snap_wavelengths(midpoints(count), 1.0, grid, n))))
    for name, wavelengths, weights in spectra:
        fit = model(data, wavelengths, weights)
        kinds = ", ".join(f"{lam:.5g} {kind}" + (f" {length}" if kind == "periodic" else "")
                          for lam, (kind, length) in zip(wavelengths, fit.band_transforms,
                                                         strict=True))
        ms = call_ms(fit, x0, args.rounds)
        start = time.perf_counter()
        result = pg.optimize.levenberg_marquardt(fit, x0, maxiter=100)
        seconds = time.perf_counter() - start
        after = rms_wavefront_error(fit, result.x, truth, pupil)
        print(f"  {name}: bands {kinds}")
        print(f"    fun_and_jac {ms:.3f} ms ({ms / mono_ms:.1f} x mono); Levenberg-Marquardt "
              f"{'converged' if result.success else 'did NOT converge'} in {result.nit} "
              f"iterations, {seconds:.2f} s; final cost {result.fun:.4e}; RMS wavefront error "
              f"{before:.4e} -> {after:.4e} waves")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
