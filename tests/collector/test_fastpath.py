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
row = st.dictionaries(keys, values, max_size=5)
# Telemetry batches mostly repeat one key-set: the fast path's column-wise case.


def same_keys_of(one_row: st.SearchStrategy) -> st.SearchStrategy:
    """Lists of rows with one key-set (the first row's), other values numbered."""
    return st.builds(
        lambda r, n: [r] + [{k: (v if k == "t" else i) for k, v in r.items()} for i in range(n)],
        one_row,
        st.integers(0, 3),
    )


rows = st.one_of(st.lists(row, max_size=5), same_keys_of(row))


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


@settings(max_examples=400, deadline=None)
@given(rows=rows, device=st.sampled_from(["pi-a", "pi-b"]), seq=st.integers(-1, 3))
def test_fast_path_agrees_with_decode_message(rows, device, seq) -> None:
    base = SamplesMessage(device_id="pi-a", run_id="run-1", seq=0, rows=[])
    data = json.loads(encode_message(base)) | {"rows": rows, "device_id": device, "seq": seq}
    payload = json.dumps(data).encode()
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
timed_row = st.builds(
    lambda t, r: {"t": t, **r},
    st.floats(0, 2e9),
    st.dictionaries(st.sampled_from(["temp_c", "throttled", "cpu3_util_pct", 'k"\\']), numbers),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.one_of(st.lists(timed_row, max_size=4), same_keys_of(timed_row)))
def test_built_rows_equal_the_writers_conversion(rows) -> None:
    base = SamplesMessage(device_id="pi-a", run_id="run-1", seq=0, rows=[])
    payload = json.dumps(json.loads(encode_message(base)) | {"rows": rows}).encode()
    fast = outcome(fast_decode, payload)
    assert fast == outcome(decode_message, payload)


def test_fast_path_declines_what_it_cannot_check_quickly() -> None:
    base = json.loads(
        encode_message(SamplesMessage(device_id="pi-a", run_id="run-1", seq=0, rows=[]))
    )
    for bad_rows in ([{"t": 10**30}], [{"t": True}], [{"ключ": 1.0}]):
        payload = json.dumps(base | {"rows": bad_rows}).encode()
        assert decode_samples(TOPIC, payload, LAYOUT) is None
    assert decode_samples(TOPIC, b'{"rows": [{"t": NaN}]}', LAYOUT) is None
    assert decode_samples(TOPIC, json.dumps(base).encode("utf-16"), LAYOUT) is None


def test_fast_path_result_is_a_full_message() -> None:
    msg = SamplesMessage(device_id="pi-a", run_id="run-1", seq=3, rows=[{"t": 1.5, "temp_c": 40}])
    fast, rows = decode_samples(TOPIC, encode_message(msg), LAYOUT)
    assert fast == msg and fast.raw["rows"] == [{"t": 1.5, "temp_c": 40}]
    assert rows == [("run-1", 1.5, None, None, 40, *[None] * 10)]


def test_over_long_integers_are_judged_like_the_contract_does() -> None:
    """orjson turns integers beyond 64 bits into floats: the fast path must not hide that."""
    base = json.loads(
        encode_message(SamplesMessage(device_id="pi-a", run_id="run-1", seq=0, rows=[]))
    )
    for extra in ({"rows": [{"t": 2**64 + 1}]}, {"seq": 2**64 + 1}, {"x": [{"y": 2**70 + 1}]}):
        payload = json.dumps(base | extra).encode()
        assert outcome(fast_decode, payload) in (
            ("ok", None, None),
            outcome(decode_message, payload),
        )
