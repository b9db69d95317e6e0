"""``to_torch(model)``: a phasegrad model as a differentiable function of PyTorch tensors.

The forward pass runs the model's ``value_and_grad`` once, returns E and keeps the gradients on
the autograd context of that call (nothing is kept on the adapter, so calls never see each
other's state); the backward pass scales them by the upstream cotangent. One C++ call per
forward + backward.

Gradient convention: phasegrad's x̄ = ∂E/∂Re x + i ∂E/∂Im x is PyTorch's ``.grad`` convention,
so nothing is conjugated. The parameters (a, p, phi) and E are real, so the cotangent and the
gradients are real too.
"""

from __future__ import annotations

import numpy as np
import torch

from ._spec import check_count, model_spec

_TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def _as_numpy(tensor, name, shape, dtype):
    """A read-only NumPy view of a CPU tensor after checking its type, device, dtype, shape."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(tensor).__name__}")
    if tensor.device.type != "cpu":
        raise ValueError(f"{name} must be a CPU tensor (phasegrad runs on the CPU); got a "
                         f"tensor on {tensor.device}: move it with {name}.cpu()")
    if tensor.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the model's precision); got "
                        f"{tensor.dtype}")
    if tuple(tensor.shape) != shape:
        raise ValueError(f"{name} must have shape {shape}; got {tuple(tensor.shape)}")
    return tensor.detach().resolve_conj().resolve_neg().numpy()


class _ModelFunction(torch.autograd.Function):
    """E(args) of one model; the gradient comes from the same C++ call as E."""

    @staticmethod
    def forward(ctx, spec, *tensors):
        arrays = [_as_numpy(t, name, shape, _TORCH_DTYPES[spec.dtype])
                  for t, name, shape in zip(tensors, spec.names, spec.shapes, strict=True)]
        energy, grads = spec.call(*arrays)
        # Kept on this call's context only, and only when some input will need it.
        ctx.grads = tuple(torch.from_numpy(g) if needed else None
                          for g, needed in zip(grads, ctx.needs_input_grad[1:], strict=True))
        return torch.from_numpy(energy)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, energy_bar):
        # E is real, so PyTorch's cotangent E_bar is real and x_bar = E_bar * dE/dx. Were the
        # output complex, phasegrad's and PyTorch's conventions would still agree (no
        # conjugation; JAX would need one, see adapters/jax.py).
        # The gradients stay on the context (freed with the graph): backward(retain_graph=True)
        # may run this again.
        grads = tuple(None if g is None else energy_bar.to(g.dtype) * g for g in ctx.grads)
        return (None, *grads)


def to_torch(model):
    """Wrap a model as a differentiable function of PyTorch tensors.

    Parameters
    ----------
    model : PhaseRetrieval or Hologram
        The model. Its precision (the dtype of its data or target) is the dtype of every
        argument and of the result.

    Returns
    -------
    callable
        ``fn(a)`` (``PhaseRetrieval``, linear detector), ``fn(a, p)`` (quadratic detector,
        ``p`` the tensor ``(a, b, c)`` of shape (3,)) or ``fn(phi)`` (``Hologram``): E as a
        0-d tensor of the model's dtype, differentiable with respect to every argument that
        requires grad (``backward``, ``torch.autograd.grad``, an upstream cotangent scales
        the gradients). Arguments must be CPU tensors of the model's dtype and shape:
        otherwise ``TypeError`` (type, dtype) or ``ValueError`` (device, shape), before the
        model runs. One C++ ``value_and_grad`` runs per call, under
        ``phasegrad.get_num_threads()`` threads; first derivatives only (a second backward
        through the result raises).

    Examples
    --------
    >>> import numpy as np, torch, phasegrad as pg
    >>> T = np.zeros((16, 16)); T[6:10, 6:10] = 1.0
    >>> fn = pg.to_torch(pg.Hologram(target=T))
    >>> phi = torch.zeros(16, 16, dtype=torch.float64, requires_grad=True)
    >>> fn(phi).backward()
    >>> phi.grad.shape
    torch.Size([16, 16])
    """
    spec = model_spec(model)

    def fn(*args):
        check_count(spec, args)
        return _ModelFunction.apply(spec, *args)

    fn.__name__ = f"{type(model).__name__.lower()}_torch"
    fn.__doc__ = (f"E({', '.join(spec.names)}) of {model!r} as a differentiable PyTorch "
                  f"function ({spec.describe()}; dtype {spec.dtype}).")
    return fn
