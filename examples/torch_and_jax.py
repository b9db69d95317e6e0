"""phasegrad models inside PyTorch and JAX: ``pg.to_torch`` and ``pg.to_jax``.

1. PyTorch: a ``pg.Hologram`` (the built-in target) as a differentiable torch function,
   optimised by ``torch.optim.Adam``; one C++ ``value_and_grad`` per step.
2. JAX: a ``pg.PhaseRetrieval`` (Zernike, two defocus planes) as a JAX function, its gradient
   under ``jax.jit(jax.grad(...))`` checked against ``model.value_and_grad``, then plain
   gradient descent with the jitted gradient.

Each part is skipped, with a note, when its framework is not installed.

Run: ``PYTHONPATH=python python examples/torch_and_jax.py [--size 128] [--steps 100]
[--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import phasegrad as pg


def torch_part(size, steps):
    try:
        import torch
    except ImportError:
        print("torch: not installed, skipped (pip install torch)")
        return
    target = pg.optimize.default_target(size)
    loss_fn = pg.to_torch(pg.Hologram(target=target))       # E(phi), float64
    phi = torch.tensor(np.random.default_rng(0).uniform(0, 2 * np.pi, target.shape),
                       requires_grad=True)
    optimizer = torch.optim.Adam([phi], lr=0.3)
    start = time.perf_counter()
    first = None
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(phi)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
    seconds = time.perf_counter() - start
    quality = pg.optimize.psnr(pg.optimize.reconstruct(phi.detach().numpy()), target)
    print(f"torch {torch.__version__}: Hologram {size}x{size}, torch.optim.Adam, {steps} steps "
          f"in {seconds:.2f} s: E {first:.4e} -> {loss.item():.4e}, PSNR {quality:.2f} dB")


def jax_part(size, steps):
    try:
        import jax
    except ImportError:
        print("jax: not installed, skipped (pip install jax)")
        return
    jax.config.update("jax_enable_x64", True)               # the model is float64
    n = size // 2
    amplitude = pg.circular_pupil(n)
    amplitude /= amplitude.sum()
    basis = pg.zernike_basis(10, n, first=2)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    diversity = np.stack([-0.5 * defocus, 0.5 * defocus])
    truth = np.random.default_rng(1).normal(0, 0.03, 10)
    blank = np.zeros((2, 2 * n, 2 * n))
    data = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank,
                             diversity=diversity).simulate(truth)
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, diversity=diversity)
    grad = jax.jit(jax.grad(pg.to_jax(model)))

    a = np.zeros(10)
    _, expected = model.value_and_grad(a)
    difference = np.linalg.norm(np.asarray(grad(a)) - expected) / np.linalg.norm(expected)
    print(f"jax {jax.__version__}: jit(grad) of PhaseRetrieval(n={n}, 10 modes, 2 planes) vs "
          f"value_and_grad: relative difference {difference:.1e}")
    a = jax.numpy.zeros(10)
    start = time.perf_counter()
    step = 0.5 / float(np.abs(expected).max()) * 0.01   # first step moves by 0.005 waves
    for _ in range(steps):
        a = a - step * grad(a)
    seconds = time.perf_counter() - start
    error = np.linalg.norm(np.asarray(a) - truth) / np.linalg.norm(truth)
    print(f"  gradient descent with the jitted gradient, {steps} steps in {seconds:.2f} s: "
          f"coefficient relative error 1 -> {error:.2e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="pg.to_torch in a torch optimizer loop and "
                                                 "pg.to_jax under jax.jit(jax.grad(...)).")
    parser.add_argument("--size", type=int, default=128, help="hologram side (default 128)")
    parser.add_argument("--steps", type=int, default=100, help="optimizer steps (default 100)")
    parser.add_argument("--quick", action="store_true", help="small and fast: for tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.steps = 64, 30
    started = time.perf_counter()
    torch_part(args.size, args.steps)
    jax_part(args.size, args.steps)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
