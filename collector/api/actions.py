"""Operator actions of the JSON API: ``DELETE /api/runs/<run_id>``.

Each needs the operator role through a token with ``operate`` scope (or an operator's
browser session with a CSRF token), is refused with 403 otherwise (audited), and records
who changed what in the audit log in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from edgebench.collector import queries
from edgebench.collector.api import bp
from edgebench.collector.auth.access import requires
from edgebench.collector.auth.identity import record_event
from edgebench.collector.db import get_session


@bp.delete("/runs/<run_id>")
@requires("operator", action="run.delete")
def delete_run(run_id: str) -> dict[str, Any]:
    """Delete a run with its samples and events."""
    session = get_session()
    removed = queries.delete_run(session, run_id)
    if removed is None:
        abort(404, f"no run {run_id!r}")
    record_event(session, action="run.delete", target=run_id, detail=removed)
    session.commit()
    return {"run_id": run_id, "deleted": True, **removed}
