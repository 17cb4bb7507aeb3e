"""Intervals and comparisons on synthetic series whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgebench.shared.blockboot import block_length, politis_white_block_length
from edgebench.shared.uncertainty import (
    compare_sequences,
    percentile_index,
    sequence_intervals,
    spread,
)

MEDIAN = 10.0


def ar1(n: int, phi: float, seed: int, sigma: float = 0.1) -> np.ndarray:
    """``MEDIAN × exp(AR(1))``: log-normal marginal (median MEDIAN), autocorrelation phi."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, sigma * math.sqrt(1 - phi**2), n)
    log = np.empty(n)
    log[0] = rng.normal(0.0, sigma)
    for i in range(1, n):
        log[i] = phi * log[i - 1] + shocks[i]
    return MEDIAN * np.exp(log)


def covered(phi: float, n: int, seeds: int, name: str, truth: float, block=None) -> float:
    hits = 0
    for seed in range(seeds):
        result = sequence_intervals(ar1(n, phi, seed), [name], seed=seed, reps=400, block=block)
        lo, hi = result.intervals[name]
        hits += lo <= truth <= hi
    return hits / seeds


def test_iid_p50_coverage_is_near_95_percent():
    assert 0.90 <= covered(0.0, 300, 200, "p50", MEDIAN) <= 0.99


def test_iid_mean_coverage_is_near_95_percent():
    truth = MEDIAN * math.exp(0.1**2 / 2)
    assert 0.90 <= covered(0.0, 300, 200, "mean", truth) <= 0.99


def test_strong_autocorrelation_keeps_coverage_where_iid_fails():
    block = covered(0.9, 1000, 100, "p50", MEDIAN)
    naive = covered(0.9, 1000, 100, "p50", MEDIAN, block=1)
    assert block >= 0.85
    assert naive <= 0.70  # the iid bootstrap is far too narrow here


def test_autocorrelated_interval_is_wider_than_the_iid_one():
    series = ar1(1000, 0.9, seed=3)
    blocked = sequence_intervals(series, ["p50"])
    naive = sequence_intervals(series, ["p50"], block=1)
    assert blocked.block_length > 10
    assert blocked.half_width_pct() > 2 * naive.half_width_pct()


def test_block_length_follows_the_dependence():
    assert block_length(ar1(2000, 0.0, seed=1)) <= 3
    assert block_length(ar1(2000, 0.5, seed=1)) > block_length(ar1(2000, 0.0, seed=1))
    assert block_length(ar1(2000, 0.9, seed=1)) > 15
    # Short or constant series fall back to the iid bootstrap.
    assert politis_white_block_length([1.0, 2.0, 3.0]) == 1.0
    assert politis_white_block_length([5.0] * 100) == 1.0


def test_intervals_are_deterministic_and_hold_the_estimate():
    series = ar1(500, 0.5, seed=7)
    one = sequence_intervals(series, seed=4)
    assert one == sequence_intervals(series, seed=4)
    assert one != sequence_intervals(series, seed=5)
    for name, (lo, hi) in one.intervals.items():
        assert lo <= one.estimates[name] <= hi
    ordered = sorted(series)
    assert one.estimates["p50"] == ordered[percentile_index(500, 500)]
    assert one.estimates["p99"] == ordered[percentile_index(500, 990)]


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="at least 2"):
        sequence_intervals([1.0])
    with pytest.raises(ValueError, match="unknown statistic"):
        sequence_intervals([1.0, 2.0], ["p42"])
    with pytest.raises(ValueError, match="positive"):
        compare_sequences([1.0, 2.0], [0.0, 1.0])


def test_comparison_of_identical_processes_rarely_alarms():
    alarms = 0
    for seed in range(60):
        result = compare_sequences(
            ar1(400, 0.7, 2 * seed), ar1(400, 0.7, 2 * seed + 1), reps=500, seed=seed
        )
        alarms += result.p_value < 0.05
    assert alarms <= 6  # nominal 5 % of 60 = 3


def test_comparison_detects_a_real_difference_and_brackets_it():
    detected = bracketed = 0
    for seed in range(40):
        a = ar1(400, 0.7, 2 * seed)
        b = 0.9 * ar1(400, 0.7, 2 * seed + 1)  # b is 10 % faster
        result = compare_sequences(a, b, reps=500, seed=seed)
        detected += result.p_value < 0.05 and result.interval[1] < 1.0
        bracketed += result.interval[0] <= 0.9 <= result.interval[1]
    assert detected >= 36
    assert bracketed >= 34


def test_comparison_ratio_direction_and_fields():
    a, b = ar1(300, 0.0, 1), 2 * ar1(300, 0.0, 2)
    result = compare_sequences(a, b, "p90", reps=300)
    assert result.ratio == pytest.approx(
        sorted(b)[percentile_index(300, 900)] / sorted(a)[percentile_index(300, 900)]
    )
    assert result.interval[0] > 1.5 and result.p_value < 0.01
    assert result.n == (300, 300) and result.statistic == "p90"


def test_spread_of_trials():
    assert spread([10.0]) is None
    s = spread([10.0, 11.0, 12.0])
    assert s is not None
    assert (s.min, s.max, s.mean, s.count) == (10.0, 12.0, 11.0, 3)
    assert s.range_pct == pytest.approx(200 / 11)
    assert s.cv_pct == pytest.approx(100 / 11)
