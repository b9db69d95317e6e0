"""The two workloads written in jax.numpy, differentiated by ``jax.value_and_grad`` under ``jit``.

The same models as ``phasegrad.models.reference_pr`` and ``reference_hologram``, written the
way a JAX user would: ``fft2(g, s=(N, N))`` zero-pads at the end, i.e. top-left placement, as
``ref.pad``. The gradients are of real losses with respect to real parameters, so JAX's complex
conjugate convention does not enter. Importing this module imports jax and turns on x64 (the
float32 rows still run in float32: the inputs set the precision); set XLA_FLAGS before that
(``phasegrad.bench.threads_setup``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

VERSION = jax.__version__


def intensity(field):
    """|G|^2 as Re^2 + Im^2: differentiable at G = 0, unlike abs(G)**2."""
    return field.real ** 2 + field.imag ** 2


def pr_loss(a, p, amplitude, basis, data, weights, wavelength, grid):
    """E = sum w (M - D)^2 of Jurling Eq. (99), one plane, quadratic detector."""
    n = amplitude.shape[0]
    wavefront = (a @ basis.reshape(basis.shape[0], -1)).reshape(n, n)
    theta = (2 * np.pi / wavelength) * wavefront
    pupil_field = amplitude * jnp.exp(1j * theta)
    image_field = jnp.fft.fftshift(jnp.fft.fft2(pupil_field, s=(grid, grid)))
    image = intensity(image_field)
    model = (p[0] * image + p[1]) * image + p[2]
    return jnp.sum(weights * (model - data) ** 2)


def hologram_loss(phi, target):
    """E = mean((I mean(T) / mean(I) - T)^2), I = |fftshift(ifft2(ifftshift(e^{i phi})))|^2."""
    field = jnp.fft.fftshift(jnp.fft.ifft2(jnp.fft.ifftshift(jnp.exp(1j * phi))))
    image = intensity(field)
    normalised = image * (jnp.mean(target) / jnp.mean(image))
    return jnp.mean((normalised - target) ** 2)


_pr_value_and_grad = jax.jit(jax.value_and_grad(pr_loss, argnums=(0, 1)),
                             static_argnames=("wavelength", "grid"))
_hologram_value_and_grad = jax.jit(jax.value_and_grad(hologram_loss))


def phase_retrieval(problem):
    """A no-argument callable: one finished value_and_grad of the problem, as JAX arrays.

    The arrays go to the device once, here; the call blocks until the result is ready.
    Returns ``(E, (a_bar, p_bar))``.
    """
    dtype = problem.dtype
    arrays = [jnp.asarray(x) for x in (problem.a, problem.p.astype(dtype), problem.amplitude,
                                       problem.basis, problem.data, problem.weights)]

    def call():
        result = _pr_value_and_grad(*arrays, wavelength=problem.wavelength, grid=problem.grid)
        return jax.block_until_ready(result)

    return call


def hologram(problem):
    """A no-argument callable: one finished value_and_grad of the hologram, ``(E, phi_bar)``."""
    phi, target = jnp.asarray(problem.phi), jnp.asarray(problem.target)

    def call():
        return jax.block_until_ready(_hologram_value_and_grad(phi, target))

    return call


def flat_result(result):
    """``(E, gradient)`` as a Python float and one flat float64 NumPy vector."""
    energy, grads = result
    parts = grads if isinstance(grads, tuple) else (grads,)
    return float(energy), np.concatenate([np.asarray(g, dtype=np.float64).ravel()
                                          for g in parts])
