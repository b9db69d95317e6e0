"""The phase-retrieval model as fused C++ kernels (``backend="fused"``).

``phasegrad.native.core.FusedPhaseRetrieval64/32`` holds the work buffers and FFTW plans of one
configuration and computes E, the gradients and the model images in a few passes over memory
(``cpp/include/phasegrad/models/phase_retrieval.hpp`` lists them). This wrapper only hands it
the validated configuration and the thread count of the call.
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


class FusedPhaseRetrieval:
    """Forward and reverse passes of a ``PhaseRetrieval`` configuration in C++."""

    def __init__(self, config):
        if any(lam != config.wavelength for lam in config.wavelengths):
            register_scipy_blas()
        kind = core.FusedPhaseRetrieval64 if config.dtype == np.float64 else \
            core.FusedPhaseRetrieval32
        self._model = kind(config.amplitude, config.basis, config.diversity, config.data,
                           config.weights, config.grid, config.bin, config.wavelength,
                           list(config.wavelengths), list(config.spectral_weights))

    @property
    def workspace_bytes(self):
        """Bytes of the work buffers the C++ model holds."""
        return self._model.workspace_bytes

    def value_and_grad(self, a, params):
        a = np.ascontiguousarray(a)
        return self._model.value_and_grad(a, params, get_num_threads())

    def simulate(self, a, params):
        return self._model.simulate(np.ascontiguousarray(a), params, get_num_threads())

    # -- the least-squares view (phase_retrieval_tangent.cpp) ------------------------------
    def residuals(self, a, params):
        return self._model.residuals(np.ascontiguousarray(a), params, get_num_threads())

    def jvp(self, a, params, a_dot, params_dot):
        return self._model.jvp(np.ascontiguousarray(a), params, np.ascontiguousarray(a_dot),
                               params_dot, get_num_threads())

    def vjp(self, a, params, u):
        return self._model.vjp(np.ascontiguousarray(a), params, u, get_num_threads())

    def gauss_newton_product(self, a, params, a_dot, params_dot):
        return self._model.gauss_newton_product(np.ascontiguousarray(a), params,
                                                np.ascontiguousarray(a_dot), params_dot,
                                                get_num_threads())

    def jacobian_planes(self, a, params, begin, end):
        """The transposed Jacobian (parameters, residuals) of planes [begin, end)."""
        return self._model.jacobian(np.ascontiguousarray(a), params, begin, end,
                                    get_num_threads())
