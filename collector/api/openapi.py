"""The OpenAPI 3.1 document of the JSON API, served at ``/api/openapi.json``.

Written out by hand next to the views, and checked against real responses by
``tests/collector/dashboard/test_openapi.py`` (every path is called and every JSON body validated
against its schema), so the document cannot drift from the code unnoticed.

Security: scripts send ``Authorization: Bearer TOKEN`` (``bearerAuth``), the browser its
session cookie (``cookieAuth``; state-changing calls then need a CSRF token). Each
operation names the scope it needs in ``x-required-scope``: ``read`` (any token or
login), ``operate`` (a token with operate scope of an operator or admin), ``admin`` (a
token or login of an admin; a change also needs operate scope); ``tests/collector/auth``
checks these against the views. ``x-device-token: true`` marks the model store's reads,
which a board's device token may also call (nothing else accepts one).
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from edgebench.collector import listing, series
from edgebench.collector.api import bp, campaign_doc, compare_doc, modeldoc
from edgebench.collector.api.opdoc import (
    AUTHENTICATED,
    SECURITY_SCHEMES,
    get_op,
    json_body,
    list_of,
    operation,
    param,
    text_body,
)
from edgebench.collector.api.schemas import AUDIT_EVENT, SCHEMAS, obj, ref
from edgebench.collector.audit import MAX_LIMIT as MAX_AUDIT
from edgebench.collector.live import STREAM_MAX_S
from edgebench.collector.runfilter import (
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_PAGE,
    MAX_THREADS,
    RUN_SORTS,
    RUN_STATUSES,
)
from edgebench.shared.version import __version__

RUN_FILTERS = [
    param("device", {"type": "string"}, "Device id."),
    param("board", {"type": "string"}, "Board name as the device reports it."),
    param("model", {"type": "string"}, "Model name or sha256."),
    param("backend", {"type": "string"}, "Inference backend (e.g. litert)."),
    param(
        "threads", {"type": "integer", "minimum": 1, "maximum": MAX_THREADS}, "Interpreter threads."
    ),
    param("verdict", {"enum": ["VALID", "INVALID"]}, "Run verdict."),
    param("status", {"enum": list(RUN_STATUSES)}, "Run status."),
    param("sweep", {"type": "string"}, "Sweep id."),
    param("campaign", {"type": "integer", "minimum": 1}, "Campaign id: its jobs' runs."),
    param("since", {"type": "string"}, "Started at or after (ISO date/time or epoch s)."),
    param("until", {"type": "string"}, "Started at or before (a bare date: end of that day)."),
    param("sort", {"enum": list(RUN_SORTS)}, "Sort column (default started_at)."),
    param("order", {"enum": ["asc", "desc"]}, "Sort direction (default desc)."),
    param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size."),
    param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "Rows to skip."),
    param(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "1-based page (overrides offset).",
    ),
]
COMPARE_PARAMS = [
    param("runs", {"type": "string"}, "Comma list of run ids, in column order."),
    param("group", {"type": "string"}, "Comma list of device, board, model, threads, backend."),
    param("baseline", {"type": "string"}, "Column id the ratios are relative to."),
    param(
        "threshold",
        {"type": "number", "minimum": 0, "maximum": 50, "default": 3},
        "Practical threshold in percent: smaller differences are never called significant.",
    ),
    param("predict", {"enum": ["0", "1"]}, "1: add predicted p50 columns of other devices."),
    *RUN_FILTERS[:11],
]
PREDICT_PARAMS = [
    {**param("model", {"type": "string"}, "Model sha256 or name."), "required": True},
    {**param("device", {"type": "string"}, "Device id."), "required": True},
    param(
        "threads",
        {"type": "integer", "minimum": 1, "maximum": MAX_THREADS},
        "Threads of the profiles to fit on (default: the device's most common).",
    ),
    param("backend", {"type": "string"}, "Backend of the profiles (default: most common)."),
]
FRONTIER_PARAMS = [
    param("device", {"type": "string"}, "Device id; without it, the best model per board."),
    param("metric", {"enum": ["p50", "energy"]}, "p50 latency (ms, default) or energy (mJ)."),
    param(
        "budget",
        {"type": "number", "exclusiveMinimum": 0},
        "Budget in the metric's unit: the most accurate model surely within it.",
    ),
]


DEVICE_ID = param("device_id", {"type": "string"}, "Device id.", "path")
RUN_ID = param("run_id", {"type": "string"}, "Run id.", "path")
FLEET_PARAMS = [
    param("status", {"enum": ["online", "offline"]}, "Online state."),
    param("board", {"type": "string"}, "Board name."),
    param("q", {"type": "string"}, "Text in device id, hostname or board."),
    param("sort", {"enum": list(listing.DEVICE_SORTS)}, "Sort column."),
    param("order", {"enum": ["asc", "desc"]}, "Sort direction."),
]
PAGED = {k: {"type": "integer"} for k in ("total", "limit", "offset", "page", "pages")}


def document() -> dict[str, Any]:
    """Return the OpenAPI document (server URL relative to this app's mount point)."""
    samples = obj(
        {
            "run_id": {"type": "string"},
            "total": {"type": "integer"},
            "max_points": {"type": "integer"},
            "downsampled": {"type": "boolean"},
            "throttle_spans": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "number"}},
            },
            "items": {"type": "array", "items": ref("Sample")},
        }
    )
    max_points = param(
        "max_points",
        {"type": "integer", "minimum": 2, "maximum": series.MAX_POINTS_LIMIT},
        "Row budget.",
    )
    paths = {
        "/devices": get_op(
            "Fleet: devices, online state, last result",
            FLEET_PARAMS,
            json_body(list_of("Device", total={"type": "integer"}), "Devices"),
            400,
        ),
        "/devices/{device_id}": get_op(
            "One device with runs and trends",
            [DEVICE_ID],
            json_body(ref("DeviceDetail"), "Device"),
            404,
        ),
        "/runs": get_op(
            "Runs, filtered and paged (format=csv for CSV)",
            RUN_FILTERS,
            json_body(list_of("RunSummary", **PAGED), "Runs"),
            400,
        ),
        "/runs.csv": get_op(
            "Runs as CSV (same filters)", RUN_FILTERS, text_body("text/csv", "CSV"), 400
        ),
        "/runs/{run_id}": get_op(
            "One run with its result document", [RUN_ID], json_body(ref("RunDetail"), "Run"), 404
        )
        | {
            "delete": operation(
                "Delete a run with its samples and events (audited)",
                [RUN_ID],
                json_body(
                    obj(
                        {
                            "run_id": {"type": "string"},
                            "deleted": {"const": True},
                            "device_id": {"type": "string"},
                            "samples": {"type": "integer"},
                            "events": {"type": "integer"},
                        }
                    ),
                    "Deleted",
                ),
                (404,),
                "operate",
            )
        },
        "/runs/{run_id}/samples": get_op(
            "Telemetry, min/max downsampled",
            [RUN_ID, max_points],
            json_body(samples, "Samples"),
            400,
            404,
        ),
        "/compare": get_op(
            "Side-by-side comparison",
            COMPARE_PARAMS,
            json_body(ref("Comparison"), "Comparison"),
            400,
            404,
        ),
        "/compare.csv": get_op(
            "Comparison as CSV", COMPARE_PARAMS, text_body("text/csv", "CSV"), 400, 404
        ),
        "/frontier": get_op(
            "Accuracy (published top-1) against latency or energy: front and budget answer",
            FRONTIER_PARAMS,
            json_body({"oneOf": [ref("Frontier"), ref("FrontierBoards")]}, "Frontier"),
            400,
            404,
        ),
        "/predict": get_op(
            "Predicted p50 of a model on a device, from the device's stored per-op profiles",
            PREDICT_PARAMS,
            json_body(ref("Prediction"), "Prediction"),
            400,
            404,
            422,
        ),
        "/rejected": get_op(
            "Recently rejected messages",
            [param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Rows.")],
            json_body(
                obj(
                    {
                        "total": {"type": "integer"},
                        "items": {"type": "array", "items": {"type": "object"}},
                    }
                ),
                "Rejected",
            ),
            400,
        ),
        "/events": get_op(
            "Server-Sent Events: change events with changed devices and runs",
            [
                param(
                    "max_s",
                    {"type": "integer", "minimum": 1, "maximum": int(STREAM_MAX_S)},
                    "End the stream after this many seconds.",
                )
            ],
            text_body("text/event-stream", "Event stream"),
            400,
        ),
        "/audit": get_op(
            "The audit log, newest first (admins)",
            [
                param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_AUDIT}, "Rows."),
                param(
                    "before_id",
                    {"type": "integer", "minimum": 0},
                    "Only events older than this id (the previous page's next_before_id).",
                ),
                param("action", {"type": "string"}, "Only this action (e.g. login, run.delete)."),
                param("actor", {"type": "string"}, "Only this actor (a user name, token, cli)."),
            ],
            json_body(
                obj(
                    {
                        "items": {"type": "array", "items": AUDIT_EVENT},
                        "next_before_id": {"type": ["integer", "null"]},
                    }
                ),
                "Audit events",
            ),
            400,
            scope="admin",
        ),
        "/openapi.json": get_op("This document", [], json_body({"type": "object"}, "OpenAPI")),
        **modeldoc.model_paths(),
        **campaign_doc.paths(),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "edgebench collector API", "version": __version__},
        "servers": [{"url": url_for("api.openapi_json").rsplit("/", 1)[0]}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS | compare_doc.SCHEMAS | modeldoc.SCHEMAS | campaign_doc.SCHEMAS,
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": AUTHENTICATED,
    }


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document describing every ``/api`` endpoint."""
    return document()
