"""What an adapter needs to know about a model: its arguments, their shapes and its precision.

Shared by the PyTorch and JAX adapters, so that both take the same arguments and return the
same results. Framework-free: this module imports neither torch nor jax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import Hologram, PhaseRetrieval


@dataclass(frozen=True)
class ModelSpec:
    """The positional arguments of a model's ``value_and_grad`` and how to call it.

    ``names[i]`` has shape ``shapes[i]``; every argument, E and every gradient have ``dtype``
    (the model's precision, set by its data or target).
    """

    model: object
    names: tuple
    shapes: tuple
    dtype: np.dtype

    def call(self, *arrays):
        """``(E, grads)`` from one ``value_and_grad``, all in the model's precision.

        E is a 0-d array; ``grads`` a tuple of fresh arrays, one per argument, shaped like
        it (the quadratic detector's ``p_bar``, float64 in the model, is cast to ``dtype``).
        """
        energy, *grads = self.model.value_and_grad(*arrays)
        grads = tuple(np.array(g, dtype=self.dtype, copy=True).reshape(shape)
                      for g, shape in zip(grads, self.shapes, strict=True))
        return np.asarray(energy, dtype=self.dtype), grads

    def describe(self):
        """``"a: (6,), p: (3,)"`` for error messages."""
        return ", ".join(f"{name}: {shape}" for name, shape in zip(self.names, self.shapes,
                                                                      strict=True))


def model_spec(model):
    """The ``ModelSpec`` of a ``PhaseRetrieval`` or ``Hologram``; ``TypeError`` otherwise.

    A phase retrieval with free blocks beyond the wavefront and the detector (point sources, a
    free scene, flux, background, shift, jitter, amplitude) takes one argument, the flat vector
    ``x`` of ``model.pack``, in the model's precision."""
    if isinstance(model, PhaseRetrieval):
        if set(model.free_blocks) - {"wavefront", "detector"}:
            # Objects, sources or nuisance blocks: the flat parameter vector (model.pack).
            return ModelSpec(model, ("x",), ((model.n_params,),), np.dtype(model.dtype))
        if model.detector == "quadratic":
            return ModelSpec(model, ("a", "p"), (tuple(model.coefficient_shape), (3,)),
                             np.dtype(model.dtype))
        return ModelSpec(model, ("a",), (tuple(model.coefficient_shape),),
                         np.dtype(model.dtype))
    if isinstance(model, Hologram):
        return ModelSpec(model, ("phi",), (tuple(model.shape),), np.dtype(model.dtype))
    raise TypeError(f"model must be a phasegrad.PhaseRetrieval or phasegrad.Hologram; got "
                    f"{type(model).__name__}")


def check_count(spec, args):
    """``TypeError`` unless ``args`` has one entry per argument of the model."""
    if len(args) != len(spec.names):
        raise TypeError(f"this model takes {len(spec.names)} argument(s) ({spec.describe()}); "
                        f"got {len(args)}")
