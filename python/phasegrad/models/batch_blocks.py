"""The blocks of B problems for the native imaging batch (``core.FusedImagingBatch64/32``).

``PhaseRetrievalBatch`` hands the imaging batch every block of a call at once, each flat: a free
block as a (B, size) array (row b problem b's, from the columns of X that ``parameters`` gives
it), a fixed one (a known object, fixed flux, background, shift or jitter) as one (size,) array
shared by every problem; and reads the free blocks' gradients back as (B, size) arrays. Each
value is the one ``PhaseRetrieval`` gives its fused backend for that problem (the same casts, the
amplitude block's effective map row by row), so that a batch's results equal its single models'.
"""

from __future__ import annotations

import numpy as np

# The blocks held in the model's precision (the others are float64).
_MODEL_PRECISION = frozenset({"wavefront", "object", "amplitude"})


def _columns(X, parameter):
    return X[:, parameter.offset:parameter.offset + parameter.size]


def _amplitude_maps(model, coefficients):
    """Each row's effective (n * n) amplitude on the support (``PhaseRetrieval``'s map)."""
    support = model.support.reshape(-1)
    basis = None if model.amplitude_basis is None else model.amplitude_basis.astype(np.float64)
    rows = []
    for c in coefficients:
        if basis is not None:
            c = np.tensordot(c, basis, axes=1).reshape(-1)
        rows.append(np.where(support, c, 0.0))
    return np.ascontiguousarray(np.stack(rows), dtype=model.dtype)


def _free_block(model, name, values):
    if name == "amplitude":
        return _amplitude_maps(model, values)
    dtype = model.dtype if name in _MODEL_PRECISION else np.float64
    return np.ascontiguousarray(values, dtype=dtype)


def stacked_blocks(model, X):
    """The blocks of every problem at X (B, n_params) float64, for ``model`` (the batch's
    template ``PhaseRetrieval``): free blocks (B, size), fixed ones (size,)."""
    blocks = {p.name: _free_block(model, p.name, _columns(X, p)) for p in model.parameters}
    if model.object_kind == "known":
        blocks["object"] = np.ascontiguousarray(np.ravel(model.object), dtype=model.dtype)
    for name, fixed in (("flux", model.fixed_flux), ("background", model.fixed_background),
                        ("shift", model.fixed_shift)):
        if name not in blocks and fixed is not None:
            blocks[name] = np.ascontiguousarray(np.ravel(fixed), dtype=np.float64)
    if "jitter" not in blocks and model.fixed_jitter is not None:
        blocks["jitter"] = np.array([float(model.fixed_jitter)])
    return blocks


def stacked_dots(model, V):
    """The tangents of the free blocks of every problem for V (B, n_params)."""
    return {p.name: _free_block(model, p.name, _columns(V, p)) for p in model.parameters}


def flat_gradients(model, grads, count):
    """The free blocks' gradients (B, size each) as (B, n_params) float64 rows; the amplitude's
    masked by the support and projected onto ``amplitude_basis`` row by row (as
    ``PhaseRetrieval`` does for one problem)."""
    out = np.empty((count, model.n_params))
    support = model.support
    for p in model.parameters:
        g = np.asarray(grads[p.name], dtype=np.float64)
        if p.name == "amplitude":
            g = np.where(support.reshape(-1), g, 0.0)
            if model.amplitude_basis is not None:
                basis = model.amplitude_basis.astype(np.float64)
                g = np.stack([np.tensordot(basis, row.reshape(support.shape),
                                           axes=([1, 2], [0, 1])) for row in g])
        out[:, p.offset:p.offset + p.size] = g.reshape(count, p.size)
    return out
