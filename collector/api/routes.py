"""API views: thin wrappers over ``collector.queries`` returning JSON.

Devices and runs are served by ``fleet.py``, comparisons by ``compare.py``, live
events by ``events.py`` and the OpenAPI document by ``openapi.py``.
"""

from __future__ import annotations

from typing import Any

from edgebench.collector import queries
from edgebench.collector.api import bp
from edgebench.collector.db import get_session
from edgebench.collector.serialize import rejected_dict
from edgebench.collector.webargs import int_arg


@bp.get("/rejected")
def rejected() -> dict[str, Any]:
    """Recently rejected messages with their reasons and counts."""
    session = get_session()
    rows = queries.list_rejected(session, limit=int_arg("limit", 100, 1, 1000))
    return {"total": queries.rejected_total(session), "items": [rejected_dict(r) for r in rows]}
