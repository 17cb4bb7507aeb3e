"""A fast decoder for telemetry (samples) messages, equivalent to ``decode_message``.

Samples are nearly all of the collector's traffic, and the contract's generic validator
spends ~90 µs per 15-key row checking ``list[dict[str, float | None]]`` one value at a
time. Here the envelope (everything except ``rows``) still goes through
:func:`edgebench.shared.messages.decode_message`, so topic, ids, versions and types are
checked by the contract itself; only the rows are checked by a tight loop that accepts
a subset of what the generic validator accepts (ASCII keys, finite floats, 64-bit ints,
nulls). Anything else returns ``None`` and the caller falls back to the full decoder,
which then accepts or rejects with its own message. ``tests/collector/test_fastpath.py``
checks the two agree on generated payloads.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import (
    MAX_PAYLOAD_BYTES,
    MAX_STRING_LENGTH,
    Message,
    SamplesMessage,
    decode_message,
)
from edgebench.shared.topics import TopicLayout

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
SAMPLES_SUFFIX = "/samples"


def _no_constants(name: str) -> None:
    raise ValueError(name)


def rows_are_plain(rows: Any) -> bool:
    """Whether ``rows`` is a list of objects of short ASCII keys to finite numbers or null."""
    if type(rows) is not list:
        return False
    isfinite = math.isfinite
    for row in rows:
        if type(row) is not dict:
            return False
        for key, value in row.items():
            if len(key) > MAX_STRING_LENGTH or not key.isascii() or "\x00" in key:
                return False
            if value is None:
                continue
            kind = type(value)
            if kind is float:
                if not isfinite(value):
                    return False
            elif kind is not int or not INT64_MIN <= value <= INT64_MAX:
                return False
    return True


def decode_samples(topic: str, payload: bytes, layout: TopicLayout) -> Message | None:
    """Decode a samples message quickly, or return None to ask for the full decoder.

    Raises SchemaError exactly when ``decode_message`` would reject the envelope.
    """
    if not topic.endswith(SAMPLES_SUFFIX) or len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        # Decode as UTF-8 first, like the contract: json.loads(bytes) would also take UTF-16.
        data = json.loads(payload.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    if type(data) is not dict or data.get("type") != "samples":
        return None
    rows = data.get("rows")
    if not rows_are_plain(rows):
        return None
    envelope = json.dumps({**data, "rows": []}, separators=(",", ":")).encode()
    msg = decode_message(topic, envelope, layout)
    if not isinstance(msg, SamplesMessage):
        raise SchemaError(f"type: expected a samples message, got {msg.type}")
    return dataclasses.replace(msg, rows=rows, raw=data)
