"""The phase-only hologram of docs/hologram-question.md, with its exact gradient.

A phase-only hologram exp(i phi) reconstructs the intensity I = |shift(IFFT(shift(e^{i phi})))|^2;
the loss is the mean squared error between the mean-normalised I and the target T. The question
it answers: a TensorFlow user's autodiff did not converge like the hand-derived gradient. Here
the gradient follows the rules of Jurling & Fienup (2014), so it is exact: the ``"reference"``
backend composes them op by op (``reference_hologram.py``, the spec); the default ``"fused"``
backend runs the same rules as one C++/OpenMP/FFTW kernel (``fused_hologram.py``).
"""

from __future__ import annotations

import numpy as np

from ..arguments import validate as v
from ..arguments.hologram import hologram_target
from .fused_hologram import FusedHologram
from .reference_hologram import ReferenceHologram

_BACKENDS = ("fused", "reference")


class Hologram:
    """Phase-only hologram design: E(phi) and its gradient.

    The forward model::

        I   = | fftshift(ifft2(ifftshift(exp(i phi)))) |^2
        I_r = I * mean(T) / mean(I)
        E   = mean((I_r - T)^2)

    Parameters
    ----------
    target : array_like, (n, m), float32 or float64
        The target intensity T (non-negative, not all zero). Its dtype sets the precision.
    backend : {"fused", "reference"}
        ``"fused"`` (the default) runs forward model and gradient as one C++/OpenMP/FFTW
        kernel: three passes over memory and two FFTs, with ``phasegrad.get_num_threads()``
        threads (read at each call). ``"reference"`` composes the NumPy reference ops, the
        specification the fused kernel is tested against.

    Notes
    -----
    float32 targets run complex64 kernels, float64 targets complex128; the loss is returned as
    a Python float summed in double either way. One ``Hologram`` may be called from several
    Python threads at once: with the fused backend the calls share its work buffers and run
    one after another (the GIL is released while each runs).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = np.zeros((32, 32)); T[12:20, 12:20] = 1.0
    >>> h = pg.Hologram(target=T)
    >>> E, phi_bar = h.value_and_grad(np.zeros((32, 32)))
    >>> phi_bar.shape
    (32, 32)
    """

    def __init__(self, target, backend="fused"):
        v.one_of(backend, "backend", _BACKENDS)
        target = hologram_target(target)
        self.target = np.ascontiguousarray(target)
        self.dtype = target.dtype
        self.shape = target.shape
        self.backend = backend
        implementation = FusedHologram if backend == "fused" else ReferenceHologram
        self._impl = implementation(self.target)

    @property
    def n_params(self):
        """Number of phase pixels (the length of the flat vector of ``fun_and_jac``)."""
        return int(np.prod(self.shape))

    def _phase(self, phi):
        phi = v.array(phi, "phi", kind="real")
        if phi.shape != self.shape:
            raise ValueError(f"phi must have the target's shape {self.shape}; got {phi.shape}")
        v.finite(phi, "phi")
        return phi.astype(self.dtype, copy=False)

    def value_and_grad(self, phi):
        """``(E, phi_bar)``: the loss (a Python float) and dE/dphi (shaped like phi)."""
        return self._impl.value_and_grad(self._phase(phi))

    def simulate(self, phi):
        """The mean-normalised reconstruction I_r = I mean(T) / mean(I)."""
        return self._impl.simulate(self._phase(phi))

    def fun_and_jac(self, x):
        """E and its gradient for a flat float64 phase vector (float64 results)."""
        x = v.array(x, "x", kind="real")
        if x.shape != (self.n_params,):
            raise ValueError(f"x must be a flat vector of {self.n_params} phases; got "
                             f"shape {x.shape}")
        v.finite(x, "x")
        energy, grad = self.value_and_grad(x.reshape(self.shape))
        return float(energy), np.asarray(grad, dtype=np.float64).ravel()

    def __repr__(self):
        return f"Hologram(shape={self.shape}, dtype={self.dtype}, backend={self.backend!r})"
