"""The building blocks of the OpenAPI document: parameters, responses, operations, security.

Shared by ``openapi.py`` (the document) and ``modeldoc.py`` (the model store's part of it).
"""

from __future__ import annotations

from typing import Any

from edgebench.collector.api.schemas import obj, ref


def param(name: str, schema: dict[str, Any], text: str, where: str = "query") -> dict[str, Any]:
    """Return one parameter (a path parameter is required)."""
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": text,
    }


def json_body(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """Return a JSON response with ``schema``."""
    return {"description": text, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    400: "Bad parameter (an upload: why it is not a TFLite model)",
    401: "No valid token or login",
    403: "The token's scope or the user's role is too low",
    404: "Not found",
    409: "In use (a campaign uses the model)",
    413: "Larger than collector.max_model_mb",
    422: "Cannot predict: op types the profiles never saw",
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


def operation(
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
        responses[str(code)] = json_body(ref("Error"), ERRORS[code])
    return {
        "summary": summary,
        "parameters": params,
        "responses": responses,
        "security": AUTHENTICATED,
        "x-required-scope": scope,
    }


def get_op(
    summary: str, params: list[dict[str, Any]], ok: dict[str, Any], *codes: int, scope: str = "read"
) -> dict[str, Any]:
    """Return a path item with one GET operation."""
    return {"get": operation(summary, params, ok, codes, scope)}


def text_body(kind: str, text: str) -> dict[str, Any]:
    """Return a response of media type ``kind`` (CSV, an event stream, bytes)."""
    return {"description": text, "content": {kind: {"schema": {"type": "string"}}}}


def list_of(item: str, **extra: Any) -> dict[str, Any]:
    """Return an object whose ``items`` are ``item`` components (plus ``extra`` fields)."""
    return obj({"items": {"type": "array", "items": ref(item)}, **extra})
