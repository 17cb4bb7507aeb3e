"""The versioned MQTT messages between agents and the collector, and their codec.

Every message is a frozen dataclass carrying the envelope ``schema_version``,
``message_id`` (uuid4 hex, the dedupe key), ``type``, ``device_id`` and ``ts`` (UTC epoch
seconds); run-scoped messages add ``run_id`` and ``seq`` (one counter per run shared by
events, samples and the result, starting at 0). :func:`encode_message` writes compact
JSON; :func:`decode_message` checks a payload against its topic and raises
:class:`~edgebench.shared.errors.SchemaError` for anything wrong. The rules for versions
and unknown fields are in ``docs/mqtt-contract.md``.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from edgebench.shared.errors import SchemaError
from edgebench.shared.result import (
    RESULT_SCHEMA_VERSION,
    DeviceFacts,
    ModelInfo,
    RunConfig,
    RunResult,
)
from edgebench.shared.topics import TopicKind, TopicLayout, validate_device_id, validate_run_id
from edgebench.shared.validation import WIRE, from_dict, wire_fields

MESSAGE_SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
MAX_STRING_LENGTH = 4096
# Present in every payload, even where the dataclass has a default for senders' convenience.
ENVELOPE_FIELDS = ("schema_version", "message_id", "type", "device_id", "ts")
_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


def new_message_id() -> str:
    """Return a fresh, globally unique message id (uuid4 hex)."""
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """Fields every message carries; ``raw`` is the payload as received (decode only)."""

    TOPIC_KIND: ClassVar[TopicKind]

    schema_version: int = MESSAGE_SCHEMA_VERSION
    message_id: str = field(default_factory=new_message_id)
    device_id: str
    ts: float = field(default_factory=time.time)
    # The decoded JSON object including fields this version does not know, so a
    # collector can store what a newer agent sent. Never encoded, never compared.
    raw: dict[str, Any] | None = field(
        default=None, compare=False, repr=False, metadata={WIRE: False}
    )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready payload (without ``raw``)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if not f.metadata.get(WIRE, True):
                continue
            value = getattr(self, f.name)
            out[f.name] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, kw_only=True)
class StatusMessage(Envelope):
    """Retained device status: ``online`` on connect, ``offline`` on shutdown or as last will."""

    TOPIC_KIND = "status"
    type: Literal["status"] = field(default="status", init=False)
    state: Literal["online", "offline"]
    # connected: birth message; shutdown: clean stop; lost: the broker sent the last will
    # (its ts is when the will was registered, i.e. the connect time).
    reason: Literal["connected", "shutdown", "lost"]
    edgebench_version: str = ""


@dataclass(frozen=True, kw_only=True)
class FactsMessage(Envelope):
    """Retained device facts, republished periodically with the outbox counters."""

    TOPIC_KIND = "facts"
    type: Literal["facts"] = field(default="facts", init=False)
    facts: DeviceFacts
    outbox_pending: int = 0
    # Telemetry batches dropped because the outbox was full, since the outbox was created.
    outbox_dropped_samples: int = 0


@dataclass(frozen=True, kw_only=True)
class RunStartedMessage(Envelope):
    """A run began: which model and configuration."""

    TOPIC_KIND = "events"
    type: Literal["run_started"] = field(default="run_started", init=False)
    run_id: str
    seq: int
    model: ModelInfo
    config: RunConfig
    sweep_id: str | None = None
    # message_id of the command that started this run (None for runs started locally).
    command_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunProgressMessage(Envelope):
    """Progress within a run phase (e.g. warmup, measure, accuracy)."""

    TOPIC_KIND = "events"
    type: Literal["run_progress"] = field(default="run_progress", init=False)
    run_id: str
    seq: int
    phase: str
    done: int
    elapsed_s: float


@dataclass(frozen=True, kw_only=True)
class RunFinishedMessage(Envelope):
    """A run ended with a result (published just before the result message)."""

    TOPIC_KIND = "events"
    type: Literal["run_finished"] = field(default="run_finished", init=False)
    run_id: str
    seq: int
    status: Literal["complete", "interrupted", "failed"]
    verdict: Literal["VALID", "INVALID"]
    throughput_ips: float
    latency_p50_ms: float


@dataclass(frozen=True, kw_only=True)
class RunFailedMessage(Envelope):
    """A run (or a run command) failed before producing a result."""

    TOPIC_KIND = "events"
    type: Literal["run_failed"] = field(default="run_failed", init=False)
    run_id: str
    seq: int
    error: str
    # message_id of the command that asked for this run, when one did.
    command_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class SamplesMessage(Envelope):
    """A batch of telemetry rows: ``t`` (epoch s) plus metric keys, in time order."""

    TOPIC_KIND = "samples"
    type: Literal["samples"] = field(default="samples", init=False)
    run_id: str
    seq: int
    rows: list[dict[str, float | None]]
    units: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ResultMessage(Envelope):
    """The full run result (the ``agent run --json`` document)."""

    TOPIC_KIND = "result"
    type: Literal["result"] = field(default="result", init=False)
    run_id: str
    seq: int
    result: RunResult


@dataclass(frozen=True, kw_only=True)
class CommandMessage(Envelope):
    """A command to one device; ``run`` starts a benchmark (see docs/mqtt-contract.md)."""

    TOPIC_KIND = "cmd"
    type: Literal["command"] = field(default="command", init=False)
    command: Literal["run"]
    # Model spec as `agent run MODEL` takes it: a path, a catalog name, or None (default).
    model: str | None = None
    # Run options by RunOptions field name (threads, runs, warmup_runs, min_secs, ...).
    options: dict[str, int | float | str | bool | None] = field(default_factory=dict)
    # A device that was offline ignores commands that expired meanwhile.
    expires_at: float | None = None


Message = (
    StatusMessage
    | FactsMessage
    | RunStartedMessage
    | RunProgressMessage
    | RunFinishedMessage
    | RunFailedMessage
    | SamplesMessage
    | ResultMessage
    | CommandMessage
)
MESSAGE_TYPES: dict[str, type[Envelope]] = {
    cls.__dataclass_fields__["type"].default: cls  # type: ignore[misc]
    for cls in (
        StatusMessage,
        FactsMessage,
        RunStartedMessage,
        RunProgressMessage,
        RunFinishedMessage,
        RunFailedMessage,
        SamplesMessage,
        ResultMessage,
        CommandMessage,
    )
}


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


def _parse_json(payload: bytes) -> dict[str, Any]:
    if not isinstance(payload, bytes | bytearray):
        raise SchemaError("payload: expected bytes")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise SchemaError(f"payload: {len(payload)} bytes is over the {MAX_PAYLOAD_BYTES} limit")
    try:
        data = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
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
    return dataclasses.replace(msg, raw=data)


def decode_message(topic: str, payload: bytes, layout: TopicLayout) -> Message:
    """Parse and validate one received message against the topic it arrived on."""
    parsed = layout.parse(topic)
    msg = message_from_dict(_parse_json(payload))
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
    "ENVELOPE_FIELDS",
    "MAX_PAYLOAD_BYTES",
    "MAX_STRING_LENGTH",
    "MESSAGE_SCHEMA_VERSION",
    "MESSAGE_TYPES",
    "CommandMessage",
    "Envelope",
    "FactsMessage",
    "Message",
    "ResultMessage",
    "RunFailedMessage",
    "RunFinishedMessage",
    "RunProgressMessage",
    "RunStartedMessage",
    "SamplesMessage",
    "StatusMessage",
    "decode_message",
    "encode_message",
    "message_from_dict",
    "topic_for",
    "wire_fields",
]
