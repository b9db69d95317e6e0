"""The two workloads written with PyTorch tensors and differentiated by autograd.

The same models as ``phasegrad.models.reference_pr`` and ``reference_hologram``:
``torch.fft.fft2(g, s=(N, N))`` zero-pads at the end (top-left placement, as ``ref.pad``).
Each call records the graph and runs ``torch.autograd.grad`` on it, as a training loop does.
"""

from __future__ import annotations

import math

import numpy as np
import torch

VERSION = torch.__version__


def intensity(field):
    """|G|^2 as Re^2 + Im^2: differentiable at G = 0, unlike abs(G)**2."""
    return field.real ** 2 + field.imag ** 2


def pr_loss(a, p, amplitude, basis, data, weights, wavelength, grid):
    """E = sum w (M - D)^2 of Jurling Eq. (99), one plane, quadratic detector."""
    n = amplitude.shape[0]
    wavefront = (a @ basis.reshape(basis.shape[0], -1)).reshape(n, n)
    theta = (2 * math.pi / wavelength) * wavefront
    pupil_field = torch.polar(amplitude, theta)
    image_field = torch.fft.fftshift(torch.fft.fft2(pupil_field, s=(grid, grid)))
    image = intensity(image_field)
    model = (p[0] * image + p[1]) * image + p[2]
    return torch.sum(weights * (model - data) ** 2)


def hologram_loss(phi, target):
    """E = mean((I mean(T) / mean(I) - T)^2), I = |fftshift(ifft2(ifftshift(e^{i phi})))|^2."""
    phasor = torch.polar(torch.ones_like(phi), phi)
    field = torch.fft.fftshift(torch.fft.ifft2(torch.fft.ifftshift(phasor)))
    image = intensity(field)
    normalised = image * (torch.mean(target) / torch.mean(image))
    return torch.mean((normalised - target) ** 2)


def phase_retrieval(problem):
    """A no-argument callable: one value_and_grad, ``(E, (a_bar, p_bar))`` as tensors."""
    dtype = problem.dtype
    a = torch.from_numpy(problem.a.copy()).requires_grad_(True)
    p = torch.from_numpy(problem.p.astype(dtype)).requires_grad_(True)
    constants = [torch.from_numpy(x) for x in (problem.amplitude, problem.basis, problem.data,
                                               problem.weights)]

    def call():
        energy = pr_loss(a, p, *constants, problem.wavelength, problem.grid)
        return energy.detach(), torch.autograd.grad(energy, (a, p))

    return call


def hologram(problem):
    """A no-argument callable: one value_and_grad of the hologram, ``(E, phi_bar)``."""
    phi = torch.from_numpy(problem.phi.copy()).requires_grad_(True)
    target = torch.from_numpy(problem.target)

    def call():
        energy = hologram_loss(phi, target)
        return energy.detach(), torch.autograd.grad(energy, phi)[0]

    return call


def flat_result(result):
    """``(E, gradient)`` as a Python float and one flat float64 NumPy vector."""
    energy, grads = result
    parts = grads if isinstance(grads, tuple) else (grads,)
    return float(energy), np.concatenate([g.detach().numpy().astype(np.float64).ravel()
                                          for g in parts])
