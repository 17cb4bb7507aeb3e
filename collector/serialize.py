"""Model → JSON conversions: the summary fields of devices and runs, and their dicts.

The JSON API, the listings (which select exactly these columns) and the CSV export share
them, so a field added here appears in all three. Plain dicts; units stay in the key names.
"""

from __future__ import annotations

from typing import Any

from edgebench.collector.models import Device, RejectedMessage, Run

DEVICE_FIELDS = (
    "device_id",
    "hostname",
    "board",
    "architecture",
    "cpu_model",
    "cpu_cores",
    "ram_mb",
    "os_release",
    "edgebench_version",
    "status",
    "status_reason",
    "status_ts",
    "outbox_pending",
    "outbox_dropped_samples",
    "first_seen",
    "last_seen",
)
RUN_FIELDS = (
    "run_id",
    "device_id",
    "sweep_id",
    "status",
    "started_at",
    "finished_at",
    "model_name",
    "model_sha256",
    "model_source",
    "backend",
    "backend_version",
    "threads",
    "xnnpack",
    "verdict",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "throughput_ips",
    "mj_per_inference",
    "energy_measured",
    "power_mean_w",
    "peak_temp_c",
    "throttled",
    "accuracy_top1",
    "error",
    "received_at",
    "updated_at",
)


def device_dict(device: Device) -> dict[str, Any]:
    """Return a device's summary columns and its full facts."""
    return {name: getattr(device, name) for name in DEVICE_FIELDS} | {"facts": device.facts}


def run_dict(run: Run) -> dict[str, Any]:
    """Return a run's summary columns and its full result document."""
    out = {name: getattr(run, name) for name in RUN_FIELDS}
    return out | {"has_result": run.result is not None, "result": run.result}


def rejected_dict(row: RejectedMessage) -> dict[str, Any]:
    """Return one rejected-message record."""
    return {
        "topic": row.topic,
        "reason": row.reason,
        "excerpt": row.excerpt,
        "payload_bytes": row.payload_bytes,
        "count": row.count,
        "first_at": row.first_at,
        "last_at": row.last_at,
    }
