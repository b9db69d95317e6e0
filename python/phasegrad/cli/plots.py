"""Figures of the command-line tools, with matplotlib's Agg backend, imported lazily.

Orientation. A pupil-plane array is drawn as ``phasegrad.pupils`` defines its coordinates:
``x = (col - c) / (n / 2)`` along columns and ``y = (row - c) / (n / 2)`` along rows, so row 0
is at the *bottom* (``origin="lower"``); the PSFs of a phase-retrieval model, on the same
pixel grid, are drawn the same way. Hologram images (a target read from a PNG, the phase sent
to an SLM, the reconstruction) follow the image convention instead: row 0 at the *top*, as
any image viewer shows the PNG. Every figure's axis labels say which.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hologram_phase_figure", "image_figure", "phase_retrieval_figure", "psnr_figure",
           "slm_phase_png", "slm_phase_uint8"]

_PUPIL_AXES = ("x (pupil radii, columns)", "y (pupil radii, rows; row 0 at the bottom)")
_PIXEL_AXES_LOWER = ("column", "row (row 0 at the bottom)")
_PIXEL_AXES_UPPER = ("column", "row (row 0 at the top)")
_MAX_PLANES_SHOWN = 6


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never a window, whatever the environment says
    import matplotlib.pyplot as plt

    return plt


def _label(axis, names, x=True, y=True):
    axis.set_xlabel(names[0] if x else "", fontsize=7)
    axis.set_ylabel(names[1] if y else "", fontsize=7)
    axis.tick_params(labelsize=6)


def _wavefront_panel(fig, axis, wavefront, pupil, title, limit=None):
    shown = np.where(pupil > 0, wavefront, np.nan)
    if limit is None:
        limit = float(np.nanmax(np.abs(shown))) or 1.0
    # pixel edges at x, y = -1 ... 1: pixel centre col sits at (col - c) / (n / 2)
    image = axis.imshow(shown, cmap="RdBu_r", vmin=-limit, vmax=limit, origin="lower",
                        extent=(-1.0, 1.0, -1.0, 1.0))
    axis.set_title(title, fontsize=9)
    _label(axis, _PUPIL_AXES)
    fig.colorbar(image, ax=axis, fraction=0.046, label="waves")


def _psf_panel(fig, axis, image, title, peak, x_label, y_label):
    floor = max(peak * 1e-4, np.finfo(float).tiny)  # data and model of a plane on one scale
    shown = axis.imshow(np.log10(np.maximum(image, floor)), cmap="inferno",
                        vmin=np.log10(floor), vmax=np.log10(max(peak, floor)), origin="lower")
    axis.set_title(title, fontsize=8)
    _label(axis, _PIXEL_AXES_LOWER, x_label, y_label)
    fig.colorbar(shown, ax=axis, fraction=0.046, label="log10 intensity")


def _convergence_panel(axis, cost, rms=None):
    iterations = np.arange(len(cost))
    axis.semilogy(iterations, np.maximum(cost, np.finfo(float).tiny), label="cost E")
    if rms is not None:
        axis.semilogy(iterations, np.maximum(rms, np.finfo(float).tiny),
                      label="RMS wavefront error (waves)")
    axis.set_xlabel("iteration")
    axis.set_title("convergence", fontsize=9)
    axis.legend(fontsize=7)
    axis.grid(True, which="both", alpha=0.3)


def _plane_label(index, defocus):
    if defocus is None:
        return f"plane {index}"
    return f"defocus {float(defocus[index]) + 0.0:g} waves"  # + 0.0: no "-0"


def phase_retrieval_figure(path, pupil, recovered, data, model_images, cost, truth=None,
                           rms=None, title="", defocus=None):
    """Wavefronts (true, recovered, residual; or recovered alone without ``truth``), the
    convergence, and the data and model PSFs of every plane (at most six, evenly chosen),
    each labelled by its defocus (waves of the unit-RMS Noll-4 mode) when ``defocus`` is
    given; saved as PNG. Every image has a colour bar."""
    plt = _pyplot()
    planes = data.shape[0]
    shown = (list(range(planes)) if planes <= _MAX_PLANES_SHOWN else
             sorted({int(k) for k in np.linspace(0, planes - 1, _MAX_PLANES_SHOWN).round()}))
    top_panels = 4 if truth is not None else 2
    columns = max(len(shown), top_panels)
    fig = plt.figure(figsize=(3.4 * columns, 9.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=(1.0, 2.0))
    axes = np.atleast_1d(top.subplots(1, top_panels))
    if truth is not None:
        limit = float(np.max(np.abs(truth[pupil > 0]))) or None
        _wavefront_panel(top, axes[0], truth, pupil, "true wavefront", limit)
        _wavefront_panel(top, axes[1], recovered, pupil, "recovered wavefront", limit)
        residual = recovered - truth
        residual = residual - residual[pupil > 0].mean()
        _wavefront_panel(top, axes[2], residual, pupil, "residual (piston removed)")
        _convergence_panel(axes[3], cost, rms)
    else:
        _wavefront_panel(top, axes[0], recovered, pupil, "recovered wavefront")
        _convergence_panel(axes[1], cost)
    grid = bottom.subplots(2, len(shown), squeeze=False)
    for column, plane in enumerate(shown):
        peak = float(max(data[plane].max(), model_images[plane].max()))
        label = _plane_label(plane, defocus)
        _psf_panel(bottom, grid[0, column], data[plane], f"data, {label}", peak,
                   x_label=False, y_label=column == 0)
        _psf_panel(bottom, grid[1, column], model_images[plane], f"model, {label}", peak,
                   x_label=True, y_label=column == 0)
    if len(shown) < planes:
        bottom.suptitle(f"PSFs: {len(shown)} of {planes} planes", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def image_figure(path, image, title, label, cmap="gray", vmin=None, vmax=None, ticks=None,
                 tick_labels=None):
    """One image (row 0 at the top, as the PNG it came from) with a colour bar."""
    plt = _pyplot()
    rows, cols = image.shape
    width = 6.0
    fig, axis = plt.subplots(figsize=(width, width * rows / cols * 0.85 + 0.6),
                             layout="constrained")
    shown = axis.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, origin="upper",
                        interpolation="nearest")
    axis.set_title(title, fontsize=9)
    _label(axis, _PIXEL_AXES_UPPER)
    bar = fig.colorbar(shown, ax=axis, fraction=0.046, label=label)
    if ticks is not None:
        bar.set_ticks(ticks, labels=tick_labels)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def hologram_phase_figure(path, phase, title):
    """A phase map in [0, 2 pi) with a cyclic colour map and a colour bar in radians."""
    image_figure(path, phase, title, "phase (rad)", cmap="twilight", vmin=0.0,
                 vmax=2 * np.pi, ticks=[0, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi],
                 tick_labels=["0", "π/2", "π", "3π/2", "2π"])


def slm_phase_uint8(phase):
    """A phase map as an SLM's 8-bit grey levels: wrapped to [0, 2 pi), then 0 .. 2 pi mapped
    linearly onto 0 .. 256 and truncated, so level k holds the phases in [k, k + 1) * 2 pi /
    256 (0 and 2 pi, the same phase, both give 0)."""
    wrapped = np.mod(np.asarray(phase, dtype=np.float64), 2 * np.pi)
    levels = np.floor(wrapped * (256 / (2 * np.pi))).astype(np.int64)
    return (levels % 256).astype(np.uint8)  # mod rounds -1e-20 up to 2 pi: level 0 again


def slm_phase_png(path, phase):
    """``slm_phase_uint8(phase)`` as an 8-bit grey PNG: one pixel per phase sample, row 0 at
    the top, no axes, no resampling."""
    from PIL import Image

    Image.fromarray(slm_phase_uint8(phase)).save(path)  # uint8 2-D: mode "L"


def psnr_figure(path, psnr_history, title):
    """PSNR (dB) against iteration."""
    plt = _pyplot()
    fig, axis = plt.subplots(figsize=(6, 4))
    axis.plot(np.arange(len(psnr_history)), psnr_history)
    axis.set_xlabel("iteration")
    axis.set_ylabel("PSNR (dB)")
    axis.set_title(title, fontsize=10)
    axis.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
