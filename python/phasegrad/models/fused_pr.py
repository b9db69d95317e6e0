"""The phase-retrieval model as fused C++ kernels (``backend="fused"``).

``phasegrad.native.core.FusedPhaseRetrieval64/32`` holds the work buffers and FFTW plans of one
configuration and computes E, the gradients and the model images in a few passes over memory
(``cpp/include/phasegrad/models/phase_retrieval.hpp`` lists them). This wrapper only hands it
the validated configuration and the thread count of the call.

TEMPORARY adapter: the backend interface of docs/imaging-model.md (``blocks`` dicts in, a dict
of the free blocks' gradients out, see ``reference_pr.py``) over today's kernels, which cover
the point-source model (wavefront and detector blocks, the photon-fraction band weights of
``config.band_weights``); every other option raises ``NotImplementedError`` until the fused
imaging kernels replace this file.
"""

from __future__ import annotations

import numpy as np

from ..config import get_num_threads
from ..native import core

_BLAS_REGISTERED = False


def register_scipy_blas():
    """Give the core SciPy's BLAS cgemm/zgemm, for the MFTs of broadband models (once)."""
    global _BLAS_REGISTERED
    if not _BLAS_REGISTERED:
        from scipy.linalg import cython_blas

        capsules = cython_blas.__pyx_capi__
        core.register_complex_gemm(capsules["cgemm"], capsules["zgemm"])
        _BLAS_REGISTERED = True


def _unsupported(config):
    """What of ``config`` today's kernels do not cover (None when they cover it all)."""
    if config.object_kind is not None:
        return "object="
    if config.fit:
        return "fit="
    if config.metric != "sse":
        return "metric='poisson'"
    if config.window != config.grid // config.bin:
        return "a data window smaller than the binned grid"
    if config.transfer:
        return "shift= / jitter="
    if config.fixed_flux is not None or config.fixed_background is not None:
        return "flux= / background="
    return None


class FusedPhaseRetrieval:
    """Forward and reverse passes of a ``PhaseRetrieval`` configuration in C++."""

    def __init__(self, config):
        missing = _unsupported(config)
        if missing is not None:
            raise NotImplementedError(f"{missing} is not yet fused: use backend='reference'")
        self._detector = config.detector == "quadratic"
        if any(lam != config.wavelength for lam in config.wavelengths):
            register_scipy_blas()
        kind = core.FusedPhaseRetrieval64 if config.dtype == np.float64 else \
            core.FusedPhaseRetrieval32
        self._model = kind(config.amplitude, config.basis, config.diversity, config.data,
                           config.weights, config.grid, config.bin, config.wavelength,
                           list(config.wavelengths), list(config.band_weights))

    @property
    def workspace_bytes(self):
        """Bytes of the work buffers the C++ model holds."""
        return self._model.workspace_bytes

    @staticmethod
    def _point(blocks):
        params = blocks.get("detector")
        return (np.ascontiguousarray(blocks["wavefront"]),
                None if params is None else tuple(float(p) for p in params))

    def _grads(self, a_bar, p_bar):
        grads = {"wavefront": a_bar}
        if self._detector:
            grads["detector"] = np.asarray(p_bar, dtype=np.float64)
        return grads

    def _dots(self, dots):
        params = dots.get("detector")
        return (np.ascontiguousarray(dots["wavefront"]),
                None if params is None else tuple(float(p) for p in params))

    def value_and_grad(self, blocks):
        a, params = self._point(blocks)
        energy, a_bar, p_bar = self._model.value_and_grad(a, params, get_num_threads())
        return energy, self._grads(a_bar, p_bar)

    def simulate(self, blocks):
        return self._model.simulate(*self._point(blocks), get_num_threads())

    # -- the least-squares view (phase_retrieval_tangent.cpp) ------------------------------
    def residuals(self, blocks):
        return self._model.residuals(*self._point(blocks), get_num_threads())

    def jvp(self, blocks, dots):
        a, params = self._point(blocks)
        a_dot, params_dot = self._dots(dots)
        return self._model.jvp(a, params, a_dot, params_dot, get_num_threads())

    def vjp(self, blocks, u):
        a, params = self._point(blocks)
        return self._grads(*self._model.vjp(a, params, u, get_num_threads()))

    def gauss_newton_product(self, blocks, dots):
        a, params = self._point(blocks)
        a_dot, params_dot = self._dots(dots)
        return self._grads(*self._model.gauss_newton_product(a, params, a_dot, params_dot,
                                                             get_num_threads()))

    def jacobian_planes(self, blocks, begin, end):
        """The transposed Jacobian (parameters, residuals) of planes [begin, end)."""
        return self._model.jacobian(*self._point(blocks), begin, end, get_num_threads())
