"""The results of ``retrieve_many`` in a Zarr group, written a chunk at a time, so that a
stopped run resumes where it stopped.

Layout: arrays ``x`` (B, n_params) float64, ``cost`` (B,) float64, ``converged`` (B,) bool,
``nit`` (B,) int64 and ``error`` (B,) strings, all chunked like the run (``chunk`` problems per
Zarr chunk, so that one run chunk is one Zarr chunk of each array and no two writers share a
Zarr chunk), and ``done`` (n_chunks,) bool, one Zarr chunk per flag. The group's attributes
record B, n_params, chunk and the method; a store made for another run is refused.

A chunk is committed by its ``done`` flag, written after its five arrays: a run stopped
between the two leaves the flag unset and the chunk is solved again on resume (the arrays'
partial write is overwritten). Only the process that calls ``retrieve_many`` writes, one chunk
at a time, as each task's result arrives: the workers need no access to the store.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["ResultStore"]

_ARRAYS = ("x", "cost", "converged", "nit", "error")


def _create(group, name, shape, chunks, dtype, fill):
    """An array of the group, by Zarr 3's ``create_array`` or Zarr 2's ``create_dataset``
    (whose strings are objects with a variable-length UTF-8 codec)."""
    if hasattr(group, "create_array"):
        return group.create_array(name, shape=shape, chunks=chunks, dtype=dtype,
                                  fill_value=fill, overwrite=True)
    extra = {}
    if dtype is str:
        from numcodecs import VLenUTF8

        dtype, extra = object, {"object_codec": VLenUTF8()}
    return group.create_dataset(name, shape=shape, chunks=chunks, dtype=dtype,
                                fill_value=fill, overwrite=True, **extra)


class ResultStore:
    """Open (or make) the store at ``path`` for ``problems`` problems of ``n_params``
    parameters in chunks of ``chunk``, solved by ``method``.

    Raises ValueError when ``path`` holds a store of another shape, chunking or method, or
    something that is not such a store.
    """

    def __init__(self, path, problems, n_params, chunk, method):
        import zarr

        self.path = os.fspath(path)
        self.chunk = chunk
        self.chunks = -(-problems // chunk)
        meta = {"phasegrad": "retrieve_many", "problems": problems, "n_params": n_params,
                "chunk": chunk, "method": method}
        try:
            group = zarr.open_group(self.path, mode="a")
        except Exception as error:  # noqa: BLE001 (zarr raises several kinds)
            raise ValueError(f"out: {self.path!r} cannot be opened as a Zarr group "
                             f"({type(error).__name__}: {error})") from None
        found = {key: group.attrs.get(key) for key in meta}
        if any(value is not None for value in found.values()) and found != meta:
            raise ValueError(f"out: {self.path!r} holds the results of another run ({found}); "
                             f"this run is {meta}: give another out")
        if found != meta and len(list(group.keys())):
            raise ValueError(f"out: {self.path!r} is a Zarr group that retrieve_many did not "
                             f"make: give another out")
        if found != meta:
            specs = {"x": ((problems, n_params), (chunk, n_params), "float64", np.nan),
                     "cost": ((problems,), (chunk,), "float64", np.nan),
                     "converged": ((problems,), (chunk,), "bool", False),
                     "nit": ((problems,), (chunk,), "int64", 0),
                     "error": ((problems,), (chunk,), str, ""),
                     "done": ((self.chunks,), (1,), "bool", False)}
            for name, (shape, chunks, dtype, fill) in specs.items():
                _create(group, name, shape, chunks, dtype, fill)
            group.attrs.update(meta)  # last: a store without them is made again
        self.group = group

    def done(self):
        """The chunks committed, a (n_chunks,) bool array."""
        return np.asarray(self.group["done"][:], dtype=bool)

    def write(self, index, result, commit=True):
        """Write chunk ``index``'s ``ChunkResult`` and then (``commit``) its flag."""
        start = index * self.chunk
        stop = start + len(result["cost"])
        for name in _ARRAYS:
            values = result[name]
            if name == "error":
                values = np.asarray([str(e) for e in values], dtype=str)
            self.group[name][start:stop] = values
        if commit:
            self.group["done"][index] = True

    def read(self):
        """Every array (``_ARRAYS``) as NumPy, errors as a str array."""
        arrays = {name: np.asarray(self.group[name][:]) for name in _ARRAYS}
        arrays["error"] = np.asarray(arrays["error"], dtype=object).astype(str)
        return arrays
