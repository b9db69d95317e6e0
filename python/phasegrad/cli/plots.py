"""Figures of the command-line tools, with matplotlib's Agg backend, imported lazily."""

from __future__ import annotations

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never a window, whatever the environment says
    import matplotlib.pyplot as plt

    return plt


def _wavefront_panel(fig, axis, wavefront, pupil, title, limit=None):
    shown = np.where(pupil > 0, wavefront, np.nan)
    if limit is None:
        limit = float(np.nanmax(np.abs(shown))) or 1.0
    image = axis.imshow(shown, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axis.set_title(title, fontsize=9)
    axis.set_axis_off()
    fig.colorbar(image, ax=axis, fraction=0.046, label="waves")


def _psf_panel(axis, image, title, peak):
    floor = max(peak * 1e-4, np.finfo(float).tiny)  # data and model on one scale
    axis.imshow(np.log10(np.maximum(image, floor)), cmap="inferno", vmin=np.log10(floor),
                vmax=np.log10(max(peak, floor)))
    axis.set_title(title, fontsize=9)
    axis.set_axis_off()


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


def phase_retrieval_figure(path, pupil, recovered, data, model_images, cost, truth=None,
                           rms=None, title=""):
    """True vs recovered wavefront, residual, PSFs (data and model, middle plane),
    convergence; saved as PNG. Without ``truth``: recovered wavefront, data, model,
    convergence."""
    plt = _pyplot()
    middle = data.shape[0] // 2
    peak = float(max(data[middle].max(), model_images[middle].max()))
    if truth is not None:
        fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
        limit = float(np.max(np.abs(truth[pupil > 0]))) or None
        _wavefront_panel(fig, axes[0, 0], truth, pupil, "true wavefront", limit)
        _wavefront_panel(fig, axes[0, 1], recovered, pupil, "recovered wavefront", limit)
        residual = recovered - truth
        residual = residual - residual[pupil > 0].mean()
        _wavefront_panel(fig, axes[0, 2], residual, pupil, "residual (piston removed)")
        _psf_panel(axes[1, 0], data[middle], f"data, plane {middle} (log10)", peak)
        _psf_panel(axes[1, 1], model_images[middle], f"model, plane {middle} (log10)", peak)
        _convergence_panel(axes[1, 2], cost, rms)
    else:
        fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
        _wavefront_panel(fig, axes[0], recovered, pupil, "recovered wavefront")
        _psf_panel(axes[1], data[middle], f"data, plane {middle} (log10)", peak)
        _psf_panel(axes[2], model_images[middle], f"model, plane {middle} (log10)", peak)
        _convergence_panel(axes[3], cost)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def image_png(path, image, cmap="gray", vmin=None, vmax=None):
    """One array as a PNG, pixel for pixel."""
    plt = _pyplot()
    plt.imsave(path, image, cmap=cmap, vmin=vmin, vmax=vmax)


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
