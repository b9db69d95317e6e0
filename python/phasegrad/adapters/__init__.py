"""Adapters that make a phasegrad model a differentiable function in PyTorch or JAX.

``to_torch(model)`` (``adapters/torch.py``) and ``to_jax(model)`` (``adapters/jax.py``) wrap
a ``PhaseRetrieval`` or ``Hologram``: the forward pass calls the model's ``value_and_grad``
once and keeps the gradient for the backward pass (one C++ call per forward + backward).
Importing this package imports neither framework; each ``to_*`` imports its own.
"""

from __future__ import annotations


def to_torch(model):
    """The model as a differentiable PyTorch function; see ``phasegrad.adapters.torch``."""
    from .torch import to_torch as _to_torch

    return _to_torch(model)


def to_jax(model):
    """The model as a differentiable, jittable JAX function; see ``phasegrad.adapters.jax``."""
    from .jax import to_jax as _to_jax

    return _to_jax(model)


__all__ = ["to_jax", "to_torch"]
