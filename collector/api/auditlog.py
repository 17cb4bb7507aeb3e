"""``GET /api/audit``: the audit log for admins, newest first, paged by ``before_id``."""

from __future__ import annotations

from typing import Any

from edgebench.collector import audit
from edgebench.collector.api import bp
from edgebench.collector.auth.access import requires
from edgebench.collector.db import get_session
from edgebench.collector.webargs import audit_args


@bp.get("/audit")
@requires("admin")
def audit_log() -> dict[str, Any]:
    """Return audit events (``limit``, ``before_id``, ``action``, ``actor`` filters)."""
    args = audit_args()
    items = [audit.event_dict(e) for e in audit.list_events(get_session(), **args)]
    more = len(items) == args["limit"]
    return {"items": items, "next_before_id": items[-1]["id"] if more else None}
