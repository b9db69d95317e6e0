"""The stack of problems ``retrieve_many`` reads: a NumPy array, a Zarr array or a path to one
(or to a ``.npy`` file, memory-mapped), or anything array-like that slices along its first
axis (an HDF5 dataset from h5py, a NumPy memmap).

A stack has shape (B, P, M, M) (B problems of P planes) or (B, M, M) (one plane each) and a
real dtype. Only its shape and dtype are read when it is opened; frames are read a chunk at
a time (``Stack.read``), in the task that solves them when the stack is a path (each worker
opens it: the path must be reachable from the workers) and in the calling process otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["Stack", "open_stack"]


class Stack:
    """A validated stack: ``shape`` (B, P, M, M) as read (P = 1 added for a 3-D stack),
    ``problems`` B, ``dtype``, ``path`` (a path to open again in a worker, or None) and
    ``read(start, stop)`` -> a C-ordered (stop - start, P, M, M) array of the stack's
    dtype."""

    def __init__(self, source, path=None):
        self.source = source
        self.path = path
        shape = tuple(int(s) for s in source.shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"data must have shape (B, P, M, M) or (B, M, M); got {shape}")
        if shape[0] < 1 or min(shape[1:]) < 1:
            raise ValueError(f"data must hold at least one problem of non-empty frames; got "
                             f"shape {shape}")
        dtype = np.dtype(source.dtype)
        if dtype.kind not in "iuf" or dtype == np.float16:
            raise TypeError(f"data must be real (float32, float64 or integer); got dtype "
                            f"{dtype}")
        self._planar = len(shape) == 3
        self.shape = (shape[0], 1) + shape[1:] if self._planar else shape
        self.problems = shape[0]
        # Integer counts are solved in float64, float32 stays float32 (the model's precision).
        self.dtype = np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)

    def read(self, start, stop):
        frames = np.asarray(self.source[start:stop])
        if self._planar:
            frames = frames[:, None]
        return np.ascontiguousarray(frames, dtype=self.dtype)

    def __getstate__(self):
        # A path travels as a path (the worker opens it); anything else is read here and sent.
        if self.path is None:
            raise TypeError("a stack held in memory is sent as its frames, not as a whole")
        return {"path": self.path}

    def __setstate__(self, state):
        self.__init__(*_open_path(state["path"]))


def _open_path(path):
    path = Path(path).absolute()  # workers elsewhere may start in another folder
    if path.suffix == ".npy":
        return np.load(path, mmap_mode="r"), str(path)
    import zarr

    return zarr.open_array(str(path), mode="r"), str(path)


def open_stack(data):
    """``data`` as a ``Stack``.

    Parameters
    ----------
    data : array_like, zarr.Array, h5py.Dataset, str or os.PathLike
        The problems' images, (B, P, M, M) or (B, M, M): an array (anything with ``shape``,
        ``dtype`` and slicing along its first axis is read a chunk at a time), or the path of
        a Zarr array or a ``.npy`` file.

    Raises
    ------
    FileNotFoundError
        A path that does not exist.
    TypeError, ValueError
        Anything else that is not a real stack of that shape.
    """
    if isinstance(data, (str, os.PathLike)):
        if not Path(data).exists():
            raise FileNotFoundError(f"data: no such file or folder: {os.fspath(data)!r}")
        try:
            return Stack(*_open_path(data))
        except (OSError, ValueError, KeyError) as error:
            if isinstance(error, ValueError) and "data must" in str(error):
                raise
            raise ValueError(f"data: {os.fspath(data)!r} is neither a Zarr array nor a .npy "
                             f"file ({type(error).__name__}: {error})") from None
    if not (hasattr(data, "shape") and hasattr(data, "dtype") and hasattr(data, "__getitem__")):
        try:
            data = np.asarray(data)
        except ValueError:
            raise ValueError("data must be a rectangular array of shape (B, P, M, M) or "
                             "(B, M, M)") from None
        if data.dtype == object:
            raise TypeError("data must be a real array of shape (B, P, M, M) or (B, M, M)")
    if isinstance(data, np.ndarray) and data.dtype.kind in "bc":
        raise TypeError(f"data must be real (float32, float64 or integer); got dtype "
                        f"{data.dtype}")
    return Stack(data)
