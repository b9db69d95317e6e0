"""``phasegrad hologram``: a phase-only hologram of a target image (Adam, L-BFGS-B, GS, WGS)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ..arguments.options import float_between, float_list, int_at_least, positive_float
from .io import DataError
from .options import add_output_options, add_quiet_option

METHODS = ("adam", "lbfgs", "gs", "wgs")
OUTPUTS = ("hologram_phase.png", "reconstruction.png", "convergence.png", "hologram.json",
           "hologram_phase.npy", "hologram_phase_8bit.png")
AMPLITUDE_OUTPUT = "hologram_amplitude.npy"
MODULATORS = {"phase": "phase", "amplitude-phase": "amplitude_phase"}
DEFAULT_SIZE = 256
DEFAULT_WAVELENGTH = 532e-9   # metres
DEFAULT_PITCH = 8e-6          # metres


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
    hologram.add_argument("--lr", type=positive_float, default=None,
                          help="Adam's step size in radians, > 0 (default 0.3; with --levels "
                               "the continuous phase's step of pg.optimize.quantised_adam, "
                               "default 0.8)")
    hologram.add_argument("--seed", type=int_at_least(0), default=0,
                          help="seed of the random starting phase (default 0)")
    physics = hologram.add_argument_group(
        "beyond the far field (lengths in metres; docs/holography.md)")
    physics.add_argument("--distance", type=float_list, metavar="Z",
                         help="one reconstruction plane at distance Z (band-limited angular "
                              "spectrum) instead of the far field")
    physics.add_argument("--planes", type=float_list, metavar="Z1,Z2,...",
                         help="several planes at these distances; plane p's target is the "
                              "target turned by p quarter turns")
    physics.add_argument("--wavelengths", type=float_list, metavar="L1,L2,...",
                         help=f"one colour per wavelength (default {DEFAULT_WAVELENGTH:g}); "
                              "every colour gets the planes' targets, the modulator's phase "
                              "scales as wavelengths[0] / wavelength")
    physics.add_argument("--pitch", type=positive_float, default=DEFAULT_PITCH,
                         help=f"the modulator's pixel pitch (default {DEFAULT_PITCH:g})")
    physics.add_argument("--levels", type=int_at_least(2), metavar="L",
                         help="quantise the shown phase to L levels (adam: the annealed soft "
                              "quantiser, pg.optimize.quantised_adam; lbfgs: the "
                              "straight-through rule)")
    physics.add_argument("--crosstalk", type=float_between(0.0, 0.24), metavar="C",
                         help="pixel crosstalk: each pixel's phase leaks the fraction C to each "
                              "of its 4 neighbours (a 3x3 kernel, centre 1 - 4C)")
    physics.add_argument("--modulator", choices=tuple(MODULATORS), default="phase",
                         help="phase (the default) or amplitude-phase: each pixel also sets "
                              "its amplitude, m = (1 + sin beta) / 2 in [0, 1], optimised with "
                              f"the phase from m = 1/2; writes {AMPLITUDE_OUTPUT} (m per pixel) "
                              "too")
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


def _general(args):
    """True when an option beyond the far-field single-plane hologram is given."""
    return args.modulator != "phase" or any(
        getattr(args, name) is not None
        for name in ("distance", "planes", "wavelengths", "levels", "crosstalk"))


def _decibels(peak):
    """PSNR in dB of a loss (the mean squared error against a target of peak ``peak``)."""
    def db(cost):
        return float("inf") if cost == 0 else float(10 * np.log10(peak ** 2 / cost))
    return db


def _progress_callback(progress, db):
    """The solvers' callback: one PSNR line per iteration and the progress bar's figure."""
    def callback(iteration, x, cost):
        progress.line(f"  iter {iteration:4d}  PSNR {db(cost):6.2f} dB")
        progress.update(psnr=f"{db(cost):.2f} dB")
    return callback


def _failed(args, result, final):
    """Whether the design is not to be trusted: GS/WGS diverged (the outputs hold its best
    iterate), Adam's cost stopped being finite or the quantised design is no better than its
    start (``success`` is False), or the final PSNR is not a number. L-BFGS's ``success`` is
    also False when it merely ran out of iterations, which is no failure of the design, so only
    its final figure counts."""
    if args.method in ("gs", "wgs", "adam") and not result.success:
        return True
    return bool(np.isnan(final))


def _finish(args, paths, progress, result, final, seconds):
    """The last lines and the exit code: 3 when the design failed (``_failed``; one stderr
    line says why, the outputs are written all the same), else 0."""
    progress.line(f"  wrote {', '.join(str(path) for path in paths.values())}")
    print(f"phasegrad hologram: {args.method} PSNR {final:.2f} dB after {result.nit} iterations "
          f"({seconds:.2f} s)")
    if _failed(args, result, final):
        print(f"phasegrad hologram: {result.message}", file=sys.stderr)
        return 3
    return 0


def run(args):
    """The command: exit code 0, or 3 when the design failed (GS/WGS diverged, Adam's cost
    not finite, a quantised design no better than its start; the outputs are written, and one
    line on stderr says why)."""
    if _general(args):
        return _run_general(args)
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

    db = _decibels(peak)
    callback = _progress_callback(progress, db)

    start = time.perf_counter()
    with progress:
        if args.method in ("adam", "lbfgs"):
            model = Hologram(target=target)
            if args.method == "adam":
                result = adam(model, phi0, lr=args.lr or 0.3, iters=args.iters,
                              callback=callback)
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
    return _finish(args, paths, progress, result, final, seconds)


def _physics(args, base):
    """``(target (C, P, n, n) or (n, n), the Hologram options, a description)``."""
    if args.distance is not None and args.planes is not None:
        raise DataError("give --distance (one plane) or --planes (several), not both")
    if args.distance is not None and len(args.distance) != 1:
        raise DataError("--distance takes one distance; use --planes for several")
    distances = args.distance or args.planes
    wavelengths = args.wavelengths
    if wavelengths is None:
        wavelengths = [DEFAULT_WAVELENGTH]
    if any(w <= 0 for w in wavelengths):
        raise DataError("--wavelengths must be positive")
    planes = 1 if distances is None else len(distances)
    stack = np.stack([np.rot90(base, p) for p in range(planes)])
    target = np.broadcast_to(stack, (len(wavelengths),) + stack.shape).copy()
    options = {"wavelengths": wavelengths, "levels": args.levels,
               "modulator": MODULATORS[args.modulator]}
    if distances is not None:
        options.update(distances=distances, pitch=args.pitch)
    if args.crosstalk is not None:
        c = args.crosstalk
        options["crosstalk"] = np.array([[0, c, 0], [c, 1 - 4 * c, c], [0, c, 0]])
    where = ("far field" if distances is None
             else "planes at " + ", ".join(f"{z:g}" for z in distances) + " m")
    colours = ", ".join(f"{w * 1e9:g} nm" for w in wavelengths)
    extras = "".join([f", {args.levels} levels" if args.levels else "",
                      f", crosstalk {args.crosstalk:g}" if args.crosstalk is not None else "",
                      ", amplitude + phase" if args.modulator != "phase" else ""])
    return target, options, f"{where}; {colours}{extras}"


def _mosaic(images):
    """(C, P, n, m) -> one (C n, P m) image: colours down, planes across."""
    colours, planes, rows, cols = images.shape
    return images.transpose(0, 2, 1, 3).reshape(colours * rows, planes * cols)


def _run_general(args):
    """The command beyond the far field: planes, colours, levels, crosstalk."""
    from ..arguments.outputs import OutputSet, check_outputs, make_output_folder
    from ..models import Hologram
    from ..optimize import adam, lbfgs, multiplane_gs, quantised_adam
    from .io import write_json
    from .plots import hologram_phase_figure, image_figure, psnr_figure, slm_phase_png
    from .progress import Progress

    amplitudes = args.modulator != "phase"
    paths = check_outputs(args.out, OUTPUTS + ((AMPLITUDE_OUTPUT,) if amplitudes else ()),
                          args.force)
    base, source = _target(args.target, args.size)
    target, options, physics = _physics(args, base)
    try:
        model = Hologram(target=target, **options)
    except ValueError as error:
        raise DataError(str(error)) from None
    colours, planes = model.setup.colours, model.setup.planes
    far_field = args.planes is None and args.distance is None
    if args.method in ("gs", "wgs") and (far_field or args.levels
                                         or args.crosstalk is not None or amplitudes):
        raise DataError(f"--method {args.method} beyond the far field needs --distance or "
                        "--planes, and no --levels, --crosstalk or --modulator "
                        "amplitude-phase; use adam or lbfgs")
    peak = float(base.max())
    phi0 = np.random.default_rng(args.seed).uniform(0.0, 2.0 * np.pi, base.shape)
    if amplitudes:  # the phases, then beta = 0 (m = 1/2, where dm/dbeta is largest)
        phi0 = np.stack([phi0, np.zeros(base.shape)])
    progress = Progress(args.iters, args.method, quiet=args.quiet)
    progress.line(f"phasegrad hologram: {args.method}, target {source} {base.shape[0]}x"
                  f"{base.shape[1]}, {physics}, {args.iters} iterations from a random phase "
                  f"(seed {args.seed})")

    db = _decibels(peak)
    callback = _progress_callback(progress, db)

    start = time.perf_counter()
    with progress:
        if args.method == "adam" and args.levels:  # the annealed soft quantiser
            steps = {} if args.lr is None else {"lr": args.lr}  # its own default otherwise
            result = quantised_adam(model, phi0, iters=args.iters, **steps,
                                    callback=callback)
        elif args.method == "adam":
            result = adam(model, phi0, lr=args.lr or 0.3, iters=args.iters, callback=callback)
        elif args.method == "lbfgs":
            result = lbfgs(model, phi0, maxiter=args.iters, callback=callback)
        else:
            result = multiplane_gs(target, model.setup.distances, options["wavelengths"],
                                   args.pitch, iters=args.iters, weighted=args.method == "wgs",
                                   phi0=phi0, callback=callback)
    seconds = time.perf_counter() - start
    x = np.reshape(result.x, model.shape)
    shown = model.quantize(x)
    phase, amplitude = (shown[0], shown[1]) if amplitudes else (shown, None)
    final = db(model.value_and_grad(x)[0])
    normalised = model.simulate(x).reshape(model.setup.target.shape)
    per_plane = [[db(float(np.mean((normalised[c, p] - model.setup.target[c, p]) ** 2)))
                  for p in range(planes)] for c in range(colours)]
    history = [db(cost) for cost in result.history]
    size = f"{base.shape[0]}x{base.shape[1]}"
    make_output_folder(args.out)
    with OutputSet(paths) as outputs:
        with outputs.writing("hologram_phase.png") as destination:
            hologram_phase_figure(destination, phase, f"hologram phase ({args.method}, {size}), "
                                  "as shown (wrapped, quantised)")
        with outputs.writing("hologram_phase_8bit.png") as destination:
            slm_phase_png(destination, phase)
        with outputs.writing("reconstruction.png") as destination:
            image_figure(destination, _mosaic(normalised),
                         f"reconstruction: colours down, planes across; PSNR {final:.2f} dB",
                         "intensity (each plane scaled to its target's mean)", vmin=0,
                         vmax=peak)
        with outputs.writing("convergence.png") as destination:
            psnr_figure(destination, history, f"phasegrad hologram: {args.method}, {size}")
        with outputs.writing("hologram_phase.npy") as destination:
            np.save(destination, phase)
        if amplitudes:
            with outputs.writing(AMPLITUDE_OUTPUT) as destination:
                np.save(destination, amplitude)
        with outputs.writing("hologram.json") as destination:
            setup = model.setup
            write_json(destination, {
                "command": "hologram", "method": args.method, "target": source,
                "shape": list(base.shape), "iterations": result.nit, "seed": args.seed,
                "distances": None if setup.distances is None else setup.distances.tolist(),
                "wavelengths": setup.wavelengths.tolist(), "pitch": setup.pitch,
                "levels": args.levels, "crosstalk": args.crosstalk,
                "modulator": setup.modulator,
                "psnr_db": final, "psnr_db_per_colour_and_plane": per_plane,
                "psnr_history_db": history, "loss": result.fun, "seconds": seconds,
                "message": result.message, "files": dict(paths)})
    return _finish(args, paths, progress, result, final, seconds)
