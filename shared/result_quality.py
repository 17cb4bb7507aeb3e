"""How far a run's figures can be trusted: intervals, repeated trials, CI target, busy guard.

Part of the run-result document (``shared/result.py``, ``docs/result-schema.md``); kept in
its own module because these records come from one concern, ``docs/statistics.md``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from edgebench.shared.wire import Int64, Record, RunId, Text

# [low, high]: a list rather than a tuple so the dict form equals the parsed JSON.
Pair = Annotated[list[float], msgspec.Meta(min_length=2, max_length=2)]


class LatencyCI(Record):
    """95 % intervals of the measured figures, robust to autocorrelated latencies.

    A circular block bootstrap over the latency sequence, block length from the data
    (Politis-White); ``docs/statistics.md`` has the method and its measured coverage.
    """

    p50: Pair
    p90: Pair
    p99: Pair
    # None with --rate: the pace, not the latency, sets the throughput then.
    throughput_ips: Pair | None
    level: float
    method: Text
    block_length: Int64
    n: Int64
    reps: Int64
    seed: Int64


class SpreadInfo(Record):
    """How one figure moved between the trials of ``--repeat`` (sample std for the CV)."""

    count: Int64
    min: float
    max: float
    mean: float
    range_pct: float
    cv_pct: float


class TrialSummary(Record):
    """One finished trial of a ``--repeat`` series."""

    index: Int64
    run_id: RunId
    p50_ms: float | None
    p50_ci95: Pair | None
    throughput_ips: float
    temp_start_c: float | None


class Trials(Record):
    """Where this run stands in a ``--repeat N`` series, and the spread so far."""

    repeat_id: Text
    index: Int64
    count: Int64
    cooldown_s: float
    cooldown_temp_delta_c: float | None
    # Cool-down before this trial (the pause plus any wait for the temperature).
    waited_s: float
    temp_start_c: float | None
    reference_temp_c: float | None
    # This trial and the ones before it, in order.
    completed: list[TrialSummary]
    p50_spread: SpreadInfo | None = None
    throughput_spread: SpreadInfo | None = None


class TargetCI(Record):
    """``--target-ci``: whether the p50 interval's half-width got under ``pct`` % of p50."""

    pct: float
    reached: bool
    half_width_pct: float | None
    checks: Int64


class BusyInfo(Record):
    """The busy-board guard: other processes' CPU (% of one core) before and during."""

    threshold_pct: float
    window_s: float
    other_cpu_pct_before: float | None
    waited_s: float
    other_cpu_pct_during: float | None
    # Still above the threshold when the run started (after waiting).
    busy: bool
    # Above the threshold over the measured phase.
    contended: bool
    # --allow-busy: recorded, not held against the verdict.
    allowed: bool
