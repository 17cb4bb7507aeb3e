"""Message codec and generic validator: round trips, and every kind of bad payload."""

from __future__ import annotations

import contextlib
import json

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgebench.shared.codec import decode_message, encode_message, topic_for
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import (
    MAX_PAYLOAD_BYTES,
    MAX_STRING_LENGTH,
    MESSAGE_TYPES,
    ResultMessage,
    RunFinishedMessage,
    SamplesMessage,
    StatusMessage,
)
from edgebench.shared.result import LatencySummary, RunResult
from edgebench.shared.topics import TopicLayout
from edgebench.shared.wire import from_builtins as from_dict
from tests.shared.samples import DEVICE, RUN, one_of_each, run_result

LAYOUT = TopicLayout()


def _encode_dict(data: dict) -> bytes:
    return json.dumps(data).encode()


def _result_payload() -> tuple[str, dict]:
    msg = ResultMessage(device_id=DEVICE, run_id=RUN, seq=4, result=run_result())
    return topic_for(msg, LAYOUT), msg.to_dict()


@pytest.mark.parametrize("msg", one_of_each(), ids=lambda m: m.type)
def test_every_message_type_round_trips(msg) -> None:
    payload = encode_message(msg)
    decoded = decode_message(topic_for(msg, LAYOUT), payload, LAYOUT)
    assert type(decoded) is type(msg)
    assert decoded == msg
    assert decoded.raw == json.loads(payload)
    assert json.loads(payload)["type"] == msg.type


def test_one_of_each_covers_every_type() -> None:
    assert {m.type for m in one_of_each()} == set(MESSAGE_TYPES)


def test_encoding_is_compact_json() -> None:
    payload = encode_message(StatusMessage(device_id=DEVICE, state="online", reason="connected"))
    assert b": " not in payload and b", " not in payload


def test_envelope_defaults_are_unique_and_current() -> None:
    a = StatusMessage(device_id=DEVICE, state="online", reason="connected")
    b = StatusMessage(device_id=DEVICE, state="online", reason="connected")
    assert a.message_id != b.message_id
    assert len(a.message_id) == 32 and int(a.message_id, 16) >= 0
    assert a.schema_version == 1 and a.ts > 1.6e9


def test_run_result_round_trips_through_validator() -> None:
    result = run_result()
    assert from_dict(RunResult, result.to_dict()) == result
    minimal = msgspec.structs.replace(result, accuracy=None, gops=None, latencies_ms=[], samples=[])
    assert from_dict(RunResult, json.loads(json.dumps(minimal.to_dict()))) == minimal


def test_missing_optional_fields_take_their_defaults() -> None:
    data = run_result().to_dict()
    for key in ("gops", "sweep_id", "accuracy", "latencies_ms", "samples", "warnings"):
        del data[key]
    del data["device"]["cpu_governor"]
    parsed = from_dict(RunResult, data)
    assert parsed.accuracy is None and parsed.samples == [] and parsed.device.cpu_governor is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["latency_ms"].__setitem__("p50", "fast"),
            "result.latency_ms.p50: expected a number",
        ),
        (
            lambda d: d["latency_ms"].__setitem__("count", True),
            "result.latency_ms.count: expected an integer",
        ),
        (
            lambda d: d["latency_ms"].__setitem__("count", 1.5),
            "result.latency_ms.count: expected an integer",
        ),
        (
            lambda d: d["latency_ms"].__setitem__("count", 2**63),
            "result.latency_ms.count: integer out of",
        ),
        (
            lambda d: d["latency_ms"].__setitem__("p99", float("nan")),
            "result.latency_ms.p99: expected a finite",
        ),
        (
            lambda d: d["latency_ms"].__setitem__("max", float("inf")),
            "result.latency_ms.max: expected a finite",
        ),
        (
            lambda d: d["timing"].__setitem__("init_ms", 10**400),
            "result.timing.init_ms: number too large",
        ),
        (lambda d: d.__setitem__("status", "done"), "result.status: expected one of"),
        (lambda d: d.pop("verdict"), "result.verdict: missing required field"),
        (
            lambda d: d["device"].__setitem__("runtimes", []),
            "result.device.runtimes: expected an object",
        ),
        (
            lambda d: d["device"]["runtimes"].__setitem__("x", 2),
            "result.device.runtimes.x: expected text",
        ),
        (
            lambda d: d["model"]["inputs"][0]["shape"].__setitem__(1, "a"),
            "result.model.inputs[0].shape[1]",
        ),
        (lambda d: d["samples"][0].__setitem__("temp_c", "hot"), "result.samples[0].temp_c"),
        (
            lambda d: d["verdict"]["checks"].__setitem__("a", 1),
            "result.verdict.checks.a: expected true",
        ),
        (lambda d: d.__setitem__("accuracy", 3), "result.accuracy: expected an object"),
        (lambda d: d.__setitem__("run_id", None), "result.run_id: expected text"),
        (
            lambda d: d.__setitem__("warnings", ["a\x00b"]),
            "result.warnings[0]: text contains a NUL",
        ),
        (
            lambda d: d.__setitem__("warnings", ["\ud800"]),
            "result.warnings[0]: text is not valid Unicode",
        ),
        (lambda d: d.__setitem__("device", "pi"), "result.device: expected an object"),
    ],
)
def test_validation_errors_name_the_path(mutate, message: str) -> None:
    data = run_result().to_dict()
    mutate(data)
    with pytest.raises(SchemaError, match=message.replace("[", r"\[").replace("]", r"\]")):
        from_dict(RunResult, data, path="result")


def test_unknown_fields_are_ignored() -> None:
    data = run_result().latency_ms.to_dict() | {"p9999": 9.0}
    assert from_dict(LatencySummary, data) == run_result().latency_ms


def test_unknown_fields_are_ignored_but_preserved_in_raw() -> None:
    topic, data = _result_payload()
    data["new_top_level"] = {"x": 1}
    data["result"]["latency_ms"]["p9999"] = 4.2
    msg = decode_message(topic, _encode_dict(data), LAYOUT)
    assert isinstance(msg, ResultMessage)
    assert msg.raw is not None and msg.raw["new_top_level"] == {"x": 1}
    assert msg.raw["result"]["latency_ms"]["p9999"] == 4.2
    assert "new_top_level" not in msg.to_dict()


def _status_payload(**changes) -> tuple[str, bytes]:
    # A fixed id and time: the payload is part of the test id, which every xdist worker
    # must collect identically.
    msg = StatusMessage(
        device_id=DEVICE, state="offline", reason="lost", message_id="a" * 32, ts=1.7e9
    )
    data = msg.to_dict() | changes
    return LAYOUT.status(DEVICE), _encode_dict(data)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (LAYOUT.status(DEVICE), b"{not json", "not valid JSON"),
        (LAYOUT.status(DEVICE), b"\xff\xfe", "not UTF-8"),
        (LAYOUT.status(DEVICE), b"[1, 2]", "expected a JSON object"),
        (LAYOUT.status(DEVICE), b'"online"', "expected a JSON object"),
        (LAYOUT.status(DEVICE), b"", "not valid JSON"),
        (LAYOUT.status(DEVICE), b"[" * 100_000, "nested too deeply|not valid JSON"),
        (LAYOUT.status(DEVICE), b'{"a": 1' + b"0" * 5000 + b"}", "not valid JSON"),
        (*_status_payload(ts=float("nan")), "NaN is not allowed"),
        (*_status_payload(ts=float("inf")), "Infinity is not allowed"),
        (*_status_payload(ts=True), "ts: expected a number"),
        (*_status_payload(state="dead"), "state: expected one of"),
        (*_status_payload(type="gossip"), "unknown message type"),
        (*_status_payload(type=None), "unknown message type"),
        (*_status_payload(schema_version=2), "schema_version: 2 is not supported"),
        (*_status_payload(schema_version="1"), "schema_version: expected an integer"),
        (*_status_payload(message_id="x"), "message_id"),
        (*_status_payload(message_id="a/b+c#d1234"), "message_id"),
        (*_status_payload(device_id="someone-else"), "device_id: payload says"),
        (*_status_payload(edgebench_version="x" * (MAX_STRING_LENGTH + 1)), "longer than"),
        (*_status_payload(type="facts"), "facts"),
        (LAYOUT.facts(DEVICE), _status_payload()[1], "does not belong on a facts topic"),
        ("elsewhere/v1/dev/status", _status_payload()[1], "not under edgebench"),
    ],
)
def test_bad_payloads_raise_schema_error(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(SchemaError, match=reason):
        decode_message(topic, payload, LAYOUT)


def test_oversized_payload_is_rejected_before_parsing() -> None:
    topic, _ = _status_payload()
    with pytest.raises(SchemaError, match="over the"):
        decode_message(topic, b" " * (MAX_PAYLOAD_BYTES + 1), LAYOUT)
    huge = SamplesMessage(device_id=DEVICE, run_id=RUN, seq=0, columns={"t": [1.0] * 3_000_000})
    with pytest.raises(SchemaError, match="over the"):
        encode_message(huge)


def test_encode_rejects_nan_instead_of_writing_invalid_json() -> None:
    msg = SamplesMessage(device_id=DEVICE, run_id=RUN, seq=0, columns={"t": [float("nan")]})
    with pytest.raises(SchemaError, match="cannot be encoded"):
        encode_message(msg)


def test_result_must_agree_with_its_envelope_and_topic() -> None:
    topic, data = _result_payload()
    other_run = LAYOUT.run_result(DEVICE, "other-run")
    with pytest.raises(SchemaError, match="run_id: payload differs"):
        decode_message(other_run, _encode_dict(data), LAYOUT)
    data["result"]["run_id"] = "other-run"
    with pytest.raises(SchemaError, match=r"result.run_id: differs"):
        decode_message(topic, _encode_dict(data), LAYOUT)
    _, data = _result_payload()
    data["result"]["device"]["device_id"] = "other"
    with pytest.raises(SchemaError, match=r"result.device.device_id: differs"):
        decode_message(topic, _encode_dict(data), LAYOUT)
    _, data = _result_payload()
    data["result"]["schema_version"] = 2
    with pytest.raises(SchemaError, match=r"result.schema_version: 2 is not supported"):
        decode_message(topic, _encode_dict(data), LAYOUT)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_schema_error(payload: bytes) -> None:
    with contextlib.suppress(SchemaError):
        decode_message(LAYOUT.status(DEVICE), payload, LAYOUT)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(value=json_values, kind=st.sampled_from(sorted(MESSAGE_TYPES)))
def test_arbitrary_json_raises_only_schema_error(value, kind: str) -> None:
    # Half-valid envelopes reach deep into the validator, not just the JSON parser.
    if isinstance(value, dict):
        value = {
            "schema_version": 1,
            "type": kind,
            "device_id": DEVICE,
            "message_id": "a" * 32,
            "ts": 1.0,
        } | value
    payload = json.dumps(value).encode()
    for topic in (LAYOUT.status(DEVICE), LAYOUT.run_events(DEVICE, RUN), LAYOUT.command(DEVICE)):
        with contextlib.suppress(SchemaError):
            decode_message(topic, payload, LAYOUT)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(data=st.data())
def test_mutated_result_fields_raise_only_schema_error(data) -> None:
    topic, payload = _result_payload()
    section = data.draw(st.sampled_from(["latency_ms", "timing", "device", "model", "energy"]))
    key = data.draw(st.sampled_from(sorted(payload["result"][section])))
    payload["result"][section][key] = data.draw(json_values)
    try:
        msg = decode_message(topic, _encode_dict(payload), LAYOUT)
    except SchemaError:
        return
    assert isinstance(msg, ResultMessage)


@pytest.mark.parametrize("name", ["schema_version", "message_id", "type", "device_id", "ts"])
def test_envelope_fields_are_required_on_the_wire(name: str) -> None:
    data = StatusMessage(device_id=DEVICE, state="online", reason="connected").to_dict()
    del data[name]
    with pytest.raises(SchemaError, match=f"{name}: missing required field"):
        decode_message(LAYOUT.status(DEVICE), _encode_dict(data), LAYOUT)


def test_integers_stay_integers_within_64_bits_and_are_refused_beyond() -> None:
    """Sample values are numbers: integers (bitmasks, flags) stay integers, floats floats;
    an integer literal beyond 64 bits fits no SQLite or PostgreSQL column and is refused."""
    topic = "edgebench/v1/pi-a/runs/run-1/samples"
    base = json.loads(
        encode_message(SamplesMessage(device_id="pi-a", run_id="run-1", seq=0, columns={}))
    )
    columns = {"t": [1.5], "throttled": [327680], "temp_c": [40]}
    msg = decode_message(topic, json.dumps(base | {"columns": columns}).encode(), LAYOUT)
    assert msg.columns == columns and type(msg.columns["throttled"][0]) is int
    big = 2**64 + 1
    for change in ({"columns": {"t": [1.5], "x": [big]}}, {"seq": big}):
        with pytest.raises(SchemaError, match=r"(columns.x\[0\]|seq): integer out of the 64-bit"):
            decode_message(topic, json.dumps(base | change).encode(), LAYOUT)


def test_nul_characters_are_refused_wherever_they_are() -> None:
    topic, data = _result_payload()
    data["result"]["device"]["runtimes"]["lite\u0000rt"] = "1"
    with pytest.raises(SchemaError, match=r"runtimes: key 'lite\\x00rt' contains a NUL"):
        decode_message(topic, _encode_dict(data), LAYOUT)
    _, data = _result_payload()
    data["result"]["warnings"] = ["ok", "bad\u0000"]
    with pytest.raises(SchemaError, match=r"result.warnings\[1\]: text contains a NUL"):
        decode_message(topic, _encode_dict(data), LAYOUT)
    _, data = _result_payload()
    data["result"]["warnings"] = ["a literal backslash-u0000: \\u0000 is fine"]
    assert (
        decode_message(topic, _encode_dict(data), LAYOUT).result.warnings
        == data["result"]["warnings"]
    )


def test_run_finished_of_a_run_interrupted_before_any_inference_has_no_p50() -> None:
    """A run stopped before its first measured inference still reports its end."""
    msg = RunFinishedMessage(
        device_id=DEVICE,
        run_id=RUN,
        seq=3,
        status="interrupted",
        verdict="INVALID",
        throughput_ips=0.0,
        latency_p50_ms=None,
    )
    layout = TopicLayout("edgebench")
    decoded = decode_message(topic_for(msg, layout), encode_message(msg), layout)
    assert isinstance(decoded, RunFinishedMessage) and decoded.latency_p50_ms is None
