"""The TensorFlow hologram question (described in docs/hologram-question.md), solved end to end.

The question: a phase-only hologram exp(i phi) reconstructs the intensity
``I = |fftshift(ifft2(ifftshift(exp(i phi))))|^2``; the loss is the MSE between I scaled to
the target's mean and the target T. Adam on a hand-derived gradient converged; Adam on
TensorFlow's autodiff did not. This example

1. solves the problem with Adam on ``pg.Hologram``'s exact gradient and with Gerchberg-Saxton,
   side by side from the same random phase, printing the PSNR every ``--every`` iterations
   and a final table (plus Adam on the float32 model: the question ran in float32);
2. checks the question's hand-derived gradient against phasegrad's: it is the exact gradient
   times a positive constant (cosine 1), which Adam's update ignores, so it converged;
3. when PyTorch is installed: the question's loss in plain PyTorch autograd agrees with
   phasegrad's gradient (relative difference printed), so autodiff through a complex FFT is
   not the problem; and the function the question's GradientTape block actually
   differentiates, ``tf.math.l2_normalize(|iFFT(exp(i phi))|^2 - T)``, reproduced in PyTorch,
   is a different objective: I sums to 1 for every phase (Parseval), so it equals
   ``(1 - sum(T)) / ||I - T||`` and minimising it minimises the *unnormalised* distance
   ``||I - T||`` between an intensity of total 1 and a target of total sum(T); Adam on it
   (same steps) crowds the light onto the target's brightest pixels and the PSNR does not
   improve (fractions of the light printed);
4. saves a figure (target, phase, reconstructions, PSNR curves) into ``--out`` when
   matplotlib is installed.

Run: ``PYTHONPATH=python python examples/hologram_question.py [--size 256] [--iters 200]
[--every 20] [--lr 0.3] [--seed 0] [--out examples-out] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy: see pg.optimize.lbfgs

import numpy as np  # noqa: E402

import phasegrad as pg  # noqa: E402


def i_fft(x):
    """The question's ``iFFT``: fftshift(ifft2(ifftshift(x)))."""
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(x)))


def f_fft(x):
    """The question's ``FFT``: fftshift(fft2(ifftshift(x)))."""
    return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x)))


def question_manual_gradient(phi, target):
    """The hand-derived gradient of the question, transcribed to NumPy (clip left out)::

        delta_f = 2 (I_r - I_t) * 2 * reconstruction / h / w
        delta = FFT(delta_f)
        grad = Re(-1j exp(-1j phase) delta)
    """
    h, w = target.shape
    reconstruction = i_fft(np.exp(1j * phi))
    intensity = np.abs(reconstruction) ** 2
    i_r = intensity / intensity.mean() * target.mean()
    delta_f = 2 * (i_r - target) * 2 * reconstruction / h / w
    return np.real(-1j * np.exp(-1j * phi) * f_fft(delta_f))


def cosine(a, b):
    return float(np.vdot(a, b).real / (np.linalg.norm(a) * np.linalg.norm(b)))


def psnr_of(phi, target):
    return pg.optimize.psnr(pg.optimize.reconstruct(phi), target)


def psnr_curve(history, target):
    """PSNR after each iteration from a cost history of pg.Hologram's loss E:
    PSNR = 10 log10(max(T)^2 / E) (pg.optimize.psnr's definition)."""
    return 10.0 * np.log10(target.max() ** 2 / np.maximum(np.asarray(history), 1e-300))


class _GradientOf:
    """``fun_and_jac`` for pg.optimize.adam from a gradient function; the cost reported is
    pg.Hologram's loss, so PSNRs compare."""

    def __init__(self, hologram, gradient):
        self.hologram, self.gradient, self.n_params = hologram, gradient, hologram.n_params

    def fun_and_jac(self, x):
        phi = x.reshape(self.hologram.shape)
        cost, _ = self.hologram.value_and_grad(phi)
        return cost, np.asarray(self.gradient(phi), dtype=np.float64).ravel()


def torch_section(target, hologram, phi0, iters, lr):
    """The question's loss and the question's GradientTape objective in plain PyTorch."""
    try:
        import torch
    except ImportError:
        print("\nPyTorch not installed: skipping the autograd comparison "
              "(pip install torch to run it)")
        return {}
    torch.set_num_threads(max(1, pg.get_num_threads()))
    t_target = torch.from_numpy(target)

    def t_ifft(x):
        return torch.fft.fftshift(torch.fft.ifft2(torch.fft.ifftshift(x)))

    def question_loss(phi, t):      # the loss as the question states it (no clip)
        intensity = t_ifft(torch.exp(1j * phi)).abs() ** 2
        i_r = intensity / intensity.mean() * t.mean()
        return ((i_r - t) ** 2).mean()

    def tape_objective(phi, t):     # what the GradientTape block differentiates
        d = t_ifft(torch.exp(1j * phi)).abs() ** 2 - t
        # tf.math.l2_normalize(d) = d / sqrt(max(sum(d^2), 1e-12)): an array, not a scalar.
        # GradientTape.gradient of a non-scalar target is the gradient of the sum of its
        # elements, hence .sum().
        return (d / torch.sqrt(torch.clamp((d * d).sum(), min=1e-12))).sum()

    def torch_gradient(objective, dtype):
        t = t_target.to(dtype)

        def gradient(phi):
            p = torch.tensor(phi, dtype=dtype, requires_grad=True)
            value = objective(p, t)
            value.backward()
            return value.item(), p.grad.numpy().astype(np.float64)
        return gradient

    print("\nPyTorch autograd (torch " + torch.__version__ + ") on the same phase:")
    e_pg, g_pg = hologram.value_and_grad(phi0)
    for dtype, name in ((torch.float64, "float64"), (torch.float32, "float32")):
        e_t, g_t = torch_gradient(question_loss, dtype)(phi0)
        print(f"  question's loss, {name}: E torch {e_t:.6e}, phasegrad {e_pg:.6e}; gradient "
              f"relative difference {np.linalg.norm(g_t - g_pg) / np.linalg.norm(g_pg):.1e}")
    intensity = np.abs(i_fft(np.exp(1j * phi0))) ** 2
    print(f"  the tape's objective uses the raw intensity: sum(I) = {intensity.sum():.6f} "
          f"for every phase (Parseval), sum(T) = {target.sum():.1f}")
    tape_gradient = torch_gradient(tape_objective, torch.float64)
    _, g_tape = tape_gradient(phi0)
    print(f"  gradient of sum(l2_normalize(I - T)) vs the loss's: cosine "
          f"{cosine(g_tape, g_pg):+.3f}")
    start = time.perf_counter()
    result = pg.optimize.adam(_GradientOf(hologram, lambda p: tape_gradient(p)[1]), phi0,
                              lr=lr, iters=iters)
    seconds = time.perf_counter() - start
    print(f"  Adam on that gradient, {iters} iterations: PSNR "
          f"{psnr_of(result.x, target):.2f} dB (start {psnr_of(phi0, target):.2f} dB)")
    exact = pg.optimize.adam(hologram, phi0, lr=lr, iters=iters).x
    brightest, grey = target == target.max(), (target > 0) & (target < target.max())
    for name, phi in (("the tape's objective", result.x), ("the loss (exact)", exact)):
        light = pg.optimize.reconstruct(phi)
        light = light / light.sum()
        print(f"  light after Adam on {name + ':':<22} {light[brightest].sum():5.1%} on the "
              f"pixels where T = max(T) ({brightest.mean():.1%} of the image, "
              f"{target[brightest].sum() / target.sum():.1%} of the target's light), "
              f"{light[grey].sum():5.1%} where 0 < T < max(T) "
              f"({target[grey].sum() / target.sum():.1%})")
    return {"Adam, the tape's objective (torch)": (result, seconds)}


def make_figure(out, target, runs, every):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure (pip install matplotlib to get one)")
        return None
    adam, gs = runs["Adam, exact gradient"][0], runs["Gerchberg-Saxton"][0]
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.5))
    panels = [(target, "target T"),
              (np.mod(adam.x, 2 * np.pi), "hologram phase (Adam), rad"),
              (pg.optimize.reconstruct(adam.x), f"Adam: {psnr_of(adam.x, target):.1f} dB"),
              (pg.optimize.reconstruct(gs.x), f"Gerchberg-Saxton: {psnr_of(gs.x, target):.1f} dB")]
    for ax, (image, title) in zip(axes.flat, panels, strict=False):
        shown = ax.imshow(image, cmap="twilight" if "phase" in title else "gray")
        ax.set_title(title)
        ax.axis("off")
        if "phase" in title:
            fig.colorbar(shown, ax=ax, fraction=0.046)
    curve_ax = axes.flat[4]
    for name, (result, _) in runs.items():
        if "float32" in name or "hand-derived" in name:
            continue  # on top of "Adam, exact gradient"
        curve_ax.plot(psnr_curve(result.history, target), label=name)
    curve_ax.set_xlabel("iteration")
    curve_ax.set_ylabel("PSNR (dB)")
    curve_ax.legend(fontsize=8)
    curve_ax.grid(alpha=0.3)
    axes.flat[5].axis("off")
    tape = runs.get("Adam, the tape's objective (torch)")
    if tape is not None:
        axes.flat[5].imshow(pg.optimize.reconstruct(tape[0].x), cmap="gray")
        axes.flat[5].set_title(f"Adam on the tape's objective: {psnr_of(tape[0].x, target):.1f} dB")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "hologram_question.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The hologram question solved: Adam on phasegrad's exact gradient vs "
                    "Gerchberg-Saxton, and why the question's autodiff did not converge.")
    parser.add_argument("--size", type=int, default=256, help="target side (default 256)")
    parser.add_argument("--iters", type=int, default=200, help="iterations (default 200)")
    parser.add_argument("--every", type=int, default=20,
                        help="print the PSNR every this many iterations (default 20)")
    parser.add_argument("--lr", type=float, default=0.3, help="Adam step (default 0.3)")
    parser.add_argument("--seed", type=int, default=0, help="random starting phase")
    parser.add_argument("--out", type=Path, default=Path("examples-out"),
                        help="folder for the figure (default examples-out/)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch part")
    parser.add_argument("--quick", action="store_true",
                        help="small and fast (64x64, 40 iterations): for tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.iters, args.every = 64, 40, 10
    started = time.perf_counter()

    # The target: the built-in one, drawn in code (text, disc, triangle, ring, ramp), in
    # [0, 1] like the question's image divided by its maximum. The question also flips its
    # image left-right; that only mirrors the picture, so it is left out.
    target = pg.optimize.default_target(args.size)
    phi0 = np.random.default_rng(args.seed).uniform(0, 2 * np.pi, target.shape)
    # The loss exactly as the question states it (without the clip to [0, 1], see below):
    #   I = |iFFT(exp(i phi))|^2, I_r = I mean(T) / mean(I), E = mean((I_r - T)^2)
    hologram = pg.Hologram(target=target)                      # float64
    hologram32 = pg.Hologram(target=target.astype(np.float32))  # float32, as in the question
    print(f"hologram question: {args.size}x{args.size} built-in target, random start "
          f"(seed {args.seed}), {args.iters} iterations, {pg.get_num_threads()} threads")
    print(f"  start: E = {hologram.value_and_grad(phi0)[0]:.4e}, PSNR "
          f"{psnr_of(phi0, target):.2f} dB")

    # The question's hand-derived gradient vs the exact one. The mean normalisation has a
    # derivative, but mean(I) = 1/N^2 for every phase (Parseval), so that term vanishes and
    # the hand-derived formula is exact up to the constant N^2 mean(I) / mean(T) > 0.
    _, exact = hologram.value_and_grad(phi0)
    manual = question_manual_gradient(phi0, target)
    ratio = np.linalg.norm(manual) / np.linalg.norm(exact)
    print(f"  question's hand-derived gradient vs phasegrad's exact one: cosine "
          f"{cosine(manual, exact):.6f}, norm ratio {ratio:.4g} "
          f"(N^2 mean(I)/mean(T) = {1 / target.mean():.4g})")

    algorithms = {
        "Adam, exact gradient": lambda: pg.optimize.adam(hologram, phi0, lr=args.lr,
                                                         iters=args.iters),
        "Gerchberg-Saxton": lambda: pg.optimize.gs(target, iters=args.iters, phi0=phi0),
        "Adam, float32 model": lambda: pg.optimize.adam(hologram32, phi0, lr=args.lr,
                                                        iters=args.iters),
        "Adam, hand-derived": lambda: pg.optimize.adam(
            _GradientOf(hologram, lambda p: question_manual_gradient(p, target)), phi0,
            lr=args.lr, iters=args.iters),
    }
    runs = {}
    for name, algorithm in algorithms.items():
        start = time.perf_counter()
        result = algorithm()
        runs[name] = (result, time.perf_counter() - start)

    shown = ["Adam, exact gradient", "Gerchberg-Saxton"]
    curves = {name: psnr_curve(runs[name][0].history, target) for name in shown}
    print("\nPSNR (dB) side by side, same random start:")
    print(f"  {'iter':>5}  {'Adam':>8}  {'GS':>8}")
    for k in range(0, args.iters + 1, args.every):
        print(f"  {k:5d}  {curves[shown[0]][k]:8.2f}  {curves[shown[1]][k]:8.2f}")

    runs.update(torch_section(target, hologram, phi0, args.iters, args.lr)
                if not args.no_torch else {})

    print(f"\n{'method':<36}{'iters':>6}{'PSNR dB':>9}{'loss E':>12}{'time s':>8}")
    for name, (result, seconds) in runs.items():
        print(f"{name:<36}{result.nit:>6}{psnr_of(result.x, target):>9.2f}"
              f"{hologram.value_and_grad(result.x)[0]:>12.4e}{seconds:>8.2f}")
    # The question also clips I_r to [0, 1] before its MSE; the clip only changes the loss
    # where I_r > 1, so it is left out here (its gradient there would be zero).
    path = make_figure(args.out, target, runs, args.every)
    if path is not None:
        print(f"\nfigure: {path}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
