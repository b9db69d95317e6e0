"""``to_jax(model)``: a phasegrad model as a differentiable, jit-compatible JAX function.

A ``jax.custom_vjp`` over ``jax.pure_callback``: the forward rule calls the model's
``value_and_grad`` once on the host and carries the gradients to the backward rule as
residuals (one C++ call per forward + backward, no state kept between calls). Works under
``jax.jit``, ``jax.grad``, ``jax.value_and_grad`` and ``jax.vmap`` (one call per batch
element).

Gradient convention: JAX's ``grad`` of a real E with respect to a complex x is the complex
conjugate of phasegrad's x̄ = ∂E/∂Re x + i ∂E/∂Im x (docs/design.md; jax#9110). The backward rule
goes through ``_to_jax_convention``, which conjugates complex gradients; the parameters of
the models (a, p, phi) are real, so for them it changes nothing.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._spec import check_count, model_spec


def _to_jax_convention(x_bar):
    """phasegrad's gradient in JAX's convention: conjugated when complex, as is when real."""
    return jnp.conj(x_bar) if jnp.iscomplexobj(x_bar) else x_bar


def _check_precision(spec):
    if spec.dtype == np.float64 and not jax.config.jax_enable_x64:
        raise RuntimeError(
            "this model is float64 (its data or target is float64) but JAX runs in 32 bits: "
            "turn on jax.config.update('jax_enable_x64', True) before creating arrays, or "
            "build the model from float32 data")


def _as_jax(x, name, shape, dtype):
    """``x`` as a JAX array (or tracer) after checking its dtype and shape; never casts."""
    if isinstance(x, list | tuple):  # e.g. p = (a, b, c) given as numbers
        x = jnp.asarray(np.asarray(x, dtype=dtype))
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise TypeError(f"{name} must be a JAX or NumPy array; got {type(x).__name__}")
    if np.dtype(x.dtype) != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the model's precision); got "
                        f"{np.dtype(x.dtype)}")
    if tuple(x.shape) != shape:
        raise ValueError(f"{name} must have shape {shape}; got {tuple(x.shape)}")
    return jnp.asarray(x)


def to_jax(model):
    """Wrap a model as a differentiable, jit-compatible JAX function.

    Parameters
    ----------
    model : PhaseRetrieval or Hologram
        The model. Its precision (the dtype of its data or target) is the dtype of every
        argument and of the result; a float64 model needs ``jax_enable_x64`` (checked at
        each call, so a ``RuntimeError`` says so rather than JAX silently running float32).

    Returns
    -------
    callable
        ``fn(a)`` (``PhaseRetrieval``, linear detector), ``fn(a, p)`` (quadratic detector,
        ``p`` of shape (3,)) or ``fn(phi)`` (``Hologram``): E as a 0-d array of the model's
        dtype. ``jax.grad`` / ``jax.vjp`` scale the model's gradients by the cotangent; the
        arguments must have the model's dtype and shape (``TypeError`` / ``ValueError``
        otherwise, at trace time). The model runs on the host through ``jax.pure_callback``
        on a thread of JAX's choosing: ``phasegrad.set_num_threads`` applies there, a ``with
        phasegrad.threads(n)`` block around the JAX call may not. First derivatives only.

    Examples
    --------
    >>> import jax, numpy as np, phasegrad as pg
    >>> T = np.zeros((16, 16), dtype=np.float32); T[6:10, 6:10] = 1.0
    >>> fn = pg.to_jax(pg.Hologram(target=T))
    >>> jax.jit(jax.grad(fn))(np.zeros((16, 16), dtype=np.float32)).shape
    (16, 16)
    """
    spec = model_spec(model)
    result_shapes = (jax.ShapeDtypeStruct((), spec.dtype),
                     tuple(jax.ShapeDtypeStruct(shape, spec.dtype) for shape in spec.shapes))

    def host_value_and_grad(*arrays):
        # On the host, with NumPy arrays: one C++ call gives E and every gradient.
        return spec.call(*(np.asarray(a) for a in arrays))

    def value_and_grads(*args):
        return jax.pure_callback(host_value_and_grad, result_shapes, *args,
                                 vmap_method="sequential")

    @jax.custom_vjp
    def energy(*args):
        return value_and_grads(*args)[0]

    def energy_fwd(*args):
        value, grads = value_and_grads(*args)
        return value, grads

    def energy_bwd(grads, energy_bar):
        # E is real, so JAX's cotangent is real: x_bar = E_bar * conj-if-complex(dE/dx).
        return tuple(energy_bar * _to_jax_convention(g) for g in grads)

    energy.defvjp(energy_fwd, energy_bwd)

    def fn(*args):
        check_count(spec, args)
        _check_precision(spec)
        arrays = [_as_jax(x, name, shape, spec.dtype)
                  for x, name, shape in zip(args, spec.names, spec.shapes, strict=True)]
        return energy(*arrays)

    fn.__name__ = f"{type(model).__name__.lower()}_jax"
    fn.__doc__ = (f"E({', '.join(spec.names)}) of {model!r} as a differentiable JAX "
                  f"function ({spec.describe()}; dtype {spec.dtype}).")
    return fn
