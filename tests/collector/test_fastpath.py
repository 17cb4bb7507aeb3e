"""The samples fast path decodes exactly what the contract's decoder does."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from edgebench.collector.ingest.fastpath import decode_samples
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import SamplesMessage, decode_message, encode_message
from tests.collector.helpers import LAYOUT

TOPIC = "edgebench/v1/pi-a/runs/run-1/samples"

keys = st.one_of(
    st.sampled_from(["t", "temp_c", "cpu0_util_pct", "throttled"]),
    st.text(max_size=6),
    st.just("k" * 5000),
    st.just("nul\x00key"),
)
values = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)
rows = st.lists(st.dictionaries(keys, values, max_size=5), max_size=5)


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
    fast = outcome(decode_samples, payload)
    full = outcome(decode_message, payload)
    if fast[0] == "ok" and fast[1] is None:
        return  # the fast path declined; the caller uses decode_message
    assert fast == full


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
    fast = decode_samples(TOPIC, encode_message(msg), LAYOUT)
    assert fast == msg and fast.raw["rows"] == [{"t": 1.5, "temp_c": 40}]
