"""The campaign request's checks and the planner's expansion, order and estimate (pure)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from edgebench.collector.campaigns import planner
from edgebench.collector.campaigns.schedule import next_daily, zone
from edgebench.collector.campaigns.spec import CampaignSpec, parse_spec
from edgebench.collector.campaigns.states import failure_outcome
from edgebench.shared.errors import SchemaError

SHA = "sha256:" + "ab" * 32


def spec(**fields: object) -> CampaignSpec:
    body = {"name": "c", "devices": ["pi-a", "pi-b"], "models": ["m1", SHA], **fields}
    return parse_spec(json.dumps(body))


def test_defaults_and_job_count() -> None:
    s = spec(threads=[1, 4], repetitions=3)
    assert s.backends == ["litert"] and s.order == "shuffled" and s.retries == 1
    jobs = planner.plan_jobs(s, ["pi-a", "pi-b"], seed=1)
    assert len(jobs) == 2 * 2 * 2 * 3
    per_device = Counter(j.device_id for j in jobs)
    assert per_device == {"pi-a": 12, "pi-b": 12}
    # Every configuration once per repetition, on every device.
    assert Counter((j.model, j.threads) for j in jobs if j.device_id == "pi-a") == {
        (m, t): 3 for m in ("m1", SHA) for t in (1, 4)
    }


def test_shuffled_rounds_are_seeded_and_interleaved() -> None:
    s = spec(threads=[1, 2, 3, 4], repetitions=4)
    first = planner.job_order(s, seed=7)
    assert first == planner.job_order(s, seed=7)
    assert first != planner.job_order(s, seed=8)
    # Interleaved: repetition r's round comes entirely before repetition r+1's.
    assert [rep for rep, _ in first] == sorted(rep for rep, _ in first)
    rounds = [[c for rep, c in first if rep == r] for r in range(1, 5)]
    assert all(sorted(map(repr, r)) == sorted(map(repr, rounds[0])) for r in rounds)
    assert len({tuple(map(repr, r)) for r in rounds}) > 1  # shuffled differently per round


def test_interleaved_and_sequential_orders() -> None:
    inter = planner.job_order(spec(order="interleaved", repetitions=2), 0)
    assert [(r, c.model) for r, c in inter] == [(1, "m1"), (1, SHA), (2, "m1"), (2, SHA)]
    seq = planner.job_order(spec(order="sequential", repetitions=2), 0)
    assert [(r, c.model) for r, c in seq] == [(1, "m1"), (2, "m1"), (1, SHA), (2, SHA)]


def test_all_devices_get_the_same_order() -> None:
    jobs = planner.plan_jobs(spec(threads=[1, 2], repetitions=2), ["pi-a", "pi-b"], 3)
    a = [(j.model, j.threads, j.repetition) for j in jobs if j.device_id == "pi-a"]
    b = [(j.model, j.threads, j.repetition) for j in jobs if j.device_id == "pi-b"]
    assert a == b


def test_estimate_is_the_busiest_device_with_cooldowns() -> None:
    s = spec(options={"min_secs": 2, "warmup_secs": 0}, cooldown_s=10)
    jobs = planner.plan_jobs(s, ["pi-a", "pi-b"], 0)
    est = planner.estimate(s, jobs)
    assert est.job_s == planner.JOB_OVERHEAD_S + 2
    assert est.total_s == 2 * est.job_s + 10 == est.per_device_s["pi-a"]
    paced = planner.expected_job_s({"runs": 300, "rate_hz": 30, "min_secs": 1})
    assert paced == planner.JOB_OVERHEAD_S + planner.DEFAULT_WARMUP_SECS + 10


def test_command_options_add_the_axes() -> None:
    assert planner.command_options({"runs": 5}, "litert", None) == {"runs": 5, "backend": "litert"}
    assert planner.command_options({}, "litert", 2) == {"backend": "litert", "threads": 2}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"models": ["../../etc/passwd"]}, "models[0]: '../../etc/passwd' is not a model name"),
        ({"models": ["/etc/shadow"]}, "models[0]: '/etc/shadow' is not a model name"),
        ({"models": ["http://x/m.tflite"]}, "models[0]: 'http://x/m.tflite' is not a model"),
        ({"models": ["sha256:ABC"]}, "models[0]: 'sha256:ABC' is not a model name"),
        ({"models": []}, "models: "),
        ({"models": ["a", "a"]}, "models: a value is repeated"),
        ({"threads": [0]}, "threads[0]: "),
        ({"backends": ["onnx"]}, "backends[0]: expected one of the allowed values"),
        ({"options": {"images": "x"}}, "options.images: "),
        ({"options": {"images": 1}}, "options.images: names a file"),
        ({"options": {"threads": 2}}, "options.threads: give threads as the campaign's"),
        ({"options": {"nope": 1}}, "options.nope: unknown run option"),
        ({"options": {"runs": -1}}, "options.runs: must be a finite number, 0 or more"),
        ({"repetitions": 0}, "repetitions: "),
        ({"cooldown_s": -1}, "cooldown_s: "),
        ({"schedule": {"daily_at": "25:00"}}, "schedule.daily_at: text does not match"),
        ({"surprise": 1}, "surprise"),
        ({"device_filter": {"board": "Pi"}}, "devices: give either devices"),
        ({"devices": ["a b"]}, "devices[0]: text does not match"),
        ({"devices": None}, "devices: give either devices"),
        ({"devices": None, "device_filter": {}}, "device_filter: give board"),
        ({"repetitions": 100, "threads": list(range(1, 17)), "devices": list("abcd")}, "jobs"),
    ],
)
def test_bad_requests_are_refused_in_one_line(fields: dict, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        spec(**fields)
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_not_json_is_refused() -> None:
    with pytest.raises(SchemaError, match=r"^body: not a JSON object"):
        parse_spec(b"{nope")
    with pytest.raises(SchemaError, match="name: missing required field"):
        parse_spec(b'{"models": ["m"], "devices": ["a"]}')


def test_default_workload_and_plain_names_pass() -> None:
    s = spec(models=[None, "gen-mobilenet_v2_0.35_96_int8", "mobilenet_v1_0.25_128_quant"])
    assert s.models[0] is None and len(s.models) == 3


def test_failure_outcomes() -> None:
    assert failure_outcome("expired: too late", 1, 1).state == "expired"
    assert failure_outcome("interrupted: stopping", 1, 1).state == "queued"
    assert failure_outcome("lost: no run", 2, 1).state == "failed"
    assert failure_outcome("boom\nline 2", 1, 0).error == "boom"


def test_next_daily_in_a_named_zone_across_dst() -> None:
    berlin = zone("Europe/Berlin")
    # 2026-03-28 12:00 UTC; the next 02:30 in Berlin is on the 29th, the night clocks
    # jump from 02:00 to 03:00: zoneinfo resolves 02:30 to 03:30 CEST (01:30 UTC).
    after = 1774699200.0
    first = next_daily("02:30", after, berlin)
    assert first - after == pytest.approx(13.5 * 3600)
    second = next_daily("02:30", first, berlin)
    assert second - first == pytest.approx(23 * 3600)  # 02:30 CEST on the 30th
    assert next_daily("12:00", after, zone("UTC")) == after + 86400
