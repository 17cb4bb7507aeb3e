"""Lookups of one device or run, deleting a run, the rejected record; a session comes first.

Kept apart from the views (Flask-MonitoringDashboard's views → queries split) so the
dashboard, the JSON API, ``/metrics`` and tests share one implementation of each question.
Lists, facets and trends are in ``listing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector.models import Device, RejectedMessage, Run, RunEvent, Sample

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session


def get_device(session: Session, device_id: str) -> Device | None:
    """Return one device by id, or None."""
    return session.get(Device, device_id)


def get_run(session: Session, run_id: str) -> Run | None:
    """Return one run by id, or None."""
    return session.get(Run, run_id)


def delete_run(session: Session, run_id: str) -> dict[str, Any] | None:
    """Delete a run with its samples and events (caller commits); None if there is none.

    Returns what went, for the audit log. The rows are deleted explicitly rather than by
    the foreign keys' ON DELETE CASCADE, which SQLite applies only with its pragma on.
    Meant for finished runs: a late message for the run is not stored as a new run
    (ingest remembers which device owns it), so its rows are refused or change nothing.
    """
    run = session.get(Run, run_id)
    if run is None:
        return None
    device_id = run.device_id
    samples = session.execute(sa.delete(Sample).where(Sample.run_id == run_id)).rowcount
    events = session.execute(sa.delete(RunEvent).where(RunEvent.run_id == run_id)).rowcount
    session.execute(sa.delete(Run).where(Run.run_id == run_id))
    return {"device_id": device_id, "samples": samples, "events": events}


def list_rejected(session: Session, *, limit: int) -> Sequence[RejectedMessage]:
    """Return the ``limit`` most recently rejected messages."""
    stmt = sa.select(RejectedMessage).order_by(RejectedMessage.last_at.desc()).limit(limit)
    return session.scalars(stmt).all()


def rejected_total(session: Session) -> int:
    """Return how many rejections the retained rows account for (sum of their counts)."""
    stmt = sa.select(sa.func.coalesce(sa.func.sum(RejectedMessage.count), 0))
    return int(session.execute(stmt).scalar_one())
