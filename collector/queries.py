"""Read queries for the API and dashboard; every function takes a session first.

Kept apart from the views (Flask-MonitoringDashboard's views → queries split) so the
dashboard, the JSON API and tests share one implementation of each question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from edgebench.collector.models import Device, RejectedMessage, Run, Sample

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

MAX_LIMIT = 1000


def list_devices(session: Session) -> Sequence[Device]:
    """Return every device, most recently seen first."""
    return session.scalars(sa.select(Device).order_by(Device.last_seen.desc())).all()


def get_device(session: Session, device_id: str) -> Device | None:
    """Return one device by id, or None."""
    return session.get(Device, device_id)


def list_runs(
    session: Session,
    *,
    device_id: str | None = None,
    model: str | None = None,
    verdict: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Run]:
    """Return runs, newest first, optionally filtered by device, model name or sha256, verdict."""
    stmt = sa.select(Run)
    if device_id:
        stmt = stmt.where(Run.device_id == device_id)
    if model:
        stmt = stmt.where(sa.or_(Run.model_name == model, Run.model_sha256 == model))
    if verdict:
        stmt = stmt.where(Run.verdict == verdict)
    # Runs still waiting for run_started have no start time: order them by arrival.
    started = sa.func.coalesce(Run.started_at, Run.received_at)
    stmt = stmt.order_by(started.desc(), Run.run_id).limit(_clamp(limit)).offset(max(offset, 0))
    return session.scalars(stmt).all()


def count_runs(session: Session, *, device_id: str | None = None) -> int:
    """Return the number of runs (of one device if given)."""
    stmt = sa.select(sa.func.count()).select_from(Run)
    if device_id:
        stmt = stmt.where(Run.device_id == device_id)
    return session.execute(stmt).scalar_one()


def get_run(session: Session, run_id: str) -> Run | None:
    """Return one run by id, or None."""
    return session.get(Run, run_id)


def run_samples(session: Session, run_id: str, *, limit: int | None = None) -> Sequence[Sample]:
    """Return a run's telemetry samples in time order (uses the (run_id, t) index)."""
    stmt = sa.select(Sample).where(Sample.run_id == run_id).order_by(Sample.t)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


def count_samples(session: Session, run_id: str | None = None) -> int:
    """Return the number of stored samples (of one run if given)."""
    stmt = sa.select(sa.func.count()).select_from(Sample)
    if run_id is not None:
        stmt = stmt.where(Sample.run_id == run_id)
    return session.execute(stmt).scalar_one()


def list_rejected(session: Session, *, limit: int = 100) -> Sequence[RejectedMessage]:
    """Return the most recently rejected messages."""
    stmt = sa.select(RejectedMessage).order_by(RejectedMessage.last_at.desc()).limit(_clamp(limit))
    return session.scalars(stmt).all()


def rejected_total(session: Session) -> int:
    """Return how many rejections the retained rows account for (sum of their counts)."""
    stmt = sa.select(sa.func.coalesce(sa.func.sum(RejectedMessage.count), 0))
    return int(session.execute(stmt).scalar_one())


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))
