"""Issue 14's hologram targets and issue 15's far-field hologram target, measured.

Run: ``python -m phasegrad.bench.hologram_targets [--size 512] [--quant-size 256]
[--iters 200] [--quant-lr 0.1,0.3,0.5,0.8] [--quant-seeds 0,1,2] [--no-crosstalk]
[--far-sizes 256,512,1024] [--far-splits] [--far-phasor] [--threads N] [--cpu-time]
[--skip speed|far|quantisation ...] [--out DIR]``.

1. **Speed**: one ``value_and_grad`` of a 3-plane, 3-colour phase-only hologram (``--size``,
   default 512; band-limited angular spectrum, no padding) against the cost of its FFTs, the
   issue's "3 x 3 transform pairs": 9 inverse and 9 forward transforms of the plane through
   the core's own cached FFTW plans, made as the kernel makes those of its planes (in place,
   one plane a call: ``_core.hologram_transforms_in_place``; no scaling pass, written zeros;
   the row "18 FFTs out of place" does them through ``pg.ops.dft2``/``idft2`` into a
   preallocated output, other FFTW plans), and against the same model written in PyTorch
   (autograd) and JAX (``jit`` of ``value_and_grad``), each on the same threads, when
   installed. Medians of interleaved samples (``harness.interleaved_medians``). The fused
   kernel does 2 (P + 1) = 8 FFTs per colour, 24 in all (the field's transform is shared by
   the planes, the planes' cotangents are summed in the Fourier domain), so its ideal ratio
   to the 18 FFTs is 1.33 plus the element-wise passes; the row "its own 24 FFTs" times
   those transforms alone (12 inverse and 12 forward, in place through the floor's plans).
   Printed beside the rows: fused / its own 24 FFTs, the part of the call that is not those
   24 transforms (1 - 24 FFTs / fused: the passes, and whatever the kernel's staged
   transforms gain or lose against FFTW's whole-plane plans), and what the issue's 1.5x of
   the 18 FFTs leaves for the passes once the 24 are paid (1.5 x 18 FFTs - 24 FFTs; negative:
   the target is out of reach of any kernel that runs FFTW's plans 24 times).
2. **The far field** (issue 15's hologram target): one ``value_and_grad`` of
   ``pg.Hologram(target=T)`` (random target and phase) against its FFT pair, one forward and
   one inverse transform of the plane through the same cached plans (no scaling pass, written
   zeros) three ways: out of place (``pg.ops``), in place, and the kernel's own (out of place
   from the phasor to the field, then in place); the ratio is to the fastest of the three.
   Beside it the model's transforms alone, as its ``value_and_grad`` runs them (its row and
   column stages and their copies through scratch, without the element-wise passes), to the
   same pair, and the passes' share of a call: 1 - transforms / value_and_grad (the rest of
   the call, Python's argument checks included), and the Python path: ``Hologram``'s call
   less the core object's on the same phase (argument checks, the binding's output), and the
   transform split the call took (``blocked``: the kernel's single-threaded row and column
   stages, the default; ``whole``: FFTW's 2-D plans on the team, where the blocked stages do
   not apply). With ``--far-splits``, the core object's
   call with each split forced (``blocked``, ``hybrid``: FFTW's threaded plans for the column
   stages, ``whole``), timed in the same rounds, as ratios to the same pair. At each of
   ``--far-sizes``, float32 and float64; medians of interleaved samples. With
   ``--far-phasor``, the core call with the phasor kept for the last pass and computed again
   from the phase (``set_phasor``; the row says which the call took), as ratios to the same
   pair.
3. **Quantisation**: the built-in target (``--quant-size``, default 256), far field, pixel
   crosstalk (3 x 3, 5 % to each neighbour; none with ``--no-crosstalk``), 8 levels, each
   seed's random phase (``--quant-seeds``) the start of every run, ``--iters`` (default 200)
   iterations each. The unquantised designs: Adam at each step size (``--quant-lr``),
   L-BFGS's best point among its first ``--iters`` model evaluations (the cost of as many Adam
   steps), and L-BFGS for ``--iters`` iterations (several evaluations each); each also
   quantised to the levels afterwards. The quantised designs: the hard levels in the loop by
   the straight-through rule and the soft staircase (``quantizer="soft"``), at each step size;
   ``pg.optimize.quantised_adam`` with its defaults and with each step size as its
   continuous phase's. PSNR of each phase as the modulator shows it, by
   ``pg.optimize.psnr``'s definition (10 log10(max T^2 / loss)). Then the target's two
   numbers: the gap from the unquantised optimum (the best unquantised run of at most
   ``--iters`` evaluations; also against the ``--iters`` L-BFGS iterations) to
   ``quantised_adam``'s default design (<= 1 dB), and its gain over quantising afterwards
   (>= 3 dB; over the best unquantised run's phase, and over the best of every unquantised
   run's), and their ranges over the seeds.

Writes ``bench_hologram_targets.json`` into ``--out`` when given.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import phasegrad as pg

from ..models.fused_hologram import FusedHologram
from ..native import core
from .harness import interleaved_medians, machine_info

WAVELENGTHS = (450e-9, 532e-9, 635e-9)
DISTANCES = (0.02, 0.03, 0.04)
PITCH = 8e-6
CROSSTALK = np.array([[0, 0.05, 0], [0.05, 0.8, 0.05], [0, 0.05, 0]])


def _medians(calls, rounds, min_time, cpu_time):
    """``harness.interleaved_medians`` of ``calls``; with ``cpu_time``, the same interleaved
    rounds timed by the process's CPU time (``time.process_time``, every thread of it): for one
    pinned core on a loaded machine, where wall time counts other processes' turns."""
    if not cpu_time:
        return interleaved_medians(calls, rounds=rounds, min_time=min_time)
    samples = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            loops, start = 0, time.process_time()
            while True:
                call()
                loops += 1
                elapsed = time.process_time() - start
                if elapsed >= min_time:
                    break
            samples[name].append(elapsed / loops)
    return {name: float(np.median(values)) for name, values in samples.items()}


def _written_zeros(shape, dtype):
    """Zeros the timings may run on (see floor.py), written: the pages of ``np.zeros`` stay
    the kernel's shared zero page until written, so a transform that only reads them (an
    out-of-place input) reads one cached page instead of memory, and is faster than on any
    data by an amount that depends on how the pages were mapped (up to 20 % at 512^2)."""
    array = np.empty(shape, dtype)
    array.fill(0)
    return array


def _speed_problem(size):
    base = pg.optimize.default_target(size)
    planes = np.stack([np.rot90(base, p) for p in range(3)])
    target = np.broadcast_to(planes, (3,) + planes.shape).copy()
    model = pg.Hologram(target=target, distances=DISTANCES, wavelengths=WAVELENGTHS,
                        pitch=PITCH)
    phi = np.random.default_rng(0).uniform(0, 2 * np.pi, base.shape)
    return target, model, phi


def _transfer_functions(model):
    """(C, P, n, n) complex128: the model's band-limited transfer functions."""
    from ..arguments.propagation import Propagation
    from ..reference.propagation import transfer_function

    setup = model.setup
    return np.stack([np.stack([
        transfer_function(setup.plane, Propagation("angular_spectrum", z, w, setup.pitch,
                                                   True, 1))
        for z in setup.distances]) for w in setup.wavelengths])


def _torch_model(target, model):
    import torch

    torch.set_num_threads(pg.get_num_threads())
    transfer = torch.from_numpy(_transfer_functions(model))
    alphas = torch.from_numpy(model.setup.phase_response)[:, None, None]
    target_t = torch.from_numpy(target)
    means = target_t.mean(dim=(-2, -1), keepdim=True)
    count = target.shape[-1] * target.shape[-2]
    weight = 1.0 / (target.shape[0] * target.shape[1])

    def value_and_grad(phi):
        x = torch.from_numpy(phi).requires_grad_(True)
        wrapped = x - 2 * np.pi * torch.floor(x / (2 * np.pi))
        field = torch.polar(torch.ones_like(wrapped), alphas * wrapped)
        spectrum = torch.fft.fft2(field)[:, None]
        planes = torch.fft.ifft2(spectrum * transfer)
        intensity = planes.real ** 2 + planes.imag ** 2
        normalised = intensity * means / intensity.mean(dim=(-2, -1), keepdim=True)
        loss = weight * ((normalised - target_t) ** 2).sum() / count
        (grad,) = torch.autograd.grad(loss, x)
        return float(loss.detach()), grad.numpy()

    return value_and_grad


def _jax_model(target, model):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    transfer = jnp.asarray(_transfer_functions(model))
    alphas = jnp.asarray(model.setup.phase_response)[:, None, None]
    target_j = jnp.asarray(target)
    means = target_j.mean(axis=(-2, -1), keepdims=True)
    weight = 1.0 / (target.shape[0] * target.shape[1])

    def loss(x):
        wrapped = x - 2 * jnp.pi * jnp.floor(x / (2 * jnp.pi))
        field = jnp.exp(1j * alphas * wrapped)
        planes = jnp.fft.ifft2(jnp.fft.fft2(field)[:, None] * transfer)
        intensity = planes.real ** 2 + planes.imag ** 2
        normalised = intensity * means / intensity.mean(axis=(-2, -1), keepdims=True)
        return weight * jnp.mean((normalised - target_j) ** 2, axis=(-2, -1)).sum()

    compiled = jax.jit(jax.value_and_grad(loss))

    def value_and_grad(phi):
        value, grad = compiled(jnp.asarray(phi))
        return float(value), np.asarray(grad)

    return value_and_grad


def speed(size=512, rounds=7, cpu_time=False):
    """Rows: fused, the FFT floor, torch and jax (when installed), seconds per call."""
    target, model, phi = _speed_problem(size)
    planes = _written_zeros((12, size, size), complex)
    out = _written_zeros((12, size, size), complex)
    threads = pg.get_num_threads()

    def floor():  # the issue's 3 x 3 pairs, in place as the kernel runs its planes': 9 + 9
        core.hologram_transforms_in_place(planes[:9], True, threads)
        core.hologram_transforms_in_place(planes[:9], False, threads)

    def out_of_place():  # the same 9 + 9 through pg.ops, out of place (other FFTW plans)
        for k in range(9):
            pg.ops.dft2(planes[k], out=out[k])
            pg.ops.idft2(planes[k], norm="forward", out=out[k])

    def own_floor():  # the fused kernel's own 24: per colour 2 (P + 1), the same in-place
        core.hologram_transforms_in_place(planes, True, threads)  # plans as the floor's
        core.hologram_transforms_in_place(planes, False, threads)

    calls = {"fused": lambda: model.value_and_grad(phi), "fft floor (18 FFTs)": floor,
             "18 FFTs out of place": out_of_place, "its own 24 FFTs": own_floor}
    energy, grad = model.value_and_grad(phi)
    agreement = {}
    for name, maker in (("torch", _torch_model), ("jax", _jax_model)):
        try:
            other = maker(target, model)
        except ImportError:
            continue
        value, other_grad = other(phi)  # warm-up (JAX compiles here)
        agreement[name] = float(np.linalg.norm(other_grad - grad) / np.linalg.norm(grad))
        calls[name] = lambda other=other: other(phi)
    for call in (floor, out_of_place, own_floor):
        call()
    times = _medians(calls, rounds, 0.2, cpu_time)
    rows = []
    for name, seconds in times.items():
        rows.append({"implementation": name, "seconds": seconds,
                     "vs_fused": seconds / times["fused"],
                     "gradient_relative_difference": agreement.get(name)})
    return rows


def speed_summary(rows):
    """The speed target's numbers from ``speed``'s rows: fused / the 18-FFT floor (<= 1.5),
    fused / its own 24 FFTs, the part of the call beyond those 24, what 1.5x the floor leaves
    for the passes once the 24 are paid (seconds, and as a part of the 24), and JAX's and
    PyTorch's time / fused (>= 3) where measured."""
    seconds = {row["implementation"]: row["seconds"] for row in rows}
    fused, floor = seconds["fused"], seconds["fft floor (18 FFTs)"]
    own = seconds["its own 24 FFTs"]
    summary = {"fused_vs_floor": fused / floor, "fused_vs_own_24": fused / own,
               "beyond_24_fraction": 1 - own / fused, "passes_budget": 1.5 * floor - own,
               "passes_budget_vs_24": (1.5 * floor - own) / own}
    for name in ("jax", "torch"):
        if name in seconds:
            summary[f"{name}_vs_fused"] = seconds[name] / fused
    return summary


def _print_speed_summary(summary):
    s = summary
    print(f"  target: fused / 18-FFT floor {s['fused_vs_floor']:.2f} "
          f"({'met' if s['fused_vs_floor'] <= 1.5 else 'NOT met'}: <= 1.5); fused / its own 24 "
          f"FFTs {s['fused_vs_own_24']:.2f}; beyond the 24: {100 * s['beyond_24_fraction']:.0f} % "
          f"of the call; 1.5x the floor leaves {s['passes_budget'] * 1e3:.1f} ms for the passes "
          f"({100 * s['passes_budget_vs_24']:.0f} % of the 24 FFTs)")
    for name in ("jax", "torch"):
        if f"{name}_vs_fused" in s:
            ratio = s[f"{name}_vs_fused"]
            print(f"  target: {name} / fused {ratio:.2f} ({'met' if ratio >= 3 else 'NOT met'}: "
                  ">= 3)")


#: The far-field kernel's transform splits that ``--far-splits`` times.
SPLITS = ("blocked", "hybrid", "whole")


#: Where the far-field kernel keeps the phasor for its last pass, timed by ``--far-phasor``.
PHASORS = ("kept", "recomputed")


def far_field(sizes=(256, 512, 1024), rounds=7, cpu_time=False, splits=False, phasors=False):
    """Rows: the far-field hologram's value_and_grad and its FFT pair, seconds per call, for
    every size and both precisions (and, with ``splits``, the core call with each transform
    split forced; with ``phasors``, with the phasor kept and computed again)."""
    rows = []
    for dtype in (np.float32, np.float64):
        for size in sizes:
            rng = np.random.default_rng(0)
            target = rng.uniform(size=(size, size)).astype(dtype)
            phi = rng.uniform(0, 2 * np.pi, (size, size)).astype(dtype)
            model = pg.Hologram(target=target)
            plane = _written_zeros((size, size), np.result_type(dtype, np.complex64))
            out = _written_zeros((size, size), plane.dtype)
            threads = pg.get_num_threads()

            def pair(plane=plane, out=out):  # out of place both ways
                pg.ops.dft2(plane, out=out)
                pg.ops.idft2(plane, norm="forward", out=out)

            def in_place(plane=plane, threads=threads):
                core.hologram_transforms_in_place(plane, True, threads)
                core.hologram_transforms_in_place(plane, False, threads)

            def own(plane=plane, out=out, threads=threads):  # the kernel's: phasor -> field,
                pg.ops.idft2(plane, norm="forward", out=out)  # then the field in place
                core.hologram_transforms_in_place(out, False, threads)

            def fused(model=model, phi=phi):
                model.value_and_grad(phi)

            raw = (core.FusedHologram32 if dtype == np.float32 else core.FusedHologram64)(target)

            def core_call(raw=raw, phi=phi, threads=threads):  # the core object alone
                raw.value_and_grad(phi, threads)

            kernel = FusedHologram(target)  # the same plans, its own buffers

            def transforms(kernel=kernel):
                kernel.transforms_only()

            calls = {"fused": fused, "core": core_call, "pair": pair, "in place": in_place,
                     "own": own, "transforms": transforms}
            core_class = core.FusedHologram32 if dtype == np.float32 else core.FusedHologram64
            for split in SPLITS if splits else ():
                forced = core_class(target)
                forced.set_split(split)
                calls[split] = (lambda forced=forced, phi=phi, threads=threads:
                                forced.value_and_grad(phi, threads))
            for phasor in PHASORS if phasors else ():
                forced = core_class(target)
                forced.set_phasor(phasor)
                calls[phasor] = (lambda forced=forced, phi=phi, threads=threads:
                                 forced.value_and_grad(phi, threads))
            for call in calls.values():
                call()
            times = _medians(calls, rounds, 0.1, cpu_time)
            fastest = min(times["pair"], times["in place"], times["own"])
            rows.append({"dtype": np.dtype(dtype).name, "size": size, "fused": times["fused"],
                         "pair": times["pair"], "pair_in_place": times["in place"],
                         "kernel_pair": times["own"], "ratio": times["fused"] / fastest,
                         "kernel_transforms": times["transforms"],
                         "transforms_ratio": times["transforms"] / fastest,
                         "passes_share": 1.0 - times["transforms"] / times["fused"],
                         "python_path": times["fused"] - times["core"],
                         "split": raw.split(threads), "phasor": raw.phasor(),
                         "split_ratios": {split: times[split] / fastest
                                          for split in SPLITS if split in times},
                         "phasor_ratios": {phasor: times[phasor] / fastest
                                           for phasor in PHASORS if phasor in times}})
    return rows


class _Budget:
    """An objective that keeps the best point among its first ``evaluations`` evaluations."""

    def __init__(self, model, evaluations):
        self.model, self.n_params, self.evaluations = model, model.n_params, evaluations
        self.count, self.best, self.point = 0, np.inf, None

    def fun_and_jac(self, x):
        cost, grad = self.model.fun_and_jac(x)
        self.count += 1
        if self.count <= self.evaluations and cost < self.best:
            self.best, self.point = cost, np.array(x, dtype=np.float64)
        return cost, grad

    def spent(self, iteration, x, cost):
        return self.count >= self.evaluations


def quantisation(size=256, iters=200, lrs=(0.1, 0.3, 0.5, 0.8), seed=0, crosstalk=True):
    """Rows: PSNR of the ways to a quantised (crosstalk-aware) hologram in ``iters`` model
    evaluations from one random phase, against the unquantised optimum; and the target's two
    numbers (``summary``)."""
    target = pg.optimize.default_target(size)
    peak = float(target.max())
    phi0 = np.random.default_rng(seed).uniform(0, 2 * np.pi, target.shape)
    kernel = CROSSTALK if crosstalk else None
    quantised = pg.Hologram(target=target, levels=8, crosstalk=kernel)
    plain = pg.Hologram(target=target, crosstalk=kernel)
    soft = pg.Hologram(target=target, levels=8, crosstalk=kernel, quantizer="soft")

    def db(model, phi):
        return float(10 * np.log10(peak ** 2 / model.value_and_grad(phi)[0]))

    rows = []

    def row(kind, run, model, phi, start, evaluations):
        rows.append({"kind": kind, "run": run, "psnr_db": db(model, phi),
                     "afterwards_db": db(quantised, phi) if kind == "unquantised" else None,
                     "evaluations": evaluations, "seconds": time.perf_counter() - start})

    for lr in lrs:
        start = time.perf_counter()
        free = pg.optimize.adam(plain, phi0, lr=lr, iters=iters)
        row("unquantised", f"Adam lr {lr:g}", plain, free.x, start, iters)
    start = time.perf_counter()
    budget = _Budget(plain, iters)
    pg.optimize.lbfgs(budget, phi0, maxiter=10 ** 6, callback=budget.spent)
    row("unquantised", f"L-BFGS, best of {iters} evaluations", plain,
        budget.point.reshape(target.shape), start, iters)
    start = time.perf_counter()
    counted = _Budget(plain, 0)
    long = pg.optimize.lbfgs(counted, phi0, maxiter=iters)
    row("unquantised", f"L-BFGS, {iters} iterations", plain, long.x, start, counted.count)
    for lr in lrs:
        start = time.perf_counter()
        aware = pg.optimize.adam(quantised, phi0, lr=lr, iters=iters)
        row("other", f"straight-through, lr {lr:g}", quantised, aware.x, start, iters)
        start = time.perf_counter()
        relaxed = pg.optimize.adam(soft, phi0, lr=lr, iters=iters)
        row("other", f"soft staircase, lr {lr:g}", quantised, relaxed.x, start, iters)
    for lr in (None,) + tuple(lrs):
        start = time.perf_counter()
        options = {} if lr is None else {"lr": lr}
        design = pg.optimize.quantised_adam(quantised, phi0, iters=iters, **options)
        row("quantised_adam" if lr is None else "other",
            "quantised_adam" + (" (defaults)" if lr is None else f", lr {lr:g}"), quantised,
            design.x, start, design.nfev)
    unquantised = [r for r in rows if r["kind"] == "unquantised"]
    same_cost = max(r["psnr_db"] for r in unquantised if r["evaluations"] <= iters)
    designed = next(r["psnr_db"] for r in rows if r["kind"] == "quantised_adam")
    summary = {"unquantised_optimum_db": same_cost,
               "lbfgs_iterations_db": unquantised[-1]["psnr_db"],
               "quantised_adam_db": designed,
               "gap_db": same_cost - designed,
               "gap_to_lbfgs_iterations_db": unquantised[-1]["psnr_db"] - designed,
               "gain_db": designed - max(r["afterwards_db"] for r in unquantised),
               "gain_over_optimum_afterwards_db": designed - max(
                   r["afterwards_db"] for r in unquantised if r["psnr_db"] == same_cost)}
    return rows, summary


def _print_quantisation(rows, summary, iters):
    for r in rows:
        extra = (f"   quantised afterwards {r['afterwards_db']:6.2f} dB"
                 if r["afterwards_db"] is not None else "")
        print(f"  {r['run']:<36}{r['psnr_db']:7.2f} dB{r['evaluations']:6d} evaluations"
              f"{r['seconds']:7.1f} s{extra}", flush=True)
    s = summary
    print(f"  target: gap to the unquantised optimum (best of the runs of <= {iters} evaluations)"
          f" {s['gap_db']:+.2f} dB ({'met' if s['gap_db'] <= 1 else 'NOT met'}: <= 1 dB); to "
          f"{iters} L-BFGS iterations {s['gap_to_lbfgs_iterations_db']:+.2f} dB "
          f"({'met' if s['gap_to_lbfgs_iterations_db'] <= 1 else 'NOT met'})")
    print(f"  target: gain over quantising afterwards (the best unquantised run's phase) "
          f"{s['gain_over_optimum_afterwards_db']:+.2f} dB, over the best of any run's "
          f"{s['gain_db']:+.2f} dB ({'met' if s['gain_db'] >= 3 else 'NOT met'}: >= 3 dB)",
          flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--quant-size", type=int, default=256)
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--quant-lr", default="0.1,0.3,0.5,0.8")
    parser.add_argument("--quant-seeds", default="0,1,2")
    parser.add_argument("--no-crosstalk", action="store_true")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the speed and far-field rows by process CPU time (for runs "
                             "pinned to one core on a loaded machine)")
    parser.add_argument("--far-sizes", default="256,512,1024",
                        help="grid sizes of the far-field rows, comma-separated")
    parser.add_argument("--far-splits", action="store_true",
                        help="also time the far-field core call with each transform split "
                             "forced (blocked, hybrid, whole)")
    parser.add_argument("--far-phasor", action="store_true",
                        help="also time the far-field core call with the phasor kept for the "
                             "last pass and computed again (kept, recomputed)")
    parser.add_argument("--skip", choices=("speed", "far", "quantisation"), action="append",
                        default=[], help="a part not to run (repeatable)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.threads is not None:
        pg.set_num_threads(args.threads)
    result = {"threads": pg.get_num_threads(), "machine": machine_info(),
              "clock": "process CPU time" if args.cpu_time else "wall"}
    if "speed" not in args.skip:
        rows = speed(args.size, args.rounds, args.cpu_time)
        summary = speed_summary(rows)
        result["speed"] = {"size": args.size, "rows": rows, "summary": summary}
        print(f"3 planes x 3 colours, {args.size}x{args.size}, float64, "
              f"{pg.get_num_threads()} threads: value_and_grad")
        floor = next(r["seconds"] for r in rows if r["implementation"].startswith("fft floor"))
        for row in rows:
            difference = row["gradient_relative_difference"]
            print(f"  {row['implementation']:<22}{row['seconds'] * 1e3:9.1f} ms"
                  f"{row['seconds'] / floor:8.2f}x floor{row['vs_fused']:8.2f}x fused"
                  + ("" if difference is None else f"   gradient vs fused {difference:.1e}"))
        _print_speed_summary(summary)
    if "far" not in args.skip:
        sizes = tuple(int(size) for size in args.far_sizes.split(","))
        rows = far_field(sizes, args.rounds, args.cpu_time, args.far_splits, args.far_phasor)
        result["far_field"] = rows
        print(f"far field, {pg.get_num_threads()} threads: value_and_grad vs its FFT pair "
              "(out of place, in place, the kernel's own; ratio to the fastest); the "
              "kernel's transforms alone (its stages without the passes) and the passes' "
              "share of a call; the Python path, Hologram's call less the core's (target "
              "<= 1.25x)")
        for row in rows:
            print(f"  {row['dtype']:<8}{row['size']:>5}  fused {row['fused'] * 1e3:8.3f} ms"
                  f"  pair {row['pair'] * 1e3:8.3f} {row['pair_in_place'] * 1e3:8.3f}"
                  f" {row['kernel_pair'] * 1e3:8.3f} ms  {row['ratio']:6.2f}x"
                  f"  transforms {row['transforms_ratio']:5.2f}x"
                  f"  passes {row['passes_share'] * 100:4.0f} %"
                  f"  python {row['python_path'] * 1e6:6.1f} us"
                  f"  {'met' if row['ratio'] <= 1.25 else 'not met'}  split {row['split']}"
                  f"  phasor {row['phasor']}"
                  + "".join(f"  {name} {ratio:.2f}x"
                            for name, ratio in (*row["split_ratios"].items(),
                                                *row["phasor_ratios"].items())))
    if "quantisation" not in args.skip:
        runs = []
        lrs = tuple(float(value) for value in args.quant_lr.split(","))
        for seed in (int(value) for value in args.quant_seeds.split(",")):
            print(f"built-in target {args.quant_size}x{args.quant_size}, 8 levels, "
                  f"{'no crosstalk' if args.no_crosstalk else 'crosstalk'}, {args.iters} "
                  f"iterations, seed {seed}:", flush=True)
            rows, summary = quantisation(args.quant_size, args.iters, lrs, seed,
                                         not args.no_crosstalk)
            _print_quantisation(rows, summary, args.iters)
            runs.append({"seed": seed, "rows": rows, "summary": summary})
        if len(runs) > 1:
            gaps = [run["summary"]["gap_db"] for run in runs]
            longer = [run["summary"]["gap_to_lbfgs_iterations_db"] for run in runs]
            gains = [run["summary"]["gain_db"] for run in runs]
            print(f"seeds {args.quant_seeds}: gap to the unquantised optimum {min(gaps):+.2f} to "
                  f"{max(gaps):+.2f} dB (to {args.iters} L-BFGS iterations {min(longer):+.2f} "
                  f"to {max(longer):+.2f}); gain over quantising afterwards {min(gains):+.2f} "
                  f"to {max(gains):+.2f} dB")
        result["quantisation"] = {"size": args.quant_size, "iters": args.iters,
                                  "crosstalk": not args.no_crosstalk, "runs": runs}
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        from ..arguments.outputs import writing

        with writing(args.out / "bench_hologram_targets.json") as destination:
            destination.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
