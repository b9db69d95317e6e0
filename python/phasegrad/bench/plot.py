"""Time per value_and_grad against n, log-log, one panel per workload and precision."""

from __future__ import annotations

IMPL_STYLE = {"floor": ("k", "--"), "fused": ("C3", "-"), "reference": ("C0", "-"),
              "jax": ("C2", "-"), "torch": ("C1", "-")}


def plot(rows, path, title=""):
    """Write the PNG to ``path``; returns None, or a one-line note when it cannot plot."""
    try:
        import matplotlib
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install matplotlib)"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if r["status"] == "ok"]
    panels = sorted({(r["workload"], r["dtype"]) for r in timed},
                    key=lambda key: (key[0] != "pr", key[1] != "float64"))
    if not panels:
        return "plot skipped: no timed rows"
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8),
                                squeeze=False)
    for ax, (workload, dtype) in zip(axes[0], panels, strict=True):
        for impl, (colour, line) in IMPL_STYLE.items():
            points = sorted((r["n"], r["seconds"] * 1e3) for r in timed
                            if (r["workload"], r["dtype"], r["impl"]) == (workload, dtype, impl))
            if points:
                sizes, ms = zip(*points, strict=True)
                ax.plot(sizes, ms, line, color=colour, marker="o", label=impl)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (pupil pixels)" if workload == "pr" else "n (grid pixels)")
        ax.set_ylabel("ms per value_and_grad")
        name = "phase retrieval, N = 2n" if workload == "pr" else "hologram"
        ax.set_title(f"{name}, {dtype}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        figure.suptitle(title, fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return None
