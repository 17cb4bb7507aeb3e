"""The samples fast path decodes exactly what the contract's decoder does."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from edgebench.collector.convert import sample_rows
from edgebench.collector.ingest.fastpath import decode_samples
from edgebench.shared.codec import decode_message, encode_message
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import SamplesMessage
from tests.collector.helpers import LAYOUT

TOPIC = "edgebench/v1/pi-a/runs/run-1/samples"

keys = st.one_of(
    st.sampled_from(["t", "temp_c", "cpu0_util_pct", "throttled", "freq_capped", 'q"\\%s']),
    st.text(max_size=6),
    st.just("k" * 5000),
    st.just("nul\x00key"),
)
values = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 1.0, 0.5, 2.0**60, 2**63 - 1, -(2**63), 2**64 + 1, 1e300]),
    st.booleans(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)


def equal_length_columns(
    value: st.SearchStrategy, key: st.SearchStrategy = keys
) -> st.SearchStrategy:
    """Column dicts whose lists share one length (what agents send), with a float ``t``."""
    return st.integers(0, 4).flatmap(
        lambda n: st.builds(
            lambda times, rest: {"t": times, **rest},
            st.lists(st.floats(0, 2e9), min_size=n, max_size=n),
            st.dictionaries(key, st.lists(value, min_size=n, max_size=n), max_size=4),
        )
    )


columns = st.one_of(
    st.dictionaries(keys, st.lists(values, max_size=3), max_size=4),
    equal_length_columns(values),
    st.just([]),
    st.just({"t": "now"}),
)


def fast_decode(topic: str, payload: bytes, layout: object) -> object:
    """The fast path's message (None when it declines), checking its rows on the way."""
    fast = decode_samples(topic, payload, layout)
    if fast is None:
        return None
    msg, built = fast
    try:
        expected = sample_rows(msg.run_id, msg.rows)
    except SchemaError:
        assert built is None  # left to the writer, which rejects it
        return msg
    if built is not None:
        assert [r[:-1] for r in built] == [r[:-1] for r in expected]
        assert [_extra(r[-1]) for r in built] == [_extra(r[-1]) for r in expected]
        assert [list(map(type, r)) for r in built] == [list(map(type, r)) for r in expected]
    return msg


def _extra(text: str | None) -> object:
    return None if text is None else json.loads(text)


def outcome(decode, payload: bytes) -> object:
    try:
        msg = decode(TOPIC, payload, LAYOUT)
    except SchemaError as exc:
        return ("rejected", str(exc))
    return ("ok", msg, msg.raw if msg is not None else None)


def payload_of(**fields: object) -> bytes:
    base = SamplesMessage(device_id="pi-a", run_id="run-1", seq=0, columns={})
    return json.dumps(json.loads(encode_message(base)) | fields).encode()


@settings(max_examples=400, deadline=None)
@given(cols=columns, device=st.sampled_from(["pi-a", "pi-b"]), seq=st.integers(-1, 3))
def test_fast_path_agrees_with_decode_message(cols, device, seq) -> None:
    payload = payload_of(columns=cols, device_id=device, seq=seq)
    fast = outcome(fast_decode, payload)
    full = outcome(decode_message, payload)
    if fast[0] == "ok" and fast[1] is None:
        return  # the fast path declined; the caller uses decode_message
    assert fast == full


numbers = st.one_of(
    st.none(),
    st.floats(-1e12, 1e12),
    st.integers(-(2**31), 2**31),
    st.sampled_from([0, 1, 1.0, 0.5, 2.0**60]),
)


@settings(max_examples=300, deadline=None)
@given(
    cols=equal_length_columns(
        numbers, st.sampled_from(["temp_c", "throttled", "cpu3_util_pct", 'k"\\%'])
    )
)
def test_built_rows_equal_the_writers_conversion(cols) -> None:
    payload = payload_of(columns=cols)
    fast = outcome(fast_decode, payload)
    assert fast == outcome(decode_message, payload)
    assert fast[1] is not None, "plain equal-length columns take the fast path"


def test_fast_path_declines_what_it_cannot_check_quickly() -> None:
    for bad in (
        {"t": [True]},
        {"t": [1.0], "ключ": [1.0]},
        {"t": [1.0], "x": ["text"]},
        {"t": [1.0, 2.0], "x": [1.0]},
        {"t": [None]},
        {"x": [1.0]},
        [[1.0]],
    ):
        assert decode_samples(TOPIC, payload_of(columns=bad), LAYOUT) is None
    assert decode_samples(TOPIC, b'{"columns": {"t": [NaN]}}', LAYOUT) is None
    assert decode_samples(TOPIC, payload_of().decode().encode("utf-16"), LAYOUT) is None


def test_the_contract_refuses_ragged_or_untimed_columns() -> None:
    for bad, reason in (
        ({"t": [1.0, 2.0], "x": [1.0]}, "columns: the lists differ in length"),
        ({"t": [1.0, None]}, "columns.t[1]: missing sample time"),
        ({"x": [1.0]}, "columns.t: missing sample times"),
    ):
        assert outcome(decode_message, payload_of(columns=bad))[1].startswith(reason)


def test_fast_path_result_is_a_full_message() -> None:
    msg = SamplesMessage.from_rows(
        [{"t": 1.5, "temp_c": 40}], device_id="pi-a", run_id="run-1", seq=3
    )
    fast, rows = decode_samples(TOPIC, encode_message(msg), LAYOUT)
    assert fast == msg and fast.raw["columns"] == {"t": [1.5], "temp_c": [40]}
    assert rows == [("run-1", 1.5, None, None, 40, *[None] * 10)]


def test_over_long_integers_are_judged_like_the_contract_does() -> None:
    """orjson reads integers beyond 64 bits as floats, and so does the contract's parser."""
    for extra in (
        {"columns": {"t": [2**64 + 1]}},
        {"seq": 2**64 + 1},
        {"x": [{"y": 2**70 + 1}]},
    ):
        payload = payload_of(**extra)
        assert outcome(fast_decode, payload) in (
            ("ok", None, None),
            outcome(decode_message, payload),
        )
    payload = payload_of(columns={"t": [1.0], "temp_c": [10**30]})
    assert outcome(fast_decode, payload) == outcome(decode_message, payload)
    assert outcome(fast_decode, payload)[1].columns["temp_c"] == [1e30]


def test_missing_metrics_and_extras_are_built_like_convert() -> None:
    """Absent columns are nulls; extras keep their order and leave out nulls."""
    rows = [
        {"t": 1.0, "temp_c": 40.5, "zeta": 1, "alpha": None},
        {"t": 2.0, "throttled": 3, "power_w": 4.5},
        {"t": 3.0, "temp_c": 41.0, "zeta": 2, "alpha": 0.5},
    ]
    msg = SamplesMessage.from_rows(rows, device_id="pi-a", run_id="run-1", seq=1)
    _, built = decode_samples(TOPIC, encode_message(msg), LAYOUT)
    assert built == sample_rows("run-1", msg.rows)
    assert [r[-1] for r in built] == ['{"zeta":1}', None, '{"zeta":2,"alpha":0.5}']


def test_rows_round_trip_through_columns() -> None:
    rows = [{"t": 1.0, "a": 2.0}, {"t": 2.0, "b": 3}]
    msg = SamplesMessage.from_rows(rows, device_id="pi-a", run_id="run-1", seq=0)
    assert msg.columns == {"t": [1.0, 2.0], "a": [2.0, None], "b": [None, 3]}
    assert msg.rows == rows


def test_without_keep_rows_the_message_travels_light() -> None:
    msg = SamplesMessage.from_rows([{"t": 1.0}], device_id="pi-a", run_id="run-1", seq=1)
    slim, built = decode_samples(TOPIC, encode_message(msg), LAYOUT, keep_rows=False)
    assert slim.columns == {} and built == sample_rows("run-1", msg.rows)
    # Columns left to the writer's conversion stay with the message.
    msg = SamplesMessage.from_rows(
        [{"t": 1, "throttled": 1.0}], device_id="pi-a", run_id="run-1", seq=1
    )
    kept, built = decode_samples(TOPIC, encode_message(msg), LAYOUT, keep_rows=False)
    assert built is None and kept.columns == msg.columns
