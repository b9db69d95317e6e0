"""What the command-line tools share: data errors, output folders, JSON, image stacks.

Nothing here imports matplotlib or Pillow at module level: ``import phasegrad.cli`` must stay
light, and each is loaded only by the command that needs it.

The output folder is checked, made and written through ``phasegrad.arguments.outputs``, which
the benchmark suite uses too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["DataError", "read_image", "read_stack", "write_json"]


class DataError(Exception):
    """Bad input data: one line, exit code 1 (outputs that cannot be written raise
    ``phasegrad.arguments.outputs.OutputError``, which the command line treats the same)."""


def write_json(path, summary):
    """Write ``summary`` (plain Python and NumPy values) as indented JSON."""
    def convert(value):
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, Path):
            return str(value)
        raise TypeError(f"cannot write {type(value).__name__} to JSON")

    Path(path).write_text(json.dumps(summary, indent=2, default=convert) + "\n")


# -- reading images ----------------------------------------------------------------------------
_IMAGE_SUFFIXES = (".png", ".tif", ".tiff")


def _read_image_frames(path):
    """Every frame of a PNG/TIFF as float64 2-D arrays (RGB(A) averaged to grey)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        raise DataError("reading PNG/TIFF needs Pillow (pip install pillow)") from None
    frames = []
    try:
        with Image.open(path) as image:
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frame = np.asarray(image, dtype=np.float64)
                if frame.ndim == 3:          # RGB or RGBA: the mean of the colour channels
                    frame = frame[..., :3].mean(axis=-1)
                frames.append(frame)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DataError(f"cannot read {path} as an image: {error}") from None
    return frames


def read_image(path):
    """One 2-D float64 image (the first frame of a PNG/TIFF)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    return _read_image_frames(path)[0]


def read_stack(paths):
    """PSFs and the defocus stored with them (or None) from the files given.

    One ``.npy`` (an (M, M) or (P, M, M) array), one ``.npz`` (``psfs`` or ``data``, and
    optionally ``defocus``), one multi-page TIFF, or several PNG/TIFF files (one plane each).
    Returns ``(stack (P, M, M) float64, defocus or None)``; DataError for anything unreadable.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise DataError(f"{path}: no such file")
    suffixes = {path.suffix.lower() for path in paths}
    defocus = None
    if suffixes & {".npy", ".npz"}:
        if len(paths) != 1:
            raise DataError("give one .npy/.npz file, or several PNG/TIFF images")
        path = paths[0]
        try:
            loaded = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            raise DataError(f"cannot read {path}: {error}") from None
        if path.suffix.lower() == ".npz":
            with loaded:
                key = next((k for k in ("psfs", "data") if k in loaded.files), None)
                if key is None:
                    raise DataError(f"{path} holds {sorted(loaded.files)}; expected an array "
                                    "named 'psfs' (or 'data'), and optionally 'defocus'")
                stack = loaded[key]
                if "defocus" in loaded.files:
                    defocus = np.atleast_1d(loaded["defocus"])
        else:
            stack = loaded
    elif suffixes <= set(_IMAGE_SUFFIXES):
        frames = [frame for path in paths for frame in _read_image_frames(path)]
        shapes = {frame.shape for frame in frames}
        if len(shapes) > 1:
            raise DataError(f"the images have different shapes {sorted(shapes)}")
        stack = np.stack(frames)
    else:
        raise DataError(f"unsupported file type {sorted(suffixes)}: expected .npy, .npz, "
                        ".png, .tif or .tiff")
    if stack.dtype.kind not in "iuf":
        raise DataError(f"the PSFs must be real numbers; got dtype {stack.dtype}")
    stack = np.asarray(stack, dtype=np.float64)
    if stack.ndim == 2:
        stack = stack[None]
    if stack.ndim != 3 or stack.shape[1] != stack.shape[2] or stack.shape[1] < 4:
        raise DataError(f"the PSFs must be square images, (M, M) or (P, M, M) with M >= 4; "
                        f"got shape {stack.shape}")
    if not np.all(np.isfinite(stack)):
        raise DataError("the PSFs contain NaN or infinite values")
    if defocus is not None:
        if defocus.dtype.kind not in "iuf" or defocus.ndim != 1 \
                or not np.all(np.isfinite(defocus)):
            raise DataError("'defocus' in the .npz must be a 1-D array of finite numbers")
        defocus = defocus.astype(np.float64)
    return stack, defocus
