"""The audit log: who did what, when, from where, and how it ended.

Every login, failed login, logout, account or token change and state-changing request is
recorded here, by the web layer and by the command line alike. ``record`` adds the row to
the caller's session so it commits with the change it describes; a refused attempt (which
changes nothing else) is committed on its own by the caller.
"""

from __future__ import annotations

import getpass
import socket
import time
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from edgebench.collector.models import AuditEvent

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

Outcome = Literal["ok", "denied", "failed"]
DEFAULT_LIMIT = 200
MAX_LIMIT = 5_000


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    outcome: Outcome = "ok",
    target: str | None = None,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (committed with the caller's transaction)."""
    event = AuditEvent(
        at=time.time(),
        actor=actor[:160],
        address=None if address is None else address[:64],
        action=action[:64],
        target=None if target is None else target[:255],
        outcome=outcome,
        detail=detail,
    )
    session.add(event)
    return event


def record_cli(
    session: Session, action: str, target: str, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Add one audit event for a change made on this machine's command line."""
    actor, address = _cli_actor()
    return record(
        session, actor=actor, address=address, action=action, target=target, detail=detail
    )


def _cli_actor() -> tuple[str, str]:
    """Return (actor, address) for a change made on the command line."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        who = "unknown"
    return f"cli ({who})", socket.gethostname()


def list_events(
    session: Session,
    *,
    limit: int = DEFAULT_LIMIT,
    before_id: int | None = None,
    action: str | None = None,
    actor: str | None = None,
) -> Sequence[AuditEvent]:
    """Return the newest events first, optionally before an id (paging) or filtered."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(min(limit, MAX_LIMIT))
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    return session.scalars(stmt).all()


def event_dict(event: AuditEvent) -> dict[str, Any]:
    """Return an event as the JSON API and the audit page show it."""
    return {
        "id": event.id,
        "at": event.at,
        "actor": event.actor,
        "address": event.address,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "detail": event.detail,
    }
