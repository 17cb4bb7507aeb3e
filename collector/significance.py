"""Verdicts of a comparison: faster, slower, or no significant difference from a baseline.

Each latency row (p50, p90, p99) and the throughput row get a test on the stored latency
sequences: the circular block bootstrap of :mod:`edgebench.shared.uncertainty`, so
autocorrelated latencies do not make a difference look surer than it is. Throughput is
tested through the mean latency (its inverse, up to a harness overhead that hardly moves).
A column that pools several runs (a group, or ``--repeat`` trials) takes the median of its
runs' figures, as the compare table shows; its bootstrap draws the runs with replacement
and, inside each, blocks of latencies (a two-stage bootstrap), so the spread between runs
counts as well as the noise within them.

Three rules make a verdict (``docs/statistics.md``): the p-value tests "the ratio lies
within ±threshold" (a practical threshold, default 3 %), so a smaller difference is never
called significant; the p-values of every test on the page are adjusted together by
Holm's step-down method, which keeps the chance of any false alarm among them under
``alpha`` (5 %); and the verdict is "faster" or "slower" only when the adjusted p-value is
under ``alpha``. Where fewer than ``TAIL_COUNT`` resamples lie beyond the observed
difference, the p-value comes from a normal fit to the resamples instead, so that a
clear difference stays significant after Holm's adjustment over many tests. Per-run
bootstrap distributions are cached by content (``_CACHE``).
"""

from __future__ import annotations

import hashlib
import math
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from edgebench.shared.uncertainty import Replicates, log_interval, replicates, shifted_p_value

THRESHOLD_PCT = 3.0
ALPHA = 0.05
# As many resamples as the agent's intervals: the cold cost of a comparison is linear in
# it (bench/compare_cost.py), and p-values beyond the resamples come from a normal fit.
REPS = 1000
# Below this many resampled values beyond the observed one, the empirical tail is too
# coarse (its floor, 1/(REPS+1), times a few hundred Holm tests exceeds alpha).
TAIL_COUNT = 10
STATISTICS = ("p50", "p90", "p99", "mean")
# Comparison row -> the latency statistic its test uses, and whether the row's ratio is
# that statistic's ratio (latency) or its inverse (throughput = runs / time).
TESTED_ROWS = {
    "latency_p50_ms": ("p50", False),
    "latency_p90_ms": ("p90", False),
    "latency_p99_ms": ("p99", False),
    "throughput_ips": ("mean", True),
}
FASTER, SLOWER, SAME = "faster", "slower", "no significant difference"
CACHE_RUNS = 512


class _ReplicateCache:
    """A bounded, thread-safe LRU of per-run replicates, keyed by the latencies' digest.

    Keyed by content, not by run id, so two databases (or a re-sent run) can never get
    each other's figures; 1000 x 4 floats per run keeps 512 runs near 16 MB.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, Replicates] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_id: str, latencies: Sequence[float]) -> Replicates:
        """Return the run's replicates, computing them on a miss."""
        import numpy as np

        values = np.asarray(latencies, dtype=float)
        key = hashlib.blake2b(values.tobytes() + run_id.encode(), digest_size=16).digest()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        # The run id seeds the resampling: the same run gives the same verdict anywhere.
        rng = np.random.default_rng(zlib.crc32(run_id.encode()))
        computed = replicates(values, STATISTICS, reps=REPS, rng=rng)
        with self._lock:
            self._items[key] = computed
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return computed


_CACHE = _ReplicateCache(CACHE_RUNS)


def run_replicates(run_id: str, latencies: Sequence[float] | None) -> Replicates | None:
    """Bootstrap replicates of one run's latencies (None with fewer than 10 usable ones)."""
    if latencies is None or len(latencies) < 10 or min(latencies) <= 0:
        return None
    return _CACHE.get(run_id, latencies)


def column_logs(members: list[Replicates], statistic: str, seed: int = 0) -> tuple[float, Any]:
    """Log of a column's figure (median over its runs) and its bootstrap replicates.

    One run: its own replicates. Several: each replicate draws the runs with replacement
    and takes the median of their replicates (two-stage bootstrap, module docstring).
    """
    import numpy as np

    columns = [m.column(statistic) for m in members]
    if len(columns) == 1:
        return columns[0]
    estimates = np.exp([c[0] for c in columns])
    values = np.exp(np.stack([c[1] for c in columns], axis=1))  # (reps, runs)
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(columns), size=values.shape)
    pooled = np.median(np.take_along_axis(values, drawn, axis=1), axis=1)
    return math.log(float(np.median(estimates))), np.log(pooled)


@dataclass(frozen=True)
class Test:
    """One column against the baseline on one row (ratios in the row's own direction)."""

    ratio: float
    interval: tuple[float, float]
    p_value: float
    faster: bool  # the direction of the observed difference
    p_adjusted: float | None = None
    verdict: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form of ``/api/compare`` (``docs/statistics.md``)."""
        return {
            "ratio": self.ratio,
            "ci95": list(self.interval),
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "verdict": self.verdict,
        }


def log_test(observed: float, resampled: Any, *, inverse: bool, threshold_pct: float) -> Test:
    """Test a latency log-ratio (column over baseline) against ±threshold."""
    import numpy as np

    margin = math.log1p(threshold_pct / 100.0)
    sign = -1.0 if inverse else 1.0
    lo, hi = log_interval(sign * resampled)
    p_value = shifted_p_value(observed, resampled, margin)
    spread = float(np.std(resampled))
    if p_value < TAIL_COUNT / (len(resampled) + 1) and spread > 0:
        # Too few resamples in the tail: extrapolate it with a normal fit to them.
        z = (abs(observed) - margin) / spread
        p_value = 2.0 * NormalDist().cdf(-z)
    return Test(
        ratio=math.exp(sign * observed),
        interval=(lo, hi),
        p_value=p_value,
        faster=observed < 0,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (familywise error rate), in the given order."""
    import numpy as np

    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(v) for v in adjusted]


def decide(tests: list[Test], alpha: float = ALPHA) -> list[Test]:
    """Adjust the p-values of a family of tests together (Holm) and give each a verdict."""
    adjusted = holm([t.p_value for t in tests])
    out = []
    for test, p in zip(tests, adjusted, strict=True):
        verdict = SAME if p >= alpha else FASTER if test.faster else SLOWER
        out.append(Test(test.ratio, test.interval, test.p_value, test.faster, p, verdict))
    return out


def compare_pair(
    baseline: tuple[str, Sequence[float]],
    other: tuple[str, Sequence[float]],
    statistic: str = "p50",
    threshold_pct: float = THRESHOLD_PCT,
) -> Test:
    """Test one run ``(run_id, latencies)`` against a baseline run on one statistic alone."""
    sides = [run_replicates(run_id, values) for run_id, values in (baseline, other)]
    if sides[0] is None or sides[1] is None:
        raise ValueError("each run needs at least 10 positive latencies")
    log_base, reps_base = sides[0].column(statistic)
    log_other, reps_other = sides[1].column(statistic)
    test = log_test(
        log_other - log_base, reps_other - reps_base, inverse=False, threshold_pct=threshold_pct
    )
    return decide([test])[0]
