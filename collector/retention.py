"""Retention: raw samples of old runs become 1 s aggregates and per-run summaries.

A run is old when its row was last updated (``runs.updated_at``: the collector's clock at
its last lifecycle message or result) more than ``retention.raw_days`` ago. Sample times
are the board's clock (a Pi without RTC may be years off), so they never decide age.
Run rows and their results are kept; only the ``samples`` rows go.

Each batch is one short transaction: ``DELETE ... RETURNING`` takes at most
``retention.batch_rows`` samples of old runs, and the same transaction folds exactly the
rows it deleted into ``sample_aggregates`` (one row per run and whole second of ``t``)
and ``sample_summaries`` (one row per run), merging with what earlier batches stored
(a second can straddle two batches). A crash rolls a batch back whole, and a pass over
nothing old does nothing, so passes are idempotent. A sample that arrives after its run
was downsampled (an outbox emptied a month late) is folded in by the next pass; such a
late duplicate of an already folded sample is counted twice (its raw key is gone).

Per metric the stats are ``{"n", "mean", "min", "max"}`` over non-null values: every
sample column and every numeric key of ``extra``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from edgebench.collector.columns import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS
from edgebench.collector.models import Run, Sample, SampleAggregate, SampleSummary

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from edgebench.collector.config import RetentionConfig

DAY_S = 86_400.0
METRICS = (*SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS)
Stats = dict[str, dict[str, float]]

runs = Run.__table__
samples = Sample.__table__
aggregates = SampleAggregate.__table__
summaries = SampleSummary.__table__


@dataclass
class RetentionReport:
    """What one pass did (or, with ``dry_run``, would do)."""

    runs: int = 0
    samples: int = 0
    batches: list[int] = field(default_factory=list)


def _old_runs(cutoff: float) -> sa.Select:
    return sa.select(runs.c.run_id).where(runs.c.updated_at < cutoff)


def plan(engine: Engine, cutoff: float) -> RetentionReport:
    """Count the runs and samples a pass with ``cutoff`` would downsample (changes nothing)."""
    query = sa.select(sa.func.count(sa.distinct(samples.c.run_id)), sa.func.count()).where(
        samples.c.run_id.in_(_old_runs(cutoff))
    )
    with engine.connect() as conn:
        n_runs, n_samples = conn.execute(query).one()
    return RetentionReport(runs=n_runs, samples=n_samples)


def run_pass(
    engine: Engine,
    cutoff: float,
    batch_rows: int,
    stop: threading.Event | None = None,
    pause_s: float = 0.0,
) -> RetentionReport:
    """Downsample every sample of runs last updated before ``cutoff``, batch by batch."""
    report = RetentionReport()
    touched: set[str] = set()
    while stop is None or not stop.is_set():
        with engine.begin() as conn:
            moved = _downsample_batch(conn, cutoff, batch_rows)
        if not moved:
            break
        report.batches.append(len(moved))
        report.samples += len(moved)
        touched.update(moved)
        if pause_s:
            # Leave the write lock to ingest between batches (SQLite has one writer).
            time.sleep(pause_s)
    report.runs = len(touched)
    return report


def _downsample_batch(conn: Connection, cutoff: float, batch_rows: int) -> list[str]:
    """Delete up to ``batch_rows`` old samples and fold them in; return their run ids."""
    ids = (
        sa.select(samples.c.id)
        .where(samples.c.run_id.in_(_old_runs(cutoff)))
        .order_by(samples.c.id)
        .limit(batch_rows)
    )
    columns = [samples.c.run_id, samples.c.t, *(samples.c[m] for m in METRICS), samples.c.extra]
    rows = conn.execute(sa.delete(samples).where(samples.c.id.in_(ids)).returning(*columns)).all()
    if not rows:
        return []
    per_second: dict[tuple[str, float], Stats] = defaultdict(dict)
    counts: dict[tuple[str, float], int] = defaultdict(int)
    per_run: dict[str, Stats] = defaultdict(dict)
    spans: dict[str, list[float]] = {}
    for row in rows:
        run_id, t = row[0], row[1]
        values = dict(_metric_values(row))
        key = (run_id, float(math.floor(t)))
        counts[key] += 1
        _add(per_second[key], values)
        _add(per_run[run_id], values)
        span = spans.setdefault(run_id, [t, t, 0])
        span[0], span[1], span[2] = min(span[0], t), max(span[1], t), span[2] + 1
    _store_aggregates(conn, per_second, counts)
    _store_summaries(conn, per_run, spans)
    return [row[0] for row in rows]


def _metric_values(row: sa.Row) -> Iterable[tuple[str, float]]:
    """Yield ``(metric, value)`` for the row's non-null numbers, ``extra`` included."""
    for i, name in enumerate(METRICS, start=2):
        if row[i] is not None:
            yield name, float(row[i])
    extra = row[-1]
    if isinstance(extra, dict):
        for name, value in extra.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                yield name, float(value)


def _add(stats: Stats, values: dict[str, float]) -> None:
    """Fold one sample's values into ``stats`` (running mean, min, max)."""
    for name, value in values.items():
        s = stats.get(name)
        if s is None:
            stats[name] = {"n": 1, "mean": value, "min": value, "max": value}
            continue
        s["n"] += 1
        s["mean"] += (value - s["mean"]) / s["n"]
        s["min"], s["max"] = min(s["min"], value), max(s["max"], value)


def merge_stats(old: Stats, new: Stats) -> Stats:
    """Return the stats of the union of two disjoint sets of samples."""
    merged = {name: dict(s) for name, s in old.items()}
    for name, s in new.items():
        m = merged.get(name)
        if m is None:
            merged[name] = dict(s)
            continue
        n = m["n"] + s["n"]
        m["mean"] = (m["mean"] * m["n"] + s["mean"] * s["n"]) / n
        m["n"], m["min"], m["max"] = n, min(m["min"], s["min"]), max(m["max"], s["max"])
    return merged


def _store_aggregates(
    conn: Connection, stats: dict[tuple[str, float], Stats], counts: dict[tuple[str, float], int]
) -> None:
    """Insert new seconds and merge into the ones an earlier batch stored."""
    existing: dict[tuple[str, float], tuple[int, Stats]] = {}
    by_run: dict[str, list[float]] = defaultdict(list)
    for run_id, t in stats:
        by_run[run_id].append(t)
    for run_id, seconds in by_run.items():
        found = conn.execute(
            sa.select(aggregates.c.t, aggregates.c.n, aggregates.c.stats).where(
                aggregates.c.run_id == run_id, aggregates.c.t.between(min(seconds), max(seconds))
            )
        )
        existing.update(((run_id, t), (n, s)) for t, n, s in found)
    inserts, updates = [], []
    for key, s in stats.items():
        if key in existing:
            n, old = existing[key]
            updates.append(
                {"b_run": key[0], "b_t": key[1], "n": n + counts[key], "stats": merge_stats(old, s)}
            )
        else:
            inserts.append({"run_id": key[0], "t": key[1], "n": counts[key], "stats": s})
    if inserts:
        conn.execute(sa.insert(aggregates), inserts)
    if updates:
        where = (
            aggregates.c.run_id == sa.bindparam("b_run"),
            aggregates.c.t == sa.bindparam("b_t"),
        )
        conn.execute(sa.update(aggregates).where(*where), updates)


def _store_summaries(conn: Connection, stats: dict[str, Stats], spans: dict[str, list]) -> None:
    """Insert or merge each run's summary."""
    now = time.time()
    found = conn.execute(sa.select(summaries).where(summaries.c.run_id.in_(list(stats))))
    existing = {row.run_id: row for row in found}
    for run_id, s in stats.items():
        first, last, n = spans[run_id]
        old = existing.get(run_id)
        if old is None:
            row = {"run_id": run_id, "samples": n, "t_first": first, "t_last": last}
            conn.execute(sa.insert(summaries), row | {"stats": s, "downsampled_at": now})
            continue
        conn.execute(
            sa.update(summaries)
            .where(summaries.c.run_id == run_id)
            .values(
                samples=old.samples + n,
                t_first=min(old.t_first, first),
                t_last=max(old.t_last, last),
                stats=merge_stats(old.stats, s),
                downsampled_at=now,
            )
        )


def cutoff_for(config: RetentionConfig, now: float | None = None) -> float:
    """Return the ``updated_at`` before which runs are downsampled."""
    return (time.time() if now is None else now) - config.raw_days * DAY_S
