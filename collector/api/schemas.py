"""JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the API's bodies: devices, runs, comparisons.

``openapi.py`` puts them under ``components/schemas``; the dashboard tests validate real
responses against them.
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
METRIC_ROW = {
    "key": {"type": "string"},
    "label": {"type": "string"},
    "unit": {"type": "string"},
    "better": {"enum": ["lower", "higher"]},
    "values": {"type": "array", "items": NUM},
    "best": {"type": "array", "items": {"type": "boolean"}},
    "ratios": {"type": "array", "items": NUM},
}
PAIR = {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
# A column against the baseline on one row (collector/verdicts.py, docs/statistics.md).
TEST = {
    "type": ["object", "null"],
    "properties": {
        "ratio": {"type": "number"},
        "ci95": PAIR,
        "p_value": {"type": "number"},
        "p_adjusted": {"type": "number"},
        "verdict": {"enum": ["faster", "slower", "no significant difference"]},
        "busy": {"type": "boolean"},
    },
    "required": ["ratio", "ci95", "p_value", "p_adjusted", "verdict", "busy"],
}
# Only the latency and throughput rows have intervals and tests.
TESTED_ROW = {
    "intervals": {"type": "array", "items": PAIR},
    "tests": {"type": "array", "items": TEST},
}
COLUMN = {
    "id": {"type": "string"},
    "label": {"type": "string"},
    "run_ids": {"type": "array", "items": {"type": "string"}},
    "n": {"type": "integer"},
    "predicted": {"const": False},
    "values": {"type": "object", "additionalProperties": NUM},
}
NUMS = {"type": "array", "items": NUM}
FLAGS = {"type": "array", "items": {"type": "boolean"}}
INTS = {"type": "array", "items": {"type": "integer"}}
# A per-layer comparison (collector/layercompare.py): one value per compared run in each list.
LAYER_OP = {"index": {"type": "integer"}, "op": {"type": "string"}, "output_shape": INTS}
LAYER_OP |= {"macs": {"type": "integer"}, "p50_ms": NUMS, "ratios": NUMS, "departure": NUMS}
LAYER_OP |= {"highlight": FLAGS, "most": FLAGS}
LAYER_TABLE = {"baseline": {"type": "string"}, "runs": {"type": "array"}, "model_name": STR}
LAYER_TABLE |= {k: NUMS for k in ("whole_p50_ms", "sum_p50_ms", "model_ratios")}
LAYER_TABLE |= {"depart_factor": {"type": "number"}, "min_share": {"type": "number"}}
LAYER_TABLE |= {"most_departing": {"type": "array", "items": INT}, "ops": {"type": "array"}}
LAYER_TABLE["ops"]["items"] = obj(LAYER_OP)
# ``available`` false: only ``reason`` (one line); true: the whole table.
LAYERS = {
    "type": "object",
    "properties": {"available": {"type": "boolean"}, "reason": STR} | LAYER_TABLE,
    "required": ["available", "reason"],
    "if": {"properties": {"available": {"const": True}}},
    "then": {"required": sorted(LAYER_TABLE)},
}
# Predicted columns of a runs comparison (collector/prediction.py), asked for with predict=1.
PREDICTED_COLUMN = obj(
    {
        "id": {"type": "string"},
        "label": {"type": "string"},
        "predicted": {"const": True},
        "device_id": {"type": "string"},
        "board": STR,
        "threads": INT,
        "latency_p50_ms": {"type": "number"},
        "ratio": NUM,
        "profiles": {"type": "array", "items": {"type": "string"}},
        "profile_count": {"type": "integer"},
    }
)
PREDICTIONS = {
    "oneOf": [
        {"type": "null"},
        obj(
            {
                "available": {"type": "boolean"},
                "reason": STR,
                "columns": {"type": "array", "items": PREDICTED_COLUMN},
                "skipped": {"type": "array", "items": {"type": "string"}},
            }
        ),
    ]
}
# ``/api/predict`` (collector/prediction.py): the fields ``edgebench model predict --json``
# prints, for a device's stored profiles.
PREDICTION = obj(
    {
        "prediction": {"const": True},
        "model": STR,
        "sha256": STR,
        "device_id": {"type": "string"},
        "predicted_p50_ms": {"type": "number"},
        "sum_ops_ms": {"type": "number"},
        "whole_over_sum": {"type": "number"},
        "by_type_ms": {"type": "object", "additionalProperties": {"type": "number"}},
        "per_op_ms": {"type": "array", "items": {"type": "number"}},
        "profiles": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "profile_count": {"type": "integer", "minimum": 1},
        "backend": STR,
        "threads": INT,
        "xnnpack": BOOL,
        "op_source": obj({"kind": {"type": "string"}}),
        "notes": {"type": "array", "items": {"type": "string"}},
    },
    extra=False,
)
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
    "Comparison": obj(
        {
            "mode": {"enum": ["runs", "groups"]},
            "baseline": STR,
            "columns": {"type": "array", "items": obj(COLUMN)},
            "rows": {
                "type": "array",
                "items": {**obj(METRIC_ROW), "properties": METRIC_ROW | TESTED_ROW},
            },
            "overall": obj(
                {
                    "key": {"const": "overall"},
                    "label": STR,
                    "metrics": {"type": "array", "items": {"type": "string"}},
                    "ratios": {"type": "array", "items": NUM},
                }
                | TESTED_ROW
            ),
            "layers": LAYERS,
            "predictions": PREDICTIONS,
            "significance": obj(
                {
                    "threshold_pct": {"type": "number"},
                    "alpha": {"type": "number"},
                    "correction": {"const": "holm"},
                    "reps": {"type": "integer"},
                    "method": STR,
                    "skipped": {"type": ["string", "null"]},
                }
            ),
        }
    ),
}

SCHEMAS["Prediction"] = PREDICTION


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


# The frontier (``collector.frontier``): one run on it, a budget's answer, GOPS per family.
FRONTIER_POINT = obj(
    {
        "run_id": {"type": "string"},
        "device_id": {"type": "string"},
        "model_name": {"type": "string"},
        "family": {"type": "string"},
        "threads": INT,
        "verdict": STR,
        "top1": {"type": "number"},
        "value": {"type": "number"},
        "low": NUM,
        "high": NUM,
        "macs": NUM,
        "gops": NUM,
        "measured": {"type": "boolean"},
    }
)
FRONTIER_ANSWER = {
    "oneOf": [
        obj(
            {
                "budget": {"type": "number"},
                "best": {"oneOf": [FRONTIER_POINT, {"type": "null"}]},
                "within": {"type": "integer"},
                "straddling": {"type": "array", "items": FRONTIER_POINT},
                "rule": {"type": "string"},
            }
        ),
        {"type": "null"},
    ]
}
FAMILY_GOPS = obj(
    {
        "family": {"type": "string"},
        "runs": {"type": "integer"},
        **{k: {"type": "number"} for k in ("macs_m_min", "macs_m_max", "gops_median", "gops_max")},
    }
)
_FRONTIER_COMMON = {
    "metric": {"enum": ["p50", "energy"]},
    "label": {"type": "string"},
    "unit": {"type": "string"},
    "top1_label": {"type": "string"},
    "rule": {"type": "string"},
}
SCHEMAS["Frontier"] = obj(
    _FRONTIER_COMMON
    | {
        "device_id": {"type": "string"},
        "points": {"type": "array", "items": FRONTIER_POINT},
        "front": {"type": "array", "items": {"type": "string"}},
        "unplotted": {"type": "integer"},
        "answer": FRONTIER_ANSWER,
        "gops": {"type": "array", "items": FAMILY_GOPS},
        "sources": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    extra=False,
)
SCHEMAS["FrontierBoards"] = obj(
    _FRONTIER_COMMON
    | {
        "budget": NUM,
        "devices": {
            "type": "array",
            "items": obj(
                {
                    "device_id": {"type": "string"},
                    "board": STR,
                    "runs": {"type": "integer"},
                    "answer": FRONTIER_ANSWER,
                    "gops": {"type": "array", "items": FAMILY_GOPS},
                }
            ),
        },
    },
    extra=False,
)

# The model store (collector/modelstore.py, collector/modelcatalog.py).
TENSOR = obj(
    {
        "name": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "dtype": {"type": "string"},
        "scale": NUM,
        "zero_point": INT,
    }
)
SCHEMAS["StoredModel"] = obj(
    {
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "name": {"type": "string"},
        "kind": {"const": "uploaded"},
        "model": {"type": "string", "description": "What a command names: sha256:<hex>."},
        "size_bytes": {"type": "integer"},
        "uploaded_by": {"type": "string"},
        "uploaded_at": {"type": "number"},
        "inspection": obj(
            {
                "inputs": {"type": "array", "items": TENSOR},
                "outputs": {"type": "array", "items": TENSOR},
                "op_histogram": {"type": "object", "additionalProperties": {"type": "integer"}},
                **{k: {"type": "integer"} for k in ("op_count", "params", "macs", "flops")},
                "ops": {
                    "type": "array",
                    "description": "The main graph's ops: what /api/predict predicts from.",
                    "items": obj(
                        {
                            "index": {"type": "integer"},
                            "op": {"type": "string"},
                            "macs": {"type": "integer"},
                            "io_bytes": {"type": "integer"},
                        }
                    ),
                },
            }
        ),
    }
)
SCHEMAS["GeneratedModel"] = obj(
    {
        "name": {"type": "string"},
        "kind": {"const": "generated"},
        "model": {"type": "string"},
        **{k: {"type": "string"} for k in ("family", "arch", "quant", "top1_label")},
        "alpha": {"type": "number"},
        "resolution": {"type": "integer"},
        **{k: NUM for k in ("published_macs_m", "published_params_m", "published_top1")},
    }
)
