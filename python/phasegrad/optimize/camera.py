"""Camera in the loop: a measured image replaces the model's intensity in the loss.

The hardware-in-the-loop gradient of the neural-holography line of work (Peng et al., ACM
Trans. Graph. 39, 185 (2020)): the loss is the camera's, ``E_cam = sum_cp w_cp mean((I_r,cam -
T)^2)`` with the measured image normalised as ``pg.Hologram`` normalises its own (per plane, to
the target's mean), and its gradient is pulled back through the *model's* Jacobian at the
current phase: ``phi_bar = 2 J^T r_cam``, ``r_cam = sqrt(w_cp / N)(I_r,cam - T)``, with
``J^T`` the model's exact ``vjp``. Where the model is right the step is the model's gradient;
where it is wrong (misalignment, crosstalk, a zero order, a lookup table it does not know) the
measured residual steers the phase toward what the hardware actually shows.

``CameraInTheLoop(model, camera)`` is an objective with ``fun_and_jac``: hand it to
``pg.optimize.adam`` (the usual choice: measurements are noisy). ``SimulatedCamera`` stands in
for the hardware in tests and examples: a "true" hologram model, a misalignment (a sub-pixel
shift of the image) and noise.
"""

from __future__ import annotations

import math

import numpy as np

from ..arguments import optimize as c
from ..arguments import validate as v

__all__ = ["CameraInTheLoop", "SimulatedCamera"]


class CameraInTheLoop:
    """The camera's loss with the model's gradient, as an objective for the gradient methods.

    Parameters
    ----------
    model : pg.Hologram
        The design model (its normalised-MSE metric: ``efficiency=None``).
    camera : callable
        ``camera(phi) -> image``: the measured intensities for the phase map ``phi`` (n, m),
        one per colour and plane: shape (C, P, n, m) or the target's shape; non-negative,
        not all zero in any plane. The camera's pixels must be registered to the target's.

    Examples
    --------
    >>> import numpy as np, phasegrad as pg
    >>> T = pg.optimize.spot_array_target(32, rows=3, cols=3)
    >>> truth = pg.Hologram(target=T, zero_order=0.2)            # what the hardware does
    >>> camera = pg.optimize.SimulatedCamera(truth, noise=0.001)
    >>> loop = pg.optimize.CameraInTheLoop(pg.Hologram(target=T), camera)
    >>> phi0 = np.random.default_rng(0).uniform(0, 2 * np.pi, T.shape)
    >>> result = pg.optimize.adam(loop, phi0, lr=0.1, iters=30)
    >>> bool(result.fun < 0.5 * result.history[0])
    True
    """

    def __init__(self, model, camera):
        if not callable(getattr(model, "vjp", None)) or not hasattr(model, "setup"):
            raise TypeError(f"model must be a pg.Hologram; got {type(model).__name__}")
        if model.setup.efficiency is not None:
            raise ValueError("model must use the normalised MSE metric (efficiency=None)")
        if not callable(camera):
            raise TypeError(f"camera must be callable (phi -> image); got "
                            f"{type(camera).__name__}")
        self.model = model
        self.camera = camera
        setup = model.setup
        self.n_params = model.n_params
        self._shape = (setup.colours, setup.planes) + tuple(setup.plane)
        self._target = setup.target.astype(np.float64)
        self._root_weights = np.sqrt(setup.weights / math.prod(setup.plane))[:, :, None, None]
        self.measurements = 0

    def measure(self, phi):
        """The camera's image for ``phi``, checked and shaped (C, P, n, m), float64."""
        image = v.array(self.camera(phi), "camera(phi)", kind="real")
        if image.size != math.prod(self._shape):
            raise ValueError(f"camera(phi) must return {self._shape} intensities; got shape "
                             f"{image.shape}")
        image = np.asarray(image, np.float64).reshape(self._shape)
        v.finite(image, "camera(phi)")
        if np.any(image.sum(axis=(-2, -1)) <= 0):
            raise ValueError("camera(phi) must hold some light in every plane")
        self.measurements += 1
        return image

    def residuals(self, x):
        """r_cam = sqrt(w / N)(I_r,cam - T), flat float64: the camera's loss is |r_cam|^2."""
        phi = np.asarray(x, np.float64).reshape(self.model.shape)
        image = self.measure(phi)
        scale = self._target.mean(axis=(-2, -1), keepdims=True) / image.mean(
            axis=(-2, -1), keepdims=True)
        return ((image * scale - self._target) * self._root_weights).ravel()

    def fun_and_jac(self, x):
        """``(E_cam, 2 J^T r_cam)`` for the flat phases x: the measured loss, and its gradient
        through the model."""
        x = np.asarray(x, np.float64).ravel()
        r = self.residuals(x)
        return float(r @ r), 2.0 * self.model.vjp(x, r)


class SimulatedCamera:
    """A camera for tests and examples: a "true" hologram's intensities, shifted and noisy.

    Parameters
    ----------
    truth : pg.Hologram
        The physics the camera sees (``reconstruct``), e.g. the design model plus crosstalk,
        a zero order or another phase response.
    shift : (float, float)
        Misalignment of the image on the camera, in pixels (rows, cols); sub-pixel shifts
        by the Fourier shift theorem (circular).
    noise : float
        Standard deviation of additive Gaussian noise relative to each plane's maximum.
    seed : int
        Seed of the noise.

    Calling it with a phase map returns (C, P, n, m) float64 intensities, clipped at 0.
    """

    def __init__(self, truth, shift=(0.0, 0.0), noise=0.0, seed=0):
        if not callable(getattr(truth, "reconstruct", None)):
            raise TypeError(f"truth must be a pg.Hologram; got {type(truth).__name__}")
        if not isinstance(shift, (tuple, list)) or len(shift) != 2:
            raise TypeError(f"shift must be a pair (rows, cols); got {shift!r}")
        self.truth = truth
        self.shift = tuple(c.real_number(s, "shift") for s in shift)
        self.noise = c.real_number(noise, "noise", low=0.0)
        self._rng = np.random.default_rng(seed)

    def __call__(self, phi):
        image = np.asarray(self.truth.reconstruct(phi), np.float64)
        if self.shift != (0.0, 0.0):
            rows, cols = image.shape[-2:]
            ramp = np.exp(-2j * np.pi * (
                np.fft.fftfreq(rows)[:, None] * self.shift[0]
                + np.fft.fftfreq(cols)[None, :] * self.shift[1]))
            image = np.real(np.fft.ifft2(np.fft.fft2(image, axes=(-2, -1)) * ramp,
                                         axes=(-2, -1)))
        if self.noise > 0:
            peak = image.max(axis=(-2, -1), keepdims=True)
            image = image + self.noise * peak * self._rng.standard_normal(image.shape)
        return np.maximum(image, 0.0)
