"""Deleting a run for a web request, with its audit event (API and dashboard)."""

from __future__ import annotations

from typing import Any

from edgebench.collector import queries
from edgebench.collector.auth.identity import record_event
from edgebench.collector.db import get_session


def delete_run(run_id: str) -> dict[str, Any] | None:
    """Delete the run with its samples and events, audit it and commit; None if no such run.

    Returns what was removed (counts of samples and events).
    """
    session = get_session()
    removed = queries.delete_run(session, run_id)
    if removed is None:
        return None
    record_event(session, action="run.delete", target=run_id, detail=removed)
    session.commit()
    return removed
