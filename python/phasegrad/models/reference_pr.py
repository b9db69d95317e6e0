"""The imaging model composed from reference ops (``backend="reference"``): the steps of
docs/imaging-model.md's chain (pupil, PSF, transfer, binning, window, flux and background,
detector, metric), each a ``phasegrad.reference`` op, run forward and then their reverse rules
in reverse order (Jurling & Fienup 2014, Eq. 99-101 and Sections 10-11), and for the
least-squares view the same steps in forward mode (each op's ``op_jvp``). The chain is written
once, against a ``Trace`` (``trace.py``), which records the reverse rules or carries the
tangents. This is the specification the fused kernels are tested against.

The backend interface (both backends implement it; ``PhaseRetrieval`` builds the blocks from
the flat vector and its configuration, and turns the gradients back into a flat vector):

- ``blocks``: a dict with every block the chain uses: ``"wavefront"`` (model dtype, (K,) or
  (n, n)), ``"detector"`` ((a, b, c) floats or None), ``"positions"`` ((k, 2) float64) and
  ``"fluxes"`` ((k,) float64) with point sources, ``"object"`` ((S, S) model dtype) with a
  known or free scene, ``"flux"`` ((P,) float64 or None: all 1), ``"background"`` ((P,)
  float64 or None: 0), ``"shift"`` ((P, 2) float64 or None: 0), ``"jitter"`` (a float or
  None: 0) and ``"amplitude"`` ((n, n) model dtype: the effective pupil amplitude, on the
  support; a backend never sees ``amplitude_basis``). Which are free: ``config.free_blocks``.
- ``dots``: the tangents of the free blocks, shaped and typed as the blocks (the amplitude's
  as its (n, n) map, jitter's a float).
- ``value_and_grad(blocks) -> (E, grads)``, ``vjp(blocks, u) -> grads`` and
  ``gauss_newton_product(blocks, dots) -> grads``: ``grads`` a dict of the free blocks
  (wavefront, object and amplitude in the model's dtype, the others float64, jitter a float).
- ``simulate(blocks)`` -> (P, M, M) model dtype; ``residuals(blocks)`` and
  ``jvp(blocks, dots)`` -> flat float64 over (P, M, M).
- ``jacobian_planes(blocks, begin, end)`` -> (n, rows) float64: the transposed Jacobian of
  planes [begin, end), one row per value of ``config.backend_parameters`` (the flat layout,
  with a free amplitude as its (n, n) map).
"""

from __future__ import annotations

import numpy as np

from .. import reference as ref
from .deviance import deviance_residuals, deviance_slope
from .trace import Trace, value

# The blocks kept in float64 whatever the model's precision (the detector's coefficients are
# Python floats in poly_detector) and the rest, cast to the model's precision for the ops.
_BLOCKS = ("wavefront", "detector", "positions", "fluxes", "object", "flux", "background",
           "shift", "jitter", "amplitude")
# Gradients returned in the model's precision; the others are float64.
_MODEL_DTYPE_GRADIENTS = ("wavefront", "object", "amplitude")


class ReferencePhaseRetrieval:
    """Forward, reverse and tangent passes of a ``PhaseRetrieval`` configuration, op by op."""

    def __init__(self, config):
        self.cfg = config
        cfg = config
        N = cfg.grid
        dtype = cfg.dtype
        f = np.fft.fftfreq(N)
        fy, fx = np.meshgrid(f, f, indexing="ij")
        # exp(-2 pi i (f_y y + f_x x)) = expi(basis((y, x), F)): a shift's or a source's phase.
        self._phase_basis = np.ascontiguousarray(np.stack([-2 * np.pi * fy, -2 * np.pi * fx]),
                                                 dtype=dtype)
        # J(f) = exp(sigma^2 R), R = -2 pi^2 |f|^2: the jitter's Gaussian blur.
        self._jitter_exponent = np.ascontiguousarray(-2 * np.pi**2 * (fy**2 + fx**2),
                                                     dtype=dtype)
        binned = N // cfg.bin
        self._window = None
        if cfg.window < binned:
            mask = np.zeros((binned, binned), dtype=bool)
            lo = cfg.window_offset
            mask[lo:lo + cfg.window, lo:lo + cfg.window] = True
            self._window = mask
        self._object_index = None
        if cfg.object_size is not None:
            # ifftshift(embed(o)): o's pixel (S//2, S//2) at the grid's centre, then at 0.
            S = cfg.object_size
            rows = (np.arange(S) - S // 2) % N
            self._object_index = (rows[:, None] * N + rows[None, :]).ravel()

    # -- the chain ---------------------------------------------------------------------------
    def _inputs(self, t, blocks, dots=None):
        """Each block as a trace node (free) or a constant (fixed), in the ops' precision; a
        forward-mode trace without tangents (a plain evaluation) takes every block as a
        constant."""
        cfg = self.cfg
        inputs = {}
        for name in _BLOCKS:
            block = blocks.get(name)
            if block is None:
                inputs[name] = None
                continue
            arr = self._as_array(name, block)
            if name in cfg.free_blocks and not (t.tangents and dots is None):
                dot = None if dots is None else self._as_array(name, dots[name])
                inputs[name] = t.leaf(arr, dot)
            else:
                inputs[name] = arr
        return inputs

    def _as_array(self, name, block):
        if name == "detector":
            return np.asarray(block, dtype=np.float64).reshape(3)
        arr = np.asarray(block, dtype=self.cfg.dtype)
        return arr.reshape(1) if name == "jitter" else np.ascontiguousarray(arr)

    def _image_field(self, t, g, lam):
        """Pupil field g (P, n, n) -> centred image-plane field G (P, N, N) at wavelength lam."""
        cfg = self.cfg
        N = cfg.grid
        if lam == cfg.wavelength:
            # G = fftshift(fft2(pad(g))): zero frequency at pixel (N//2, N//2).
            return t.fftshift(t.dft2(t.pad(g, (N, N))))
        # The same detector pixels at another wavelength: frequency axis scaled by lam0 / lam.
        return t.mft(g, (N, N), cfg.wavelength / (lam * N))

    def _psf(self, t, b):
        """Steps 1-2: I_p = sum_lam s~_lam |G_lam|^2, (P, N, N)."""
        cfg = self.cfg
        n = cfg.n
        a = b["wavefront"]
        wavefront = t.basis(a, cfg.basis) if cfg.basis is not None else a
        if cfg.diversity is not None:
            planes = t.add(wavefront, cfg.diversity)
        else:
            planes = t.broadcast(wavefront, (1, n, n))
        intensity = None
        for lam, weight in zip(cfg.wavelengths, cfg.band_weights, strict=True):
            phasor = t.expi(t.mul(2 * np.pi / lam, planes))
            g = t.mul(b["amplitude"], phasor)
            band = t.mul(weight, t.abs2(self._image_field(t, g, lam)))
            intensity = band if intensity is None else t.add(intensity, band)
        return intensity

    def _transfer(self, t, b):
        """T_p(f) = O(f) S_p(f) J(f) (step 3): (N, N) or (P, N, N)."""
        cfg = self.cfg
        N = cfg.grid
        factors = []
        if cfg.object_kind in ("known", "free"):
            S = cfg.object_size
            embedded = t.put(t.reshape(b["object"], (S * S,)), self._object_index, (N, N))
            factors.append(t.dft2(t.to_complex(embedded)))
        elif cfg.object_kind == "points":
            phasors = t.expi(t.basis(b["positions"], self._phase_basis))  # (k, N, N)
            spectrum = None
            for j in range(cfg.n_sources):
                term = t.mul(t.item(b["fluxes"], j), t.item(phasors, j))
                spectrum = term if spectrum is None else t.add(spectrum, term)
            factors.append(spectrum)
        if b["shift"] is not None:
            factors.append(t.expi(t.basis(b["shift"], self._phase_basis)))  # (P, N, N)
        if b["jitter"] is not None:
            variance = t.mul(b["jitter"], b["jitter"])
            factors.append(t.exp(t.mul(variance, self._jitter_exponent)))
        transfer = factors[0]
        for factor in factors[1:]:
            transfer = t.mul(transfer, factor)
        return transfer

    def _model(self, t, b):
        """The model images M, (P, M, M): the chain's steps 1-6."""
        cfg = self.cfg
        planes = cfg.data.shape[0]
        image = self._psf(t, b)
        if cfg.transfer:
            spectrum = t.dft2(t.to_complex(image))
            image = t.real(t.idft2(t.mul(self._transfer(t, b), spectrum)))
        if cfg.bin > 1:
            image = t.bin(image, cfg.bin)
        if self._window is not None:
            image = t.reshape(t.take(image, self._window), cfg.data.shape)
        if b["flux"] is not None:
            image = t.mul(t.reshape(b["flux"], (planes, 1, 1)), image)
        if b["background"] is not None:
            image = t.add(t.reshape(b["background"], (planes, 1, 1)), image)
        if b["detector"] is not None:
            image = t.poly_detector(image, b["detector"])
        return image

    def _residuals(self, t, model):
        """r with E = |r|^2: sqrt(w) (M - D), or the Poisson deviance residuals."""
        cfg = self.cfg
        if cfg.metric == "sse":
            difference = t.add(model, -cfg.data)
            return difference if cfg.weights is None else t.mul(np.sqrt(cfg.weights),
                                                                 difference)
        shift = cfg.poisson_shift
        dtype = cfg.dtype

        def residuals(m):
            return deviance_residuals(m, cfg.data, cfg.weights, shift).astype(dtype)

        def slope(m):
            return deviance_slope(m, cfg.data, cfg.weights, shift).astype(dtype)

        return t.elementwise(model, residuals, slope)

    def _gradients(self, b):
        """The free blocks' cotangents after a reverse pass (zero where none arrived)."""
        grads = {}
        for name in self.cfg.free_blocks:
            node = b[name]
            bar = node.bar if node.bar is not None else np.zeros_like(node.value)
            bar = np.real(bar)
            if name == "jitter":
                grads[name] = float(bar[0])
            elif name in _MODEL_DTYPE_GRADIENTS:
                grads[name] = bar.astype(self.cfg.dtype)
            else:
                grads[name] = np.asarray(bar, dtype=np.float64)
        return grads

    # -- the interface ---------------------------------------------------------------------
    def simulate(self, blocks):
        t = Trace(tangents=True)
        return value(self._model(t, self._inputs(t, blocks)))

    def metric(self, model):
        """E of model images M (the metric of step 7)."""
        cfg = self.cfg
        if cfg.metric == "sse":
            return ref.wsse(model, cfg.data, cfg.weights)
        return ref.poisson_nll(model, cfg.data, cfg.weights, cfg.poisson_shift)

    def _metric_vjp(self, model):
        cfg = self.cfg
        if cfg.metric == "sse":
            return ref.wsse_vjp(1.0, model, cfg.data, cfg.weights)
        return ref.poisson_nll_vjp(1.0, model, cfg.data, cfg.weights, cfg.poisson_shift)

    def value_and_grad(self, blocks):
        t = Trace()
        b = self._inputs(t, blocks)
        model = self._model(t, b)
        energy = self.metric(value(model))
        t.reverse(model, self._metric_vjp(value(model)))
        return energy, self._gradients(b)

    def residuals(self, blocks):
        t = Trace(tangents=True)
        r = self._residuals(t, self._model(t, self._inputs(t, blocks)))
        return np.asarray(value(r), dtype=np.float64).ravel()

    def jvp(self, blocks, dots):
        """J v: each step in forward mode; the fixed blocks' tangents are zero."""
        t = Trace(tangents=True)
        r = self._residuals(t, self._model(t, self._inputs(t, blocks, dots)))
        return np.asarray(r.dot, dtype=np.float64).ravel()

    def vjp(self, blocks, u):
        """J^T u: the residuals' cotangent back through every step."""
        t = Trace()
        b = self._inputs(t, blocks)
        r = self._residuals(t, self._model(t, b))
        t.reverse(r, np.asarray(u).reshape(self.cfg.data.shape).astype(self.cfg.dtype))
        return self._gradients(b)

    def gauss_newton_product(self, blocks, dots):
        return self.vjp(blocks, self.jvp(blocks, dots))

    def jacobian_planes(self, blocks, begin, end):
        """The transposed Jacobian of planes [begin, end): J v of every unit vector v, in the
        order of ``config.backend_parameters``."""
        cfg = self.cfg
        size = int(np.prod(cfg.data.shape[1:]))
        rows = []
        for parameter in cfg.backend_parameters:
            for k in range(parameter.size):
                dots = {p.name: np.zeros(p.shape) for p in cfg.backend_parameters}
                dots[parameter.name].reshape(-1)[k] = 1.0
                dots = {name: (float(d[0]) if name == "jitter" else d)
                        for name, d in dots.items()}
                rows.append(self.jvp(blocks, dots)[begin * size:end * size])
        return np.stack(rows)

