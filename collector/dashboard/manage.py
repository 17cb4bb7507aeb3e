"""Dashboard pages for operators and admins: delete a run, read the audit log.

Deleting is a POST from a form carrying a CSRF token (``collector/auth``), offered only
to operators and admins and refused (403, audited) for anyone else; the audit log page is
for admins. Everything shown goes through Jinja autoescaping.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from edgebench.collector import audit
from edgebench.collector.auth.access import requires
from edgebench.collector.dashboard import bp
from edgebench.collector.db import get_session
from edgebench.collector.webactions import runs as run_actions
from edgebench.collector.webargs import audit_args


@bp.post("/runs/<run_id>/delete")
@requires("operator", action="run.delete")
def delete_run(run_id: str) -> Response:
    """Delete a run with its samples and events, then show the runs list."""
    removed = run_actions.delete_run(run_id)
    if removed is None:
        abort(404, f"no run {run_id!r}")
    flash(f"Run {run_id} deleted ({removed['samples']} samples).")
    return redirect(url_for(".runs"), 303)


@bp.get("/audit")
@requires("admin")
def audit_page() -> str:
    """Show the audit log, newest first, a page at a time (``before_id``), with filters."""
    args = audit_args()
    events = [audit.event_dict(e) for e in audit.list_events(get_session(), **args)]
    older = events[-1]["id"] if len(events) == args["limit"] else None
    return render_template("dashboard/audit.html", events=events, args=args, older=older)
