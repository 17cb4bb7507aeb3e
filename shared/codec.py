"""The wire codec of the MQTT messages: compact JSON out, checked messages in.

:func:`encode_message` writes compact JSON; :func:`decode_message` checks a payload
against its topic and raises :class:`~edgebench.shared.errors.SchemaError` for anything
wrong (the rules are in ``docs/mqtt-contract.md``). The message types themselves are in
:mod:`edgebench.shared.messages`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import (
    ENVELOPE_FIELDS,
    MAX_PAYLOAD_BYTES,
    MAX_STRING_LENGTH,
    MESSAGE_SCHEMA_VERSION,
    MESSAGE_TYPES,
    Envelope,
    FactsMessage,
    Message,
    ResultMessage,
    SamplesMessage,
)
from edgebench.shared.result import RESULT_SCHEMA_VERSION
from edgebench.shared.topics import TopicLayout, validate_device_id, validate_run_id
from edgebench.shared.validation import from_dict

# Integer literals in this range stay ints (orjson's range: int64 and uint64).
INT_READ_MIN = -(2**63)
INT_READ_MAX = 2**64 - 1
_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


def encode_message(msg: Envelope) -> bytes:
    """Compact JSON bytes for ``msg``; SchemaError if it holds NaN/inf or is too large."""
    try:
        data = json.dumps(msg.to_dict(), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{msg.type} message cannot be encoded: {exc}") from None
    payload = data.encode("utf-8")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise SchemaError(
            f"{msg.type} message is {len(payload)} bytes, over the {MAX_PAYLOAD_BYTES} limit"
        )
    return payload


def _reject_constant(name: str) -> None:
    raise SchemaError(f"payload: {name} is not allowed in JSON payloads")


def _parse_int(text: str) -> int | float:
    """Read an integer literal as orjson does: beyond 64 bits it becomes a float.

    The collector parses samples with orjson (``collector/ingest/fastpath.py``) and
    everything else here; reading big integers the same way keeps both verdicts equal.
    """
    value = int(text)
    return value if INT_READ_MIN <= value <= INT_READ_MAX else float(text)


def parse_payload(payload: bytes) -> dict[str, Any]:
    """Parse a payload into its JSON object (UTF-8, no NaN, big integers as floats)."""
    if not isinstance(payload, bytes | bytearray):
        raise SchemaError("payload: expected bytes")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise SchemaError(f"payload: {len(payload)} bytes is over the {MAX_PAYLOAD_BYTES} limit")
    try:
        data = json.loads(
            payload.decode("utf-8"), parse_constant=_reject_constant, parse_int=_parse_int
        )
    except UnicodeDecodeError:
        raise SchemaError("payload: not UTF-8 text") from None
    except RecursionError:
        raise SchemaError("payload: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and over-long integer literals
        raise SchemaError(f"payload: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SchemaError("payload: expected a JSON object")
    return data


def _check_envelope(data: dict[str, Any]) -> type[Envelope]:
    for name in ENVELOPE_FIELDS:
        if name not in data:
            raise SchemaError(f"{name}: missing required field")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SchemaError("schema_version: expected an integer")
    if version != MESSAGE_SCHEMA_VERSION:
        raise SchemaError(
            f"schema_version: {version} is not supported (this side understands "
            f"{MESSAGE_SCHEMA_VERSION}); upgrade the receiving side"
        )
    kind = data.get("type")
    cls = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SchemaError(f"type: unknown message type {str(kind)[:40]!r}")
    message_id = data.get("message_id")
    if not (
        isinstance(message_id, str) and 8 <= len(message_id) <= 64 and set(message_id) <= _ID_CHARS
    ):
        raise SchemaError("message_id: expected 8-64 letters, digits, '-' or '_'")
    return cls


def check_columns(columns: dict[str, list[Any]]) -> None:
    """Check a samples message's columns: equal lengths, and a time for every sample."""
    lengths = {key: len(values) for key, values in columns.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{key} {n}" for key, n in list(lengths.items())[:4])
        raise SchemaError(f"columns: the lists differ in length ({shown[:200]})")
    times = columns.get("t")
    if times is None:
        if any(lengths.values()):
            raise SchemaError("columns.t: missing sample times")
    elif None in times:
        raise SchemaError(f"columns.t[{times.index(None)}]: missing sample time")


def message_from_dict(data: dict[str, Any]) -> Message:
    """Validate an already-parsed payload object (no topic checks) and build its message."""
    cls = _check_envelope(data)
    msg: Any = from_dict(cls, data, max_str_len=MAX_STRING_LENGTH)
    validate_device_id(msg.device_id)
    if getattr(msg, "run_id", None) is not None:
        validate_run_id(msg.run_id)
    if isinstance(msg, ResultMessage):
        if msg.result.schema_version != RESULT_SCHEMA_VERSION:
            raise SchemaError(
                f"result.schema_version: {msg.result.schema_version} is not supported "
                f"(this side understands {RESULT_SCHEMA_VERSION})"
            )
        if msg.result.run_id != msg.run_id:
            raise SchemaError("result.run_id: differs from the message run_id")
        if msg.result.device.device_id != msg.device_id:
            raise SchemaError("result.device.device_id: differs from the message device_id")
    if isinstance(msg, FactsMessage) and msg.facts.device_id != msg.device_id:
        raise SchemaError("facts.device_id: differs from the message device_id")
    if isinstance(msg, SamplesMessage):
        check_columns(msg.columns)
    return dataclasses.replace(msg, raw=data)


def decode_message(topic: str, payload: bytes, layout: TopicLayout) -> Message:
    """Parse and validate one received message against the topic it arrived on."""
    return decode_parsed(topic, parse_payload(payload), layout)


def decode_parsed(topic: str, data: dict[str, Any], layout: TopicLayout) -> Message:
    """Validate an already-parsed payload object against the topic it arrived on."""
    parsed = layout.parse(topic)
    msg = message_from_dict(data)
    if parsed.kind != msg.TOPIC_KIND:
        raise SchemaError(f"type: a {msg.type} message does not belong on a {parsed.kind} topic")
    if msg.device_id != parsed.device_id:
        raise SchemaError(
            f"device_id: payload says {msg.device_id!r} but the topic is {parsed.device_id!r}"
        )
    if parsed.run_id is not None and getattr(msg, "run_id", None) != parsed.run_id:
        raise SchemaError(f"run_id: payload differs from the topic's run {parsed.run_id!r}")
    return msg


def topic_for(msg: Envelope, layout: TopicLayout) -> str:
    """Return the topic a message is published on."""
    run_id = getattr(msg, "run_id", None)
    builders = {
        "status": lambda: layout.status(msg.device_id),
        "facts": lambda: layout.facts(msg.device_id),
        "cmd": lambda: layout.command(msg.device_id),
        "events": lambda: layout.run_events(msg.device_id, run_id),
        "samples": lambda: layout.run_samples(msg.device_id, run_id),
        "result": lambda: layout.run_result(msg.device_id, run_id),
    }
    return builders[msg.TOPIC_KIND]()


__all__ = [
    "check_columns",
    "decode_message",
    "decode_parsed",
    "encode_message",
    "message_from_dict",
    "parse_payload",
    "topic_for",
]
