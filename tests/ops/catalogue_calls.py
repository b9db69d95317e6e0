"""One valid call of every function of the catalogue (``EXAMPLES``: name -> positional
arguments): each op, its reverse rule and its forward-mode rule (the jvps' calls are those of
jvp_calls_elementwise.py and jvp_calls_linear.py), shared by the twin and bad-input tests
(conftest.py puts this folder on sys.path)."""

import numpy as np
from jvp_calls_elementwise import JVP_EXAMPLES as ELEMENTWISE_JVPS
from jvp_calls_linear import JVP_EXAMPLES as LINEAR_JVPS

import phasegrad as pg

rng = np.random.default_rng(7)
R = rng.standard_normal((2, 6, 8))                       # real batch of planes
C = R + 1j * rng.standard_normal((2, 6, 8))              # complex batch of planes
POS = np.abs(R) + 0.5                                   # positive real
B = rng.standard_normal((3, 6, 8))                       # basis modes
MASK = rng.standard_normal((6, 8)) > 0

# One valid call of every function: name -> positional arguments.
EXAMPLES = {
    "add": (C, C), "add_vjp": (C, C, C),
    "mul": (C, R + 0j), "mul_vjp": (C, C, R + 0j),
    "matmul": (C[..., :6], C), "matmul_vjp": (C, C[..., :6], C),
    "power": (POS, 2.5), "power_vjp": (R, POS, 2.5),
    "abs2": (C,), "abs2_vjp": (R, C),
    "real": (C,), "real_vjp": (R,),
    "imag": (C,), "imag_vjp": (R,),
    "exp": (C,), "exp_vjp": (C, np.exp(C)),
    "expi": (R,), "expi_vjp": (C, np.exp(1j * R)),
    "basis": (rng.standard_normal(3), B), "basis_vjp": (R[0], B),
    "take": (C, MASK), "take_vjp": (C[..., MASK], MASK, (6, 8)),
    "put": (C[..., MASK], MASK, (6, 8)), "put_vjp": (C, MASK, (6, 8)),
    "broadcast": (C[0], (2, 6, 8)), "broadcast_vjp": (C, (6, 8)),
    "to_complex": (R,), "to_complex_vjp": (C,),
    "dft2": (C, "ortho"), "dft2_vjp": (C, "ortho"),
    "idft2": (C, 0.5), "idft2_vjp": (C, 0.5),
    "bin": (C, 2), "bin_vjp": (C[..., :3, :4], 2),
    "tile": (C, (2, 1)), "tile_vjp": (np.concatenate([C, C], axis=-2), (2, 1)),
    "pad": (C, (9, 10)), "pad_vjp": (np.zeros((2, 9, 10), complex) + 1j, (6, 8)),
    "crop": (C, (5, 7)), "crop_vjp": (C[..., :5, :7], (6, 8)),
    "fftshift": (C,), "fftshift_vjp": (C,),
    "ifftshift": (C,), "ifftshift_vjp": (C,),
    "wsse": (R, POS, POS), "wsse_vjp": (1.0, R, POS, POS),
    "poisson_nll": (POS, POS + 0.3, POS, 0.5), "poisson_nll_vjp": (1.0, POS, POS + 0.3, POS, 0.5),
    "poly_detector": (POS, 0.3, 1.1, 0.01), "poly_detector_vjp": (R, POS, 0.3, 1.1),
    "mft": (C, (7, 5), (0.11, 0.07)), "mft_vjp": (C[..., :7, :5], (6, 8), (0.11, 0.07)),
    "convolve": (C, R[0] + 0j), "convolve_vjp": (C, C, R[0] + 0j),
    "mean_normalize": (POS, 2.0), "mean_normalize_vjp": (R, POS, 2.0),
}
EXAMPLES.update(ELEMENTWISE_JVPS)
EXAMPLES.update(LINEAR_JVPS)
NAMES = [n for name in pg.CATALOGUE for n in (name, f"{name}_vjp", f"{name}_jvp")]
