"""Conversions from decoded MQTT messages (``edgebench.shared.messages``) to table rows.

Pure functions, no database: each returns plain dicts keyed by column name, ready for an
``executemany``. The collector never hand-copies fields anywhere else.
"""

from __future__ import annotations

from typing import Any

from edgebench.shared.messages import (
    FactsMessage,
    ResultMessage,
    RunFailedMessage,
    RunFinishedMessage,
    RunStartedMessage,
)
from edgebench.shared.result import RunResult
from edgebench.shared.throttle import assess, summary_rows

_INT_LIMIT = 2**53


def facts_row(msg: FactsMessage) -> dict[str, Any]:
    """Return the ``devices`` columns a facts message sets."""
    facts = msg.facts
    raw_facts = (msg.raw or {}).get("facts")
    return {
        "device_id": msg.device_id,
        "hostname": facts.hostname,
        "board": facts.board,
        "architecture": facts.architecture,
        "cpu_model": facts.cpu_model,
        "cpu_cores": facts.cpu_cores,
        "ram_mb": facts.ram_mb,
        "os_release": facts.os_release,
        "edgebench_version": facts.edgebench_version,
        # The payload's own object keeps fields a newer agent added.
        "facts": raw_facts if isinstance(raw_facts, dict) else None,
        "facts_ts": msg.ts,
        "outbox_pending": msg.outbox_pending,
        "outbox_dropped_samples": msg.outbox_dropped_samples,
    }


def started_row(msg: RunStartedMessage) -> dict[str, Any]:
    """Return the ``runs`` columns a run_started event fills in before the result arrives."""
    return {
        "run_id": msg.run_id,
        "started_at": msg.ts,
        "model_name": msg.model.name,
        "model_sha256": msg.model.sha256,
        "model_source": msg.model.source,
        "backend": msg.config.backend,
        "backend_version": msg.config.backend_version,
        "threads": msg.config.threads,
        "xnnpack": msg.config.xnnpack_applied,
        "command_id": msg.command_id,
    }


def finished_row(msg: RunFinishedMessage | RunFailedMessage) -> dict[str, Any]:
    """Return the ``runs`` columns a run_finished or run_failed event sets.

    ``b_command_id`` (run_failed's command, None otherwise) is set only where the run has
    none yet (``store``): a run_finished must not erase the command run_started named.
    """
    if isinstance(msg, RunFailedMessage):
        return {
            "run_id": msg.run_id,
            "status": "failed",
            "finished_at": msg.ts,
            "verdict": None,
            "throughput_ips": None,
            "latency_p50_ms": None,
            "error": msg.error,
            "b_command_id": msg.command_id,
        }
    return {
        "run_id": msg.run_id,
        "status": msg.status,
        "finished_at": msg.ts,
        "verdict": msg.verdict,
        "throughput_ips": msg.throughput_ips,
        "latency_p50_ms": msg.latency_p50_ms,
        "error": None,
        "b_command_id": None,
    }


def event_row(msg: Any) -> dict[str, Any]:
    """Return the ``run_events`` row for any run lifecycle event."""
    data = {k: v for k, v in (msg.raw or {}).items() if k not in _ENVELOPE_KEYS}
    return {
        "message_id": msg.message_id,
        "run_id": msg.run_id,
        "device_id": msg.device_id,
        "seq": msg.seq,
        "kind": msg.type,
        "ts": msg.ts,
        "data": data or None,
    }


_ENVELOPE_KEYS = frozenset(
    {"schema_version", "message_id", "type", "device_id", "ts", "run_id", "seq"}
)


def result_row(msg: ResultMessage) -> dict[str, Any]:
    """Return every ``runs`` column a result message sets (the summary plus the document)."""
    r = msg.result
    raw_result = (msg.raw or {}).get("result")
    return {
        "run_id": r.run_id,
        "sweep_id": r.sweep_id,
        "status": r.status,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "model_name": r.model.name,
        "model_sha256": r.model.sha256,
        "model_source": r.model.source,
        "backend": r.config.backend,
        "backend_version": r.config.backend_version,
        "threads": r.config.threads,
        "xnnpack": r.config.xnnpack_applied,
        "verdict": r.verdict.status,
        "latency_mean_ms": r.latency_ms.mean,
        "latency_p50_ms": r.latency_ms.p50,
        "latency_p90_ms": r.latency_ms.p90,
        "latency_p99_ms": r.latency_ms.p99,
        "throughput_ips": r.throughput_ips,
        "mj_per_inference": _milli(r.energy.joules_per_inference),
        "energy_measured": r.energy.measured,
        "power_mean_w": r.power.mean_w,
        "peak_temp_c": _summary_max(r, "temp_c"),
        "throttled": throttled(r),
        "accuracy_top1": r.accuracy.top1 if r.accuracy is not None else None,
        "error": None,
        "result": raw_result if isinstance(raw_result, dict) else r.to_dict(),
    }


def _milli(value: float | None) -> float | None:
    return None if value is None else value * 1000.0


def _summary_max(result: RunResult, key: str) -> float | None:
    summary = result.samples_summary.get(key)
    return None if summary is None else summary.max


def throttled(result: RunResult) -> bool | None:
    """Whether the board was limited during the measured phase (None: nobody could tell).

    The definition is ``edgebench.shared.throttle``, applied to the result's sample rows,
    the same rows the agent's verdict judged; when the agent left them out of a result
    too large to publish, to its per-key summary.
    """
    report = assess(result.samples)
    if not report.known:
        report = assess(summary_rows(result.samples_summary))
    return report.throttled
