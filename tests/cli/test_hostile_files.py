"""Input files are not trusted (issue 17, D9): a header or an image that declares more values
than the limit is refused before anything of that size is allocated or decoded; a pickle is
never read; each ends in one line and exit code 1, never a traceback."""

import io
import zipfile

import numpy as np
import pytest

from phasegrad.cli import main
from phasegrad.cli.io import DataError, read_image, read_stack


def _npy_declaring(shape):
    """The bytes of a .npy whose header declares ``shape`` but holds almost no data."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue() + b"\0" * 64


def test_a_huge_declared_shape_is_refused(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_declaring((100_000, 100_000)))
    with pytest.raises(DataError, match="declares 10000000000 values, more than the limit"):
        read_stack([path])


def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path, monkeypatch):
    """A member whose header declares little but which inflates to much more (the limit is
    lowered so that the test inflates 8 MiB, not gigabytes)."""
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("psfs.npy", "w") as member:
            member.write(_npy_declaring((64, 64)))
            member.write(bytes(8 << 20))  # 8 MiB of zeros, a few KiB compressed
    assert path.stat().st_size < 64 << 10
    monkeypatch.setenv("PHASEGRAD_MAX_INPUT_VALUES", "100000")
    with pytest.raises(DataError, match=r"'psfs' \(inflated to \d+ bytes\) declares"):
        read_stack([path])


def test_a_pickle_in_an_npz_is_exit_code_1_like_an_npy(tmp_path, capsys):
    np.savez(tmp_path / "pickled.npz", psfs=np.array([{"a": 1}], dtype=object))
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object))
    for name in ("pickled.npz", "pickled.npy"):
        code = main(["retrieve", str(tmp_path / name), "--out", str(tmp_path / "out")])
        assert code == 1
        assert "pickle" in capsys.readouterr().err


def test_an_image_larger_than_the_limit_is_refused_undecoded(tmp_path, monkeypatch):
    from PIL import Image

    path = tmp_path / "image.png"
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(path)
    monkeypatch.setenv("PHASEGRAD_MAX_INPUT_VALUES", "1000")
    with pytest.raises(DataError, match=r"the image \(64 x 64 pixels, 1 frame\(s\)\) declares "
                                        "4096 values"):
        read_stack([path])
    monkeypatch.setenv("PHASEGRAD_MAX_INPUT_VALUES", "5000")
    assert read_stack([path])[0].shape == (1, 64, 64)


def test_the_target_image_reads_only_its_first_page(tmp_path, monkeypatch):
    from PIL import Image

    path = tmp_path / "pages.tif"
    pages = [Image.fromarray(np.full((32, 32), k, np.uint8)) for k in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    monkeypatch.setenv("PHASEGRAD_MAX_INPUT_VALUES", str(32 * 32))  # one page, not three
    np.testing.assert_array_equal(read_image(path), np.zeros((32, 32)))
    with pytest.raises(DataError, match="3 frame"):
        read_stack([path])


def test_a_bad_limit_is_one_line(tmp_path, monkeypatch):
    np.save(tmp_path / "psfs.npy", np.ones((8, 8)))
    monkeypatch.setenv("PHASEGRAD_MAX_INPUT_VALUES", "lots")
    with pytest.raises(DataError, match="PHASEGRAD_MAX_INPUT_VALUES must be a positive"):
        read_stack([tmp_path / "psfs.npy"])
