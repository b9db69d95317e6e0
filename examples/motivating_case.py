"""The motivating case of Jurling & Fienup (2014), Section 1: one star, two, or a small object?

A segmented telescope (seven hexagonal segments, ``pg.hex_segments``, each with an unknown
piston, tip and tilt) images a faint target at three focus positions, through a broad band
(three wavelengths, equal photon fractions), on pixels twice too coarse for Nyquist sampling
(``bin=2``). The target is a close binary: separation 1.5 detector pixels, flux ratio 0.5,
photon noise at a peak of 1e4 counts plus a background of 2 counts per pixel. Four
hypotheses are fitted to the same counts with the Poisson likelihood, each with the segments'
aberrations and a background per plane:

- ``point``: one source (position and flux free), Levenberg-Marquardt;
- ``binary``: two sources, ``pg.optimize.fit_pair`` (many starts around the single fit);
- ``resolved``: one source blurred by a Gaussian of free width (a small resolved object);
- ``extended``: an unknown non-negative scene, pixel by pixel, L-BFGS-B within its bounds;

and ``pg.optimize.compare_hypotheses`` chooses by BIC. It prints the table, the binary's
separation and flux ratio and the aberrations against the truth (the wavefront error over the
aperture with the global piston, tip and tilt removed: a common tilt is the pair's mean
position), and draws a figure when matplotlib is installed. ``--draws 20`` repeats the fit
over 20 noise draws and prints how often each hypothesis was chosen (the issue's target:
binary in >= 95%, separation within 0.1 pixel, aberrations within lambda/50 RMS).

The fused C++ backend is used where it has every option (``backend="fused"``), else the
NumPy reference backend on the same small grid (slower, same numbers).

``--truth single`` images one star instead (of the same peak), to see the choice go the other
way.

Run: ``PYTHONPATH=python python examples/motivating_case.py [--size 24] [--draws 1]
[--truth binary|single] [--seed 1] [--out examples-out] [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

import phasegrad as pg

WAVELENGTHS = (0.9, 1.0, 1.1)           # the band, in units of the reference wavelength
DEFOCUS = (-0.5, 0.0, 0.5)              # waves RMS of the Noll-4 mode, per plane
SEPARATION, RATIO, ANGLE = 1.5, 0.5, 30.0   # detector pixels, faint / bright, degrees
CENTRE = (0.4, -0.3)                    # the pair's light centroid, unbinned pixels
PEAK, BACKGROUND = 1e4, 2.0             # counts: the brightest pixel, per pixel
BIN = 2


class Case:
    """The telescope, the truth and the model factory."""

    def __init__(self, size, seed, truth="binary"):
        self.n = size
        self.kind = truth                      # "binary" or "point": the true scene
        segments = pg.hex_segments(size, rings=1, gap=0.04)
        self.pupil = segments.amplitude
        # piston, tip, tilt of each segment; the centre segment's piston is the reference
        self.basis = segments.basis[1:]
        defocus = pg.zernike_basis(1, size, first=4)[0]
        self.diversity = np.array(DEFOCUS)[:, None, None] * defocus
        rng = np.random.default_rng(seed)
        modes = self.basis.shape[0]
        kinds = np.arange(1, modes + 1) % 3    # 0: piston, 1: tip, 2: tilt
        self.truth = np.where(kinds == 0, rng.normal(0, 0.04, modes),
                              rng.normal(0, 0.02, modes))
        separation = SEPARATION * BIN           # unbinned pixels
        direction = np.array([math.sin(math.radians(ANGLE)), math.cos(math.radians(ANGLE))])
        centre = np.array(CENTRE)
        self.true_positions = np.stack([centre - separation * RATIO / (1 + RATIO) * direction,
                                        centre + separation / (1 + RATIO) * direction])
        self.grid = 2 * size
        self.shape = (len(DEFOCUS), self.grid // BIN, self.grid // BIN)
        self.backend = "fused"

    def model(self, data, scene, fit=("background",), scale=1.0):
        """A ``PhaseRetrieval`` of ``scene`` on ``data`` (counts), Poisson metric."""
        options = dict(amplitude=self.pupil / self.pupil.sum() * math.sqrt(scale),
                       basis=self.basis, data=data, pad=2, bin=BIN, diversity=self.diversity,
                       wavelengths=WAVELENGTHS, object=scene, metric="poisson", fit=fit)
        try:
            return pg.PhaseRetrieval(backend=self.backend, **options)
        except NotImplementedError:  # an option the fused backend does not have yet
            self.backend = "reference"
            return pg.PhaseRetrieval(backend="reference", **options)

    def counts(self, rng):
        """Noisy counts of the true scene: the brightest pixel PEAK, plus the background."""
        if self.kind == "binary":
            scene = pg.PointSources(2, positions=self.true_positions, fluxes=[1.0, RATIO])
        else:
            scene = pg.PointSources(1, positions=[CENTRE], fluxes=[1.0])
        model = self.model(np.ones(self.shape), scene, fit=())
        clean = model.simulate(model.pack(self.truth))
        clean = PEAK * clean / clean.max() + BACKGROUND
        return rng.poisson(clean).astype(np.float64)

    def aligned(self, a):
        """The wavefront of ``a`` less the global piston, tip and tilt of its difference from
        the truth's (a common tilt is the scene's position, not an aberration), on the
        aperture."""
        inside = self.pupil > 0
        fitted = np.tensordot(a, self.basis, axes=1)
        error = (fitted - np.tensordot(self.truth, self.basis, axes=1))[inside]
        rows, cols = np.nonzero(inside)
        plane = np.column_stack([np.ones(rows.size), rows, cols])
        fitted[inside] -= plane @ np.linalg.lstsq(plane, error, rcond=None)[0]
        return fitted

    def aberration_error(self, a):
        """RMS over the aperture of the fitted minus true wavefront, global piston, tip and
        tilt removed (waves)."""
        inside = self.pupil > 0
        residual = (self.aligned(a) - np.tensordot(self.truth, self.basis, axes=1))[inside]
        return float(np.sqrt(np.mean(residual**2)))


def fit_hypotheses(case, data, lbfgs_iterations):
    """The four fits and their comparison."""
    modes = case.basis.shape[0]
    median = float(np.median(data))
    # The flux: the counts above the background over one unit source's (the model in counts,
    # so that the fluxes are of order one).
    unit = case.model(data, pg.PointSources(1, positions=[[0.0, 0.0]]), fit=())
    scale = float((data - median).sum() / unit.simulate(unit.pack()).sum())
    background = np.full(len(DEFOCUS), median)

    point = case.model(data, pg.PointSources(1), scale=scale)
    x_point = point.pack(np.zeros(modes), positions=[[0.0, 0.0]], background=background)
    single_fit = pg.optimize.levenberg_marquardt(point, x_point)
    single = point.unpack(single_fit.x)

    pair = case.model(data, pg.PointSources(2), scale=scale)
    blurred = case.model(data, pg.PointSources(1), fit=("background", "jitter"), scale=scale)
    scene = case.model(data, "free", scale=scale)
    start_scene = np.zeros((case.grid, case.grid))
    where = np.clip(np.round(single["positions"][0]).astype(int) + case.grid // 2, 0,
                    case.grid - 1)
    start_scene[where[0], where[1]] = single["fluxes"][0]   # the single source's light

    # fit_pair starts the pair from many placements around the single fit (its x0 here only
    # names the blocks)
    hypotheses = {
        "point": (point, single_fit.x),
        "binary": (pair, pair.pack(single["wavefront"], positions=[[0, -1.0], [0, 1.0]],
                                   background=single["background"])),
        "resolved": (blurred, blurred.pack(single["wavefront"], positions=single["positions"],
                                           fluxes=single["fluxes"], jitter=[0.5],
                                           background=single["background"])),
        "extended": (scene, scene.pack(single["wavefront"], object=start_scene,
                                       background=single["background"])),
    }
    methods = {
        "point": lambda model, x0: single_fit,   # fitted above, from a flat wavefront
        "binary": lambda model, x0: pg.optimize.fit_pair(model, single),
        "resolved": "lm",
        "extended": lambda model, x0: pg.optimize.lbfgs(model, x0, maxiter=lbfgs_iterations),
    }
    return pg.optimize.compare_hypotheses(hypotheses, method=methods)


def report(case, comparison):
    """The true hypothesis's numbers against the truth: the aberration error (waves RMS) and,
    for a binary, the separation (detector pixels) and flux ratio."""
    blocks = comparison.models[case.kind].unpack(comparison.fits[case.kind].x)
    numbers = {"aberration": case.aberration_error(blocks["wavefront"]),
               "start": case.aberration_error(np.zeros_like(case.truth))}
    if case.kind == "binary":
        positions, fluxes = blocks["positions"], blocks["fluxes"]
        numbers["separation"] = float(np.hypot(*(positions[1] - positions[0]))) / BIN
        numbers["ratio"] = float(fluxes.min() / fluxes.max())
    return numbers


def figure(case, data, comparison, path):
    """Aperture, true and fitted wavefronts, their difference, the counts and the binary's
    model of each plane; None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure (pip install matplotlib to get one)")
        return None
    model = comparison.models[case.kind]
    x = comparison.fits[case.kind].x
    fitted = case.aligned(model.unpack(x)["wavefront"])
    true = np.tensordot(case.truth, case.basis, axes=1)
    outside = case.pupil == 0
    images = model.simulate(x).reshape(data.shape)
    fig, axes = plt.subplots(2, 4, figsize=(15, 7.5), layout="constrained")
    panels = [(case.pupil, "segmented aperture", "gray"),
              (np.ma.masked_where(outside, true), "true wavefront (waves)", "RdBu_r"),
              (np.ma.masked_where(outside, fitted), f"{case.kind} fit's wavefront (waves;\n"
               "global piston, tip, tilt aligned)", "RdBu_r"),
              (np.ma.masked_where(outside, fitted - true), "difference (waves)", "RdBu_r")]
    for plane, defocus in enumerate(DEFOCUS):
        panels.append((data[plane], f"counts, defocus {defocus:+.1f} wave", "magma"))
    panels.append((images[1], f"{case.kind} model, in focus", "magma"))
    for axis, (image, title, cmap) in zip(axes.flat, panels, strict=True):
        shown = axis.imshow(image, origin="lower", cmap=cmap)
        axis.set_title(title, fontsize=10)
        fig.colorbar(shown, ax=axis, shrink=0.8)
    table = "  ".join(f"{row['name']}: dBIC {row['delta']:.3g}" for row in comparison.table)
    fig.suptitle(f"one star, two, or a small object? chosen: {comparison.chosen}  ({table})",
                 fontsize=11)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The paper's motivating case: a segmented telescope, three focus "
                    "positions, three wavelengths, pixels twice too coarse, a close binary; "
                    "one star, two or a small object, chosen by BIC.")
    parser.add_argument("--size", type=int, default=24,
                        help="pupil side in pixels; detector images are this size too (24)")
    parser.add_argument("--draws", type=int, default=1,
                        help="noise draws to fit; more than 1 prints how often each "
                             "hypothesis was chosen (1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the aberration and noise")
    parser.add_argument("--truth", choices=("binary", "single"), default="binary",
                        help="the true scene: the close binary, or one star of the same "
                             "peak (binary)")
    parser.add_argument("--out", default="examples-out", help="folder of the figure")
    parser.add_argument("--quick", action="store_true",
                        help="a 16-pixel pupil and a shorter scene fit: for tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.size = 16
    lbfgs_iterations = 100 if args.quick else 300
    started = time.perf_counter()
    case = Case(args.size, args.seed, "binary" if args.truth == "binary" else "point")
    rng = np.random.default_rng(args.seed + 1000)
    print(f"segmented aperture: {case.basis.shape[0] // 3 + 1} hexagonal segments, "
          f"{case.basis.shape[0]} modes (piston/tip/tilt), true aberration "
          f"{case.aberration_error(np.zeros_like(case.truth)):.4f} waves RMS (piston, tip, "
          "tilt removed)")
    print(f"{len(DEFOCUS)} planes at defocus {', '.join(f'{d:+.1f}' for d in DEFOCUS)} waves; "
          f"wavelengths {', '.join(f'{w:g}' for w in WAVELENGTHS)}; bin {BIN} (pixels twice "
          f"too coarse); {case.shape[1]}x{case.shape[2]} detector pixels")
    what = (f"a binary, separation {SEPARATION} detector pixels, flux ratio {RATIO}"
            if case.kind == "binary" else "a single star")
    print(f"truth: {what}, peak {PEAK:.0e} counts, background {BACKGROUND} counts/pixel")

    chosen, rows = [], []
    for draw in range(args.draws):
        data = case.counts(rng)
        t0 = time.perf_counter()
        comparison = fit_hypotheses(case, data, lbfgs_iterations)
        numbers = report(case, comparison)
        chosen.append(comparison.chosen)
        rows.append(numbers)
        if draw == 0:
            print(f"backend: {case.backend}; fits in {time.perf_counter() - t0:.1f} s")
            print(comparison)
            print(f"chosen by BIC: {comparison.chosen}")
            if case.kind == "binary":
                print(f"binary: separation {numbers['separation']:.3f} detector pixels (true "
                      f"{SEPARATION}, error {abs(numbers['separation'] - SEPARATION):.3f}), "
                      f"flux ratio {numbers['ratio']:.3f} (true {RATIO})")
            print(f"aberrations: RMS error {numbers['start']:.4f} -> "
                  f"{numbers['aberration']:.4f} waves (lambda/{1 / numbers['aberration']:.0f})")
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            path = figure(case, data, comparison, out / "motivating_case.png")
            if path is not None:
                print(f"wrote {path}")
        else:
            pair = (f", separation {numbers['separation']:.3f}, ratio {numbers['ratio']:.3f}"
                    if case.kind == "binary" else "")
            print(f"draw {draw + 1}: chosen {comparison.chosen}{pair}, aberration error "
                  f"{numbers['aberration']:.4f} waves")
    if args.draws > 1:
        right = sum(name == case.kind for name in chosen)
        aberrations = np.array([row["aberration"] for row in rows])
        pair = ""
        if case.kind == "binary":
            separations = np.array([row["separation"] for row in rows])
            pair = (f"; separation error max {np.abs(separations - SEPARATION).max():.3f} "
                    "pixels")
        print(f"over {args.draws} draws: {case.kind} chosen {right}/{args.draws} "
              f"({100 * right / args.draws:.0f}%){pair}; aberration error max "
              f"{aberrations.max():.4f} waves")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
