"""One valid call of each forward-mode rule of the linear-map ops (``JVP_EXAMPLES``: name ->
positional arguments: the op's inputs, their tangents, its constants), shared by the twin and
bad-input tests of test_jvp_linear.py (conftest.py puts this folder on sys.path)."""

import numpy as np

rng = np.random.default_rng(8)
R = rng.standard_normal((2, 6, 8))                        # real batch of planes
C = R + 1j * rng.standard_normal((2, 6, 8))               # complex batch of planes
R_DOT = rng.standard_normal((2, 6, 8))                    # their tangents
C_DOT = R_DOT + 1j * rng.standard_normal((2, 6, 8))
A, A_DOT = rng.standard_normal(3), rng.standard_normal(3)  # basis coefficients
B = rng.standard_normal((3, 6, 8))                         # basis modes
MASK = rng.standard_normal((6, 8)) > 0

# One valid call of every linear-map jvp: name -> positional arguments.
JVP_EXAMPLES = {
    "basis_jvp": (A, A_DOT, B),
    "dft2_jvp": (C, C_DOT, "ortho"),
    "idft2_jvp": (C, C_DOT, 0.5),
    "mft_jvp": (C, C_DOT, (7, 5), (0.11, 0.07)),
    "convolve_jvp": (C, R[0], C_DOT, R_DOT[0]),
    "take_jvp": (C, C_DOT, MASK),
    "put_jvp": (C[..., MASK], C_DOT[..., MASK], MASK, (6, 8)),
    "pad_jvp": (C, C_DOT, (9, 10)),
    "crop_jvp": (C, C_DOT, (5, 7)),
    "fftshift_jvp": (C, C_DOT),
    "ifftshift_jvp": (C, C_DOT),
    "bin_jvp": (C, C_DOT, 2),
    "tile_jvp": (C, C_DOT, (2, 1)),
}

#: How many of each call's arguments are the op's differentiable inputs (then as many
#: tangents, then the constants).
INPUTS = {name: 2 if name == "convolve_jvp" else 1 for name in JVP_EXAMPLES}
