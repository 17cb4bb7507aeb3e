"""The run listener that publishes a benchmark over MQTT, through the durable outbox.

``session.make_run_listener(config, facts)`` builds one for ``agent run`` (None when no
broker is configured: the run then works offline exactly as before). Every event
becomes a message committed to the outbox first; the outbox is flushed by this
process, or by ``agent daemon`` when one is running (see ``flusher``). ``close()`` waits
a bounded time for this run's messages to be confirmed (the collector's receipts) and
leaves anything unconfirmed in the outbox for the daemon or the next run, so it never
blocks forever and never loses the result.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import msgspec

from edgebench.agent.transport.outbox import Outbox, Statement
from edgebench.shared.codec import encode_message, topic_for
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import (
    MAX_STRING_LENGTH,
    Envelope,
    ResultMessage,
    RunFailedMessage,
    RunFinishedMessage,
    RunProgressMessage,
    RunStartedMessage,
    SamplesMessage,
)
from edgebench.shared.result import ModelInfo, RunConfig, RunResult
from edgebench.shared.topics import TopicLayout

log = logging.getLogger(__name__)

# Telemetry rows go out in batches: at most this many rows or this many seconds apart.
BATCH_ROWS = 50
BATCH_S = 1.0
CLOSE_TIMEOUT_S = 10.0


def _kind(msg: Envelope) -> str:
    """Outbox kind: decides what may be dropped (samples, progress) or coalesced (facts)."""
    if isinstance(msg, RunProgressMessage):
        return "progress"
    return msg.TOPIC_KIND if msg.TOPIC_KIND != "events" else "event"


def _clean_row(row: dict[str, float | None]) -> dict[str, float | None]:
    """Replace NaN and infinity (a sensor glitch) by None: JSON payloads cannot hold them."""
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()
    }


class OutboxWriter:
    """Encodes messages and commits them to the outbox, remembering what it wrote."""

    def __init__(self, outbox: Outbox, layout: TopicLayout, notify: Callable[[], None]) -> None:
        self.outbox = outbox
        self.layout = layout
        self.notify = notify
        self.written: list[str] = []

    def write(self, msg: Envelope, also: Statement | None = None) -> bool:
        """Store ``msg`` for publishing; False if it could not be encoded or was dropped.

        ``also`` is committed with the message (``Outbox.put``), if it could be encoded.
        """
        try:
            payload = encode_message(msg)
        except SchemaError as exc:
            log.error("not publishing %s message: %s", msg.type, exc.format_message())
            return False
        retain = msg.TOPIC_KIND == "facts"
        row = self.outbox.put(
            msg.message_id, _kind(msg), topic_for(msg, self.layout), payload, 1, retain, also=also
        )
        if row is not None:
            self.written.append(msg.message_id)
        self.notify()
        return row is not None


class PublishingListener:
    """A RunListener that turns run events into outbox messages (one seq counter per run)."""

    def __init__(
        self,
        writer: OutboxWriter,
        device_id: str,
        *,
        command_id: str | None = None,
        on_close: Callable[[list[str]], None] | None = None,
        end_statement: Statement | None = None,
    ) -> None:
        self.writer = writer
        self.device_id = device_id
        self.command_id = command_id
        # Committed with the run's last message (result or run_failed): the daemon's
        # "command finished" mark, so a kill can never separate the two.
        self.end_statement = end_statement
        self.on_close = on_close
        self._seq: dict[str, int] = {}
        self._rows: dict[str, list[dict[str, float | None]]] = {}
        self._batch_started: dict[str, float] = {}
        # The run in progress and whether its end (finished/failed) was published.
        self.current_run: str | None = None
        self.reported_end = False

    def _next_seq(self, run_id: str) -> int:
        seq = self._seq.get(run_id, 0)
        self._seq[run_id] = seq + 1
        return seq

    def run_started(self, run_id: str, model: ModelInfo, config: RunConfig) -> None:
        """Publish run_started (seq 0)."""
        self.current_run = run_id
        self.reported_end = False
        self.writer.write(
            RunStartedMessage(
                device_id=self.device_id,
                run_id=run_id,
                seq=self._next_seq(run_id),
                model=model,
                config=config,
                command_id=self.command_id,
            )
        )

    def progress(self, run_id: str, phase: str, done: int, elapsed_s: float) -> None:
        """Publish a progress event (droppable when the outbox is full)."""
        self.writer.write(
            RunProgressMessage(
                device_id=self.device_id,
                run_id=run_id,
                seq=self._next_seq(run_id),
                phase=phase,
                done=done,
                elapsed_s=elapsed_s if math.isfinite(elapsed_s) else 0.0,
            )
        )

    def samples(self, run_id: str, rows: list[dict[str, float | None]]) -> None:
        """Buffer telemetry rows and publish them in batches."""
        buffer = self._rows.setdefault(run_id, [])
        if not buffer:
            self._batch_started[run_id] = time.monotonic()
        buffer.extend(_clean_row(row) for row in rows)
        if len(buffer) >= BATCH_ROWS or time.monotonic() - self._batch_started[run_id] >= BATCH_S:
            self._flush_samples(run_id)

    def _flush_samples(self, run_id: str) -> None:
        rows = self._rows.pop(run_id, [])
        for start in range(0, len(rows), BATCH_ROWS):
            self.writer.write(
                SamplesMessage.from_rows(
                    rows[start : start + BATCH_ROWS],
                    device_id=self.device_id,
                    run_id=run_id,
                    seq=self._next_seq(run_id),
                )
            )

    def finished(self, result: RunResult) -> None:
        """Publish the last samples, run_finished and the full result."""
        run_id = result.run_id
        self.reported_end = True
        self._flush_samples(run_id)
        self.writer.write(
            RunFinishedMessage(
                device_id=self.device_id,
                run_id=run_id,
                seq=self._next_seq(run_id),
                status=result.status,
                verdict=result.verdict.status,
                throughput_ips=result.throughput_ips,
                latency_p50_ms=result.latency_ms.p50,
            )
        )
        self._write_result(result)

    def _write_result(self, result: RunResult) -> None:
        """Publish the result; if too large, shed the series already streamed, then retry."""
        seq = self._next_seq(result.run_id)
        attempts = [
            result,
            msgspec.structs.replace(
                result,
                samples=[],
                warnings=[*result.warnings, "samples omitted from the MQTT result (too large)"],
            ),
        ]
        attempts.append(
            msgspec.structs.replace(
                attempts[1],
                latencies_ms=[],
                warnings=[*attempts[1].warnings, "latencies_ms omitted (too large)"],
            )
        )
        for candidate in attempts:
            msg = ResultMessage(
                device_id=self.device_id, run_id=result.run_id, seq=seq, result=candidate
            )
            try:
                encode_message(msg)
            except SchemaError:
                continue
            self.writer.write(msg, also=self.end_statement)
            return
        log.error("result %s cannot be encoded; it was not published", result.run_id)

    def failed(self, run_id: str, error: str) -> None:
        """Publish the last samples and run_failed with the one-line error."""
        self.reported_end = True
        self._flush_samples(run_id)
        self.writer.write(
            RunFailedMessage(
                device_id=self.device_id,
                run_id=run_id,
                seq=self._next_seq(run_id),
                error=error[:MAX_STRING_LENGTH],
                command_id=self.command_id,
            ),
            also=self.end_statement,
        )

    def close(self) -> None:
        """Publish buffered samples, then let the owner wait for delivery."""
        for run_id in list(self._rows):
            self._flush_samples(run_id)
        if self.on_close is not None:
            self.on_close(self.writer.written)


def wait_delivered(outbox: Outbox, message_ids: list[str], timeout_s: float) -> bool:
    """Wait until none of ``message_ids`` is left in the outbox, or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while outbox.contains_any(message_ids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
