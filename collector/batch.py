"""One batch of received MQTT messages sorted into the rows each table gets.

The subscriber turns every PUBLISH into a :class:`Received` (decoded message or the
reason it was refused); :func:`plan_batch` groups a list of them into a :class:`BatchPlan`
that :mod:`edgebench.collector.store` writes in one transaction. Planning needs to know
which device owns each run (``owners``) so a device cannot add rows to another's run.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from edgebench.collector import convert
from edgebench.collector.received import MAX_REASON_CHARS, MAX_TOPIC_CHARS, Received
from edgebench.collector.sample_rows import columns_of, sample_rows
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import (
    FactsMessage,
    Message,
    ResultMessage,
    RunFailedMessage,
    RunFinishedMessage,
    RunProgressMessage,
    RunStartedMessage,
    SamplesMessage,
    StatusMessage,
)


@dataclass
class BatchPlan:
    """Rows per table for one transaction; lists keep message order (last one wins)."""

    devices_seen: dict[str, float] = field(default_factory=dict)
    # Devices that sent something besides telemetry in this batch (their ``last_seen``
    # always moves: it is what the live pages watch for new runs and results).
    devices_eventful: set[str] = field(default_factory=set)
    new_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    facts: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    started: list[dict[str, Any]] = field(default_factory=list)
    finished: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    samples: list[tuple[Any, ...]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    accepted: int = 0


def run_ids_of(items: list[Received]) -> set[str]:
    """Return the run ids the valid messages in ``items`` refer to."""
    return {
        run_id
        for item in items
        if item.message is not None and (run_id := getattr(item.message, "run_id", None))
    }


def plan_batch(items: list[Received], owners: dict[str, str]) -> BatchPlan:
    """Sort ``items`` into table rows; ``owners`` maps known run ids to their device."""
    plan = BatchPlan()
    for item in items:
        msg = item.message
        if msg is None:
            plan.rejected.append(rejection_row(item.topic, item.error or "invalid", item))
            continue
        try:
            _plan_message(plan, msg, item, owners)
        except SchemaError as exc:
            plan.rejected.append(rejection_row(item.topic, str(exc), item))
            continue
        plan.accepted += 1
        seen = plan.devices_seen.get(msg.device_id, 0.0)
        plan.devices_seen[msg.device_id] = max(seen, item.received_at)
        if not isinstance(msg, SamplesMessage):
            plan.devices_eventful.add(msg.device_id)
    return plan


def _plan_message(plan: BatchPlan, msg: Message, item: Received, owners: dict[str, str]) -> None:
    """Add the rows of one valid message to ``plan`` (SchemaError refuses it)."""
    if isinstance(msg, StatusMessage):
        status = {"status": msg.state, "status_reason": msg.reason, "status_ts": msg.ts}
        plan.statuses.append({"b_device_id": msg.device_id, **status})
        return
    if isinstance(msg, FactsMessage):
        row = convert.facts_row(msg)
        row["b_device_id"] = row.pop("device_id")
        plan.facts.append(row)
        return
    run_id = getattr(msg, "run_id", None)
    if not isinstance(run_id, str):
        raise SchemaError(f"type: {msg.type} messages are not accepted by the collector")
    owner = owners.get(run_id)
    if owner is None:
        owners[run_id] = msg.device_id
        plan.new_runs[run_id] = {
            "run_id": run_id,
            "device_id": msg.device_id,
            "status": "running",
            # run_started / run_failed name the command that asked for the run.
            "command_id": getattr(msg, "command_id", None),
            "received_at": item.received_at,
            "updated_at": item.received_at,
        }
    elif owner != msg.device_id:
        raise SchemaError(f"run_id: run {run_id!r} belongs to another device")
    _plan_run_message(plan, msg, item)


def _plan_run_message(plan: BatchPlan, msg: Message, item: Received) -> None:
    now = item.received_at
    if isinstance(msg, SamplesMessage):
        rows = item.rows if item.rows is not None else sample_rows(msg.run_id, msg.columns)
        plan.samples.extend(rows)
    elif isinstance(msg, ResultMessage):
        row = convert.result_row(msg)
        row["b_run_id"] = row.pop("run_id")
        row["updated_at"] = now
        plan.results.append(row)
        # Bad rows stay in the result document; only the time-series table skips them.
        with contextlib.suppress(SchemaError):
            plan.samples.extend(sample_rows(msg.run_id, columns_of(msg.result.samples)))
    elif isinstance(msg, RunStartedMessage | RunProgressMessage):
        plan.events.append(convert.event_row(msg))
        if isinstance(msg, RunStartedMessage):
            row = convert.started_row(msg)
            row["b_run_id"] = row.pop("run_id")
            row["updated_at"] = now
            plan.started.append(row)
    elif isinstance(msg, RunFinishedMessage | RunFailedMessage):
        plan.events.append(convert.event_row(msg))
        row = convert.finished_row(msg)
        row["b_run_id"] = row.pop("run_id")
        row["updated_at"] = now
        plan.finished.append(row)
    else:
        raise SchemaError(f"type: {msg.type} messages are not accepted by the collector")


def rejection_row(topic: str, reason: str, item: Received) -> dict[str, Any]:
    """Return the ``rejected_messages`` row for a refused message."""
    topic = topic[:MAX_TOPIC_CHARS]
    reason = reason[:MAX_REASON_CHARS]
    digest = hashlib.sha1(f"{topic}\x00{reason}".encode(errors="replace"), usedforsecurity=False)
    return {
        "fingerprint": digest.hexdigest(),
        "topic": topic,
        "reason": reason,
        "excerpt": item.excerpt,
        "payload_bytes": item.size,
        "first_at": item.received_at,
        "last_at": item.received_at,
    }
