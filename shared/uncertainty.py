"""How sure a latency figure is: intervals from one series, and the ratio of two series.

Both roles use these functions: the agent puts a 95 % interval on every run's p50, p90,
p99 and throughput; the collector compares two runs (or two groups of runs) with
:func:`compare_sequences`. Everything rests on the circular block bootstrap of
:mod:`edgebench.shared.blockboot` (block length chosen from the data), so autocorrelated
latencies widen the intervals instead of making them falsely narrow. Percentiles are
LoadGen's nearest rank, as in the run summary. Results are deterministic: each function
takes a ``seed``. The method and its measured coverage are in ``docs/statistics.md``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from edgebench.shared.blockboot import block_length, bootstrap

# Percentiles in per-mille, so the rank is computed in exact integer arithmetic.
PERCENTILES_PERMILLE = {"p50": 500, "p90": 900, "p95": 950, "p99": 990, "p999": 999}
LEVEL = 0.95
REPS = 1000
# Rows up to this long are fully sorted rather than partitioned (see _statistic).
SORT_MAX = 2000
METHOD = "circular block bootstrap (Politis-White block length), percentile interval"


def percentile_index(count: int, permille: int) -> int:
    """Index into the ascending-sorted series, as MLPerf LoadGen picks it.

    LoadGen (``loadgen/results.cc``) takes ``sorted[count * p]`` with the product
    truncated; integer per-mille avoids float artefacts such as ``1000 * 0.999 = 998.99``.
    """
    return min(count * permille // 1000, count - 1)


def _statistic(names: Sequence[str], n: int) -> Any:
    """Return a function of a 2-D array (one series per row) giving each named statistic."""
    import numpy as np

    for name in names:
        if name != "mean" and name not in PERCENTILES_PERMILLE:
            raise ValueError(f"unknown statistic {name!r}: use mean or one of p50, p90, ...")
    ranks_of = {m: percentile_index(n, PERCENTILES_PERMILLE[m]) for m in names if m != "mean"}
    kth = sorted(set(ranks_of.values()))

    def compute(rows: Any) -> Any:
        # One sort per row places every wanted rank at once. Short rows take a full sort,
        # which numpy vectorises (x86-simd-sort, Highway on AArch64): 300 values a row
        # sort about 8x faster than np.partition with three ranks; long rows take the
        # partial sort, as fast there. The ranks picked are the same either way.
        if not kth:
            picked = rows
        elif rows.shape[1] <= SORT_MAX:
            picked = np.sort(rows, axis=1)
        else:
            picked = np.partition(rows, kth, axis=1)
        columns = [
            rows.mean(axis=1) if name == "mean" else picked[:, ranks_of[name]] for name in names
        ]
        return np.stack(columns, axis=1)

    return compute


@dataclass(frozen=True)
class SequenceIntervals:
    """Point estimates and bootstrap intervals of some statistics of one series."""

    estimates: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    n: int
    block_length: int
    level: float
    reps: int
    seed: int
    method: str = METHOD

    def half_width_pct(self, name: str = "p50") -> float:
        """Half the interval's width in percent of the estimate (the --target-ci measure)."""
        lo, hi = self.intervals[name]
        estimate = self.estimates[name]
        return math.inf if estimate <= 0 else 50.0 * (hi - lo) / estimate


def sequence_intervals(
    values: Sequence[float] | Any,
    names: Sequence[str] = ("p50", "p90", "p99", "mean"),
    *,
    level: float = LEVEL,
    reps: int = REPS,
    seed: int = 0,
    block: int | None = None,
) -> SequenceIntervals:
    """Bootstrap intervals for ``names`` of a time-ordered series (at least 2 values).

    ``block`` overrides the data-chosen block length (1 gives the naive iid bootstrap).
    """
    import numpy as np

    series = np.asarray(values, dtype=float)
    n = len(series)
    if n < 2:
        raise ValueError("an interval needs at least 2 values")
    chosen = block if block is not None else block_length(series)
    compute = _statistic(names, n)
    estimates = compute(series[None, :])[0]
    replicates = bootstrap(
        series, compute, block=chosen, reps=reps, rng=np.random.default_rng(seed)
    )
    tail = (1.0 - level) / 2.0
    lows = np.quantile(replicates, tail, axis=0)
    highs = np.quantile(replicates, 1.0 - tail, axis=0)
    return SequenceIntervals(
        estimates={name: float(v) for name, v in zip(names, estimates, strict=True)},
        intervals={
            name: (float(lo), float(hi)) for name, lo, hi in zip(names, lows, highs, strict=True)
        },
        n=n,
        block_length=chosen,
        level=level,
        reps=reps,
        seed=seed,
    )


@dataclass(frozen=True)
class Comparison:
    """``statistic`` of series b over that of series a, with its interval and p-value.

    A ratio below 1 with an interval below 1 means b's latency is lower (b is faster).
    ``p_value`` is two-sided, for "the two series have the same ``statistic``".
    """

    statistic: str
    ratio: float
    interval: tuple[float, float]
    p_value: float
    level: float
    n: tuple[int, int]
    block_length: tuple[int, int]
    reps: int
    seed: int
    method: str = field(default=METHOD)


@dataclass(frozen=True)
class Replicates:
    """The block-bootstrap distribution of some statistics of one series, in log scale.

    ``logs`` has one row per resample and one column per name; comparisons of two series
    (or of groups, by combining rows) need only these, so a caller can keep them per run.
    """

    names: tuple[str, ...]
    estimates: tuple[float, ...]
    logs: Any
    n: int
    block_length: int

    def column(self, statistic: str) -> tuple[float, Any]:
        """Return the log estimate and the log replicates of one statistic."""
        index = self.names.index(statistic)
        return math.log(self.estimates[index]), self.logs[:, index]


def replicates(
    values: Sequence[float] | Any, names: Sequence[str], *, reps: int, rng: Any
) -> Replicates:
    """Resample a positive series by circular blocks; keep the log of each statistic."""
    import numpy as np

    series = np.asarray(values, dtype=float)
    if len(series) < 2 or np.any(series <= 0):
        raise ValueError("each series needs at least 2 positive values")
    compute = _statistic(names, len(series))
    block = block_length(series)
    return Replicates(
        names=tuple(names),
        estimates=tuple(float(v) for v in compute(series[None, :])[0]),
        logs=np.log(bootstrap(series, compute, block=block, reps=reps, rng=rng)),
        n=len(series),
        block_length=block,
    )


def shifted_p_value(observed: float, resampled: Any, margin: float = 0.0) -> float:
    """Two-sided bootstrap p-value for "the log-ratio lies within ±margin".

    The resampled log-ratios are centred on the null's nearest edge (the observed value
    minus its sign times ``margin``): the p-value is the share at least as far from the
    observed one as that edge is, ``(k + 1) / (B + 1)``; an observation inside the
    margin gets 1. ``margin = 0`` is the plain test of "equal".
    """
    import numpy as np

    distance = abs(observed) - margin
    if distance <= 0:
        return 1.0
    extreme = int(np.sum(np.abs(resampled - observed) >= distance))
    return (extreme + 1) / (len(resampled) + 1)


def log_interval(resampled: Any, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of resampled log values, back on the ratio scale."""
    import numpy as np

    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(resampled, [tail, 1.0 - tail])
    return math.exp(float(lo)), math.exp(float(hi))


def compare_sequences(
    a: Sequence[float] | Any,
    b: Sequence[float] | Any,
    statistic: str = "p50",
    *,
    level: float = LEVEL,
    reps: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare two independent, autocorrelated series by the ratio of a statistic.

    Each series is resampled on its own (circular blocks, its own block length); the
    interval is the percentile interval of the resampled log-ratio, and the p-value the
    share of resampled log-ratios at least as far from the observed one as the observed
    one is from 0 (the bootstrap distribution shifted to the null), ``(k + 1) / (B + 1)``.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    sides = [replicates(series, [statistic], reps=reps, rng=rng) for series in (a, b)]
    (log_a, reps_a), (log_b, reps_b) = (side.column(statistic) for side in sides)
    observed = log_b - log_a
    resampled = reps_b - reps_a
    return Comparison(
        statistic=statistic,
        ratio=math.exp(observed),
        interval=log_interval(resampled, level),
        p_value=shifted_p_value(observed, resampled),
        level=level,
        n=(sides[0].n, sides[1].n),
        block_length=(sides[0].block_length, sides[1].block_length),
        reps=reps,
        seed=seed,
    )


@dataclass(frozen=True)
class Spread:
    """How much one figure moved between trials: range and coefficient of variation."""

    count: int
    min: float
    max: float
    mean: float
    range_pct: float
    cv_pct: float


def spread(values: Sequence[float]) -> Spread | None:
    """Spread of a figure over repeated trials (None for fewer than 2 trials)."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    scale = 100.0 / mean if mean else math.nan
    return Spread(
        count=len(values),
        min=min(values),
        max=max(values),
        mean=mean,
        range_pct=(max(values) - min(values)) * scale,
        # The sample standard deviation: trials are a sample of the board's behaviour.
        cv_pct=statistics.stdev(values) * scale,
    )
