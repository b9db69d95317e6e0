"""What the command-line tools share: data errors, output folders, JSON, image stacks.

Nothing here imports matplotlib or Pillow at module level: ``import phasegrad.cli`` must stay
light, and each is loaded only by the command that needs it.

The output folder is checked, made and written through ``phasegrad.arguments.outputs``, which
the benchmark suite uses too.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..arguments.validate import environment_count

__all__ = ["DEFAULT_MAX_INPUT_VALUES", "DataError", "max_input_values", "read_image",
           "read_pupil", "read_stack", "write_json"]

#: The most values an input file may declare (2^27: 1 GiB as float64), unless
#: ``PHASEGRAD_MAX_INPUT_VALUES`` says otherwise. Files are not trusted: a header or an image
#: that declares more is refused before anything of that size is allocated or decoded.
DEFAULT_MAX_INPUT_VALUES = 2**27


def max_input_values():
    """The limit on the values of an input file: ``PHASEGRAD_MAX_INPUT_VALUES`` or the
    default."""
    try:
        return environment_count("PHASEGRAD_MAX_INPUT_VALUES", DEFAULT_MAX_INPUT_VALUES)
    except ValueError as error:  # a bad setting is the user's input, not a bug: one line
        raise DataError(str(error)) from None


def _check_size(path, count, what):
    limit = max_input_values()
    if count > limit:
        raise DataError(f"{path}: {what} declares {count} values, more than the limit of "
                        f"{limit} (set PHASEGRAD_MAX_INPUT_VALUES to allow more)")


def _npy_header(handle, path, what):
    """Shape and dtype from a .npy header (read, not trusted); DataError when unreadable,
    pickled or too large."""
    try:
        version = np.lib.format.read_magic(handle)
        reader = {(1, 0): np.lib.format.read_array_header_1_0,
                  (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if reader is None:
            raise ValueError(f"unsupported .npy version {version}")
        shape, _, dtype = reader(handle)
    except (ValueError, OSError, EOFError) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    if dtype.hasobject:
        raise DataError(f"{path}: {what} holds Python objects (a pickle), which are not read")
    _check_size(path, int(np.prod(shape, dtype=object)), what)
    return shape, dtype


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


def _read_image_frames(path, first_only=False):
    """Every frame of a PNG/TIFF (or only the first) as float64 2-D arrays (RGB(A) averaged
    to grey), after checking the size the header declares."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        raise DataError("reading PNG/TIFF needs Pillow (pip install pillow)") from None
    frames = []
    try:
        with Image.open(path) as image:  # lazy: only the header is read here
            count = 1 if first_only else getattr(image, "n_frames", 1)
            _check_size(path, image.size[0] * image.size[1] * count,
                        f"the image ({image.size[0]} x {image.size[1]} pixels, {count} "
                        "frame(s))")
            for index in range(count):
                image.seek(index)
                frame = np.asarray(image, dtype=np.float64)
                if frame.ndim == 3:          # RGB or RGBA: the mean of the colour channels
                    frame = frame[..., :3].mean(axis=-1)
                frames.append(frame)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise DataError(f"cannot read {path} as an image: {error}") from None
    return frames


def read_image(path):
    """One 2-D float64 image (the first frame of a PNG/TIFF)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    return _read_image_frames(path, first_only=True)[0]


def _read_npz(path, keys, optional=()):
    """``{name: array}`` from a .npz: the first of ``keys`` it holds (under ``keys[0]``'s name
    ``"main"``) and those of ``optional`` it holds; every member read is checked from its
    header and its declared size first (a small archive may inflate to gigabytes)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    with archive:
        names = {name[:-4]: name for name in archive.namelist() if name.endswith(".npy")}
        key = next((k for k in keys if k in names), None)
        if key is None:
            expected = f"'{keys[0]}'" + "".join(f" (or '{k}')" for k in keys[1:])
            also = "".join(f", and optionally '{k}'" for k in optional)
            raise DataError(f"{path} holds {sorted(names)}; expected an array named "
                            f"{expected}{also}")
        arrays = {}
        for name in (key, *optional):
            if name not in names:
                continue
            info = archive.getinfo(names[name])
            _check_size(path, info.file_size // 8, f"'{name}' (inflated to {info.file_size} "
                        "bytes)")
            try:
                with archive.open(info) as handle:
                    _npy_header(handle, path, f"'{name}'")
                with archive.open(info) as handle:
                    arrays["main" if name == key else name] = np.lib.format.read_array(
                        handle, allow_pickle=False)
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
                raise DataError(f"cannot read '{name}' in {path}: {error}") from None
    return arrays


def _read_npy(path):
    """The array of a .npy, its header checked first."""
    with open(path, "rb") as handle:
        _npy_header(handle, path, "the array")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise DataError(f"cannot read {path}: {error}") from None


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
        if path.suffix.lower() == ".npz":
            arrays = _read_npz(path, ("psfs", "data"), ("defocus",))
            stack = arrays["main"]
            defocus = np.atleast_1d(arrays["defocus"]) if "defocus" in arrays else None
        else:
            stack = _read_npy(path)
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


def read_pupil(path):
    """The pupil amplitude from one file, as a square float64 array scaled to a maximum of 1.

    A ``.npy`` (an (n, n) array), a ``.npz`` (``pupil`` or ``amplitude``), or a PNG/TIFF (its
    first frame; RGB averaged to grey). Rows and columns are the array's, as for the data (an
    image's top row is row 0). Grey values are kept as amplitudes (an anti-aliased edge stays
    grey, nothing is thresholded); the support is where the value is not 0. DataError for
    anything unreadable, not square (n >= 4), negative, not finite, or all zero.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"--pupil {path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        pupil = _read_npy(path)
    elif suffix == ".npz":
        pupil = _read_npz(path, ("pupil", "amplitude"))["main"]
    elif suffix in _IMAGE_SUFFIXES:
        pupil = _read_image_frames(path, first_only=True)[0]
    else:
        raise DataError(f"--pupil {path}: unsupported file type {suffix!r}: expected .npy, "
                        ".npz, .png, .tif or .tiff")
    if pupil.dtype.kind not in "iuf":
        raise DataError(f"--pupil {path}: the pupil must be real numbers; got dtype "
                        f"{pupil.dtype}")
    pupil = np.asarray(pupil, dtype=np.float64)
    if pupil.ndim != 2 or pupil.shape[0] != pupil.shape[1] or pupil.shape[0] < 4:
        raise DataError(f"--pupil {path}: the pupil must be a square (n, n) array with n >= 4; "
                        f"got shape {pupil.shape}")
    if not np.all(np.isfinite(pupil)):
        raise DataError(f"--pupil {path}: the pupil contains NaN or infinite values")
    if np.any(pupil < 0):
        raise DataError(f"--pupil {path}: the pupil has negative values (it is an amplitude "
                        "transmission, >= 0)")
    if not np.any(pupil):
        raise DataError(f"--pupil {path}: the pupil is all zero (no light)")
    return pupil / pupil.max()
