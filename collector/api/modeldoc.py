"""The model store's part of the OpenAPI document (``collector/api/models.py``).

Its paths, and the schemas of a stored and a generated model (``collector/modelstore.py``,
``collector/modelcatalog.py``), which ``openapi.py`` merges into ``components/schemas``.

The three reads carry ``x-device-token: true``: a board's device token may call them, and
``tests/collector/dashboard/test_auth_http.py`` checks that against the views' marks.
"""

from __future__ import annotations

from typing import Any

from edgebench.collector.api.opdoc import get_op, json_body, list_of, operation, param, text_body
from edgebench.collector.api.schemas import INT, NUM, obj, ref

SHA256 = param("sha256", {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "Model sha256.", "path")
# A board's device token (``edgebench collector token create --device``) may call these.
DEVICE_TOKEN = {"x-device-token": True}

# An input or output of a stored model (its inspection summary).
TENSOR = obj(
    {
        "name": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "dtype": {"type": "string"},
        "scale": NUM,
        "zero_point": INT,
    }
)
SCHEMAS: dict[str, Any] = {}
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


def model_paths() -> dict[str, Any]:
    """Return the model store's paths (collector/api/models.py)."""
    stored = json_body(ref("StoredModel"), "Stored model")
    upload = operation("Upload a .tflite model (audited)", [], stored, (400, 413), "operate")
    upload["responses"] = {"201": json_body(ref("StoredModel"), "Stored")} | upload["responses"]
    upload["responses"]["200"] = json_body(ref("StoredModel"), "The same bytes, already stored")
    upload["requestBody"] = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": obj(
                    {"file": {"type": "string", "format": "binary"}, "name": {"type": "string"}}
                )
                | {"required": ["file"]}
            }
        },
    }
    listed = get_op(
        "Uploaded models and the generated models every board can build",
        [],
        json_body(
            list_of("StoredModel", total={"type": "integer"})
            | {
                "properties": {
                    "items": {"type": "array", "items": ref("StoredModel")},
                    "total": {"type": "integer"},
                    "generated": {"type": "array", "items": ref("GeneratedModel")},
                },
                "required": ["generated", "items", "total"],
            },
            "Models",
        ),
    )
    listed["get"] |= DEVICE_TOKEN
    deleted = obj({"sha256": {"type": "string"}, "deleted": {"const": True}})
    one = get_op("One stored model with its inspection", [SHA256], stored, 404)
    one["get"] |= DEVICE_TOKEN
    download = get_op(
        "The stored model's bytes",
        [SHA256],
        text_body("application/octet-stream", "The .tflite file"),
        404,
    )
    download["get"] |= DEVICE_TOKEN
    return {
        "/models": listed | {"post": upload},
        "/models/{sha256}": one
        | {
            "delete": operation(
                "Delete a stored model and its file (audited)",
                [SHA256],
                json_body(deleted, "Deleted"),
                (404, 409),
                "admin",
            )
        },
        "/models/{sha256}/file": download,
    }
