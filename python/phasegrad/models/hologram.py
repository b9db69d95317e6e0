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
from ..arguments.hologram import hologram_setup, hologram_target
from ..arguments.least_squares import dense_size, flat_vector
from .fused_hologram import FusedHologram
from .fused_hologram_planes import FusedHologramPlanes
from .hologram_modulator import modulation, quantize_hard, wrap
from .reference_hologram import ReferenceHologram
from .reference_hologram_planes import ReferenceHologramPlanes

_BACKENDS = ("fused", "reference")


class Hologram:
    """Phase-only hologram design: E(phi) and its gradient.

    The forward model::

        I   = | fftshift(ifft2(ifftshift(exp(i phi)))) |^2
        I_r = I * mean(T) / mean(I)
        E   = mean((I_r - T)^2)

    Beyond the far field (issue 14; ``docs/holography.md``), for colour c and plane p::

        s     = the modulator's phase for phi: wrapped to [0, 2 pi), quantised to ``levels``,
                smoothed by ``crosstalk``
        u_c   = A (exp(i alpha_c s) + zero_order), or A (m exp(i alpha_c s) + zero_order) with
                the amplitude + phase modulator, m = (1 + sin beta) / 2
        I_cp  = |angular_spectrum(u_c, z_p, lambda_c, pitch, pad=pad)|^2   (or the far field)
        E     = sum_cp w_cp E_cp, E_cp the normalised MSE of plane (c, p) (or, with
                ``efficiency``, the signal region's MSE plus an efficiency penalty)

    Parameters
    ----------
    target : array_like, (n, m), (P, n, m) or (C, P, n, m), float32 or float64
        The target intensity T (non-negative, no plane all zero): one plane (today's
        far-field case), P planes at ``distances``, or C colours at ``wavelengths`` by P
        planes. Its dtype sets the precision.
    backend : {"fused", "reference"}
        ``"fused"`` (the default) runs forward model and gradient as one C++/OpenMP/FFTW
        kernel (the far-field single plane: three passes over memory and two FFTs; the general
        model: 2 (P + 1) FFTs per colour), with ``phasegrad.get_num_threads()`` threads (read
        at each call). ``"reference"`` composes the NumPy reference ops, the specification the
        fused kernel is tested against.
    distances : sequence of float, optional
        The P planes' distances from the modulator (keyword only, as all that follow); None
        (the default) keeps today's far field (one plane). Needs ``wavelengths`` and
        ``pitch``; lengths in one unit.
    wavelengths : float or sequence of float, optional
        One per colour (C of them).
    pitch : float, optional
        The modulator's pixel pitch.
    levels : int, optional
        Quantise the shown phase to L >= 2 levels 2 pi k / L by ``quantizer``.
    crosstalk : array_like, (kr, kc), optional
        A small real kernel of odd sides, centred: the pixels' fringing field, applied to the
        shown phase by a circular convolution.
    plane_weights : array_like, optional
        w_cp, broadcast to (C, P); default 1 / (C P) each (so one plane is today's loss).
    phase_response : sequence of float, optional
        alpha_c, the phase per unit of phi at each colour; default
        ``wavelengths[0] / wavelengths`` (phi is the phase at the first colour).
    amplitude : array_like, (n, m), optional
        The illumination amplitude A (default 1).
    zero_order : complex, optional
        The unmodulated light, as an amplitude relative to A (default 0).
    quantizer : {"straight_through", "soft"}
        The rule for ``levels`` (``phasegrad.models.hologram_modulator`` documents both).
    efficiency : float, optional
        Score each plane by the MSE over its signal region S = {T > 0}, normalised by the
        light in S, plus ``efficiency * mean_S(T)^2 * (1 - sum_S I / sum I)``.
    pad : int
        Zero-padding factor of the angular spectrum (default 1).
    modulator : {"phase", "amplitude_phase"}
        ``"phase"`` (the default): the parameters are the phase map phi, (n, m).
        ``"amplitude_phase"``: they are two planes, (2, n, m): the phase map phi and beta,
        each pixel's amplitude m = (1 + sin beta) / 2, always in [0, 1] (so optimisers run
        unconstrained; ``phasegrad.models.hologram_modulator`` documents the map). Levels and
        crosstalk act on the phase only; every gradient, tangent and flat vector then covers
        both planes (2 n m values, the phases first).

    Notes
    -----
    float32 targets run complex64 kernels, float64 targets complex128; the loss is returned as
    a Python float summed in double either way.

    The least-squares view writes E as a sum of squares, E = ||r||^2 with the residuals
    r = (I_r - T).ravel() / sqrt(n m): ``residuals``, the Jacobian J = dr/dphi (n m rows, one
    per pixel of I_r; n m columns, one per phase, both in C order) through ``jvp`` (J v),
    ``vjp`` (J^T u), ``gauss_newton_product`` (J^T J v, matrix-free), and dense through
    ``jacobian`` and ``gauss_newton`` (J^T J and J^T r), for Gauss-Newton and
    Levenberg-Marquardt solvers. Its vectors are flat and float64 whatever the precision
    (phases are rounded to it on the way in). The gradient of E is 2 J^T r. The general
    model stacks r over every colour and plane (C P n m residuals, each plane's scaled by
    sqrt(w_cp)); with the amplitude + phase modulator its parameter vectors hold 2 n m values
    (the phases, then the amplitude parameters).

    One ``Hologram`` may be called from several Python threads at once: with the fused backend
    the calls share its work buffers and run one after another (the GIL is released while each
    runs).

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = np.zeros((32, 32)); T[12:20, 12:20] = 1.0
    >>> h = pg.Hologram(target=T)
    >>> E, phi_bar = h.value_and_grad(np.zeros((32, 32)))
    >>> phi_bar.shape
    (32, 32)
    """

    def __init__(self, target, backend="fused", *, distances=None, wavelengths=None, pitch=None,
                 levels=None, crosstalk=None, plane_weights=None, phase_response=None,
                 amplitude=None, zero_order=None, quantizer="straight_through",
                 efficiency=None, pad=1, modulator="phase"):
        v.one_of(backend, "backend", _BACKENDS)
        self.backend = backend
        options = {"distances": distances, "wavelengths": wavelengths, "pitch": pitch,
                   "levels": levels, "crosstalk": crosstalk, "plane_weights": plane_weights,
                   "phase_response": phase_response, "amplitude": amplitude,
                   "zero_order": zero_order, "efficiency": efficiency}
        general = (any(value is not None for value in options.values()) or pad != 1
                   or quantizer != "straight_through" or modulator != "phase"
                   or np.ndim(target) in (3, 4))
        if general:
            self.setup = hologram_setup(target, quantizer=quantizer, pad=pad,
                                        modulator=modulator, **options)
            self.target = self.setup.target.reshape(self.setup.shape)
            self.dtype = self.target.dtype
            self.shape = self.setup.parameters
            implementation = (FusedHologramPlanes if backend == "fused"
                              else ReferenceHologramPlanes)
            self._impl = implementation(self.setup)
        else:  # the far-field single-plane case: its own kernel
            target = hologram_target(target)
            self.setup = hologram_setup(target)
            self.target = v.cast(target, target.dtype, "target")  # C order, aligned
            self.dtype = target.dtype
            self.shape = target.shape
            implementation = FusedHologram if backend == "fused" else ReferenceHologram
            self._impl = implementation(self.target)
        self.general = general

    @property
    def n_params(self):
        """Number of parameters (the length of the flat vector of ``fun_and_jac``): the phase
        pixels, twice that with the amplitude + phase modulator."""
        return int(np.prod(self.shape))

    @property
    def n_residuals(self):
        """Number of residuals of the least-squares view: one per pixel of I_r (of every colour
        and plane)."""
        return int(np.prod(self.setup.plane)) * self.setup.colours * self.setup.planes

    def _phase(self, phi, finite=True):
        phi = v.array(phi, "phi", kind="real")
        if phi.shape != self.shape:
            what = ("(2, n, m): the phases and the amplitude parameters"
                    if len(self.shape) == 3 else "the target's shape")
            raise ValueError(f"phi must have {what} {self.shape}; got {phi.shape}")
        if finite or phi.dtype != self.dtype:  # a cast checks the values it rounds
            v.finite(phi, "phi")
        return v.cast(phi, self.dtype, "phi")

    def value_and_grad(self, phi):
        """``(E, phi_bar)``: the loss (a Python float) and dE/dphi (shaped like phi)."""
        # The far-field kernel checks a phase of its own dtype for NaN and infinity itself, in
        # its phasor pass before it writes the gradient, with the same ValueError: faster than
        # NumPy's isfinite (which writes a boolean array).
        checked = not self.general and self.backend == "fused"
        return self._impl.value_and_grad(self._phase(phi, finite=not checked))

    def simulate(self, phi):
        """The normalised reconstruction I_r of the metric, shaped like the target: I mean(T) /
        mean(I) per plane (with ``efficiency``, scaled by the signal region's light instead)."""
        images = self._impl.simulate(self._phase(phi))
        return images.reshape(self.target.shape)

    def reconstruct(self, phi):
        """The intensities I per colour and plane, (C, P, n, m), in the model's dtype: what the
        modulator showing ``phi`` (wrapped, quantised, with crosstalk) reconstructs, before any
        normalisation."""
        phi = self._phase(phi)
        if not self.general:
            return ReferenceHologramPlanes(self.setup).reconstruct(phi)
        return self._impl.reconstruct(phi)

    def quantize(self, phi):
        """The phases the modulator shows for ``phi``: wrapped into [0, 2 pi) and, with
        ``levels``, the nearest of the L levels 2 pi k / L (float64, phi's shape). With the
        amplitude + phase modulator, (2, n, m): those phases and the amplitudes
        m = (1 + sin beta) / 2 the pixels transmit."""
        phi = self._phase(phi)
        if len(self.shape) == 3:
            return np.stack([self._shown_phase(phi[0]), modulation(phi[1])])
        return self._shown_phase(phi)

    def _shown_phase(self, phi):
        wrapped = wrap(phi)
        levels = self.setup.levels
        return wrapped if levels is None else quantize_hard(wrapped, levels)

    def fun_and_jac(self, x):
        """E and its gradient for a flat float64 phase vector (float64 results)."""
        x = v.array(x, "x", kind="real")
        if x.shape != (self.n_params,):
            raise ValueError(f"x must be a flat vector of {self.n_params} phases; got "
                             f"shape {x.shape}")
        v.finite(x, "x")
        energy, grad = self.value_and_grad(x.reshape(self.shape))
        return float(energy), np.asarray(grad, dtype=np.float64).ravel()

    def _parameters(self, x):
        """``x`` checked as the flat float64 phases, as a plane of the model's dtype."""
        if self.setup.efficiency is not None:
            raise ValueError("the least-squares view needs the normalised MSE metric "
                             "(efficiency=None): the efficiency term is not a sum of squares")
        x = flat_vector(x, "x", self.n_params, "phases")
        return v.cast(x.reshape(self.shape), self.dtype, "x")

    def residuals(self, x):
        """The residuals r whose sum of squares is the loss: E = ||r||^2.

        Parameters
        ----------
        x : array_like, (n m,), real
            The phases phi, flat in C order (``phi.ravel()``).

        Returns
        -------
        r : ndarray, (n m,), float64
            ``(I_r - T).ravel() / sqrt(n m)``, I_r the mean-normalised reconstruction
            (``simulate``). The fused backend costs one FFT.

        Raises
        ------
        TypeError
            ``x`` complex, integer or not an array.
        ValueError
            ``x`` of another shape than (n m,), or not finite.

        Examples
        --------
        >>> import numpy as np, phasegrad as pg
        >>> T = np.zeros((8, 8)); T[2:6, 2:6] = 1.0
        >>> h = pg.Hologram(target=T)
        >>> x = np.linspace(0.0, 3.0, 64)
        >>> r = h.residuals(x)
        >>> bool(np.isclose(r @ r, h.fun_and_jac(x)[0]))
        True
        """
        return self._impl.residuals(self._parameters(x))

    def jvp(self, x, v):
        """The Jacobian-vector product J v, J = dr/dx: the residuals' change along ``v``.

        Forward mode through the model's ops (each the tangent of its step): phasor_dot =
        i exp(i phi) v; the field's tangent is the transform of phasor_dot (it is linear);
        I_dot = 2 Re(conj(field) field_dot); with s = mean(T) / mean(I),
        I_r_dot = s I_dot - I_r sum(I_dot) / sum(I); r_dot = I_r_dot.ravel() / sqrt(n m).
        (sum(I) = 1 for every phase, by Parseval, so sum(I_dot) = 0: the fused backend leaves
        that term out, the reference computes it.)

        Parameters
        ----------
        x : array_like, (n m,), real
            The phases, flat in C order.
        v : array_like, (n m,), real
            The direction in phase space (a tangent), flat in C order.

        Returns
        -------
        Jv : ndarray, (n m,), float64
            d/dt r(x + t v) at t = 0. The fused backend costs two FFTs (the primal and the
            tangent transform).

        Raises
        ------
        TypeError
            ``x`` or ``v`` complex, integer or not an array (the error names it).
        ValueError
            ``x`` or ``v`` of another shape than (n m,), or not finite.
        """
        phi = self._parameters(x)
        v = flat_vector(v, "v", self.n_params, "phases")
        return self._impl.jvp(phi, v)

    def vjp(self, x, u):
        """The vector-Jacobian product J^T u: the cotangent ``u`` of the residuals pulled back
        to the phases.

        The reverse pass of ``value_and_grad`` with I_r's cotangent u / sqrt(n m) in place of
        the loss's 2 (I_r - T) / (n m); so ``value_and_grad``'s gradient is 2 J^T r, and
        <u, J v> = <J^T u, v> for every u and v.

        Parameters
        ----------
        x : array_like, (n m,), real
            The phases, flat in C order.
        u : array_like, (n m,), real
            One value per residual, flat in C order.

        Returns
        -------
        Jtu : ndarray, (n m,), float64
            J^T u, one value per phase. The fused backend costs two FFTs (the primal and the
            adjoint transform).

        Raises
        ------
        TypeError
            ``x`` or ``u`` complex, integer or not an array (the error names it).
        ValueError
            ``x`` or ``u`` of another shape than (n m,), or not finite.
        """
        phi = self._parameters(x)
        u = flat_vector(u, "u", self.n_residuals, "values, one per residual")
        return self._impl.vjp(phi, u)

    def gauss_newton_product(self, x, v):
        """J^T (J v), the Gauss-Newton matrix times ``v``, matrix-free.

        For the inner iterations (conjugate gradients) of a Gauss-Newton or
        Levenberg-Marquardt step when J^T J is too large to form. The fused backend runs it as
        one call of three FFTs: the primal transform, the tangent transform (J v) and the
        adjoint transform (J^T of it); the reference composes ``jvp`` and ``vjp`` (four).

        Parameters
        ----------
        x : array_like, (n m,), real
            The phases, flat in C order.
        v : array_like, (n m,), real
            The direction in phase space, flat in C order.

        Returns
        -------
        JtJv : ndarray, (n m,), float64
            J^T J v.

        Raises
        ------
        TypeError
            ``x`` or ``v`` complex, integer or not an array (the error names it).
        ValueError
            ``x`` or ``v`` of another shape than (n m,), or not finite.
        """
        phi = self._parameters(x)
        v = flat_vector(v, "v", self.n_params, "phases")
        return self._impl.gauss_newton_product(phi, v)

    def jacobian(self, x):
        """The dense Jacobian J = dr/dx; column j is ``jvp(x, e_j)``.

        Parameters
        ----------
        x : array_like, (n m,), real
            The phases, flat in C order.

        Returns
        -------
        J : ndarray, (n m, n m), float64
            Row k for residual k, column j for phase j (C order both). The fused backend
            costs one FFT: a unit tangent's field is a plane wave, so each column is written
            in closed form; the reference runs batches of unit tangents through ``jvp``'s ops.

        Raises
        ------
        TypeError
            ``x`` complex, integer or not an array.
        ValueError
            ``x`` of another shape than (n m,), or not finite; or a J larger than 2 GiB
            (``gauss_newton_product``, ``jvp`` and ``vjp`` never form it).
        """
        phi = self._parameters(x)
        dense_size(self.n_residuals, self.n_params, "Jacobian",
                   "jvp, vjp or gauss_newton_product")
        return self._impl.jacobian(phi)

    def gauss_newton(self, x):
        """The dense Gauss-Newton system: ``(J^T J, J^T r)``.

        E's gradient is 2 J^T r and its Gauss-Newton Hessian 2 J^T J.

        Parameters
        ----------
        x : array_like, (n m,), real
            The phases, flat in C order.

        Returns
        -------
        JtJ : ndarray, (n m, n m), float64
            J^T J, symmetric.
        Jtr : ndarray, (n m,), float64
            J^T r.

        Raises
        ------
        TypeError
            ``x`` complex, integer or not an array.
        ValueError
            ``x`` of another shape than (n m,), or not finite; or a J^T J larger than 2 GiB
            (``gauss_newton_product`` never forms it).

        Notes
        -----
        The fused backend never forms J: with the field G, (J^T J)[i, j] depends on i and j
        only through the phasors at i and j and two transforms of |G|^2 and G^2 at i - j and
        i + j, so it costs four FFTs and one pass over J^T J (exactly symmetric). The
        reference forms J and multiplies.
        """
        phi = self._parameters(x)
        dense_size(self.n_params, self.n_params, "Gauss-Newton matrix J^T J",
                   "gauss_newton_product")
        return self._impl.gauss_newton(phi)

    def __repr__(self):
        return f"Hologram(shape={self.shape}, dtype={self.dtype}, backend={self.backend!r})"
