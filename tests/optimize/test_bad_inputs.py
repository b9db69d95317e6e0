"""Every entry point of pg.optimize rejects bad input with an error naming the argument."""

import numpy as np
import pytest

import phasegrad as pg

T = pg.optimize.spot_array_target(16, rows=2, cols=2)
HOLOGRAM = pg.Hologram(target=T)
PHI = np.zeros((16, 16))
MAGNITUDES = np.abs(np.fft.fft2(T))
SUPPORT = T > 0
opt = pg.optimize

CASES = [
    # gradient methods
    (lambda: opt.lbfgs(object(), PHI), TypeError, "model"),
    (lambda: opt.lbfgs(HOLOGRAM, np.zeros(5)), ValueError, "x0"),
    (lambda: opt.lbfgs(HOLOGRAM, PHI.astype(int)), TypeError, "x0"),
    (lambda: opt.lbfgs(HOLOGRAM, PHI + np.nan), ValueError, "x0"),
    (lambda: opt.lbfgs(HOLOGRAM, PHI, maxiter=0), ValueError, "maxiter"),
    (lambda: opt.lbfgs(HOLOGRAM, PHI, maxiter=2.5), TypeError, "maxiter"),
    (lambda: opt.lbfgs(HOLOGRAM, PHI, gtol=-1), ValueError, "gtol"),
    (lambda: opt.lbfgs(HOLOGRAM, PHI, callback=3), TypeError, "callback"),
    (lambda: opt.adam(HOLOGRAM, PHI, lr=0), ValueError, "lr"),
    (lambda: opt.adam(HOLOGRAM, PHI, lr="0.1"), TypeError, "lr"),
    (lambda: opt.adam(HOLOGRAM, PHI, iters=True), TypeError, "iters"),
    (lambda: opt.adam(HOLOGRAM, PHI, betas=(0.9,)), TypeError, "betas"),
    (lambda: opt.adam(HOLOGRAM, PHI, betas=(0.9, 1.0)), ValueError, r"betas\[1\]"),
    (lambda: opt.adam(HOLOGRAM, PHI, eps=0), ValueError, "eps"),
    (lambda: opt.adam(HOLOGRAM, PHI.astype(np.complex128)), TypeError, "x0"),
    # Fourier phase retrieval
    (lambda: opt.hio(MAGNITUDES, None), TypeError, "support"),
    (lambda: opt.hio(MAGNITUDES, SUPPORT[:8]), ValueError, "support"),
    (lambda: opt.hio(MAGNITUDES, SUPPORT * 2.0), ValueError, "support"),
    (lambda: opt.hio(MAGNITUDES, np.zeros_like(SUPPORT)), ValueError, "support"),
    (lambda: opt.hio(-MAGNITUDES, SUPPORT), ValueError, "magnitudes"),
    (lambda: opt.hio(MAGNITUDES.astype(int), SUPPORT), TypeError, "magnitudes"),
    (lambda: opt.hio(MAGNITUDES[0], SUPPORT), ValueError, "magnitudes"),
    (lambda: opt.hio(MAGNITUDES, SUPPORT, beta=1.5), ValueError, "beta"),
    (lambda: opt.raar(MAGNITUDES, SUPPORT, beta=0), ValueError, "beta"),
    (lambda: opt.raar(MAGNITUDES, SUPPORT, iters=0), ValueError, "iters"),
    (lambda: opt.error_reduction(MAGNITUDES, SUPPORT, nonnegative=1), TypeError,
     "nonnegative"),
    (lambda: opt.error_reduction(MAGNITUDES, SUPPORT, x0=np.zeros((3, 3))), ValueError, "x0"),
    (lambda: opt.error_reduction(MAGNITUDES, SUPPORT, seed=1.5), TypeError, "seed"),
    # holograms and targets
    (lambda: opt.gs(-T), ValueError, "target"),
    (lambda: opt.gs(np.zeros((4, 4))), ValueError, "target"),
    (lambda: opt.gs(T[0]), ValueError, "target"),
    (lambda: opt.wgs(T, phi0=np.zeros((3, 3))), ValueError, "phi0"),
    (lambda: opt.wgs(T, iters=-1), ValueError, "iters"),
    (lambda: opt.gs(T, callback="no"), TypeError, "callback"),
    (lambda: opt.reconstruct(np.zeros(4)), ValueError, "phi"),
    (lambda: opt.psnr(T[:4], T), ValueError, "reconstruction"),
    (lambda: opt.psnr(T, T.astype(int)), TypeError, "target"),
    (lambda: opt.psnr(np.zeros_like(T), T), ValueError, "reconstruction"),
    (lambda: opt.default_target(8), ValueError, "n"),
    (lambda: opt.spot_array_target(8, rows=9, cols=9, spacing=1), ValueError, "fit"),
]


@pytest.mark.parametrize("call, error, match", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_model_with_a_wrong_gradient_shape_is_reported():
    class Broken:
        def fun_and_jac(self, x):
            return 1.0, np.zeros(x.size + 1)

    with pytest.raises(ValueError, match="gradient"):
        opt.adam(Broken(), np.zeros(3))
