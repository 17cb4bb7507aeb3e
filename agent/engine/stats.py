"""Latency statistics: population mean/std and LoadGen-style nearest-rank percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence

from edgebench.shared.result import LatencySummary

# Percentiles in per-mille, so the rank is computed in exact integer arithmetic.
PERCENTILES_PERMILLE = {"p50": 500, "p90": 900, "p95": 950, "p99": 990, "p999": 999}


def percentile_index(count: int, permille: int) -> int:
    """Index into the ascending-sorted series, as MLPerf LoadGen picks it.

    LoadGen (``loadgen/results.cc``) takes ``sorted[count * p]`` with the product
    truncated; integer per-mille avoids float artefacts such as ``1000 * 0.999 = 998.99``.
    """
    return min(count * permille // 1000, count - 1)


def summarize(values_ms: Sequence[float]) -> LatencySummary:
    """Summarize a series in milliseconds; an empty series gives count 0 and no statistics."""
    count = len(values_ms)
    if count == 0:
        # A zero would read as "infinitely fast" on a dashboard; None says "not measured".
        return LatencySummary(0, None, None, None, None, None, None, None, None, None)
    ordered = sorted(values_ms)
    mean = math.fsum(ordered) / count
    # Population standard deviation, as benchmark_model's Stat reports it.
    variance = math.fsum((value - mean) ** 2 for value in ordered) / count
    picks = {
        name: ordered[percentile_index(count, permille)]
        for name, permille in PERCENTILES_PERMILLE.items()
    }
    return LatencySummary(
        count=count,
        mean=mean,
        std=math.sqrt(variance),
        min=ordered[0],
        max=ordered[-1],
        **picks,
    )


def ns_to_ms(values_ns: Sequence[int]) -> list[float]:
    """Convert perf_counter_ns durations to milliseconds."""
    return [value / 1e6 for value in values_ns]
