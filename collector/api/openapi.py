"""The OpenAPI 3.1 document of the JSON API, served at ``/api/openapi.json``.

Written out by hand next to the views, and checked against real responses by
``tests/collector/dashboard/test_openapi.py`` (every path is called and every JSON body validated
against its schema), so the document cannot drift from the code unnoticed.

Security: scripts send ``Authorization: Bearer TOKEN`` (``bearerAuth``), the browser its
session cookie (``cookieAuth``; state-changing calls then need a CSRF token). Each
operation names the scope it needs in ``x-required-scope``: ``read`` (any token or
login), ``operate`` (a token with operate scope of an operator or admin), ``admin`` (a
token or login of an admin); ``tests/collector/auth`` checks these against the views.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from edgebench.collector import listing, series
from edgebench.collector.api import bp, campaign_doc
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


def _param(name: str, schema: dict[str, Any], text: str, where: str = "query") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": text,
    }


RUN_FILTERS = [
    _param("device", {"type": "string"}, "Device id."),
    _param("board", {"type": "string"}, "Board name as the device reports it."),
    _param("model", {"type": "string"}, "Model name or sha256."),
    _param("backend", {"type": "string"}, "Inference backend (e.g. litert)."),
    _param(
        "threads", {"type": "integer", "minimum": 1, "maximum": MAX_THREADS}, "Interpreter threads."
    ),
    _param("verdict", {"enum": ["VALID", "INVALID"]}, "Run verdict."),
    _param("status", {"enum": list(RUN_STATUSES)}, "Run status."),
    _param("sweep", {"type": "string"}, "Sweep id."),
    _param("since", {"type": "string"}, "Started at or after (ISO date/time or epoch s)."),
    _param("until", {"type": "string"}, "Started at or before (a bare date: end of that day)."),
    _param("sort", {"enum": list(RUN_SORTS)}, "Sort column (default started_at)."),
    _param("order", {"enum": ["asc", "desc"]}, "Sort direction (default desc)."),
    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size."),
    _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "Rows to skip."),
    _param(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "1-based page (overrides offset).",
    ),
]
COMPARE_PARAMS = [
    _param("runs", {"type": "string"}, "Comma list of run ids, in column order."),
    _param("group", {"type": "string"}, "Comma list of device, board, model, threads, backend."),
    _param("baseline", {"type": "string"}, "Column id the ratios are relative to."),
    _param(
        "threshold",
        {"type": "number", "minimum": 0, "maximum": 50, "default": 3},
        "Practical threshold in percent: smaller differences are never called significant.",
    ),
    *RUN_FILTERS[:10],
]
FRONTIER_PARAMS = [
    _param("device", {"type": "string"}, "Device id; without it, the best model per board."),
    _param("metric", {"enum": ["p50", "energy"]}, "p50 latency (ms, default) or energy (mJ)."),
    _param(
        "budget",
        {"type": "number", "exclusiveMinimum": 0},
        "Budget in the metric's unit: the most accurate model surely within it.",
    ),
]


def _json(schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    400: "Bad parameter",
    401: "No valid token or login",
    403: "The token's scope or the user's role is too low",
    404: "Not found",
}
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from `edgebench collector token create`.",
    },
    "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The browser session of /login; changes also need a CSRF token.",
    },
}
AUTHENTICATED = [{"bearerAuth": []}, {"cookieAuth": []}]


def _operation(
    summary: str,
    params: list[dict[str, Any]],
    ok: dict[str, Any],
    codes: tuple[int, ...],
    scope: str,
) -> dict[str, Any]:
    """Return one operation: its responses (errors by code) and what it needs."""
    codes = (*codes, 401, *((403,) if scope != "read" else ()))
    responses: dict[str, Any] = {"200": ok}
    for code in sorted(codes):
        responses[str(code)] = _json(ref("Error"), ERRORS[code])
    return {
        "summary": summary,
        "parameters": params,
        "responses": responses,
        "security": AUTHENTICATED,
        "x-required-scope": scope,
    }


def _op(
    summary: str, params: list[dict[str, Any]], ok: dict[str, Any], *codes: int, scope: str = "read"
) -> dict[str, Any]:
    return {"get": _operation(summary, params, ok, codes, scope)}


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"description": text, "content": {kind: {"schema": {"type": "string"}}}}


def _list(item: str, **extra: Any) -> dict[str, Any]:
    return obj({"items": {"type": "array", "items": ref(item)}, **extra})


DEVICE_ID = _param("device_id", {"type": "string"}, "Device id.", "path")
RUN_ID = _param("run_id", {"type": "string"}, "Run id.", "path")
FLEET_PARAMS = [
    _param("status", {"enum": ["online", "offline"]}, "Online state."),
    _param("board", {"type": "string"}, "Board name."),
    _param("q", {"type": "string"}, "Text in device id, hostname or board."),
    _param("sort", {"enum": list(listing.DEVICE_SORTS)}, "Sort column."),
    _param("order", {"enum": ["asc", "desc"]}, "Sort direction."),
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
    max_points = _param(
        "max_points",
        {"type": "integer", "minimum": 2, "maximum": series.MAX_POINTS_LIMIT},
        "Row budget.",
    )
    paths = {
        "/devices": _op(
            "Fleet: devices, online state, last result",
            FLEET_PARAMS,
            _json(_list("Device", total={"type": "integer"}), "Devices"),
            400,
        ),
        "/devices/{device_id}": _op(
            "One device with runs and trends",
            [DEVICE_ID],
            _json(ref("DeviceDetail"), "Device"),
            404,
        ),
        "/runs": _op(
            "Runs, filtered and paged (format=csv for CSV)",
            RUN_FILTERS,
            _json(_list("RunSummary", **PAGED), "Runs"),
            400,
        ),
        "/runs.csv": _op("Runs as CSV (same filters)", RUN_FILTERS, _text("text/csv", "CSV"), 400),
        "/runs/{run_id}": _op(
            "One run with its result document", [RUN_ID], _json(ref("RunDetail"), "Run"), 404
        )
        | {
            "delete": _operation(
                "Delete a run with its samples and events (audited)",
                [RUN_ID],
                _json(
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
        "/runs/{run_id}/samples": _op(
            "Telemetry, min/max downsampled",
            [RUN_ID, max_points],
            _json(samples, "Samples"),
            400,
            404,
        ),
        "/compare": _op(
            "Side-by-side comparison",
            COMPARE_PARAMS,
            _json(ref("Comparison"), "Comparison"),
            400,
            404,
        ),
        "/compare.csv": _op(
            "Comparison as CSV", COMPARE_PARAMS, _text("text/csv", "CSV"), 400, 404
        ),
        "/frontier": _op(
            "Accuracy (published top-1) against latency or energy: front and budget answer",
            FRONTIER_PARAMS,
            _json({"oneOf": [ref("Frontier"), ref("FrontierBoards")]}, "Frontier"),
            400,
            404,
        ),
        "/rejected": _op(
            "Recently rejected messages",
            [_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Rows.")],
            _json(
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
        "/events": _op(
            "Server-Sent Events: change events with changed devices and runs",
            [
                _param(
                    "max_s",
                    {"type": "integer", "minimum": 1, "maximum": int(STREAM_MAX_S)},
                    "End the stream after this many seconds.",
                )
            ],
            _text("text/event-stream", "Event stream"),
            400,
        ),
        "/audit": _op(
            "The audit log, newest first (admins)",
            [
                _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_AUDIT}, "Rows."),
                _param(
                    "before_id",
                    {"type": "integer", "minimum": 0},
                    "Only events older than this id (the previous page's next_before_id).",
                ),
                _param("action", {"type": "string"}, "Only this action (e.g. login, run.delete)."),
                _param("actor", {"type": "string"}, "Only this actor (a user name, token, cli)."),
            ],
            _json(
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
        "/openapi.json": _op("This document", [], _json({"type": "object"}, "OpenAPI")),
        **campaign_doc.paths(_op, _operation, _param, _json),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "edgebench collector API", "version": __version__},
        "servers": [{"url": url_for("api.openapi_json").rsplit("/", 1)[0]}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS | campaign_doc.SCHEMAS,
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": AUTHENTICATED,
    }


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document describing every ``/api`` endpoint."""
    return document()
