"""Verdict: VALID only when every LoadGen-style check passes; one reason per failure."""

from __future__ import annotations

from edgebench.agent.engine.verdict import make_verdict

GOOD = {
    "count": 100,
    "duration_s": 2.0,
    "min_runs": 50,
    "min_secs": 1.0,
    "throttle_reasons": [],
    "interrupted": False,
}


def verdict(**changes):
    return make_verdict(**{**GOOD, **changes})


def test_valid_when_all_checks_pass():
    v = verdict()
    assert v.status == "VALID"
    assert v.reasons == []
    assert all(v.checks.values())


def test_min_runs_not_met():
    v = verdict(count=70, min_runs=80)
    assert v.status == "INVALID"
    assert v.checks["min_runs_met"] is False
    assert len(v.reasons) == 1 and "min runs" in v.reasons[0] and "70" in v.reasons[0]


def test_min_duration_not_met():
    v = verdict(duration_s=0.5)
    assert v.status == "INVALID"
    assert v.checks["min_duration_met"] is False
    assert "min duration" in v.reasons[0]
    assert "--max-secs stopped the run first" in v.reasons[0]


def test_p90_needs_64_samples():
    assert verdict(count=64, min_runs=10).status == "VALID"
    v = verdict(count=63, min_runs=10)
    assert v.status == "INVALID"
    assert v.checks["enough_samples_for_p90"] is False
    assert "64" in v.reasons[0]


def test_throttling_invalidates():
    v = verdict(throttle_reasons=["under-voltage", "frequency capped"])
    assert v.status == "INVALID"
    assert v.checks["no_throttling"] is False
    assert "under-voltage" in v.reasons[0] and "frequency capped" in v.reasons[0]


def test_interrupted_invalidates_and_comes_first():
    v = verdict(interrupted=True, count=10)
    assert v.status == "INVALID"
    assert v.checks["not_interrupted"] is False
    assert "interrupted" in v.reasons[0]
    assert len(v.reasons) == 3  # interrupted, min runs, p90 samples
    assert not any("--max-secs" in reason for reason in v.reasons)  # Ctrl-C cut it, not the cap
