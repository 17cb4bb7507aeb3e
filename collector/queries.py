"""Lookups of one device or run, and the rejected-message record; a session comes first.

Kept apart from the views (Flask-MonitoringDashboard's views → queries split) so the
dashboard, the JSON API, ``/metrics`` and tests share one implementation of each question.
Lists, facets and trends are in ``listing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from edgebench.collector.models import Device, RejectedMessage, Run

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session


def get_device(session: Session, device_id: str) -> Device | None:
    """Return one device by id, or None."""
    return session.get(Device, device_id)


def get_run(session: Session, run_id: str) -> Run | None:
    """Return one run by id, or None."""
    return session.get(Run, run_id)


def list_rejected(session: Session, *, limit: int) -> Sequence[RejectedMessage]:
    """Return the ``limit`` most recently rejected messages."""
    stmt = sa.select(RejectedMessage).order_by(RejectedMessage.last_at.desc()).limit(limit)
    return session.scalars(stmt).all()


def rejected_total(session: Session) -> int:
    """Return how many rejections the retained rows account for (sum of their counts)."""
    stmt = sa.select(sa.func.coalesce(sa.func.sum(RejectedMessage.count), 0))
    return int(session.execute(stmt).scalar_one())
