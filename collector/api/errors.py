"""JSON error responses for the API, so clients never get an HTML error page."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from edgebench.collector.api import bp

API_PREFIX = "/api"


def error_response(status_code: int, message: str | None = None) -> tuple[dict[str, Any], int]:
    """Return a ``{"error": ..., "message": ...}`` body with ``status_code``."""
    body: dict[str, Any] = {"error": HTTP_STATUS_CODES.get(status_code, "Unknown error")}
    if message:
        body["message"] = message
    return body, status_code


@bp.errorhandler(HTTPException)
def handle_http_exception(exc: HTTPException) -> tuple[dict[str, Any], int]:
    """Render any HTTP error raised in an API view as JSON."""
    return error_response(exc.code or 500, exc.description)


@bp.app_errorhandler(HTTPException)
def handle_unrouted(exc: HTTPException) -> Any:
    """Answer errors raised before any view ran (unknown path, wrong method) under /api as JSON.

    Blueprint handlers only see errors of their own views; a URL that matches no route
    belongs to no blueprint, so without this an API client would get Flask's HTML page.
    """
    if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
        body, code = error_response(exc.code or 500, exc.description)
        headers = exc.get_headers() if exc.code == 405 else []  # keep the Allow header
        return body, code, [h for h in headers if h[0] == "Allow"]
    return exc
