"""A run's per-op profile as the run page shows it: a waterfall, per-type totals, slow ops.

The profile is the ``op_profile`` of a stored run result (``shared/op_profile.py``,
written by ``agent run --profile-ops``): every op timed on its own, in network order.
This module adds what the page needs and the document does not hold: each op's start
on the waterfall (the sum of the p50s before it), the model's overall achieved GOPS
over the profiled ops, and which ops run far below that rate (a slow layer).
Method and caveats of the profile itself: ``docs/profiling.md``.
"""

from __future__ import annotations

from typing import Any

# An op is "slow" when its achieved GOPS is below this fraction of the model's overall
# GOPS: a quarter of the rate is far outside the spread of a healthy network's convolutions.
SLOW_FRACTION = 0.25
# Ops under this share of the summed time are never flagged (slow or departing): their
# microsecond timings are mostly noise, and they cannot explain where the time goes.
MIN_SHARE = 0.01


def model_gops(ops: list[dict[str, Any]]) -> float | None:
    """Return 2 × the ops' MACs over the sum of their p50s, in 1e9 ops/s (None without MACs)."""
    macs = sum(op["macs"] for op in ops)
    total_ms = sum(op["p50_ms"] for op in ops)
    if macs <= 0 or total_ms <= 0:
        return None
    return 2 * macs / total_ms / 1e6


def profile_of(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the result's ``op_profile`` when it has timed ops, else None."""
    profile = (result or {}).get("op_profile")
    if not isinstance(profile, dict) or not profile.get("ops"):
        return None
    return profile


def _op_row(op: dict[str, Any], start_ms: float, overall: float | None) -> dict[str, Any]:
    """One op of the page's table: the stored fields plus start, relative rate and flag."""
    gops = op.get("gops")
    relative = gops / overall if gops is not None and overall else None
    return {
        "index": op["index"],
        "op": op["op"],
        "input_shapes": op.get("input_shapes") or [],
        "output_shape": op.get("output_shape") or [],
        "macs": op["macs"],
        "p50_ms": op["p50_ms"],
        "start_ms": start_ms,
        "share": op["share"],
        "gops": gops,
        "gops_vs_model": relative,
        "slow": relative is not None and relative < SLOW_FRACTION and op["share"] >= MIN_SHARE,
    }


def profile_view(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the run page's view of the result's profile, or None when it has none."""
    profile = profile_of(result)
    if profile is None:
        return None
    ops = sorted(profile["ops"], key=lambda op: op["index"])
    overall = model_gops(ops)
    rows = []
    start = 0.0
    for op in ops:
        rows.append(_op_row(op, start, overall))
        start += op["p50_ms"]
    by_type = sorted(profile.get("by_type") or [], key=lambda t: -t["p50_ms"])
    return {
        "ops": rows,
        "by_type": by_type,
        "model_gops": overall,
        "slow_fraction": SLOW_FRACTION,
        "min_share": MIN_SHARE,
        "slow": [row["index"] for row in rows if row["slow"]],
        **{
            key: profile.get(key)
            for key in (
                "sum_p50_ms",
                "whole_p50_ms",
                "gap_pct",
                "backend",
                "backend_version",
                "threads",
                "xnnpack_applied",
                "method",
            )
        },
        "skipped": profile.get("skipped") or [],
    }


def waterfall(view: dict[str, Any]) -> dict[str, Any]:
    """Return the waterfall's chart data: one bar per op from its start to its end (ms)."""
    return {
        "labels": [f"#{row['index']} {row['op']}" for row in view["ops"]],
        "bars": [[row["start_ms"], row["start_ms"] + row["p50_ms"]] for row in view["ops"]],
        "types": [row["op"] for row in view["ops"]],
        "slow": [row["slow"] for row in view["ops"]],
        "type_labels": [t["op"] for t in view["by_type"]],
        "type_ms": [t["p50_ms"] for t in view["by_type"]],
    }
