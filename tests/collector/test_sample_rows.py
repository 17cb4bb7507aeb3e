"""Telemetry columns to ``samples`` table rows: one conversion for messages and results."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgebench.collector.columns import SAMPLE_COLUMNS, SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS
from edgebench.collector.sample_rows import columns_of, sample_rows
from edgebench.shared.codec import decode_message, encode_message
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import SamplesMessage
from edgebench.shared.topics import TopicLayout

LAYOUT = TopicLayout()


def rows_of(run_id: str, columns: dict) -> list[tuple]:
    return sample_rows(run_id, columns)


def expected_row(run_id: str, sample: dict) -> tuple:
    """The row written by hand: one column per known key, the rest as JSON text."""
    extra = {k: v for k, v in sample.items() if k not in {"t", *SAMPLE_COLUMNS}}
    return (
        run_id,
        float(sample["t"]),
        *(sample.get(k) for k in SAMPLE_FLOAT_COLUMNS),
        *(None if sample.get(k) is None else int(sample[k]) for k in SAMPLE_INT_COLUMNS),
        json.dumps(extra, separators=(",", ":")) if extra else None,
    )


def test_known_keys_fill_their_columns_and_the_rest_is_json() -> None:
    samples = [
        {"t": 1.5, "temp_c": 40.5, "throttled": 327680, "cpu0_util_pct": 3.0, "x": 1e16},
        {"t": 2.5, "temp_c": None, "throttled": 0, "cpu0_util_pct": None, "x": -2.0},
        {"t": 3, "cpu_util_pct": 12.0},
    ]
    rows = rows_of("run-1", columns_of(samples))
    assert rows == [
        expected_row("run-1", {k: v for k, v in s.items() if v is not None}) for s in samples
    ]
    assert all(type(row[1]) is float for row in rows)  # an integer time is stored as a number
    assert json.loads(rows[0][-1]) == {"cpu0_util_pct": 3.0, "x": 1e16}


def test_whole_floats_in_flag_columns_become_ints_and_fractions_are_refused() -> None:
    rows = rows_of("r", {"t": [1.0, 2.0], "under_voltage": [1.0, None]})
    assert [row[SAMPLE_COLUMNS.index("under_voltage")] for row in rows] == [1, None]
    with pytest.raises(SchemaError, match=r"columns.freq_capped\[1\]: expected a whole number"):
        rows_of("r", {"t": [1.0, 2.0], "freq_capped": [0, 0.5]})


def test_missing_times_and_ragged_columns_are_refused() -> None:
    with pytest.raises(SchemaError, match="missing sample time"):
        rows_of("r", {"t": [1.0, None], "temp_c": [1.0, 2.0]})
    with pytest.raises(SchemaError, match="differ in length"):
        rows_of("r", {"t": [1.0, 2.0], "temp_c": [1.0]})
    assert rows_of("r", {}) == [] and rows_of("r", {"t": []}) == []


numbers = st.one_of(
    st.none(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
keys = st.sampled_from(["t", "temp_c", "throttled", "cpu0_util_pct", 'we"ird%s', "é"])


@settings(max_examples=300)
@given(st.lists(st.dictionaries(keys, numbers, min_size=1), min_size=1, max_size=5))
def test_decoded_messages_give_the_rows_written_by_hand(samples: list[dict]) -> None:
    for sample in samples:
        sample["t"] = float(sample.get("t") or 1.0)
        if isinstance(sample.get("throttled"), float):
            sample["throttled"] = (
                round(sample["throttled"]) if abs(sample["throttled"]) < 2**53 else 0
            )
    msg = SamplesMessage.from_rows(samples, device_id="pi-a", run_id="r", seq=0)
    topic = LAYOUT.run_samples("pi-a", "r")
    decoded = decode_message(topic, encode_message(msg), LAYOUT)
    rows = rows_of("r", decoded.columns)
    expected = [expected_row("r", {k: v for k, v in s.items() if v is not None}) for s in samples]
    assert [r[:-1] for r in rows] == [e[:-1] for e in expected]
    assert [r[-1] and json.loads(r[-1]) for r in rows] == [
        e[-1] and json.loads(e[-1]) for e in expected
    ]
