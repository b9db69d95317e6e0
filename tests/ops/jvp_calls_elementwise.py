"""One valid call of every forward-mode rule of the element-wise groups (``JVP_EXAMPLES``:
jvp name -> positional arguments, in the order ``op_jvp(inputs, tangents, constants)``), as
``catalogue_calls.EXAMPLES`` holds one of every op (conftest.py puts this folder on sys.path)."""

import numpy as np

rng = np.random.default_rng(11)
R = rng.standard_normal((2, 6, 8))                       # real batch of planes
C = R + 1j * rng.standard_normal((2, 6, 8))              # complex batch of planes
POS = np.abs(R) + 0.5                                   # positive real
R_DOT = rng.standard_normal((2, 6, 8))                   # real tangent
C_DOT = R_DOT + 1j * rng.standard_normal((2, 6, 8))      # complex tangent

JVP_EXAMPLES = {
    "add_jvp": (C, C, C_DOT, C_DOT),
    "mul_jvp": (C, R, C_DOT, R_DOT),
    "matmul_jvp": (C[..., :6], C, C_DOT[..., :6], C_DOT),
    "power_jvp": (POS, R_DOT, 2.5),
    "broadcast_jvp": (C[0], C_DOT[0], (2, 6, 8)),
    "abs2_jvp": (C, C_DOT),
    "real_jvp": (C, C_DOT),
    "imag_jvp": (C, C_DOT),
    "exp_jvp": (C, C_DOT),
    "expi_jvp": (R, R_DOT),
    "to_complex_jvp": (R, R_DOT),
    "wsse_jvp": (R, R_DOT, POS, POS),
    "poisson_nll_jvp": (POS, R_DOT, POS + 0.3, POS, 0.5),
    "poly_detector_jvp": (POS, 0.3, 1.1, 0.01, R_DOT, 0.5, -0.25, 1.0),
    "mean_normalize_jvp": (POS, R_DOT, 2.0),
}
