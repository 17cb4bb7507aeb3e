"""Comparison verdicts on synthetic stored runs whose answers are known.

The latency sequences are ``10 ms × exp(AR(1))`` (autocorrelated, log-normal), as in
``tests/shared/test_uncertainty.py``; the tables are built by the collector's own
``compare._table`` and annotated by ``verdicts.apply``, the code behind ``/api/compare``.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.collector import significance as sig
from edgebench.collector import verdicts
from edgebench.collector.compare import _table
from tests.shared.test_uncertainty import ar1

SAME = "no significant difference"


def stored(run_id: str, latencies: np.ndarray) -> tuple[dict, dict]:
    """A compare column and the stored sequences of one run."""
    values = {
        "latency_p50_ms": float(np.median(latencies)),
        "latency_p90_ms": float(np.quantile(latencies, 0.9)),
        "latency_p99_ms": float(np.quantile(latencies, 0.99)),
        "throughput_ips": 1000.0 / float(np.mean(latencies)),
        "mj_per_inference": None,
        "inferences_per_joule": None,
        "gops": None,
        "peak_temp_c": None,
        "throttled_share": None,
        "valid_share": 1.0,
        "accuracy_top1": None,
    }
    column = {"id": run_id, "label": run_id, "run_ids": [run_id], "n": 1, "values": values}
    return column, {run_id: {"latencies": list(latencies), "ci95": None, "paced": False}}


def compare(runs: dict[str, np.ndarray], threshold: float = 3.0, baseline=None) -> dict:
    columns, loaded = [], {}
    for run_id, latencies in runs.items():
        column, seq = stored(run_id, latencies)
        columns.append(column)
        loaded |= seq
    return verdicts.apply(_table("runs", columns, baseline), loaded, threshold)


def verdict_of(table: dict, key: str, index: int) -> str:
    row = next(r for r in table["rows"] if r["key"] == key)
    return row["tests"][index]["verdict"]


def test_identical_sequences_are_no_significant_difference() -> None:
    a = ar1(1000, 0.5, seed=1)
    table = compare({"a": a, "b": a.copy(), "c": ar1(1000, 0.5, seed=2)})
    for key in sig.TESTED_ROWS:
        assert verdict_of(table, key, 1) == SAME
        assert verdict_of(table, key, 2) == SAME
    p50 = next(r for r in table["rows"] if r["key"] == "latency_p50_ms")
    assert p50["tests"][0] is None  # the baseline is not tested against itself
    assert p50["tests"][1]["ratio"] == pytest.approx(1.0)


def test_a_20_percent_shift_is_faster_or_slower_in_every_row() -> None:
    base = ar1(1000, 0.5, seed=3)
    table = compare({"base": base, "slow": ar1(1000, 0.5, seed=4) * 1.2, "fast": base / 1.2})
    for key in sig.TESTED_ROWS:
        assert verdict_of(table, key, 1) == "slower"
        assert verdict_of(table, key, 2) == "faster"
    p50 = next(r for r in table["rows"] if r["key"] == "latency_p50_ms")
    lo, hi = p50["tests"][1]["ci95"]
    assert lo < p50["tests"][1]["ratio"] < hi and lo > 1.1
    ips = next(r for r in table["rows"] if r["key"] == "throughput_ips")
    assert ips["tests"][2]["ratio"] == pytest.approx(1.2, rel=1e-6)  # throughput goes up


def test_a_2_percent_shift_is_under_the_3_percent_threshold() -> None:
    base = ar1(4000, 0.0, seed=5, sigma=0.02)
    other = ar1(4000, 0.0, seed=6, sigma=0.02) * 1.02
    assert verdict_of(compare({"a": base, "b": other}, 3.0), "latency_p50_ms", 1) == SAME
    # Without a threshold the same, well-measured 2 % is a real difference.
    assert verdict_of(compare({"a": base, "b": other}, 0.0), "latency_p50_ms", 1) == "slower"


def test_holm_matches_the_step_down_rule() -> None:
    # Sorted p: 0.01, 0.02, 0.03, 0.04 -> 4·0.01, 3·0.02, 2·0.03 (raised to 0.06), 0.04 -> 0.06.
    assert sig.holm([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert sig.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # never below an earlier step
    assert sig.holm([0.001, 0.9]) == pytest.approx([0.002, 0.9])
    assert sig.holm([]) == []


def test_many_rows_at_once_keep_false_alarms_rare() -> None:
    # 12 columns of one process against a baseline, 4 rows each: 44 tests of true nulls
    # with no threshold. Holm keeps the chance of any false alarm under 5 %; unadjusted,
    # some of the 44 would be expected under 0.05.
    runs = {f"r{i}": ar1(600, 0.5, seed=100 + i) for i in range(12)}
    table = compare(runs, threshold=0.0)
    tests = [t for r in table["rows"] if "tests" in r for t in r["tests"] if t]
    tests += [t for t in table["overall"]["tests"] if t]
    assert len(tests) == 11 * 5
    assert all(t["verdict"] == SAME for t in tests)
    assert all(t["p_adjusted"] >= t["p_value"] for t in tests)


def test_overall_row_is_the_geomean_and_a_missing_column_is_a_dash() -> None:
    base = ar1(800, 0.3, seed=7)
    runs = {"base": base, "fast": base / 1.25, "short": np.array([10.0, 11.0])}
    table = compare(runs)
    overall = table["overall"]
    assert overall["metrics"] == list(sig.TESTED_ROWS)
    assert overall["ratios"][0] == 1.0
    assert overall["ratios"][1] == pytest.approx(1.25, rel=1e-6)
    assert overall["tests"][1]["verdict"] == "faster"
    lo, hi = overall["intervals"][1]
    assert lo <= 1.25 <= hi
    # Two latencies are too few to test: the column shows "–", the row is not dropped.
    assert overall["ratios"][2] is None and overall["tests"][2] is None
    p50 = next(r for r in table["rows"] if r["key"] == "latency_p50_ms")
    assert p50["tests"][2] is None and p50["values"][2] is not None


def test_the_geomean_uses_only_rows_every_column_has() -> None:
    base, other = ar1(500, 0.0, seed=8), ar1(500, 0.0, seed=9)
    columns, loaded = [], {}
    for run_id, latencies in (("a", base), ("b", other)):
        column, seq = stored(run_id, latencies)
        columns.append(column)
        loaded |= seq
    columns[1]["values"]["latency_p99_ms"] = None
    table = verdicts.apply(_table("runs", columns, None), loaded, 3.0)
    assert "latency_p99_ms" not in table["overall"]["metrics"]
    p99 = next(r for r in table["rows"] if r["key"] == "latency_p99_ms")
    assert p99["values"] == [pytest.approx(float(np.quantile(base, 0.99))), None]
    assert p99["intervals"][1] is None


def test_a_group_pools_its_runs_with_their_spread() -> None:
    # Two groups of three runs each; the second group's runs are 15 % slower.
    slow = {f"s{i}": ar1(400, 0.5, seed=20 + i) * 1.15 for i in range(3)}
    fast = {f"f{i}": ar1(400, 0.5, seed=30 + i) for i in range(3)}
    columns, loaded = [], {}
    for gid, members in (("fast", fast), ("slow", slow)):
        values = {}
        for run_id, latencies in members.items():
            column, seq = stored(run_id, latencies)
            loaded |= seq
            values[run_id] = column["values"]
        median = {k: float(np.median([v[k] for v in values.values()])) for k in sig.TESTED_ROWS}
        column = stored(gid, members[next(iter(members))])[0]
        column |= {"id": gid, "run_ids": list(members), "n": 3}
        column["values"] |= median
        columns.append(column)
    table = verdicts.apply(_table("groups", columns, None), loaded, 3.0)
    assert verdict_of(table, "latency_p50_ms", 1) == "slower"
    single = compare({"f0": fast["f0"], "s0": slow["s0"]})
    group_ci = next(r for r in table["rows"] if r["key"] == "latency_p50_ms")["tests"][1]["ci95"]
    run_ci = next(r for r in single["rows"] if r["key"] == "latency_p50_ms")["tests"][1]["ci95"]
    assert group_ci[0] < group_ci[1] and run_ci[0] < run_ci[1]


def test_pair_comparison_used_by_the_calibration_bench() -> None:
    a, b = ar1(500, 0.5, seed=40), ar1(500, 0.5, seed=41)
    assert sig.compare_pair(("a", a), ("b", b)).verdict == SAME
    assert sig.compare_pair(("a", a), ("b", b * 0.85)).verdict == "faster"
    with pytest.raises(ValueError, match="at least 10"):
        sig.compare_pair(("a", a), ("b", [1.0]))


def test_a_clear_difference_survives_holm_over_many_columns() -> None:
    # 40 columns, 5 tests each: the empirical p floor (1/1001) times 200 would exceed
    # alpha; the normal tail keeps a 30 % difference significant.
    runs = {f"r{i}": ar1(300, 0.3, seed=200 + i) for i in range(40)}
    runs["slow"] = ar1(300, 0.3, seed=300) * 1.3
    table = compare(runs)
    assert verdict_of(table, "latency_p50_ms", 40) == "slower"
    assert table["overall"]["tests"][40]["verdict"] == "slower"
    assert verdict_of(table, "latency_p50_ms", 1) == SAME


def test_too_many_runs_skip_the_verdicts_with_a_reason(monkeypatch) -> None:
    # The limit is lowered so the test stays small; the rule is the same.
    monkeypatch.setattr(verdicts, "MAX_TEST_RUNS", 1)
    a, b = stored("a", ar1(100, 0.0, seed=1)), stored("b", ar1(100, 0.0, seed=2))
    table = verdicts.annotate(None, _table("runs", [a[0], b[0]], None), 3.0)
    assert "at most 1" in table["significance"]["skipped"]
    p50 = next(r for r in table["rows"] if r["key"] == "latency_p50_ms")
    assert p50["tests"] == [None, None] and table["overall"]["ratios"] == [None, None]
