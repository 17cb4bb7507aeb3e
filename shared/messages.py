"""The versioned MQTT messages between agents and the collector.

Every message is a msgspec Struct carrying the envelope ``schema_version``,
``message_id`` (uuid4 hex, the dedupe key), ``type`` (the struct's tag), ``device_id`` and
``ts`` (UTC epoch seconds); run-scoped messages add ``run_id`` and ``seq`` (one counter per
run shared by events, samples and the result, starting at 0). :func:`encode_message` writes
compact JSON and :func:`decode_message` checks a payload against its topic; both live in
:mod:`edgebench.shared.codec`. The rules for versions and unknown fields are in
``docs/mqtt-contract.md``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar, Literal

import msgspec

from edgebench.shared.result import (
    DeviceFacts,
    ModelInfo,
    RunConfig,
    RunResult,
)
from edgebench.shared.topics import TopicKind
from edgebench.shared.wire import (
    MAX_STRING_LENGTH,
    DeviceId,
    Int64,
    MessageId,
    Number,
    Record,
    RunId,
    Text,
)

MESSAGE_SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
# Present in every payload, even where the struct has a default for senders' convenience.
ENVELOPE_FIELDS = ("schema_version", "message_id", "type", "device_id", "ts")


def new_message_id() -> str:
    """Return a fresh, globally unique message id (uuid4 hex)."""
    return uuid.uuid4().hex


class Envelope(Record, kw_only=True, tag_field="type", dict=True):
    """Fields every message carries; ``type`` is the tag of each message class."""

    TOPIC_KIND: ClassVar[TopicKind]
    # The decoded JSON object including fields this version does not know, so a
    # collector can store what a newer agent sent. Set by the decoder (instance
    # attribute, not a field): never encoded, never compared.
    raw: ClassVar[dict[str, Any] | None] = None

    schema_version: Int64 = MESSAGE_SCHEMA_VERSION
    message_id: MessageId = msgspec.field(default_factory=new_message_id)
    device_id: DeviceId
    ts: float = msgspec.field(default_factory=time.time)

    @property
    def type(self) -> str:
        """The message type: the ``type`` value on the wire."""
        return self.__struct_config__.tag  # type: ignore[return-value]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with ``raw`` (the collector hands messages between processes)."""
        return (_rebuild, (type(self), msgspec.structs.asdict(self), self.raw))


def _rebuild(cls: type[Envelope], fields: dict[str, Any], raw: dict[str, Any] | None) -> Envelope:
    msg = cls(**fields)
    if raw is not None:
        msgspec.structs.force_setattr(msg, "raw", raw)
    return msg


class StatusMessage(Envelope, tag="status"):
    """Retained device status: ``online`` on connect, ``offline`` on shutdown or as last will."""

    TOPIC_KIND = "status"
    state: Literal["online", "offline"]
    # connected: birth message; shutdown: clean stop; lost: the broker sent the last will.
    # A birth and its connection's will share one ts (when the will was registered, just
    # before connecting): the collector keeps the newest ts, offline winning a tie.
    reason: Literal["connected", "shutdown", "lost"]
    edgebench_version: Text = ""


class FactsMessage(Envelope, tag="facts"):
    """Retained device facts, republished periodically with the outbox counters."""

    TOPIC_KIND = "facts"
    facts: DeviceFacts
    outbox_pending: Int64 = 0
    # Telemetry batches dropped because the outbox was full, since the outbox was created.
    outbox_dropped_samples: Int64 = 0


class RunStartedMessage(Envelope, tag="run_started"):
    """A run began: which model and configuration."""

    TOPIC_KIND = "events"
    run_id: RunId
    seq: Int64
    model: ModelInfo
    config: RunConfig
    # message_id of the command that started this run (None for runs started locally).
    command_id: Text | None = None


class RunProgressMessage(Envelope, tag="run_progress"):
    """Progress within a run phase (e.g. warmup, measure, accuracy)."""

    TOPIC_KIND = "events"
    run_id: RunId
    seq: Int64
    phase: Text
    done: Int64
    elapsed_s: float


class RunFinishedMessage(Envelope, tag="run_finished"):
    """A run ended with a result (published just before the result message)."""

    TOPIC_KIND = "events"
    run_id: RunId
    seq: Int64
    status: Literal["complete", "interrupted", "failed"]
    verdict: Literal["VALID", "INVALID"]
    throughput_ips: float
    # None when the run was interrupted before its first measured inference (no p50).
    latency_p50_ms: float | None


class RunFailedMessage(Envelope, tag="run_failed"):
    """A run (or a run command) failed before producing a result."""

    TOPIC_KIND = "events"
    run_id: RunId
    seq: Int64
    error: Text
    # message_id of the command that asked for this run, when one did.
    command_id: Text | None = None


class SamplesMessage(Envelope, tag="samples"):
    """A batch of telemetry samples in time order, column by column.

    ``columns["t"]`` holds the sample times (epoch s) and every other key one metric; all
    lists have the same length and ``null`` marks a sample without that metric. Columns
    rather than one object per sample, which repeats every key: a batch is about a third of
    the size on the wire and cheaper to decode (``docs/mqtt-contract.md``).
    """

    TOPIC_KIND = "samples"
    run_id: RunId
    seq: Int64
    columns: dict[Text, list[Number | None]]
    units: dict[Text, Text] = msgspec.field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict[str, float | None]], **fields: Any) -> SamplesMessage:
        """Build the message from sample rows (keys in first-seen order, null where absent)."""
        keys = dict.fromkeys(key for row in rows for key in row)
        return cls(columns={key: [row.get(key) for row in rows] for key in keys}, **fields)

    @property
    def rows(self) -> list[dict[str, float | None]]:
        """The samples as rows, each without the metrics it has no value for."""
        columns = self.columns
        length = len(next(iter(columns.values()), []))
        return [
            {key: value for key, values in columns.items() if (value := values[i]) is not None}
            for i in range(length)
        ]


class ResultMessage(Envelope, tag="result"):
    """The full run result (the ``agent run --json`` document)."""

    TOPIC_KIND = "result"
    run_id: RunId
    seq: Int64
    result: RunResult


class CommandMessage(Envelope, tag="command"):
    """A command to one device; ``run`` starts a benchmark (see docs/mqtt-contract.md)."""

    TOPIC_KIND = "cmd"
    command: Literal["run"]
    # Model spec as `agent run MODEL` takes it: a path, a catalog name, or None (default).
    model: Text | None = None
    # Run options by RunOptions field name (threads, runs, warmup_runs, min_secs, ...).
    options: dict[Text, Int64 | float | Text | bool | None] = msgspec.field(default_factory=dict)
    # A device that was offline ignores commands that expired meanwhile.
    expires_at: float | None = None


# One receipt lists at most this many message ids (about 35 KB): a long backlog stored in
# one commit is confirmed in several receipts rather than one huge payload.
MAX_RECEIPT_IDS = 1000


class ReceiptMessage(Envelope, tag="receipt"):
    """The collector has committed these messages of one device (docs/mqtt-contract.md).

    Sent after the database commit, on the device's ``receipts`` topic; the agent keeps a
    run message in its outbox until a receipt lists its ``message_id``. "Committed" means
    stored, already stored before (a resend), or recorded as rejected: resending any of
    them could not change the outcome.
    """

    TOPIC_KIND = "receipts"
    message_ids: list[MessageId]


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
    | ReceiptMessage
)
MESSAGE_TYPES: dict[str, type[Envelope]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
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
        ReceiptMessage,
    )
}


__all__ = [
    "ENVELOPE_FIELDS",
    "MAX_PAYLOAD_BYTES",
    "MAX_RECEIPT_IDS",
    "MAX_STRING_LENGTH",
    "MESSAGE_SCHEMA_VERSION",
    "MESSAGE_TYPES",
    "CommandMessage",
    "Envelope",
    "FactsMessage",
    "Message",
    "ReceiptMessage",
    "ResultMessage",
    "RunFailedMessage",
    "RunFinishedMessage",
    "RunProgressMessage",
    "RunStartedMessage",
    "SamplesMessage",
    "StatusMessage",
]
