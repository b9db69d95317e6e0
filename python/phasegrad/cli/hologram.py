"""``phasegrad hologram``: a phase-only hologram of a target image (Adam, L-BFGS-B, GS, WGS)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ..arguments.options import int_at_least, positive_float
from .io import DataError
from .options import add_output_options, add_quiet_option

METHODS = ("adam", "lbfgs", "gs", "wgs")
OUTPUTS = ("hologram_phase.png", "reconstruction.png", "convergence.png", "hologram.json",
           "hologram_phase.npy", "hologram_phase_8bit.png")
DEFAULT_SIZE = 256


def register(commands):
    """Add ``hologram`` to the sub-command parsers."""
    hologram = commands.add_parser(
        "hologram", help="phase-only hologram of a target image (Adam, L-BFGS-B, GS, WGS)",
        description="Find a phase phi whose reconstruction |fftshift(ifft2(ifftshift("
                    "exp(i phi))))|^2 matches a target image (pg.Hologram's loss), from a "
                    "random phase. Prints the PSNR after every iteration and a final PSNR "
                    "line; writes hologram_phase.npy (radians in [0, 2 pi)), "
                    "hologram_phase_8bit.png (the same phase as SLM grey levels: [0, 2 pi) -> "
                    "0..255, one pixel per sample, row 0 at the top), hologram_phase.png and "
                    "reconstruction.png (figures with colour bars), convergence.png and "
                    "hologram.json.")
    hologram.add_argument("--target", type=Path, metavar="IMAGE",
                          help="target intensity, a PNG/TIFF (grey, or RGB averaged); default: "
                               "the built-in target (pg.optimize.default_target)")
    hologram.add_argument("--method", choices=METHODS, default="adam",
                          help="adam or lbfgs on the exact gradient, or Gerchberg-Saxton "
                               "(gs) / weighted GS (wgs) (default adam)")
    hologram.add_argument("--size", type=int_at_least(16), metavar="N",
                          help=f"side in pixels (default {DEFAULT_SIZE} for the built-in "
                               "target; a target image is resized to N x N when given)")
    hologram.add_argument("--iters", type=int_at_least(1), default=100,
                          help="iterations (default 100)")
    hologram.add_argument("--lr", type=positive_float, default=0.3,
                          help="Adam's step size in radians, > 0 (default 0.3)")
    hologram.add_argument("--seed", type=int_at_least(0), default=0,
                          help="seed of the random starting phase (default 0)")
    add_output_options(hologram, "hologram")
    add_quiet_option(hologram, default=argparse.SUPPRESS)
    hologram.set_defaults(run=run)


def _target(path, size):
    """``(target scaled to a peak of 1, where it came from)``."""
    from ..optimize import default_target
    from .io import read_image

    if path is None:
        return default_target(DEFAULT_SIZE if size is None else size), "built-in"
    image = read_image(path)
    if size is not None and image.shape != (size, size):
        from PIL import Image

        image = np.asarray(Image.fromarray(image.astype(np.float32)).resize(
            (size, size), Image.Resampling.BILINEAR), dtype=np.float64)
    image = image - min(float(image.min()), 0.0)
    if not np.any(image > 0):
        raise DataError(f"{path}: the target image is all zero")
    return image / image.max(), str(path)


def run(args):
    """The command: exit code 0."""
    from ..arguments.outputs import OutputSet, check_outputs, make_output_folder
    from ..models import Hologram
    from ..optimize import adam, gs, lbfgs, psnr, reconstruct, wgs
    from .io import write_json
    from .plots import hologram_phase_figure, image_figure, psnr_figure, slm_phase_png
    from .progress import Progress

    paths = check_outputs(args.out, OUTPUTS, args.force)
    target, source = _target(args.target, args.size)
    peak = float(target.max())
    phi0 = np.random.default_rng(args.seed).uniform(0.0, 2.0 * np.pi, target.shape)
    progress = Progress(args.iters, args.method, quiet=args.quiet)
    progress.line(f"phasegrad hologram: {args.method}, target {source} {target.shape[0]}x"
                  f"{target.shape[1]}, {args.iters} iterations from a random phase (seed "
                  f"{args.seed})")

    def db(cost):
        return float("inf") if cost == 0 else float(10 * np.log10(peak ** 2 / cost))

    def callback(iteration, x, cost):
        progress.line(f"  iter {iteration:4d}  PSNR {db(cost):6.2f} dB")
        progress.update(psnr=f"{db(cost):.2f} dB")

    start = time.perf_counter()
    with progress:
        if args.method in ("adam", "lbfgs"):
            model = Hologram(target=target)
            if args.method == "adam":
                result = adam(model, phi0, lr=args.lr, iters=args.iters, callback=callback)
            else:
                result = lbfgs(model, phi0, maxiter=args.iters, callback=callback)
        else:
            solver = gs if args.method == "gs" else wgs
            result = solver(target, iters=args.iters, phi0=phi0, callback=callback)
    seconds = time.perf_counter() - start
    phase = np.mod(result.x, 2 * np.pi)
    reconstruction = reconstruct(phase)
    final = psnr(reconstruction, target)
    history = [db(cost) for cost in result.history]
    size = f"{target.shape[0]}x{target.shape[1]}"
    make_output_folder(args.out)
    with OutputSet(paths) as outputs:
        with outputs.writing("hologram_phase.png") as destination:
            hologram_phase_figure(destination, phase, f"hologram phase ({args.method}, {size}), "
                                  "wrapped to [0, 2π)")
        with outputs.writing("hologram_phase_8bit.png") as destination:
            slm_phase_png(destination, phase)
        with outputs.writing("reconstruction.png") as destination:
            image_figure(destination, reconstruction * (target.mean() / reconstruction.mean()),
                         f"reconstruction |FFT(exp(iφ))|², PSNR {final:.2f} dB",
                         "intensity (scaled to the target's mean; its peak = 1)", vmin=0,
                         vmax=peak)
        with outputs.writing("convergence.png") as destination:
            psnr_figure(destination, history, f"phasegrad hologram: {args.method}, {size}")
        with outputs.writing("hologram_phase.npy") as destination:
            np.save(destination, phase)
        with outputs.writing("hologram.json") as destination:
            write_json(destination, {
                "command": "hologram", "method": args.method, "target": source,
                "shape": list(target.shape), "iterations": result.nit, "seed": args.seed,
                "psnr_db": final, "psnr_history_db": history, "loss": result.fun,
                "seconds": seconds, "message": result.message,
                "files": {name: paths[name] for name in OUTPUTS}})
    progress.line(f"  wrote {', '.join(str(paths[name]) for name in OUTPUTS)}")
    print(f"phasegrad hologram: {args.method} PSNR {final:.2f} dB after {result.nit} iterations "
          f"({seconds:.2f} s)")
    return 0
