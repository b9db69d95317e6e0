"""Zernike phase retrieval from through-focus PSFs with SciPy's L-BFGS-B on phasegrad's gradient.

A circular pupil with a random aberration in ``--modes`` Zernike modes (Noll 2, tip, onwards)
is imaged at ``--planes`` known defocus positions (phase diversity). By default the detector is
the paper's nonlinear one, ``M = a I^2 + b I + c`` (Jurling & Fienup Eq. 98: a slight
saturation, gain and offset, all unknown to the solver) and the images carry Poisson noise
(``--photons`` at the in-focus peak). Then::

    scipy.optimize.minimize(model.fun_and_jac, x0, jac=True, method="L-BFGS-B")

recovers the coefficients and the detector parameters together from zero aberration and
(a, b, c) = (0, 1, 0). It prints the iterations, the final coefficient error and the RMS
wavefront error (waves, over the pupil, piston removed), before and after.

Run: ``PYTHONPATH=python python examples/zernike_retrieval_scipy.py [--size 64] [--modes 21]
[--planes 3] [--defocus 0.5] [--rms 0.03] [--photons 1e5] [--detector quadratic|linear]
[--seed 1] [--quick]``; ``--photons 0`` turns the noise off.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy.optimize import minimize

import phasegrad as pg
from phasegrad.models.synthetic import rms_wavefront_error

TRUE_DETECTOR = np.array([-0.1, 1.0, 0.002])   # a I^2 + b I + c: saturation, gain, offset


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Zernike phase retrieval from through-focus PSFs with "
                    "scipy.optimize.minimize(L-BFGS-B) on phasegrad's exact gradient.")
    parser.add_argument("--size", type=int, default=64, help="pupil side in pixels (64)")
    parser.add_argument("--modes", type=int, default=21, help="Zernike modes, Noll 2.. (21)")
    parser.add_argument("--planes", type=int, default=3, help="diversity planes (3)")
    parser.add_argument("--defocus", type=float, default=0.5,
                        help="defocus step between planes, waves RMS (0.5)")
    parser.add_argument("--rms", type=float, default=0.03,
                        help="RMS of each true coefficient, waves (0.03)")
    parser.add_argument("--photons", type=float, default=1e5,
                        help="photons at the in-focus peak for Poisson noise; 0: none (1e5)")
    parser.add_argument("--detector", choices=("quadratic", "linear"), default="quadratic",
                        help="detector model, estimated along (quadratic)")
    parser.add_argument("--maxiter", type=int, default=300, help="L-BFGS-B iterations (300)")
    parser.add_argument("--every", type=int, default=10, help="print every this many (10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="small and fast (32-pixel pupil, 10 modes): for tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.modes, args.every = 32, 10, 5
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()

    n, pad = args.size, 2
    pupil = pg.circular_pupil(n)
    amplitude = pupil / pupil.sum()                   # in-focus peak intensity 1
    basis = pg.zernike_basis(args.modes, n, first=2)  # Noll 2.., unit RMS over the pupil
    defocus = pg.zernike_basis(1, n, first=4)[0]
    steps = np.arange(args.planes) - (args.planes - 1) / 2
    diversity = np.stack([args.defocus * k * defocus for k in steps])  # known, waves
    truth = rng.normal(scale=args.rms, size=args.modes)
    quadratic = args.detector == "quadratic"

    # The data: the true model's images, then Poisson noise.
    blank = np.zeros((args.planes, pad * n, pad * n))
    simulator = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=blank, pad=pad,
                                  diversity=diversity, detector=args.detector)
    clean = simulator.simulate(truth, TRUE_DETECTOR if quadratic else None)
    if args.photons > 0:
        data = rng.poisson(np.maximum(clean, 0) * args.photons) / args.photons
    else:
        data = clean
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, pad=pad,
                              diversity=diversity, detector=args.detector)
    print(f"Zernike retrieval: {model!r}")
    noise = f"Poisson, {args.photons:.0e} photons at the peak" if args.photons > 0 else "none"
    print(f"  truth: {args.modes} modes (Noll 2..{args.modes + 1}), "
          f"{rms_wavefront_error(model, np.zeros(args.modes), truth, pupil):.4f} waves RMS; "
          f"planes at defocus {', '.join(f'{args.defocus * k:+.2f}' for k in steps)} waves; "
          f"noise: {noise}")
    if quadratic:
        print(f"  true detector (a, b, c) = {tuple(float(p) for p in TRUE_DETECTOR)}, "
              f"start (0, 1, 0)")

    x0 = model.pack(np.zeros(args.modes), (0.0, 1.0, 0.0) if quadratic else None)
    iteration = [0]

    def callback(intermediate_result):  # this parameter name makes SciPy pass a result
        iteration[0] += 1
        if iteration[0] % args.every == 0 or iteration[0] == 1:
            a = model.unpack(intermediate_result.x)[0]
            print(f"  iter {iteration[0]:4d}  E {intermediate_result.fun:.6e}  RMS wavefront "
                  f"error {rms_wavefront_error(model, a, truth, pupil):.3e} waves")

    start = time.perf_counter()
    result = minimize(model.fun_and_jac, x0, jac=True, method="L-BFGS-B", callback=callback,
                      options={"maxiter": args.maxiter, "ftol": 1e-15, "gtol": 1e-10})
    seconds = time.perf_counter() - start
    parts = model.unpack(result.x)
    a = parts[0]
    error = a - truth
    print(f"  L-BFGS-B: {result.nit} iterations, {result.nfev} evaluations, {seconds:.2f} s "
          f"({result.message})")
    relative = np.linalg.norm(error) / np.linalg.norm(truth)
    print(f"  coefficient error: RMS {np.sqrt(np.mean(error ** 2)):.3e} waves, max "
          f"{np.abs(error).max():.3e}, relative {relative:.2e}")
    if quadratic:
        print(f"  detector (a, b, c): {', '.join(f'{p:.4f}' for p in parts[1])} "
              f"(true {', '.join(f'{p:.4f}' for p in TRUE_DETECTOR)})")
    before = rms_wavefront_error(model, np.zeros(args.modes), truth, pupil)
    after = rms_wavefront_error(model, a, truth, pupil)
    print(f"  RMS wavefront error: {before:.4e} -> {after:.4e} waves "
          f"(lambda/{1 / after:.0f})")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
