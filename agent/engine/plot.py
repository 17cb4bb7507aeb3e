"""Latency against model cost for a sweep: one line per thread count, log-scaled MACs."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from edgebench.shared.errors import EdgebenchError
from edgebench.shared.result import RunResult


def plot_latency_vs_macs(results: list[RunResult], path: Path, title: str = "") -> Path:
    """Draw p50 latency (ms) against MACs to a PNG; raise EdgebenchError without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: works on a headless board
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise EdgebenchError(
            "--plot needs matplotlib, which is not installed: pip install matplotlib"
        ) from None

    series: dict[tuple[str, int], list[tuple[int, float, str]]] = defaultdict(list)
    for r in results:
        if r.model.macs and r.latency_ms.count:
            label = r.model.name.rsplit("_", 3)[0].removeprefix("gen-")
            series[(label, r.config.threads)].append((r.model.macs, r.latency_ms.p50, r.model.name))
    if not series:
        raise EdgebenchError("nothing to plot: no finished run with a known MAC count")

    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    for n, ((label, threads), points) in enumerate(sorted(series.items())):
        points.sort()
        if n == 0:
            # Name each configuration once (α/resolution), next to the first line's points.
            for macs, p50, name in points:
                short = "/".join(name.rsplit("_", 3)[1:3])
                ax.annotate(
                    short, (macs / 1e6, p50), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
        ax.plot(
            [p[0] / 1e6 for p in points],
            [p[1] for p in points],
            marker="o",
            label=f"{threads} thread{'s' if threads != 1 else ''}"
            + (f" ({label})" if len({k[0] for k in series}) > 1 else ""),
        )
    ax.set_xscale("log")
    plain = FuncFormatter(lambda value, _pos: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("model cost (million MACs, log scale)")
    ax.set_ylabel("p50 latency (ms)")
    ax.set_title(title or "edgebench sweep: latency vs MACs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise EdgebenchError(f"cannot write --plot {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return path
