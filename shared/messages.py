"""The versioned MQTT messages between agents and the collector.

Every message is a frozen dataclass carrying the envelope ``schema_version``,
``message_id`` (uuid4 hex, the dedupe key), ``type``, ``device_id`` and ``ts`` (UTC epoch
seconds); run-scoped messages add ``run_id`` and ``seq`` (one counter per run shared by
events, samples and the result, starting at 0). :func:`encode_message` writes compact
JSON and :func:`decode_message` checks a payload against its topic; both live in
:mod:`edgebench.shared.codec`. The rules for versions and unknown fields are in
``docs/mqtt-contract.md``.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from edgebench.shared.result import (
    DeviceFacts,
    ModelInfo,
    RunConfig,
    RunResult,
)
from edgebench.shared.topics import TopicKind
from edgebench.shared.validation import WIRE, wire_fields

MESSAGE_SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
MAX_STRING_LENGTH = 4096
# Present in every payload, even where the dataclass has a default for senders' convenience.
ENVELOPE_FIELDS = ("schema_version", "message_id", "type", "device_id", "ts")


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
    """A batch of telemetry samples in time order, column by column.

    ``columns["t"]`` holds the sample times (epoch s) and every other key one metric; all
    lists have the same length and ``null`` marks a sample without that metric. Columns
    rather than one object per sample, which repeats every key: a batch is about a third of
    the size on the wire and cheaper to decode (``docs/mqtt-contract.md``).
    """

    TOPIC_KIND = "samples"
    type: Literal["samples"] = field(default="samples", init=False)
    run_id: str
    seq: int
    columns: dict[str, list[float | None]]
    units: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict[str, float | None]], **fields: Any) -> SamplesMessage:
        """Build the message from sample rows (keys in first-seen order, null where absent)."""
        keys = list(dict.fromkeys(key for row in rows for key in row))
        columns = {key: [row.get(key) for row in rows] for key in keys}
        return cls(columns=columns, **fields)

    @property
    def rows(self) -> list[dict[str, float | None]]:
        """The samples as rows, each without the metrics it has no value for."""
        columns = self.columns
        length = len(next(iter(columns.values()), []))
        return [
            {key: value for key, values in columns.items() if (value := values[i]) is not None}
            for i in range(length)
        ]


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
    "wire_fields",
]
