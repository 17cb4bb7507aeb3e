"""``agent run`` with intervals, --repeat and --target-ci, end to end on the real LiteRT."""

from __future__ import annotations

import json

import pytest

from edgebench.agent.engine.repeat import RepeatPlan, cool_down
from tests.agent.test_cli_run import SMALL, agent_run, assert_one_line_error

QUICK = ["--min-secs", "0", "--warmup-secs", "0", "--sample-hz", "0", "--allow-busy"]


def test_every_run_carries_intervals_around_its_figures(models_dir, tmp_path):
    out = tmp_path / "ci.json"
    proc = agent_run(tmp_path, str(models_dir / SMALL), "--runs", "200", *QUICK, "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    lat, ci = doc["latency_ms"], doc["latency_ms"]["ci95"]
    for name in ("p50", "p90", "p99"):
        assert ci[name][0] <= lat[name] <= ci[name][1]
    assert ci["throughput_ips"][0] <= doc["throughput_ips"] <= ci["throughput_ips"][1]
    assert ci["n"] == lat["count"] and ci["level"] == 0.95 and ci["block_length"] >= 1
    assert "block bootstrap" in ci["method"]
    assert doc["trials"] is None and doc["target_ci"] is None
    assert "95 % CI    p50" in proc.stdout


def test_repeat_runs_trials_and_reports_their_spread(models_dir, tmp_path):
    out = tmp_path / "rep.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        *("--runs", "50", *QUICK, "--repeat", "3", "--cooldown", "0.2"),
        *("--cooldown-temp-delta", "50", "--json", str(out)),
    )
    assert proc.returncode == 0, proc.stderr
    last = json.loads(out.read_text())
    trials = [json.loads((tmp_path / f"rep.trial{k}.json").read_text()) for k in (1, 2, 3)]
    assert last["run_id"] == trials[2]["run_id"]
    assert len({t["run_id"] for t in trials}) == 3
    assert len({t["trials"]["repeat_id"] for t in trials}) == 1
    assert [t["trials"]["index"] for t in trials] == [1, 2, 3]
    assert [len(t["trials"]["completed"]) for t in trials] == [1, 2, 3]
    assert trials[0]["trials"]["waited_s"] == 0 and trials[1]["trials"]["waited_s"] >= 0.2
    summary = last["trials"]
    p50s = [t["latency_ms"]["p50"] for t in trials]
    assert [c["p50_ms"] for c in summary["completed"]] == p50s
    assert summary["p50_spread"]["min"] == min(p50s) and summary["p50_spread"]["count"] == 3
    assert summary["throughput_spread"]["count"] == 3
    assert trials[0]["trials"]["p50_spread"] is None
    assert proc.stdout.count("Trial      ") == 3
    assert "Trials     3 of 3" in proc.stdout and "Between    p50" in proc.stdout


def test_target_ci_that_is_easy_is_reached(models_dir, tmp_path):
    out = tmp_path / "easy.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        *("--runs", "100", *QUICK, "--target-ci", "50", "--max-secs", "20", "--json", str(out)),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    target = doc["target_ci"]
    assert target["reached"] and target["pct"] == 50 and target["checks"] >= 1
    lo, hi = doc["latency_ms"]["ci95"]["p50"]
    # The recorded half-width is the one of the interval in the result (computed in another
    # order, so equal up to the last bits of a float).
    expected = (hi - lo) / 2 / doc["latency_ms"]["p50"] * 100
    assert target["half_width_pct"] == pytest.approx(expected, rel=1e-9)
    assert target["half_width_pct"] < 50
    assert "Target CI  p50" in proc.stdout and "reached" in proc.stdout


def test_target_ci_out_of_reach_stops_at_max_secs(models_dir, tmp_path):
    out = tmp_path / "hard.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        *("--runs", "10", *QUICK, "--target-ci", "0.0001", "--max-secs", "2.5"),
        *("--json", str(out)),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    target = doc["target_ci"]
    assert not target["reached"] and target["checks"] >= 2
    assert target["half_width_pct"] > 0.0001
    # Measured in chunks, but one measured phase: every latency is in the result.
    assert doc["latency_ms"]["count"] == len(doc["latencies_ms"])
    assert "NOT reached" in proc.stdout


def test_bad_statistics_options_are_one_line_errors(models_dir, tmp_path):
    for args, needle in (
        (["--target-ci", "0"], "--target-ci 0.0"),
        (["--repeat", "0"], "--repeat 0"),
        (["--cooldown", "-1"], "--cooldown -1"),
        (["--cooldown-temp-delta", "0"], "--cooldown-temp-delta"),
    ):
        proc = agent_run(tmp_path, str(models_dir / SMALL), *args)
        assert_one_line_error(proc, needle)


def test_cool_down_waits_for_the_temperature_within_bounds():
    temps = iter([60.0, 58.0, 51.0])
    slept = []
    plan = RepeatPlan(count=2, cooldown_s=0.0, temp_delta_c=2.0)
    cool_down(plan, 50.0, lambda: next(temps), sleep=slept.append)
    assert slept == [0.0, 1.0, 1.0]
    # No temperature sensor: only the fixed pause.
    slept.clear()
    cool_down(plan, None, lambda: None, sleep=slept.append)
    assert slept == [0.0]
