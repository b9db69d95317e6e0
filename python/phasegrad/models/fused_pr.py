"""The phase-retrieval model as fused C++ kernels (``backend="fused"``).

Two native models, chosen per call:

- ``phasegrad.native.core.FusedPhaseRetrieval64/32``: the point-source model (today's fast
  path: no object, shift, jitter, flux, background or free amplitude; the ``sse`` metric on
  the full binned grid). It holds the work buffers and FFTW plans of one configuration and
  computes E, the gradients and the model images in a few passes over memory
  (``cpp/include/phasegrad/models/phase_retrieval.hpp`` lists them).
- ``phasegrad.native.core.FusedImaging64/32``: the general imaging model of
  docs/imaging-model.md on the same PSF passes, plus the transfer (object, point sources,
  shift, jitter) through real-to-complex transforms, the window, flux and background, the
  detector and the ``sse`` or shifted-Poisson metric (``cpp/include/phasegrad/models/
  imaging.hpp``).

This wrapper only hands them the validated configuration, the blocks of a call and its thread
count. Its methods take the blocks as a dict (see ``PhaseRetrieval``): ``value_and_grad``,
``vjp`` and ``gauss_newton_product`` return a dict of the free blocks' gradients.
"""

from __future__ import annotations

import numpy as np

from ..config import get_num_threads
from ..native import core

# The blocks, in the flat vector's order; those of the model's precision (the others float64).
BLOCK_ORDER = ("wavefront", "detector", "positions", "fluxes", "object", "flux", "background",
               "shift", "jitter", "amplitude")
_MODEL_PRECISION = frozenset({"wavefront", "object", "amplitude"})
# The C++ models' object kinds (models/imaging.hpp's ObjectKind) of PhaseRetrieval's.
OBJECT_KINDS = {None: "none", "known": "array", "free": "array", "points": "points"}


def is_point_source(config):
    """Whether a configuration is the point-source model of the fast path: no object, shift
    or jitter, no free flux, background or amplitude, the ``sse`` metric on the full binned
    grid (fixed flux and background values are blocks of the call, and leave it)."""
    return (config.object_kind is None and not config.transfer and config.metric == "sse"
            and config.window == config.grid // config.bin
            and not set(config.free_blocks) - {"wavefront", "detector"})


class FusedPhaseRetrieval:
    """Forward and reverse passes of a ``PhaseRetrieval`` configuration in C++."""

    def __init__(self, config):
        self.cfg = config
        self._double = config.dtype == np.float64
        self._quadratic = config.detector == "quadratic"
        self._free = tuple(config.free_blocks)
        self._fast = None
        self._general = None
        if is_point_source(config):
            kind = core.FusedPhaseRetrieval64 if self._double else core.FusedPhaseRetrieval32
            self._fast = kind(config.amplitude, config.basis, config.diversity, config.data,
                              config.weights, config.grid, config.bin, config.wavelength,
                              list(config.wavelengths), list(config.band_weights))
            # Plans, the team's start and the first touch of the transforms' memory now, not
            # in the first call (docs/threads-and-fftw.md, "The first call").
            self._fast.prepare(get_num_threads())
        # The point-source model takes every tuple-form call (a, p) when no fixed flux or
        # background is set (the blocks _fast_for reads would be these).
        self._point = (self._fast if config.fixed_flux is None
                       and config.fixed_background is None else None)
        if self._fast is None:
            # Every call runs the imaging model: make it now (its plans from the wisdom, its
            # tables and buffers), not in the first call (docs/threads-and-fftw.md).
            self._general_model()

    # -- the native models ------------------------------------------------------------------
    def native_imaging(self):
        """A new ``core.FusedImaging64/32`` of this configuration, not prepared (its plans are
        made by ``prepare(threads)`` or by its first call)."""
        cfg = self.cfg
        kind = core.FusedImaging64 if self._double else core.FusedImaging32
        return kind(cfg.amplitude, cfg.basis, cfg.diversity, cfg.data, cfg.weights, cfg.grid,
                    cfg.bin, cfg.wavelength, list(cfg.wavelengths), list(cfg.band_weights),
                    cfg.window_offset, cfg.metric, float(np.sqrt(cfg.poisson_shift)),
                    OBJECT_KINDS[cfg.object_kind], int(cfg.object_size or 0),
                    int(cfg.n_sources), bool(cfg.transfer), self._quadratic, list(self._free))

    def _general_model(self):
        """The imaging model, made and prepared at its first use (at construction when every
        call runs it)."""
        if self._general is None:
            self._general = self.native_imaging()
            # Its plans, the team's start and the first touch of its buffers now, not in the
            # first call (docs/threads-and-fftw.md, "The first call").
            self._general.prepare(get_num_threads())
        return self._general

    def _fast_for(self, blocks):
        """The point-source model when this call can use it (no flux or background set)."""
        if self._fast is None:
            return False
        return blocks.get("flux") is None and blocks.get("background") is None

    def _native_blocks(self, blocks, tangent=False):
        """The blocks as the C++ model takes them: contiguous arrays of the exact dtype, a
        fixed amplitude left out (the model has it), jitter as one float64."""
        out = {}
        dtype = self.cfg.dtype
        for name in BLOCK_ORDER:
            value = blocks.get(name)
            if value is None:
                continue
            if name == "amplitude" and "amplitude" not in self._free:
                continue
            if name == "jitter":
                out[name] = np.array([float(np.ravel(value)[0])], dtype=np.float64)
                continue
            target = dtype if name in _MODEL_PRECISION else np.float64
            out[name] = np.ascontiguousarray(value, dtype=target)
        if tangent:
            # A fixed block has no tangent.
            out = {name: value for name, value in out.items() if name in self._free}
        return out

    def _shaped(self, grads, blocks):
        """The C++ gradients, each shaped like its block (jitter like the block given)."""
        if "jitter" in grads:
            grads["jitter"] = grads["jitter"].reshape(np.shape(blocks.get("jitter", 0.0)))
        return {name: grads[name] for name in self._free}

    @staticmethod
    def _detector(blocks):
        p = blocks.get("detector")
        return None if p is None else tuple(float(value) for value in np.ravel(p))

    def _fast_grads(self, a_bar, p_bar):
        grads = {"wavefront": a_bar}
        if self._quadratic:
            grads["detector"] = np.asarray(p_bar, dtype=np.float64)
        return grads

    def _fast_dots(self, blocks, dots):
        a = blocks["wavefront"]
        a_dot = dots.get("wavefront")
        a_dot = np.zeros_like(a) if a_dot is None else a_dot
        p_dot = None
        if self._quadratic:
            p_dot = self._detector(dots) or (0.0, 0.0, 0.0)
        return np.ascontiguousarray(a_dot, dtype=self.cfg.dtype), p_dot

    @property
    def workspace_bytes(self):
        """Bytes of the work buffers the C++ models hold."""
        total = self._fast.workspace_bytes if self._fast is not None else 0
        if self._general is not None:
            total += self._general.workspace_bytes
        return total

    # -- the computations ---------------------------------------------------------------------
    def point_value_and_grad(self, a, p):
        """``value_and_grad`` of a tuple-form call on the point-source model: ``a`` checked
        and cast (C-contiguous, the model's precision), ``p`` the detector's three floats or
        None. ``(E, a_bar, p_bar)`` (``p_bar`` None for a linear detector), or None when the
        configuration does not take the point-source path (then use ``value_and_grad``)."""
        if self._point is None:
            return None
        return self._point.value_and_grad(a, p, get_num_threads())

    def value_and_grad(self, blocks):
        if self._fast_for(blocks):
            energy, a_bar, p_bar = self._fast.value_and_grad(
                np.ascontiguousarray(blocks["wavefront"], dtype=self.cfg.dtype),
                self._detector(blocks), get_num_threads())
            return energy, self._fast_grads(a_bar, p_bar)
        energy, grads = self._general_model().value_and_grad(self._native_blocks(blocks),
                                                             get_num_threads())
        return energy, self._shaped(grads, blocks)

    def simulate(self, blocks):
        if self._fast_for(blocks):
            return self._fast.simulate(
                np.ascontiguousarray(blocks["wavefront"], dtype=self.cfg.dtype),
                self._detector(blocks), get_num_threads())
        return self._general_model().simulate(self._native_blocks(blocks), get_num_threads())

    # -- the least-squares view ------------------------------------------------------------
    def residuals(self, blocks):
        if self._fast_for(blocks):
            return self._fast.residuals(
                np.ascontiguousarray(blocks["wavefront"], dtype=self.cfg.dtype),
                self._detector(blocks), get_num_threads())
        return self._general_model().residuals(self._native_blocks(blocks), get_num_threads())

    def jvp(self, blocks, dots):
        if self._fast_for(blocks) and self._fast_for(dots):
            a_dot, p_dot = self._fast_dots(blocks, dots)
            return self._fast.jvp(
                np.ascontiguousarray(blocks["wavefront"], dtype=self.cfg.dtype),
                self._detector(blocks), a_dot, p_dot, get_num_threads())
        return self._general_model().jvp(self._native_blocks(blocks),
                                         self._native_blocks(dots, tangent=True),
                                         get_num_threads())

    def vjp(self, blocks, u):
        u = np.ascontiguousarray(u, dtype=np.float64)
        if self._fast_for(blocks):
            a_bar, p_bar = self._fast.vjp(
                np.ascontiguousarray(blocks["wavefront"], dtype=self.cfg.dtype),
                self._detector(blocks), u, get_num_threads())
            return self._fast_grads(a_bar, p_bar)
        grads = self._general_model().vjp(self._native_blocks(blocks), u, get_num_threads())
        return self._shaped(grads, blocks)

    def gauss_newton_product(self, blocks, dots):
        if self._fast_for(blocks) and self._fast_for(dots):
            a_dot, p_dot = self._fast_dots(blocks, dots)
            a_out, p_out = self._fast.gauss_newton_product(
                np.ascontiguousarray(blocks["wavefront"], dtype=self.cfg.dtype),
                self._detector(blocks), a_dot, p_dot, get_num_threads())
            return self._fast_grads(a_out, p_out)
        grads = self._general_model().gauss_newton_product(
            self._native_blocks(blocks), self._native_blocks(dots, tangent=True),
            get_num_threads())
        return self._shaped(grads, blocks)

    def jacobian_planes(self, blocks, begin, end):
        """The transposed Jacobian (parameters, residuals) of planes [begin, end), the free
        blocks in order. The general path computes a tangent per column (each plane's primal
        once)."""
        if self._fast_for(blocks):
            return self._fast.jacobian(
                np.ascontiguousarray(blocks["wavefront"], dtype=self.cfg.dtype),
                self._detector(blocks), begin, end, get_num_threads())
        return self._general_model().jacobian(self._native_blocks(blocks), begin, end,
                                              get_num_threads())
