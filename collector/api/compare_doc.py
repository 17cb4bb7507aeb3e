"""The schemas of the analysis answers: comparisons, predictions and the frontier.

``/api/compare`` (``collector/compare.py``, ``verdicts.py``, ``layercompare.py``),
``/api/predict`` (``prediction.py``) and ``/api/frontier`` (``frontier.py``), beside the
stored rows of ``schemas``; ``openapi.py`` merges :data:`SCHEMAS` into
``components/schemas``.
"""

from __future__ import annotations

from typing import Any

from edgebench.collector.api.schemas import BOOL, INT, NUM, STR, obj

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
    "Prediction": PREDICTION,
}


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
