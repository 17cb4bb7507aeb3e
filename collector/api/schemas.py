"""JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the API's bodies: devices, runs, audit.

Also the helpers and nullable types the ``*_doc`` modules build their schemas with:
``compare_doc`` (comparisons, predictions, the frontier), ``modeldoc`` (the model store)
and ``campaign_doc``. ``openapi.py`` puts them all under ``components/schemas``; the
dashboard tests validate real responses against them.
"""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    """Return a ``$ref`` to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: dict[str, Any], *, extra: bool = True) -> dict[str, Any]:
    """Return an object schema requiring every listed property."""
    return {
        "type": "object",
        "properties": props,
        "required": sorted(props),
        "additionalProperties": extra,
    }


NUM = {"type": ["number", "null"]}
INT = {"type": ["integer", "null"]}
STR = {"type": ["string", "null"]}
BOOL = {"type": ["boolean", "null"]}


DEVICE = {
    "device_id": {"type": "string"},
    **{k: STR for k in ("hostname", "board", "architecture", "cpu_model", "os_release")},
    **{k: STR for k in ("edgebench_version", "status", "status_reason")},
    "cpu_cores": INT,
    "ram_mb": NUM,
    "status_ts": NUM,
    "outbox_pending": INT,
    "outbox_dropped_samples": INT,
    "first_seen": {"type": "number"},
    "last_seen": {"type": "number"},
}
RUN = {
    "run_id": {"type": "string"},
    "device_id": {"type": "string"},
    "status": {"type": "string"},
    **{k: STR for k in ("sweep_id", "model_name", "model_sha256", "model_source", "error")},
    **{k: STR for k in ("backend", "backend_version")},
    "verdict": {"enum": ["VALID", "INVALID", None]},
    "threads": INT,
    **{k: BOOL for k in ("xnnpack", "energy_measured", "throttled")},
    **{k: NUM for k in ("started_at", "finished_at", "latency_mean_ms", "latency_p50_ms")},
    **{k: NUM for k in ("latency_p90_ms", "latency_p99_ms", "throughput_ips")},
    **{k: NUM for k in ("mj_per_inference", "power_mean_w", "peak_temp_c", "accuracy_top1")},
    "received_at": {"type": "number"},
    "updated_at": {"type": "number"},
    "has_result": {"type": "boolean"},
}
LAST_RESULT = {
    "run_id": {"type": "string"},
    "status": {"type": "string"},
    "model_name": STR,
    "threads": INT,
    "verdict": STR,
    **{k: NUM for k in ("started_at", "latency_p50_ms", "throughput_ips", "mj_per_inference")},
}
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
        "required": ["error"],
    },
    "Device": obj(
        DEVICE
        | {
            "online": {"type": "boolean"},
            "runtimes": {"type": ["object", "null"]},
            "last_result": {"oneOf": [obj(LAST_RESULT), {"type": "null"}]},
        }
    ),
    "RunSummary": obj(RUN),
    "DeviceDetail": obj(
        DEVICE
        | {
            "facts": {"type": ["object", "null"]},
            "online": {"type": "boolean"},
            "runs": {"type": "array", "items": ref("RunSummary")},
            "run_count": {"type": "integer"},
            "trends": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "object"}},
            },
        }
    ),
    "RunDetail": obj(
        RUN
        | {
            "result": {"type": ["object", "null"]},
            "derived": obj(
                {
                    "latency_histogram": obj(
                        {
                            "edges": {"type": "array", "items": {"type": "number"}},
                            "counts": {"type": "array", "items": {"type": "integer"}},
                        }
                    ),
                    "latency_timeline": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "number"}},
                    },
                }
            ),
        }
    ),
    "Sample": {
        "type": "object",
        "properties": {"t": {"type": "number"}},
        "required": ["t"],
        "additionalProperties": NUM,
    },
}

# One audit log entry (``collector.audit.event_dict``).
AUDIT_EVENT = obj(
    {
        "id": {"type": "integer"},
        "at": {"type": "number"},
        "actor": {"type": "string"},
        "address": STR,
        "action": {"type": "string"},
        "target": STR,
        "outcome": {"enum": ["ok", "denied", "failed"]},
        "detail": {"type": ["object", "null"]},
    }
)
