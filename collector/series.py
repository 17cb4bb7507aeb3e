"""Time series and distributions of one run: downsampled telemetry, latency histogram.

Downsampling is min/max-preserving (the envelope a chart needs): the run's time range
is cut into ``max_points // 2`` equal buckets and each bucket yields two rows, at its
first and last sample time, holding for every metric the bucket's minimum and maximum in
the order they occurred. Throttling flags take the bucket's maximum in both rows, so a
short throttling episode is never averaged away. Throttle spans are not computed here:
callers apply ``edgebench.shared.throttle.assess`` to all the rows, never downsampled ones.

Once retention (collector/retention.py) has replaced a run's raw samples with 1 s
aggregates, each stored second is one row at its start: the mean of every metric, and the
maximum of each throttling flag.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector.columns import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS
from edgebench.collector.models import Sample, SampleAggregate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_MAX_POINTS = 500
MAX_POINTS_LIMIT = 20_000
_COLUMNS = ("t", *SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS)


def load_samples(session: Session, run_id: str) -> list[dict[str, Any]]:
    """Return a run's samples in time order as ``{"t", metric: value}`` dicts (no NULLs)."""
    table = Sample.__table__
    stmt = (
        sa.select(*[table.c[name] for name in _COLUMNS], table.c.extra)
        .where(table.c.run_id == run_id)
        .order_by(table.c.t)
    )
    rows = []
    for values in session.execute(stmt):
        row = {k: v for k, v in zip(_COLUMNS, values[:-1], strict=True) if v is not None}
        extra = values[-1]
        if extra:
            row.update(extra)
        rows.append(row)
    rows.extend(_aggregate_rows(session, run_id))
    if rows and "aggregated" in rows[-1]:
        rows.sort(key=lambda r: r["t"])
        for row in rows:
            row.pop("aggregated", None)
    return rows


def _aggregate_rows(session: Session, run_id: str) -> list[dict[str, Any]]:
    """Return the run's downsampled seconds as sample-like rows (marked ``aggregated``)."""
    table = SampleAggregate.__table__
    stmt = sa.select(table.c.t, table.c.stats).where(table.c.run_id == run_id)
    rows = []
    for t, stats in session.execute(stmt.order_by(table.c.t)):
        row: dict[str, Any] = {"t": t, "aggregated": True}
        for key, s in stats.items():
            row[key] = s["max"] if key in SAMPLE_INT_COLUMNS else s["mean"]
        rows.append(row)
    return rows


def downsample(rows: list[dict[str, Any]], max_points: int) -> list[dict[str, Any]]:
    """Reduce ``rows`` to at most ``max_points`` rows, keeping each bucket's min and max."""
    if len(rows) <= max_points:
        return rows
    buckets = max(1, max_points // 2)
    t0, t1 = rows[0]["t"], rows[-1]["t"]
    width = (t1 - t0) / buckets or 1.0
    out: list[dict[str, Any]] = []
    start = 0
    for b in range(buckets):
        end = start
        limit = t0 + (b + 1) * width
        while end < len(rows) and (rows[end]["t"] < limit or b == buckets - 1):
            end += 1
        if end > start:
            out.extend(_bucket(rows[start:end]))
        start = end
    return out


def _bucket(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two rows (first and last time) carrying every metric's min and max in time order."""
    if len(chunk) == 1:
        return chunk
    first: dict[str, Any] = {"t": chunk[0]["t"]}
    last: dict[str, Any] = {"t": chunk[-1]["t"]}
    keys = {k for row in chunk for k in row} - {"t"}
    for key in keys:
        points = [(i, row[key]) for i, row in enumerate(chunk) if row.get(key) is not None]
        if not points:
            continue
        if key in SAMPLE_INT_COLUMNS:
            peak = max(v for _, v in points)
            first[key] = last[key] = peak
            continue
        low = min(points, key=lambda p: p[1])
        high = max(points, key=lambda p: p[1])
        early, late = (low, high) if low[0] <= high[0] else (high, low)
        first[key], last[key] = early[1], late[1]
    return [first, last]


def latency_histogram(latencies_ms: list[float], bins: int = 30) -> dict[str, list[float]]:
    """Return equal-width histogram ``edges`` (bins + 1) and ``counts`` of the latencies."""
    values = [v for v in latencies_ms if isinstance(v, int | float) and math.isfinite(v)]
    if not values:
        return {"edges": [], "counts": []}
    low, high = min(values), max(values)
    if high == low:
        return {"edges": [low, high], "counts": [len(values)]}
    bins = max(1, min(bins, len(values)))
    width = (high - low) / bins
    counts = [0] * bins
    for v in values:
        counts[min(int((v - low) / width), bins - 1)] += 1
    return {"edges": [low + i * width for i in range(bins + 1)], "counts": counts}


def latency_timeline(result: dict[str, Any], max_points: int) -> list[list[float]]:
    """Return ``[t, latency_ms]`` points for the measured latencies, downsampled.

    The result stores latencies in order but not their times, so they are spread evenly
    over the measured window (the charts say so): exact for back-to-back runs at steady
    speed, approximate otherwise.
    """
    latencies = [v for v in result.get("latencies_ms") or [] if isinstance(v, int | float)]
    timing = result.get("timing") or {}
    start = timing.get("measured_start")
    duration = timing.get("measured_duration_s")
    if not latencies or start is None or not duration:
        return []
    step = duration / len(latencies)
    rows = [{"t": start + (i + 0.5) * step, "latency_ms": v} for i, v in enumerate(latencies)]
    return [[r["t"], r["latency_ms"]] for r in downsample(rows, max_points)]
