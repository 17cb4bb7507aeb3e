"""JSON error responses for the API, so clients never get an HTML error page."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from edgebench.collector.api import bp


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
