"""Latency statistics: population mean/std and LoadGen-style nearest-rank percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence

from edgebench.shared.result import LatencySummary

# The percentile definition is shared with the intervals (and the collector).
from edgebench.shared.uncertainty import PERCENTILES_PERMILLE, percentile_index

__all__ = ["PERCENTILES_PERMILLE", "ns_to_ms", "percentile_index", "summarize"]


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
