"""API view of the rejected-message record (``/api/rejected``).

The other API views live in their own modules: devices and runs in ``fleet.py``,
comparisons in ``compare.py``, live events in ``events.py``, the OpenAPI document in
``openapi.py``.
"""

from __future__ import annotations

from typing import Any

from edgebench.collector import queries
from edgebench.collector.api import bp
from edgebench.collector.db import get_session
from edgebench.collector.runfilter import MAX_LIMIT
from edgebench.collector.serialize import rejected_dict
from edgebench.collector.webargs import int_arg


@bp.get("/rejected")
def rejected() -> dict[str, Any]:
    """Recently rejected messages with their reasons and counts."""
    session = get_session()
    rows = queries.list_rejected(session, limit=int_arg("limit", 100, 1, MAX_LIMIT))
    return {"total": queries.rejected_total(session), "items": [rejected_dict(r) for r in rows]}
