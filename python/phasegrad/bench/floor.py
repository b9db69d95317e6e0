"""The floor: what no implementation of a workload can beat, measured with pyFFTW.

For phase retrieval (Jurling Eq. 99) the unavoidable work of one value_and_grad is one forward
and one inverse FFT of the N x N complex padded grid, plus the two basis contractions:
W = Z^T a (synthesis) and a_bar = Z w_bar (projection), each one pass over the (K, n*n) basis.
For the hologram it is the FFT pair of the n x n grid. The transforms are pyFFTW objects
planned with FFTW_MEASURE on one aligned buffer and executed in place with the run's thread
count; the contractions are BLAS matrix-vector products into preallocated outputs.

The buffer holds zeros: an unnormalised round trip multiplies by N^2, so repeated calls on
random data would overflow to inf and NaN. FFTW's arithmetic is the same whatever the values
(zeros are not subnormal), so the timing is that of any data.

Threads. pyFFTW's wheel bundles its own libgomp, a second OpenMP runtime beside the core's.
Left at OpenMP's default wait policy its idle workers spin for milliseconds, and on 2 cores
(load average 2.5, wall time) the FFT pair of N = 256 took 32 ms with 2 threads against
0.6 ms with one; each FFT's time grew with GOMP_SPINCOUNT (0: 0.3 ms, 3000: 0.7, 30000: 3.3,
the default: 16).
So pyFFTW is imported under the policy the core loads with (``phasegrad.native``:
``GOMP_SPINCOUNT=3000``, ``OMP_WAIT_POLICY=PASSIVE``, set only for the import; the user's
variables win): its pair then took 1.24 ms, the core's own in-place pair 1.19 ms side by side
on the loaded machine. One-thread plans do not use the runtime at all. The benches run the
contractions in BLAS on one thread (``threads_setup.single_threaded_blas``): OpenBLAS's idle
workers busy-wait after each call, and there two 2-thread GEMVs took 16 ms against 0.14 ms
on one.
``transforms`` and ``contractions`` time the two parts apart (``floor_ratio`` scales the
contractions by the thread count on more than one thread).
"""

from __future__ import annotations

import os

import numpy as np

from ..native import wait_policy_variables


def _import_pyfftw():
    """pyFFTW imported with the core's OpenMP wait policy set for the moment its libgomp loads
    (a pyFFTW imported earlier keeps the settings it loaded with); None when not installed."""
    variables = wait_policy_variables()
    for name, value in variables.items():
        os.environ[name] = value
    try:
        import pyfftw
    except ImportError:  # optional: pip install "phasegrad[bench]"
        return None
    finally:
        for name, value in variables.items():
            if os.environ.get(name) == value:
                del os.environ[name]
    return pyfftw


pyfftw = _import_pyfftw()

VERSION = getattr(pyfftw, "__version__", None)


class Unavailable(Exception):
    """pyFFTW is not installed."""


def _complex_dtype(dtype):
    return np.result_type(np.dtype(dtype), np.complex64)


class Floor:
    """``floor()`` runs the floor's work once; build it once per size, dtype and threads.

    Parameters
    ----------
    grid : int
        N, the side of the transformed grid.
    dtype : dtype
        The real precision (float32 -> complex64 transforms).
    threads : int
        Threads of the FFTW plans.
    basis : ndarray (K, n, n) or None
        With a basis, each call also does the two contractions.
    """

    def __init__(self, grid, dtype, threads, basis=None):
        if pyfftw is None:
            raise Unavailable("pyFFTW is not installed (pip install pyfftw)")
        buffer = pyfftw.zeros_aligned((grid, grid), dtype=_complex_dtype(dtype))
        flags = ("FFTW_MEASURE", "FFTW_DESTROY_INPUT")
        self._forward = pyfftw.FFTW(buffer, buffer, axes=(0, 1), direction="FFTW_FORWARD",
                                    flags=flags, threads=threads)
        self._inverse = pyfftw.FFTW(buffer, buffer, axes=(0, 1), direction="FFTW_BACKWARD",
                                    flags=flags, threads=threads, normalise_idft=False)
        buffer[...] = 0  # FFTW_MEASURE wrote into it while planning
        self._buffer = buffer
        self._basis = None
        if basis is not None:
            rng = np.random.default_rng(0)
            modes = basis.shape[0]
            self._basis = np.ascontiguousarray(basis).reshape(modes, -1)
            self._a = rng.standard_normal(modes).astype(basis.dtype)
            self._wavefront = np.empty(self._basis.shape[1], dtype=basis.dtype)
            self._wavefront_bar = rng.standard_normal(self._basis.shape[1]).astype(basis.dtype)
            self._a_bar = np.empty(modes, dtype=basis.dtype)

    def __call__(self):
        if self._basis is not None:
            np.matmul(self._a, self._basis, out=self._wavefront)
        self._forward.execute()
        self._inverse.execute()
        if self._basis is not None:
            np.matmul(self._basis, self._wavefront_bar, out=self._a_bar)

    def transforms(self):
        """The FFT pair alone."""
        self._forward.execute()
        self._inverse.execute()

    def contractions(self):
        """The two basis contractions alone (nothing without a basis)."""
        if self._basis is not None:
            np.matmul(self._a, self._basis, out=self._wavefront)
            np.matmul(self._basis, self._wavefront_bar, out=self._a_bar)
