"""The wire codec of the MQTT messages: compact JSON out, checked messages in.

:func:`encode_message` writes compact JSON; :func:`decode_message` checks a payload
against its topic and raises :class:`~edgebench.shared.errors.SchemaError` for anything
wrong (the rules are in ``docs/mqtt-contract.md``). The message types themselves are in
:mod:`edgebench.shared.messages`; msgspec decodes and validates against them in C.

Decoding is one typed pass over the payload into a *wire variant* of the message classes:
the same fields, except that the envelope fields the classes default for senders'
convenience (``schema_version``, ``message_id``, ``ts``) are required, as every payload
must carry them. Only a payload that fails that pass is read again, step by step
(JSON, then the envelope, then the fields), so that it is refused with the most basic
reason: not JSON, another schema version, an unknown type, then the first bad field.
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import (
    ENVELOPE_FIELDS,
    MAX_PAYLOAD_BYTES,
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
from edgebench.shared.wire import schema_error, unfit_value


class _EnvelopeOnly(msgspec.Struct):
    """The envelope as the wire must carry it: all five fields, loosely typed."""

    schema_version: Any
    message_id: Any
    type: Any
    device_id: Any
    ts: Any


def _wire_variant(cls: type[Envelope]) -> type[msgspec.Struct]:
    """Return ``cls`` as decoded from the wire: the same fields, every envelope field required."""
    fields: list[Any] = []
    for f in msgspec.structs.fields(cls):
        if f.name in ENVELOPE_FIELDS:
            fields.append((f.name, f.type))
        elif f.default is not msgspec.NODEFAULT:
            fields.append((f.name, f.type, f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, f.type, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, f.type))
    tag = cls.__struct_config__.tag
    return msgspec.defstruct(f"Wire{cls.__name__}", fields, kw_only=True, tag_field="type", tag=tag)


_MESSAGE_OF = {_wire_variant(cls): cls for cls in MESSAGE_TYPES.values()}
_WIRE = msgspec.json.Decoder(Union[tuple(_MESSAGE_OF)])  # noqa: UP007 - a runtime union
_ENVELOPE = msgspec.json.Decoder(_EnvelopeOnly)
_DECODERS = {kind: msgspec.json.Decoder(cls) for kind, cls in MESSAGE_TYPES.items()}
_ANY = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder()
# A NUL character can only reach a JSON string escaped: no such escape, no NUL to look for.
_NUL_ESCAPE = b"\\u0000"


def encode_message(msg: Envelope) -> bytes:
    """Compact JSON bytes for ``msg``; SchemaError if it holds NaN/inf or is too large."""
    try:
        payload = _ENCODER.encode(msg)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{msg.type} message cannot be encoded: {exc}") from None
    # msgspec writes NaN and infinities as null; only a payload with a null can hold one.
    if b"null" in payload and (problem := unfit_value(msgspec.to_builtins(msg))):
        raise SchemaError(f"{msg.type} message cannot be encoded: {problem}")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise SchemaError(
            f"{msg.type} message is {len(payload)} bytes, over the {MAX_PAYLOAD_BYTES} limit"
        )
    return payload


def _decode_error(payload: bytes, exc: msgspec.DecodeError) -> SchemaError:
    """Say why a payload is not JSON we accept (NaN, bad UTF-8, nesting, syntax)."""
    text = str(exc)
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return SchemaError("payload: not UTF-8 text")
    if "(byte " in text:
        at = int(text.rsplit("(byte ", 1)[1].rstrip(")"))
        for constant in (b"NaN", b"Infinity", b"-Infinity"):
            if payload[at : at + len(constant)] == constant:
                return SchemaError(f"payload: {constant.decode()} is not allowed in JSON payloads")
    return SchemaError(f"payload: not valid JSON ({text})")


def parse_payload(payload: bytes) -> dict[str, Any]:
    """Parse a payload into its JSON object (UTF-8, no NaN), without checking its fields."""
    data = _parse(payload, _ANY)
    if not isinstance(data, dict):
        raise SchemaError("payload: expected a JSON object")
    return data


def _check_size(payload: bytes) -> None:
    """Refuse what is not bytes, or is over the size limit, before any parsing."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise SchemaError("payload: expected bytes")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise SchemaError(f"payload: {len(payload)} bytes is over the {MAX_PAYLOAD_BYTES} limit")


def _parse(payload: bytes, decoder: msgspec.json.Decoder) -> Any:
    _check_size(payload)
    try:
        return decoder.decode(payload)
    except msgspec.ValidationError as exc:
        if decoder is _ANY:  # no types asked for: the JSON itself holds what cannot be read
            raise SchemaError(f"payload: not valid JSON ({exc})") from None
        data = _ANY.decode(payload) if "[...]" in str(exc) else None
        raise schema_error(exc, tp=decoder.type, data=data) from None
    except msgspec.DecodeError as exc:
        raise _decode_error(bytes(payload), exc) from None
    except RecursionError:
        raise SchemaError("payload: JSON nested too deeply") from None


def _check_envelope(payload: bytes) -> str:
    """Return the message type named by a payload's envelope, or raise why it is refused."""
    try:
        envelope = _parse(payload, _ENVELOPE)
    except SchemaError as exc:
        parse_payload(payload)  # broken JSON, or not an object: say that first
        raise exc from None
    version = envelope.schema_version
    if isinstance(version, bool) or not isinstance(version, int):
        raise SchemaError("schema_version: expected an integer")
    if version != MESSAGE_SCHEMA_VERSION:
        raise SchemaError(
            f"schema_version: {version} is not supported (this side understands "
            f"{MESSAGE_SCHEMA_VERSION}); upgrade the receiving side"
        )
    kind = envelope.type
    if not (isinstance(kind, str) and kind in MESSAGE_TYPES):
        raise SchemaError(f"type: unknown message type {str(kind)[:40]!r}")
    return kind


def _check_contents(msg: Message) -> None:
    """Check what the types alone cannot say: ids, and parts that must agree."""
    validate_device_id(msg.device_id)
    run_id = getattr(msg, "run_id", None)
    if run_id is not None:
        validate_run_id(run_id)
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


def check_columns(columns: dict[str, list[Any]]) -> None:
    """Check a samples message's columns: equal lengths, and a time for every sample."""
    lengths = set(map(len, columns.values()))
    if len(lengths) > 1:
        shown = ", ".join(f"{key} {len(values)}" for key, values in list(columns.items())[:4])
        raise SchemaError(f"columns: the lists differ in length ({shown[:200]})")
    times = columns.get("t")
    if times is None:
        if any(lengths):
            raise SchemaError("columns.t: missing sample times")
    elif None in times:
        raise SchemaError(f"columns.t[{times.index(None)}]: missing sample time")


def decode_payload(payload: bytes, *, keep_raw: bool = True) -> Message:
    """Decode and validate one payload (no topic checks) into its message.

    ``keep_raw`` also keeps the JSON object as ``msg.raw`` (with fields this version does
    not know, for storage); it costs a second parse, so telemetry decodes without it.
    """
    _check_size(payload)
    try:
        wire = _WIRE.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        raise _why_refused(payload) from None
    if wire.schema_version != MESSAGE_SCHEMA_VERSION:
        raise _why_refused(payload)
    msg: Any = _MESSAGE_OF[type(wire)](**msgspec.structs.asdict(wire))
    data = _ANY.decode(payload) if keep_raw or _NUL_ESCAPE in payload else None
    if _NUL_ESCAPE in payload and (problem := unfit_value(data)):
        raise SchemaError(problem)
    _check_contents(msg)
    if keep_raw:
        msgspec.structs.force_setattr(msg, "raw", data)
    return msg


def _why_refused(payload: bytes) -> SchemaError:
    """Return the most basic reason a payload that failed to decode is refused."""
    try:
        kind = _check_envelope(payload)
        _parse(payload, _DECODERS[kind])
    except SchemaError as exc:
        return exc
    return SchemaError("payload: refused by the decoder")  # pragma: no cover - guard


def decode_message(
    topic: str, payload: bytes, layout: TopicLayout, *, keep_raw: bool = True
) -> Message:
    """Parse and validate one received message against the topic it arrived on."""
    parsed = layout.parse(topic)
    msg = decode_payload(payload, keep_raw=keep_raw)
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
        "receipts": lambda: layout.receipts(msg.device_id),
        "events": lambda: layout.run_events(msg.device_id, run_id),
        "samples": lambda: layout.run_samples(msg.device_id, run_id),
        "result": lambda: layout.run_result(msg.device_id, run_id),
    }
    return builders[msg.TOPIC_KIND]()


__all__ = [
    "check_columns",
    "decode_message",
    "decode_payload",
    "encode_message",
    "parse_payload",
    "topic_for",
]
