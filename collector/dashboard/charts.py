"""Chart data for the pages: plain dicts embedded as JSON and drawn by ``dashboard.js``.

Every chart here is also rendered as a table by the templates, from the same dicts, so
the numbers are readable without JavaScript and by screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Time-series panels on the run page: (id, title, unit, [(sample key, label)]).
RUN_PANELS = (
    ("cpu", "CPU utilisation", "%", [("cpu_util_pct", "CPU")]),
    (
        "freq",
        "CPU frequency",
        "MHz",
        [("cpu_freq_mhz", "actual"), ("cpu_freq_req_mhz", "requested")],
    ),
    ("temp", "Temperature", "°C", [("temp_c", "SoC")]),
    (
        "power",
        "Power",
        "W",
        [("power_w", "measured"), ("power_cpu_w", "CPU (measured)"), ("power_est_w", "estimate")],
    ),
    ("memory", "Memory", "MB", [("mem_used_mb", "system used"), ("proc_rss_mb", "agent RSS")]),
)

ESTIMATE_NOTE = "estimated from the board's power profile, not measured"


def _round(value: float) -> float:
    return round(value, 4)


def run_charts(
    result: dict[str, Any],
    samples: list[dict[str, Any]],
    spans: Sequence[tuple[float, float]],
) -> dict[str, Any]:
    """Return the run page's panels on one time axis (seconds from the measured start).

    ``spans`` are the throttled intervals (epoch s) of ``edgebench.shared.throttle``.
    """
    from edgebench.collector.series import DEFAULT_MAX_POINTS, latency_timeline

    timing = result.get("timing") or {}
    timeline = latency_timeline(result, DEFAULT_MAX_POINTS)
    t0 = timing.get("measured_start") or (samples[0]["t"] if samples else None)
    if t0 is None:
        return {"panels": [], "throttle": [], "table": {"columns": [], "rows": []}}
    panels: list[dict[str, Any]] = []
    if timeline:
        points = [[_round(t - t0), v] for t, v in timeline]
        panels.append(
            {
                "id": "latency",
                "title": "Inference latency",
                "unit": "ms",
                "note": "times spread evenly over the measured window",
                "datasets": [{"label": "latency", "points": points}],
            }
        )
    columns: list[str] = []
    for panel_id, title, unit, keys in RUN_PANELS:
        datasets = []
        for key, label in keys:
            points = [[_round(r["t"] - t0), r[key]] for r in samples if r.get(key) is not None]
            if points:
                datasets.append({"label": label, "points": points})
                columns.append(key)
        if datasets:
            # A lone estimate has no legend to name it: say so in the caption.
            note = ESTIMATE_NOTE if {d["label"] for d in datasets} == {"estimate"} else ""
            panels.append(
                {"id": panel_id, "title": title, "unit": unit, "note": note, "datasets": datasets}
            )
    xs = [
        p[0]
        for panel in panels
        for d in panel["datasets"]
        for p in (d["points"][0], d["points"][-1])
    ]
    return {
        "panels": panels,
        "xmin": min(xs, default=0.0),
        "xmax": max(xs, default=1.0),
        "throttle": [[_round(a - t0), _round(b - t0)] for a, b in spans],
        "table": {
            "columns": columns,
            "rows": [[_round(r["t"] - t0), *[r.get(c) for c in columns]] for r in samples],
        },
    }


def histogram_chart(histogram: dict[str, list[float]]) -> dict[str, Any]:
    """Return bar labels (bin ranges) and counts for the latency histogram."""
    edges = histogram["edges"]
    labels = [f"{edges[i]:.3g}–{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
    return {"labels": labels, "counts": histogram["counts"]}


def trend_charts(trends: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Return per-model series of p50 latency and mJ per inference over time (epoch s)."""
    latency = []
    energy = []
    for model, points in trends.items():
        latency.append(
            {"label": model, "points": [[p["started_at"], p["latency_p50_ms"]] for p in points]}
        )
        with_energy = [p for p in points if p["mj_per_inference"] is not None]
        if with_energy:
            energy.append(
                {
                    "label": model,
                    "points": [[p["started_at"], p["mj_per_inference"]] for p in with_energy],
                }
            )
    return {"latency": latency, "energy": energy}


def compare_charts(table: dict[str, Any]) -> dict[str, Any]:
    """Return one bar chart per comparison row (labels are the column labels)."""
    labels = short_labels([c["label"] for c in table["columns"]])
    bars = [
        {
            "id": row["key"],
            "title": f"{row['label']} ({row['unit']}, {row['better']} is better)",
            "values": row["values"],
            "best": row["best"],
        }
        for row in table["rows"]
    ]
    return {"labels": labels, "bars": bars, "layers": layer_chart(table, labels)}


def layer_chart(table: dict[str, Any], labels: list[str]) -> dict[str, Any] | None:
    """Return each op's ratio to the baseline per compared run (None without a layer table)."""
    layers = table.get("layers") or {}
    if not layers.get("available"):
        return None
    base = layers["runs"].index(layers["baseline"])
    series = [
        {
            "label": labels[i],
            "ratios": [op["ratios"][i] for op in layers["ops"]],
            "highlight": [op["highlight"][i] for op in layers["ops"]],
            "model_ratio": layers["model_ratios"][i],
        }
        for i in range(len(layers["runs"]))
        if i != base
    ]
    return {"labels": [f"#{op['index']} {op['op']}" for op in layers["ops"]], "series": series}


def short_labels(labels: list[str]) -> list[str]:
    """Drop the `` · ``-separated parts every label shares, so bar labels stay short."""
    parts = [label.split(" · ") for label in labels]
    if len(parts) < 2 or len({len(p) for p in parts}) != 1:
        return labels
    keep = [i for i in range(len(parts[0])) if len({p[i] for p in parts}) > 1]
    return [" · ".join(p[i] for i in keep) or label for p, label in zip(parts, labels, strict=True)]
