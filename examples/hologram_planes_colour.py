"""A 3-plane colour hologram: one phase-only modulator, three wavelengths, three planes.

The modulator (pixel pitch 8 um) shows one phase map phi; at each wavelength its phase is
``phi * 450 nm / wavelength`` (the same pixel value gives a different phase at each colour);
the field propagates by the band-limited angular spectrum to planes at 20, 30 and 40 mm, where
each colour should draw the plane's image (the built-in target turned by a quarter turn per
plane). This example

1. builds ``pg.Hologram(target=T (3, 3, n, n), distances=..., wavelengths=..., pitch=...)``,
   optionally with 8 quantised levels and pixel crosstalk (``--levels``, ``--crosstalk``);
2. optimises phi with Adam on the fused model's exact gradient, printing the PSNR (with
   ``--levels``, through the annealed soft quantiser, ``pg.optimize.quantised_adam``);
3. refines it with the camera in the loop: a simulated camera that sees a zero order the model
   lacks, misaligned by a fraction of a pixel and noisy; the measured images replace the
   model's in the loss (``pg.optimize.CameraInTheLoop``);
4. prints the PSNR of every colour and plane and saves the reconstructions as a 3 x 3 figure
   (``hologram_planes_colour.png`` in ``--out``) when matplotlib is installed.

Run: ``PYTHONPATH=python python examples/hologram_planes_colour.py [--size 128] [--iters 200]
[--levels 8] [--crosstalk 0.05] [--out examples-out] [--quick]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import phasegrad as pg

WAVELENGTHS = (450e-9, 532e-9, 635e-9)
DISTANCES = (0.020, 0.030, 0.040)
PITCH = 8e-6


def psnr(image, target):
    return 10 * np.log10(target.max() ** 2 / np.mean((image - target) ** 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--camera-iters", type=int, default=50)
    parser.add_argument("--levels", type=int, default=None)
    parser.add_argument("--crosstalk", type=float, default=None)
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam's step (default 0.1; with --levels quantised_adam's own "
                             "schedule: 0.8 continuous, 0.15 annealed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("examples-out"))
    parser.add_argument("--quick", action="store_true", help="a small, short run")
    args = parser.parse_args()
    if args.quick:
        args.size, args.iters, args.camera_iters = 48, 40, 15

    base = pg.optimize.default_target(args.size)
    planes = np.stack([np.rot90(base, p) for p in range(len(DISTANCES))])
    target = np.broadcast_to(planes, (len(WAVELENGTHS),) + planes.shape).copy()
    options = {"distances": DISTANCES, "wavelengths": WAVELENGTHS, "pitch": PITCH,
               "levels": args.levels}
    if args.crosstalk is not None:
        c = args.crosstalk
        options["crosstalk"] = [[0, c, 0], [c, 1 - 4 * c, c], [0, c, 0]]
    model = pg.Hologram(target=target, **options)
    print(f"model: {model.setup.colours} colours x {model.setup.planes} planes, "
          f"{args.size}x{args.size} modulator, levels {args.levels}, crosstalk {args.crosstalk}")

    phi0 = np.random.default_rng(args.seed).uniform(0, 2 * np.pi, base.shape)
    start = time.perf_counter()
    if args.levels:
        steps = {} if args.lr is None else {"lr": args.lr}
        result = pg.optimize.quantised_adam(model, phi0, iters=args.iters, **steps)
    else:
        result = pg.optimize.adam(model, phi0, lr=args.lr or 0.1, iters=args.iters)
    seconds = time.perf_counter() - start
    name = "quantised Adam" if args.levels else "Adam"
    print(f"{name}, exact gradient: {args.iters} iterations in {seconds:.2f} s, PSNR "
          f"{10 * np.log10(1 / result.history[0]):.2f} -> {10 * np.log10(1 / result.fun):.2f} dB")

    # Camera in the loop: the hardware has a zero order and a misaligned, noisy camera.
    truth = pg.Hologram(target=target, zero_order=0.08, **options)
    camera = pg.optimize.SimulatedCamera(truth, shift=(0.3, -0.2), noise=0.002,
                                         seed=args.seed)
    loop = pg.optimize.CameraInTheLoop(model, camera)
    measured_before = loop.fun_and_jac(result.x.ravel())[0]
    refined = pg.optimize.adam(loop, result.x, lr=0.02, iters=args.camera_iters)
    print(f"camera in the loop: measured PSNR {10 * np.log10(1 / measured_before):.2f} -> "
          f"{10 * np.log10(1 / refined.fun):.2f} dB after {args.camera_iters} measurements")

    shown = model.quantize(refined.x)
    images = model.simulate(shown)
    print("PSNR per colour and plane (dB), the refined phase in the design model:")
    print("          " + "".join(f"{z * 1e3:8.0f} mm" for z in DISTANCES))
    for c, wavelength in enumerate(WAVELENGTHS):
        row = "".join(f"{psnr(images[c, p], target[c, p]):11.2f}" for p in range(len(DISTANCES)))
        print(f"{wavelength * 1e9:6.0f} nm{row}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(len(WAVELENGTHS), len(DISTANCES), figsize=(9, 9))
    tints = ((0.3, 0.4, 1.0), (0.2, 1.0, 0.3), (1.0, 0.25, 0.2))
    for c, wavelength in enumerate(WAVELENGTHS):
        for p, distance in enumerate(DISTANCES):
            image = np.clip(images[c, p] / target[c, p].max(), 0, 1)
            axes[c, p].imshow(image[..., None] * np.array(tints[c]))
            axes[c, p].set_title(f"{wavelength * 1e9:.0f} nm, {distance * 1e3:.0f} mm, "
                                 f"{psnr(images[c, p], target[c, p]):.1f} dB", fontsize=9)
            axes[c, p].axis("off")
    figure.suptitle("one phase-only hologram, three colours, three planes")
    figure.tight_layout()
    path = args.out / "hologram_planes_colour.png"
    figure.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
