"""The figures: a colour bar on every image, planes labelled by their defocus, the wavefront
drawn with row 0 at the bottom (``phasegrad.pupils``: y grows with the row index), holograms
with row 0 at the top (the image convention of the PNGs they come from and go to)."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import plots

mpl_figure = pytest.importorskip("matplotlib.figure")


@pytest.fixture
def saved(monkeypatch, tmp_path):
    """The figures the plot functions save, kept open for inspection (and still written)."""
    figures = []
    original = mpl_figure.Figure.savefig

    def keep(fig, path, *args, **kwargs):
        figures.append(fig)
        return original(fig, path, *args, **kwargs)

    monkeypatch.setattr(mpl_figure.Figure, "savefig", keep)
    return figures


def _images(fig):
    return [(axis, image) for axis in fig.axes for image in axis.get_images()]


def _titled(fig, text):
    return [axis for axis in fig.axes if text in axis.get_title()]


@pytest.mark.parametrize("with_truth", [True, False])
def test_phase_retrieval_figure(saved, tmp_path, with_truth):
    n, planes = 8, 3
    pupil = pg.circular_pupil(n)
    rows = np.arange(n, dtype=np.float64)[:, None] * np.ones(n)   # grows with the row index
    data = np.random.default_rng(0).uniform(0.1, 1.0, (planes, 2 * n, 2 * n))
    path = tmp_path / "figure.png"
    plots.phase_retrieval_figure(path, pupil, rows, data, data, np.geomspace(1, 1e-9, 20),
                                 truth=rows if with_truth else None,
                                 rms=np.geomspace(1, 1e-9, 20) if with_truth else None,
                                 title="test", defocus=np.array([-0.5, 0.0, 0.5]))
    assert path.read_bytes()[:4] == b"\x89PNG"
    (fig,) = saved
    images = _images(fig)
    assert len(images) == (3 if with_truth else 1) + 2 * planes
    for axis, image in images:
        assert image.colorbar is not None, axis.get_title()
        assert image.origin == "lower", axis.get_title()
        assert "row 0 at the bottom" in axis.get_ylabel() or not axis.get_ylabel()
    (wavefront,) = _titled(fig, "recovered wavefront")
    assert "row 0 at the bottom" in wavefront.get_ylabel()
    # row 0 (the smallest value) is drawn at the bottom: y = -1 .. 1 upwards
    image = wavefront.get_images()[0]
    assert tuple(image.get_extent()) == (-1.0, 1.0, -1.0, 1.0)
    for label in ("defocus -0.5 waves", "defocus 0 waves", "defocus 0.5 waves"):
        assert len(_titled(fig, label)) == 2, label           # data and model
    assert not _titled(fig, "plane ")


def test_many_planes_show_six_and_say_so(saved, tmp_path):
    n = 8
    pupil = pg.circular_pupil(n)
    data = np.ones((9, 2 * n, 2 * n))
    plots.phase_retrieval_figure(tmp_path / "f.png", pupil, pupil, data, data, np.ones(3),
                                 defocus=np.linspace(-2, 2, 9))
    (fig,) = saved
    titles = [axis.get_title() for axis in fig.axes if axis.get_title().startswith("data, ")]
    assert titles[0] == "data, defocus -2 waves" and titles[-1] == "data, defocus 2 waves"
    assert len(titles) == 6


def test_hologram_figures_have_colour_bars_and_row_0_at_the_top(saved, tmp_path):
    phase = np.random.default_rng(1).uniform(0, 2 * np.pi, (16, 24))
    plots.hologram_phase_figure(tmp_path / "phase.png", phase, "phase")
    plots.image_figure(tmp_path / "image.png", phase / 7, "image", "intensity")
    for fig in saved:
        ((axis, image),) = _images(fig)
        assert image.colorbar is not None and image.origin == "upper"
        assert "row 0 at the top" in axis.get_ylabel()
        assert image.get_array().shape == (16, 24)
    bar = saved[0].axes[0].get_images()[0].colorbar
    assert bar.vmin == 0 and bar.vmax == pytest.approx(2 * np.pi)


def test_slm_png_is_the_phase_pixel_for_pixel(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    phase = np.random.default_rng(2).uniform(-10, 10, (20, 30))
    plots.slm_phase_png(tmp_path / "slm.png", phase)
    with Image.open(tmp_path / "slm.png") as image:
        assert image.mode == "L" and image.size == (30, 20)
        levels = np.asarray(image)
    assert levels.dtype == np.uint8
    expected = np.floor(np.mod(phase, 2 * np.pi) / (2 * np.pi) * 256)
    np.testing.assert_array_equal(levels, expected)
    assert levels.max() - levels.min() >= 240
