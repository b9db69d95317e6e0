"""The op catalogue: the names that ``phasegrad.reference`` and ``phasegrad.ops`` share.

Each name ``op`` comes with ``op_vjp``, its reverse rule (Jurling & Fienup 2014, Table 1 and
Sections 7-11), and ``op_jvp``, its forward-mode rule (the tangent of the op's output). The
tuple is ordered as the table in ``docs/catalogue.md``.
"""

CATALOGUE = (
    "add", "mul", "matmul", "power", "abs2", "real", "imag", "exp", "expi", "basis",
    "take", "put", "broadcast", "to_complex", "dft2", "idft2", "bin", "tile", "pad", "crop",
    "fftshift", "ifftshift", "wsse", "poisson_nll", "poly_detector", "mft", "convolve",
    "mean_normalize",
)
