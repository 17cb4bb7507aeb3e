"""Side-by-side comparison of runs, or of groups of runs (device x model x threads, ...).

A comparison has *columns* (one per run, or one per group with the median of its runs)
and *rows* (one per metric). Each row marks its best value (lowest latency, highest
throughput, ...) and gives every column's ratio to the baseline column; ``verdicts`` adds
the intervals, the tests against the baseline and the overall row; ``layercompare`` the
per-layer comparison of profiled runs of one model (``layers``); ``prediction``, on request,
predicted p50 columns of other devices (``predictions``, each ``predicted: true``). The same
structure feeds the compare page, ``/api/compare`` and its CSV export.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector import layercompare, listing, prediction, verdicts
from edgebench.collector.models import Device, Run
from edgebench.collector.runfilter import BadQuery, RunFilter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_RUNS = 50
MAX_GROUP_RUNS = 5000
MAX_GROUPS = 50
GROUP_KEYS = {
    "device": "device_id",
    "board": "board",
    "model": "model_name",
    "threads": "threads",
    "backend": "backend",
}


@dataclass(frozen=True)
class Metric:
    """One comparison row: its key in a column's values, label, unit and direction."""

    key: str
    label: str
    unit: str
    better: str  # "lower" or "higher"


METRICS = (
    Metric("latency_p50_ms", "Latency p50", "ms", "lower"),
    Metric("latency_p90_ms", "Latency p90", "ms", "lower"),
    Metric("latency_p99_ms", "Latency p99", "ms", "lower"),
    Metric("throughput_ips", "Throughput", "inf/s", "higher"),
    Metric("mj_per_inference", "Energy per inference", "mJ", "lower"),
    Metric("inferences_per_joule", "Inferences per joule", "inf/J", "higher"),
    Metric("gops", "Achieved GOPS", "GOPS", "higher"),
    Metric("peak_temp_c", "Peak temperature", "°C", "lower"),
    Metric("throttled_share", "Throttled", "share of runs", "lower"),
    Metric("valid_share", "Verdict VALID", "share of runs", "higher"),
    Metric("accuracy_top1", "Top-1 accuracy", "share", "higher"),
)


def _extras(session: Session, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return ``run_id -> {gops, macs, board}``; the JSON paths are read in the database."""
    if not run_ids:
        return {}
    stmt = (
        sa.select(
            Run.run_id,
            Run.result["gops"].as_float().label("gops"),
            Run.result["model"]["macs"].as_float().label("macs"),
            Device.board,
        )
        .join(Device, Device.device_id == Run.device_id)
        .where(Run.run_id.in_(run_ids))
    )
    return {row.run_id: dict(row._mapping) for row in session.execute(stmt)}


def _values(run: dict[str, Any]) -> dict[str, Any]:
    """Derive the comparison values of one run from its summary (plus JSON extras)."""
    mj = run.get("mj_per_inference")
    throttled = run.get("throttled")
    verdict = run.get("verdict")
    return {
        "latency_p50_ms": run.get("latency_p50_ms"),
        "latency_p90_ms": run.get("latency_p90_ms"),
        "latency_p99_ms": run.get("latency_p99_ms"),
        "throughput_ips": run.get("throughput_ips"),
        "mj_per_inference": mj,
        "inferences_per_joule": 1000.0 / mj if mj else None,
        "gops": run.get("gops"),
        "peak_temp_c": run.get("peak_temp_c"),
        "throttled_share": None if throttled is None else float(throttled),
        "valid_share": None if verdict is None else float(verdict == "VALID"),
        "accuracy_top1": run.get("accuracy_top1"),
    }


def compare_runs(
    session: Session,
    run_ids: list[str],
    baseline: str | None,
    threshold_pct: float = verdicts.sig.THRESHOLD_PCT,
    *,
    predict: bool = False,
) -> dict[str, Any]:
    """Compare the given runs (in the given order); KeyError lists unknown run ids.

    ``predict`` adds predicted columns (``prediction.predicted_columns``): one fit per
    device with profiles, so only on request.
    """
    run_ids = list(dict.fromkeys(run_ids))
    if not run_ids:
        raise BadQuery("query parameter 'runs' must name at least one run (runs=a,b,c)")
    if len(run_ids) > MAX_RUNS:
        raise BadQuery(f"query parameter 'runs' may name at most {MAX_RUNS} runs")
    found = listing.runs_by_id(session, run_ids)
    missing = [r for r in run_ids if r not in found]
    if missing:
        raise KeyError(", ".join(missing))
    extras = _extras(session, run_ids)
    columns = []
    for run_id in run_ids:
        run = found[run_id] | extras.get(run_id, {})
        columns.append(
            {
                "id": run_id,
                "label": f"{run['device_id']} · {run['model_name'] or '?'} · {run['threads']}t",
                "run_ids": [run_id],
                "n": 1,
                "predicted": False,
                **{k: run.get(k) for k in ("device_id", "board", "model_name", "threads")},
                **{k: run.get(k) for k in ("backend", "verdict", "energy_measured", "status")},
                "values": _values(run),
            }
        )
    table = _table("runs", columns, baseline)
    table["layers"] = layercompare.compare_layers(session, run_ids, table["baseline"])
    table["predictions"] = prediction.predicted_columns(session, table) if predict else None
    return verdicts.annotate(session, table, threshold_pct)


def compare_groups(
    session: Session,
    flt: RunFilter,
    group_by: list[str],
    baseline: str | None,
    threshold_pct: float = verdicts.sig.THRESHOLD_PCT,
    *,
    predict: bool = False,
) -> dict[str, Any]:
    """Compare groups of finished runs matching ``flt``: the median of each metric per group."""
    unknown = [g for g in group_by if g not in GROUP_KEYS]
    if unknown or not group_by:
        raise BadQuery(f"query parameter 'group' must be a comma list of {', '.join(GROUP_KEYS)}")
    flt = RunFilter(**{**flt.__dict__, "limit": MAX_GROUP_RUNS, "offset": 0})
    runs = [r for r in listing.list_runs(session, flt) if r["latency_p50_ms"] is not None]
    extras = _extras(session, [r["run_id"] for r in runs])
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for summary in runs:
        run = summary | extras.get(summary["run_id"], {})
        key = tuple(run.get(GROUP_KEYS[g]) for g in group_by)
        groups.setdefault(key, []).append(run)
    if len(groups) > MAX_GROUPS:
        raise BadQuery(
            f"{len(groups)} groups: narrow the filters (a device, a model) to at most {MAX_GROUPS}"
        )
    columns = []
    for key, members in sorted(groups.items(), key=lambda kv: [str(v) for v in kv[0]]):
        values = [_values(r) for r in members]
        column: dict[str, Any] = {
            "id": "|".join(str(v) for v in key),
            "label": " · ".join(str(v) for v in key),
            "run_ids": [r["run_id"] for r in members],
            "n": len(members),
            "predicted": False,
            "values": {m.key: _median([v[m.key] for v in values]) for m in METRICS},
        }
        column |= {GROUP_KEYS[g]: v for g, v in zip(group_by, key, strict=True)}
        column["energy_measured"] = all(r.get("energy_measured") for r in members)
        columns.append(column)
    table = _table("groups", columns, baseline)
    table["group_by"] = group_by
    table["layers"] = layercompare.unavailable(
        "a per-layer comparison compares single runs (runs=a,b), not groups"
    )
    table["predictions"] = (
        prediction.unavailable("predicted columns extend comparisons of runs (runs=a,b)")
        if predict
        else None
    )
    return verdicts.annotate(session, table, threshold_pct)


def _median(values: list[Any]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return statistics.median(present) if present else None


def _table(mode: str, columns: list[dict[str, Any]], baseline: str | None) -> dict[str, Any]:
    """Build the metric rows: values per column, which are best, ratios to the baseline."""
    ids = [c["id"] for c in columns]
    if baseline is not None and baseline not in ids:
        raise BadQuery(f"query parameter 'baseline' must be one of the compared ids: {baseline!r}")
    base_index = ids.index(baseline) if baseline is not None else 0
    rows = []
    for metric in METRICS:
        values = [c["values"][metric.key] for c in columns]
        present = [v for v in values if v is not None]
        if not present:
            continue
        best_value = min(present) if metric.better == "lower" else max(present)
        base = values[base_index] if columns else None
        rows.append(
            {
                "key": metric.key,
                "label": metric.label,
                "unit": metric.unit,
                "better": metric.better,
                "values": values,
                "best": [v is not None and v == best_value for v in values],
                "ratios": [
                    v / base if v is not None and base not in (None, 0) else None for v in values
                ],
            }
        )
    return {
        "mode": mode,
        "baseline": ids[base_index] if ids else None,
        "columns": columns,
        "rows": rows,
    }
