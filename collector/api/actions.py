"""Operator actions of the JSON API: ``DELETE /api/runs/<run_id>``.

Each needs the operator role through a token with ``operate`` scope (or an operator's
browser session with a CSRF token), is refused with 403 otherwise (audited), and records
who changed what in the audit log in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from edgebench.collector.api import bp
from edgebench.collector.auth.access import requires
from edgebench.collector.webactions import runs as run_actions


@bp.delete("/runs/<run_id>")
@requires("operator", action="run.delete")
def delete_run(run_id: str) -> dict[str, Any]:
    """Delete a run with its samples and events."""
    removed = run_actions.delete_run(run_id)
    if removed is None:
        abort(404, f"no run {run_id!r}")
    return {"run_id": run_id, "deleted": True, **removed}
