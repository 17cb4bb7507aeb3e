"""Conversions from decoded MQTT messages (``edgebench.shared.messages``) to table rows.

Pure functions, no database: each returns plain dicts keyed by column name, ready for an
``executemany``. The collector never hand-copies fields anywhere else.
"""

from __future__ import annotations

import json
from typing import Any

from edgebench.collector.columns import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS, SAMPLE_KEYS
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import (
    FactsMessage,
    ResultMessage,
    RunFailedMessage,
    RunFinishedMessage,
    RunStartedMessage,
)
from edgebench.shared.result import RunResult

# Flags (0/1) the samplers report while the board is limited; any 1 means "throttled".
THROTTLE_FLAGS = ("under_voltage", "freq_capped", "throttled_now", "soft_temp_limit")
# Bits 0-3 of vcgencmd get_throttled are the "now" conditions; 16-19 are sticky since boot.
THROTTLED_NOW_MASK = 0xF
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
        "sweep_id": msg.sweep_id,
        "started_at": msg.ts,
        "model_name": msg.model.name,
        "model_sha256": msg.model.sha256,
        "model_source": msg.model.source,
        "backend": msg.config.backend,
        "backend_version": msg.config.backend_version,
        "threads": msg.config.threads,
        "xnnpack": msg.config.xnnpack_applied,
    }


def finished_row(msg: RunFinishedMessage | RunFailedMessage) -> dict[str, Any]:
    """Return the ``runs`` columns a run_finished or run_failed event sets."""
    if isinstance(msg, RunFailedMessage):
        return {
            "run_id": msg.run_id,
            "status": "failed",
            "finished_at": msg.ts,
            "verdict": None,
            "throughput_ips": None,
            "latency_p50_ms": None,
            "error": msg.error,
        }
    return {
        "run_id": msg.run_id,
        "status": msg.status,
        "finished_at": msg.ts,
        "verdict": msg.verdict,
        "throughput_ips": msg.throughput_ips,
        "latency_p50_ms": msg.latency_p50_ms,
        "error": None,
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
    """Whether the board was limited during the measured phase (None: nobody could tell)."""
    seen: list[bool] = []
    for key in THROTTLE_FLAGS:
        peak = _summary_max(result, key)
        if peak is not None:
            seen.append(peak > 0)
    bitmask = _summary_max(result, "throttled")
    if bitmask is not None and abs(bitmask) < _INT_LIMIT:
        seen.append(int(bitmask) & THROTTLED_NOW_MASK != 0)
    return any(seen) if seen else None


def sample_rows(run_id: str, rows: list[dict[str, float | None]]) -> list[tuple[Any, ...]]:
    """Return ``samples`` rows (tuples in SAMPLE_COLUMNS order); SchemaError if one is unusable.

    Tuples rather than dicts, ints passed through without a call, and ``extra`` already
    encoded as compact JSON text (what the SQLite column holds): this runs for every
    telemetry row the fast path (``ingest/fastpath.py``) could not build itself.
    """
    out: list[tuple[Any, ...]] = []
    keys = SAMPLE_KEYS
    dumps = compact_json
    for i, row in enumerate(rows):
        get = row.get
        t = get("t")
        if t is None:
            raise SchemaError(f"rows[{i}].t: missing sample time")
        ints = [get(key) for key in SAMPLE_INT_COLUMNS]
        for j, value in enumerate(ints):
            if value is not None and type(value) is not int:
                ints[j] = _flag(value, i, SAMPLE_INT_COLUMNS[j])
        extra = {k: v for k, v in row.items() if k not in keys}
        floats = [get(key) for key in SAMPLE_FLOAT_COLUMNS]
        out.append((run_id, float(t), *floats, *ints, dumps(extra) if extra else None))
    return out


# The ``extra`` column's text (the ingest fast path writes exactly the same).
compact_json = json.JSONEncoder(separators=(",", ":")).encode


def _flag(value: float | None, index: int, key: str) -> int | None:
    """Integer columns (bitmask, 0/1 flags) must hold whole numbers within 53 bits."""
    if value is None:
        return None
    if abs(value) >= _INT_LIMIT or value != int(value):
        raise SchemaError(f"rows[{index}].{key}: expected a whole number, got {value!r}")
    return int(value)
