"""API views: thin wrappers over ``collector.queries`` returning JSON.

Devices and runs are served by ``fleet.py``, comparisons by ``compare.py``, live
events by ``events.py`` and the OpenAPI document by ``openapi.py``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request

from edgebench.collector import queries
from edgebench.collector.api import bp
from edgebench.collector.api.serialize import rejected_dict
from edgebench.collector.db import get_session


def _int_arg(name: str, default: int) -> int:
    """Read an integer query parameter or answer 400."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        abort(400, f"query parameter {name!r} must be an integer")


@bp.get("/rejected")
def rejected() -> dict[str, Any]:
    """Recently rejected messages with their reasons and counts."""
    session = get_session()
    rows = queries.list_rejected(session, limit=_int_arg("limit", 100))
    return {"total": queries.rejected_total(session), "items": [rejected_dict(r) for r in rows]}
