"""The result's uncertainty records: a run's intervals and a ``--repeat`` series' spread.

The statistics are :mod:`edgebench.shared.uncertainty`'s (the collector uses the same
functions); this module turns them into the schema's records.
"""

from __future__ import annotations

import math

import msgspec

from edgebench.shared.result_quality import LatencyCI, SpreadInfo, Trials, TrialSummary
from edgebench.shared.uncertainty import LEVEL, REPS, sequence_intervals, spread

# Fewer measured runs than this get no interval: a bootstrap of a handful says nothing.
MIN_RUNS_FOR_CI = 10


def latency_ci(
    latencies_ms: list[float], throughput_ips: float, *, paced: bool, seed: int
) -> LatencyCI | None:
    """95 % intervals of p50, p90, p99 and throughput from the measured latency sequence.

    Throughput is runs ÷ wall time, and the wall time per run is the latency plus a
    harness overhead that hardly varies, so its interval is the throughput scaled by the
    mean latency over the mean's interval. With ``--rate`` (``paced``) the clock sets
    the throughput, and it gets no interval.
    """
    if len(latencies_ms) < MIN_RUNS_FOR_CI:
        return None
    result = sequence_intervals(latencies_ms, ("p50", "p90", "p99", "mean"), seed=seed)
    mean = result.estimates["mean"]
    mean_lo, mean_hi = result.intervals["mean"]
    throughput = None
    if not paced and throughput_ips > 0 and mean_lo > 0:
        throughput = (throughput_ips * mean / mean_hi, throughput_ips * mean / mean_lo)
    return LatencyCI(
        p50=result.intervals["p50"],
        p90=result.intervals["p90"],
        p99=result.intervals["p99"],
        throughput_ips=throughput,
        level=LEVEL,
        method=result.method,
        block_length=result.block_length,
        n=result.n,
        reps=REPS,
        seed=seed,
    )


def _spread(values: list[float]) -> SpreadInfo | None:
    """Return the shared spread as a result record (None for fewer than 2 finite values)."""
    found = spread([v for v in values if math.isfinite(v)])
    if found is None:
        return None
    return SpreadInfo(
        count=found.count,
        min=found.min,
        max=found.max,
        mean=found.mean,
        range_pct=found.range_pct,
        cv_pct=found.cv_pct,
    )


def add_trial(
    trials: Trials,
    *,
    run_id: str,
    p50_ms: float | None,
    ci: LatencyCI | None,
    throughput_ips: float,
) -> Trials:
    """Return ``trials`` with this run appended to ``completed`` and the spread updated."""
    summary = TrialSummary(
        index=trials.index,
        run_id=run_id,
        p50_ms=p50_ms,
        p50_ci95=ci.p50 if ci is not None else None,
        throughput_ips=throughput_ips,
        temp_start_c=trials.temp_start_c,
    )
    completed = [*trials.completed, summary]
    return msgspec.structs.replace(
        trials,
        completed=completed,
        p50_spread=_spread([t.p50_ms for t in completed if t.p50_ms is not None]),
        throughput_spread=_spread([t.throughput_ips for t in completed if t.throughput_ips]),
    )
