"""``phasegrad retrieve --pupil FILE`` (the user's own pupil, grey edges kept, the modes on its
support) and a ``--pad`` that is not an integer (lambda F# / pixel pitch, e.g. 2.56)."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main
from phasegrad.cli.io import DataError, read_pupil
from phasegrad.cli.pupil import support_disk, zernike_on_support

MODES = 6
TRUTH = np.array([0.03, -0.05, 0.04, 0.02, -0.03, 0.01])
DEFOCUS = (-0.5, 0.0, 0.5)


def _grey_disk(n, radius, oversample=8):
    """A disk of ``radius`` pixels centred on the (n, n) array, each pixel the fraction of its
    area inside (sampled on an oversample x oversample sub-grid): grey edges."""
    sub = (np.arange(n * oversample) + 0.5) / oversample - n / 2
    inside = (sub[:, None] ** 2 + sub[None, :] ** 2) <= radius**2
    return inside.reshape(n, oversample, n, oversample).mean(axis=(1, 3))


def _simulate(amplitude, basis, defocus_mode, pad=2, scale=1000.0):
    n = amplitude.shape[0]
    size = round(pad * n)
    diversity = np.array(DEFOCUS)[:, None, None] * defocus_mode
    model = pg.PhaseRetrieval(amplitude=amplitude / amplitude.sum(), basis=basis,
                              data=np.zeros((3, size, size)), diversity=diversity, pad=pad)
    return scale * model.simulate(TRUTH)


def _retrieve(tmp_path, data, *extra, name="out"):
    np.save(tmp_path / "psfs.npy", data)
    out = tmp_path / name
    try:
        code = main(["retrieve", str(tmp_path / "psfs.npy"), "--modes", str(MODES),
                     "--defocus", "-0.5,0,0.5", "--detector", "linear", "--out", str(out),
                     *extra])
    except SystemExit as stop:  # a bad argument: the parser's one line, exit code 2
        code = stop.code
    written = code in (0, 3)  # 3: written, but not converged or far above the noise
    summary = json.loads((out / "coefficients.json").read_text()) if written else None
    return code, summary


# -- --pad that is not an integer ----------------------------------------------------------
def test_a_pad_of_2_56_round_trips(tmp_path, capsys):
    # lambda = 0.64 um, F/20, 5 um pixels: pad 2.56; 64-pixel images, a 25-pixel pupil
    n = 25
    data = _simulate(pg.circular_pupil(n), pg.zernike_basis(MODES, n, first=2),
                     pg.zernike_basis(1, n, first=4)[0], pad=2.56)
    assert data.shape == (3, 64, 64)
    code, summary = _retrieve(tmp_path, data, "--pad", "2.56")
    assert code == 0, capsys.readouterr().err
    np.testing.assert_allclose(summary["coefficients_waves"], TRUTH, atol=1e-7)
    assert summary["options"]["pad"] == 2.56 and summary["options"]["pupil_size"] == 25
    assert "grid=64" in summary["model"]
    # the same data read at pad 2 (a 32-pixel pupil) are a different, wrong model
    code, wrong = _retrieve(tmp_path, data, name="pad2")
    assert code == 3 and wrong["noise"]["agrees"] is False  # far above the noise (trust.md)
    assert np.abs(np.array(wrong["coefficients_waves"]) - TRUTH).max() > 1e-3


def test_images_smaller_than_the_grid_are_its_central_window(tmp_path, capsys):
    # a camera's region of interest: 40 x 40 pixels of a 64-pixel grid (n = 25, pad 2.56)
    n = 25
    full = _simulate(pg.circular_pupil(n), pg.zernike_basis(MODES, n, first=2),
                     pg.zernike_basis(1, n, first=4)[0], pad=2.56)
    window = full[:, 32 - 20:32 + 20, 32 - 20:32 + 20]
    # the light outside the window is unknown: the flux is fitted (or the quadratic
    # detector's gain)
    code, summary = _retrieve(tmp_path, window, "--pad", "2.56", "--pupil-size", "25",
                              "--fit", "flux")
    assert code == 0, capsys.readouterr().err
    np.testing.assert_allclose(summary["coefficients_waves"], TRUTH, atol=1e-6)
    assert summary["options"]["fit"] == ["flux"] and len(summary["nuisance"]["flux"]) == 3


def _error(capsys, code, *words, status=1):
    assert code == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("phasegrad retrieve: "), err
    for word in words:
        assert word in err, err


def test_a_pad_that_does_not_divide_the_image_is_one_line(tmp_path, capsys):
    data = np.ones((3, 64, 64))
    _error(capsys, _retrieve(tmp_path, data, "--pad", "2.5")[0], "not a whole multiple",
           "25.6", "--pupil-size")
    _error(capsys, _retrieve(tmp_path, data, "--pad", "2.5", "--pupil-size", "25")[0],
           "--pupil-size 25 x --pad 2.5 = 62.5: the grid must be a whole number, at least 64")
    _error(capsys, _retrieve(tmp_path, data, "--pad", "2.56", "--pupil-size", "20")[0],
           "--pupil-size 20 x --pad 2.56 = 51.2")
    _error(capsys, _retrieve(tmp_path, data, "--bin", "2", "--pupil-size", "33")[0],
           "64x64 pixels x --bin 2 = 128 but --pupil-size 33 x --pad 2 = 66: the grid must "
           "be a whole number divisible by --bin 2, at least 128")
    for bad in ("0.5", "nan", "inf", "two"):
        _error(capsys, _retrieve(tmp_path, data, "--pad", bad)[0], "--pad", status=2)
    assert not (tmp_path / "out").exists()


# -- --pupil FILE --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def grey_pupil():
    return _grey_disk(16, 7.3)


def test_read_pupil_keeps_grey_values(tmp_path, grey_pupil):
    assert 0 < grey_pupil[grey_pupil > 0].min() < 0.2  # a real grey edge
    np.save(tmp_path / "pupil.npy", 3.0 * grey_pupil)
    np.testing.assert_allclose(read_pupil(tmp_path / "pupil.npy"), grey_pupil / grey_pupil.max(),
                               rtol=1e-15)
    np.savez(tmp_path / "pupil.npz", pupil=grey_pupil)
    np.testing.assert_allclose(read_pupil(tmp_path / "pupil.npz"), grey_pupil, rtol=1e-15)


def test_read_pupil_from_png_keeps_grey_levels(tmp_path, grey_pupil):
    Image = pytest.importorskip("PIL.Image")
    levels = np.round(grey_pupil * 65535).astype(np.uint16)
    Image.fromarray(levels).save(tmp_path / "pupil.png")
    read = read_pupil(tmp_path / "pupil.png")
    np.testing.assert_allclose(read, levels / levels.max(), rtol=1e-12)
    assert len(np.unique(read)) > 5  # not thresholded


def test_the_modes_cover_the_support_of_the_users_pupil():
    # a computed circle: the same modes as zernike_basis
    for n in (16, 17, 32):
        circle = pg.circular_pupil(n)
        assert support_disk(circle) == n
        np.testing.assert_array_equal(zernike_on_support(circle, 5, first=2),
                                      pg.zernike_basis(5, n, first=2))
    # a 40-pixel disk in a 64-pixel array: the modes of the 40-pixel disk, not of the array's
    framed = np.zeros((64, 64))
    framed[12:52, 12:52] = pg.circular_pupil(40)
    assert support_disk(framed) == 40
    modes = zernike_on_support(framed, 5, first=2)
    np.testing.assert_array_equal(modes[:, 12:52, 12:52], pg.zernike_basis(5, 40, first=2))
    assert not modes[:, :12].any() and not modes[:, 52:].any()
    # a square pupil: the disk through its corners, every pixel of the square covered
    square = np.ones((16, 16))
    assert support_disk(square) == 22
    assert np.all(zernike_on_support(square, 1, first=4)[0] != 0)


def test_retrieve_with_the_users_grey_pupil(tmp_path, capsys, grey_pupil):
    basis = zernike_on_support(grey_pupil, MODES, first=2)
    defocus_mode = zernike_on_support(grey_pupil, 1, first=4)[0]
    data = _simulate(grey_pupil, basis, defocus_mode)
    np.save(tmp_path / "pupil.npy", grey_pupil)
    code, summary = _retrieve(tmp_path, data, "--pupil", str(tmp_path / "pupil.npy"))
    assert code == 0, capsys.readouterr().err
    exact = np.abs(np.array(summary["coefficients_waves"]) - TRUTH).max()
    assert exact < 1e-7
    assert summary["options"]["pupil"] == str(tmp_path / "pupil.npy")
    assert summary["options"]["pupil_size"] == 16
    # the same pupil thresholded, and the computed circle, fit these data worse
    np.save(tmp_path / "binary.npy", (grey_pupil >= 0.5).astype(float))
    code, binary = _retrieve(tmp_path, data, "--pupil", str(tmp_path / "binary.npy"),
                             name="binary")
    assert code == 3  # the wrong pupils' residuals are far above the noise (trust.md)
    code, circle = _retrieve(tmp_path, data, name="circle")
    assert code == 3
    for other in (binary, circle):
        assert np.abs(np.array(other["coefficients_waves"]) - TRUTH).max() > 100 * exact
        assert other["cost"] > 1e3 * summary["cost"]


def test_bad_pupil_files_are_one_line(tmp_path, capsys, grey_pupil):
    data = np.ones((3, 32, 32))

    def run(pupil, *extra):
        return _retrieve(tmp_path, data, "--pupil", str(pupil), *extra)[0]

    _error(capsys, run(tmp_path / "missing.npy"), "--pupil", "no such file")
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    _error(capsys, run(tmp_path / "junk.npy"), "cannot read")
    (tmp_path / "pupil.txt").write_text("1 1")
    _error(capsys, run(tmp_path / "pupil.txt"), "unsupported file type")
    cases = {"cube": np.ones((2, 16, 16)), "oblong": np.ones((16, 12)),
             "tiny": np.ones((3, 3)), "negative": grey_pupil - 0.1,
             "nan": np.where(grey_pupil > 0.5, np.nan, grey_pupil),
             "dark": np.zeros((16, 16)), "complex": grey_pupil + 0j}
    words = {"cube": "square", "oblong": "square", "tiny": "n >= 4", "negative": "negative",
             "nan": "NaN", "dark": "all zero", "complex": "real numbers"}
    for name, pupil in cases.items():
        np.save(tmp_path / f"{name}.npy", pupil)
        _error(capsys, run(tmp_path / f"{name}.npy"), "--pupil", words[name])
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object))
    _error(capsys, run(tmp_path / "pickled.npy"), "pickle")
    np.savez(tmp_path / "nokey.npz", mask=grey_pupil)
    _error(capsys, run(tmp_path / "nokey.npz"), "'pupil'")
    # a pupil whose size and --pad do not make the images, and a --pupil-size that disagrees
    np.save(tmp_path / "pupil.npy", grey_pupil)
    _error(capsys, run(tmp_path / "pupil.npy", "--pad", "1.5"),
           "the --pupil file's size x --pad 1.5 = 24: the grid must be a whole number, at "
           "least 32")
    _error(capsys, run(tmp_path / "pupil.npy", "--pupil-size", "20"),
           "--pupil-size 20 but the --pupil file is 16x16")
    # a computed-circle option with a file: a usage error
    _error(capsys, run(tmp_path / "pupil.npy", "--obscuration", "0.2"), "not allowed with",
           status=2)
    assert not (tmp_path / "out").exists()


def test_a_pupil_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch, grey_pupil):
    np.save(tmp_path / "pupil.npy", grey_pupil)
    monkeypatch.setenv("PHASEGRAD_MAX_INPUT_VALUES", "100")
    with pytest.raises(DataError, match="declares 256 values, more than the limit"):
        read_pupil(tmp_path / "pupil.npy")


def test_undersampled_images_with_bin(tmp_path, capsys):
    # pixels twice too coarse: a 16-pixel pupil at pad 2 on a 32-pixel grid, 16 x 16 pixels
    n = 16
    pupil = pg.circular_pupil(n)
    defocus = pg.zernike_basis(1, n, first=4)[0]
    model = pg.PhaseRetrieval(amplitude=pupil / pupil.sum(),
                              basis=pg.zernike_basis(MODES, n, first=2),
                              data=np.zeros((3, n, n)), bin=2,
                              diversity=np.array(DEFOCUS)[:, None, None] * defocus)
    data = 1000.0 * model.simulate(TRUTH)
    code, summary = _retrieve(tmp_path, data, "--bin", "2")
    assert code == 0, capsys.readouterr().err
    np.testing.assert_allclose(summary["coefficients_waves"], TRUTH, atol=1e-7)
    assert summary["options"]["bin"] == 2 and summary["options"]["pupil_size"] == 16
    assert "bin=2" in summary["model"]
