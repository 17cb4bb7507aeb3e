"""Intervals, verdicts and the overall row of a comparison table.

:mod:`edgebench.collector.compare` builds the table (values, best, ratios); this module
adds what says how sure those numbers are, from the stored latency sequences:

* ``intervals`` on the latency and throughput rows: each cell's 95 % interval (a single
  run's stored ``latency_ms.ci95`` when it has one, otherwise the bootstrap below);
* ``tests`` on the same rows: each column against the baseline, with the ratio's
  interval, p-value, Holm-adjusted p-value and verdict (``collector/significance.py``),
  and ``busy`` when the busy-board guard flagged a run on either side;
* ``overall``: the geometric mean of each column's speed ratios to the baseline (baseline
  latency over column latency for p50, p90 and p99, column throughput over baseline
  throughput) over the rows every column has, with its interval and verdict. The
  bootstrap replicates of the four rows come from the same resamples, so the geomean's
  interval is the percentile interval of the geomean of the replicates: their
  correlation is kept, not assumed away. A column without latencies gets "–" (None).

Every test on the page is one family for Holm's adjustment. Method: ``docs/statistics.md``.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector import significance as sig
from edgebench.collector.models import Run

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Tests need every run's latencies; past this many runs a comparison shows no verdicts.
MAX_TEST_RUNS = 200
# A first view bootstraps every run once (bench/compare_cost.py: about 0.4 s per 10,000
# latencies here); past this many in all, the page would wait tens of seconds.
MAX_TEST_LATENCIES = 500_000
_CI_KEYS = {
    "latency_p50_ms": "p50",
    "latency_p90_ms": "p90",
    "latency_p99_ms": "p99",
    "throughput_ips": "throughput_ips",
}


def load_sequences(session: Session, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return ``run_id -> {latencies, ci95, paced, busy}`` read from the stored results."""
    if not run_ids:
        return {}
    stmt = sa.select(
        Run.run_id,
        Run.result["latencies_ms"].label("latencies"),
        Run.result["latency_ms"]["ci95"].label("ci95"),
        Run.result["config"]["rate_hz"].as_float().label("rate_hz"),
        Run.result["busy"].label("busy"),
    ).where(Run.run_id.in_(run_ids))
    return {
        row.run_id: {
            "latencies": row.latencies,
            "ci95": row.ci95,
            "paced": bool(row.rate_hz),
            # The busy-board guard flagged it: other processes' load may be the difference.
            "busy": bool(row.busy and (row.busy.get("busy") or row.busy.get("contended"))),
        }
        for row in session.execute(stmt)
    }


def annotate(
    session: Session, table: dict[str, Any], threshold_pct: float = sig.THRESHOLD_PCT
) -> dict[str, Any]:
    """Add intervals, tests and the overall row to a table from ``compare``."""
    columns = table["columns"]
    run_ids = [r for c in columns for r in c["run_ids"]]
    settings = {
        "threshold_pct": threshold_pct,
        "alpha": sig.ALPHA,
        "correction": "holm",
        "reps": sig.REPS,
        "method": "circular block bootstrap per run; groups: runs drawn with replacement",
        "skipped": None,
    }
    table["significance"] = settings
    if len(run_ids) > MAX_TEST_RUNS:
        settings["skipped"] = f"{len(run_ids)} runs: verdicts need at most {MAX_TEST_RUNS}"
        loaded: dict[str, dict[str, Any]] = {}
    else:
        loaded = load_sequences(session, run_ids)
        total = sum(len(seq["latencies"] or []) for seq in loaded.values())
        if total > MAX_TEST_LATENCIES:
            settings["skipped"] = (
                f"{total} latencies: verdicts need at most {MAX_TEST_LATENCIES} (fewer runs)"
            )
            loaded = {}
    return apply(table, loaded, threshold_pct)


def apply(
    table: dict[str, Any], loaded: dict[str, dict[str, Any]], threshold_pct: float
) -> dict[str, Any]:
    """Annotate ``table`` given each run's stored sequences (the testable core)."""
    columns = table["columns"]
    if not columns:  # a group filter that matched no run
        table["overall"] = {"key": "overall", "metrics": [], "ratios": [], "intervals": []}
        table["overall"] |= {"label": "Overall speed (geomean)", "tests": []}
        return table
    base = next(i for i, c in enumerate(columns) if c["id"] == table["baseline"])
    members = [_members(c, loaded) for c in columns]
    paced = any(loaded.get(r, {}).get("paced") for c in columns for r in c["run_ids"])
    busy = [any(loaded.get(r, {}).get("busy") for r in c["run_ids"]) for c in columns]
    logs = [
        None if m is None else {s: _column_logs(m, s, c["id"]) for s in sig.STATISTICS}
        for m, c in zip(members, columns, strict=True)
    ]
    pending: list[tuple[dict[str, Any], int, sig.Test]] = []
    for row in table["rows"]:
        if row["key"] not in sig.TESTED_ROWS:
            continue
        statistic, inverse = sig.TESTED_ROWS[row["key"]]
        untestable = paced and inverse  # with --rate the pace sets the throughput
        row["intervals"] = [
            None
            if untestable
            else _interval(row, i, columns[i], loaded, column_logs=logs[i], statistic=statistic)
            for i in range(len(columns))
        ]
        row["tests"] = [None] * len(columns)
        for i, column_logs in enumerate(logs):
            if i == base or column_logs is None or logs[base] is None or untestable:
                continue
            observed, resampled = _difference(column_logs, logs[base], [statistic])
            test = sig.log_test(observed, resampled, inverse=inverse, threshold_pct=threshold_pct)
            pending.append((row, i, test))
    overall = _overall(table, logs, base, threshold_pct, paced)
    pending += overall.pop("_pending")
    decided = sig.decide([t for _, _, t in pending])
    for (target, i, _), test in zip(pending, decided, strict=True):
        target["tests"][i] = test.as_dict() | {"busy": busy[i] or busy[base]}
    table["overall"] = overall
    return table


def _members(column: dict[str, Any], loaded: dict[str, dict[str, Any]]) -> list | None:
    """Return the replicates of a column's runs (None when any run lacks usable latencies)."""
    out = []
    for run_id in column["run_ids"]:
        got = sig.run_replicates(run_id, (loaded.get(run_id) or {}).get("latencies"))
        if got is None:
            return None
        out.append(got)
    return out or None


def _column_logs(members: list, statistic: str, column_id: str) -> tuple[float, Any]:
    # Seeded by the column, so two groups never share the same draws of their runs.
    return sig.column_logs(members, statistic, seed=zlib.crc32(column_id.encode()))


def _difference(column: dict, base: dict, statistics: list[str]) -> tuple[float, Any]:
    """Mean over ``statistics`` of the latency log-ratio column/baseline, and replicates."""
    observed = sum(column[s][0] - base[s][0] for s in statistics) / len(statistics)
    resampled = sum(column[s][1] - base[s][1] for s in statistics) / len(statistics)
    return observed, resampled


def _interval(
    row: dict[str, Any],
    index: int,
    column: dict[str, Any],
    loaded: dict[str, dict[str, Any]],
    *,
    column_logs: dict | None,
    statistic: str,
) -> list[float] | None:
    """Return a cell's 95 % interval: the run's stored one, else from the bootstrap replicates."""
    value = row["values"][index]
    if value is None:
        return None
    if len(column["run_ids"]) == 1:
        stored = (loaded.get(column["run_ids"][0]) or {}).get("ci95") or {}
        pair = stored.get(_CI_KEYS[row["key"]])
        if pair:
            return [float(pair[0]), float(pair[1])]
    if column_logs is None:
        return None
    estimate, resampled = column_logs[statistic]
    lo, hi = sig.log_interval(resampled - estimate)
    if row["key"] == "throughput_ips":
        # Throughput scales with the inverse of the mean latency (docs/statistics.md).
        return [value / hi, value / lo]
    return [value * lo, value * hi]


def _overall(
    table: dict[str, Any], logs: list, base: int, threshold_pct: float, paced: bool
) -> dict[str, Any]:
    """Build the geomean-of-speed-ratios row over the tested rows every column has."""
    present = {row["key"] for row in table["rows"] if all(v is not None for v in row["values"])}
    statistics = [
        stat
        for key, (stat, inverse) in sig.TESTED_ROWS.items()
        if key in present and not (paced and inverse)
    ]
    keys = [k for k, (s, _) in sig.TESTED_ROWS.items() if s in statistics]
    n = len(table["columns"])
    row: dict[str, Any] = {
        "key": "overall",
        "label": "Overall speed (geomean)",
        "metrics": keys,
        "ratios": [None] * n,
        "intervals": [None] * n,
        "tests": [None] * n,
        "_pending": [],
    }
    if not statistics or logs[base] is None:
        return row
    for i, column_logs in enumerate(logs):
        if i == base:
            row["ratios"][i] = 1.0
            continue
        if column_logs is None:
            continue
        observed, resampled = _difference(column_logs, logs[base], statistics)
        test = sig.log_test(observed, resampled, inverse=True, threshold_pct=threshold_pct)
        row["ratios"][i] = test.ratio
        row["intervals"][i] = list(test.interval)
        row["_pending"].append((row, i, test))
    return row
