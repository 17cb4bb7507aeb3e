"""Latency statistics: nearest-rank percentiles as LoadGen picks them, population std."""

from __future__ import annotations

import math
import statistics

from hypothesis import given
from hypothesis import strategies as st

from edgebench.agent.engine.stats import ns_to_ms, percentile_index, summarize


def test_one_to_hundred():
    s = summarize([float(v) for v in range(100, 0, -1)])  # order must not matter
    assert s.count == 100
    assert s.min == 1.0 and s.max == 100.0
    assert s.mean == 50.5
    # LoadGen: sorted[int(n * p)] -> 0-based index 50, 90, 95, 99, 99 (p99.9: 99.9 -> 99).
    assert (s.p50, s.p90, s.p95, s.p99, s.p999) == (51.0, 91.0, 96.0, 100.0, 100.0)
    assert math.isclose(s.std, statistics.pstdev(range(1, 101)))


def test_thousand_p999_uses_exact_integer_rank():
    values = [float(v) for v in range(1, 1001)]
    s = summarize(values)
    # 1000 * 0.999 is 998.999... in floats; the exact rank is index 999.
    assert s.p999 == 1000.0
    assert s.p99 == 991.0
    assert s.p50 == 501.0


def test_population_not_sample_std():
    s = summarize([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    assert s.mean == 5.0
    assert s.std == 2.0  # the sample std would be 2.138...


def test_single_value_and_empty():
    one = summarize([3.5])
    assert (one.count, one.min, one.p50, one.p999, one.std) == (1, 3.5, 3.5, 3.5, 0.0)
    empty = summarize([])
    assert empty.count == 0
    assert (empty.mean, empty.std, empty.min, empty.max, empty.p50, empty.p999) == (None,) * 6


def test_ns_to_ms():
    assert ns_to_ms([1_500_000, 2_000]) == [1.5, 0.002]


@given(st.lists(st.floats(0.001, 1e4), min_size=1, max_size=300))
def test_percentiles_are_members_and_ordered(values):
    s = summarize(values)
    picks = [s.min, s.p50, s.p90, s.p95, s.p99, s.p999, s.max]
    assert picks == sorted(picks)
    assert all(p in values for p in picks)
    assert s.min <= s.mean * (1 + 1e-12) and s.mean <= s.max * (1 + 1e-12)


@given(st.integers(1, 10_000), st.sampled_from([500, 900, 950, 990, 999]))
def test_index_within_bounds(count, permille):
    index = percentile_index(count, permille)
    assert 0 <= index < count
    # At least permille/1000 of the samples are at or below the pick.
    assert (index + 1) * 1000 >= count * permille
