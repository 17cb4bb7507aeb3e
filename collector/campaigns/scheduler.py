"""One scheduling pass: bring every campaign job up to date, then send what may go next.

The database holds all of a campaign's state, so a pass can start from nothing: after a
collector restart the first pass picks up where the last one left off. A pass, in one
transaction:

1. starts scheduled campaigns whose time has come (and schedules a daily one's next
   repetition);
2. follows each sent or running job through the run its command started
   (``tracking.follow_job``): running, done, failed, lost, retried or expired;
3. expires queued jobs whose campaign deadline has passed, and ends campaigns with
   nothing left to do;
4. sends each online device that has no job out (and whose cool-down has passed) its
   next queued job: of the oldest running campaign, the lowest position.

It returns the commands to publish; the caller publishes them only after the commit,
so a command never runs ahead of the database (a command lost between the two is found
lost and retried). Jobs are claimed with ``UPDATE ... WHERE state = 'queued'``, so a
cancel from the web process that commits first always wins.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from edgebench.collector.campaigns import planner, store
from edgebench.collector.campaigns.states import ACTIVE
from edgebench.collector.campaigns.tracking import follow_job
from edgebench.collector.models import Campaign, CampaignJob, Device, Run
from edgebench.shared.messages import CommandMessage

if TYPE_CHECKING:
    from datetime import tzinfo

    from sqlalchemy.engine import Engine


@dataclass
class PassReport:
    """What one pass did (for logs and tests)."""

    started: list[int] = field(default_factory=list)
    changed: int = 0
    commands: list[CommandMessage] = field(default_factory=list)


class Scheduler:
    """Runs passes on ``engine``; remembers since when each device has been online."""

    def __init__(
        self, engine: Engine, lost_timeout_s: float = 120.0, tz: tzinfo | None = None
    ) -> None:
        self.engine = engine
        self.lost_timeout_s = lost_timeout_s
        self.tz = tz
        # device -> when this scheduler first saw it online (its clock). A lost-job timeout
        # counts only while the device is online: an offline board still gets its command.
        self.online_since: dict[str, float] = {}

    def run_pass(self, now: float | None = None) -> PassReport:
        """Do one pass (see the module doc) and commit; return the commands to publish."""
        now = time.time() if now is None else now
        report = PassReport()
        with Session(self.engine, expire_on_commit=False) as session:
            if not self._anything_open(session):
                return report
            _serialize_passes(session)
            self._track_online(session, now)
            self._start_due(session, now, report)
            self._follow_active(session, now, report)
            self._expire_queued(session, now, report)
            self._finish_campaigns(session, now)
            self._dispatch(session, now, report)
            session.commit()
        return report

    @staticmethod
    def _anything_open(session: Session) -> bool:
        """Return whether any campaign is unfinished (the idle case costs this one query)."""
        stmt = sa.select(Campaign.id).where(Campaign.finished_at.is_(None)).limit(1)
        return session.execute(stmt).first() is not None

    def _track_online(self, session: Session, now: float) -> None:
        online = set(session.scalars(sa.select(Device.device_id).where(Device.status == "online")))
        for device in list(self.online_since):
            if device not in online:
                del self.online_since[device]
        for device in online:
            self.online_since.setdefault(device, now)

    def _start_due(self, session: Session, now: float, report: PassReport) -> None:
        due = session.scalars(
            sa.select(Campaign)
            .where(Campaign.state == "scheduled", Campaign.start_at <= now)
            .order_by(Campaign.start_at, Campaign.id)
        ).all()
        for campaign in due:
            if not store.claim_start(session, campaign.id):
                continue  # another collector process's pass started it
            store.start_campaign(session, campaign, now)
            store.schedule_next(session, campaign, now, self.tz)
            report.started.append(campaign.id)
        if due:
            session.flush()

    def _follow_active(self, session: Session, now: float, report: PassReport) -> None:
        rows = session.execute(
            sa.select(CampaignJob, Campaign)
            .join(Campaign, Campaign.id == CampaignJob.campaign_id)
            .where(CampaignJob.state.in_(ACTIVE))
        ).all()
        if not rows:
            return
        lost = self.lost_timeout_s
        runs = self._runs_of(session, [job.command_id for job, _ in rows if job.command_id])
        for job, campaign in rows:
            since = self.online_since.get(job.device_id)
            run = runs.get(job.command_id or "")
            if follow_job(job, campaign, run, now, since=since, lost_timeout_s=lost):
                report.changed += 1

    @staticmethod
    def _runs_of(session: Session, command_ids: list[str]) -> dict[str, Any]:
        """Return ``command_id -> run`` (a run with a result wins over a duplicate without)."""
        found: dict[str, Any] = {}
        if not command_ids:
            return found
        rows = session.execute(
            sa.select(
                Run.run_id,
                Run.command_id,
                Run.status,
                Run.error,
                Run.started_at,
                Run.result.is_not(None).label("has_result"),
            ).where(Run.command_id.in_(command_ids))
        )
        for row in rows:
            if row.command_id not in found or row.has_result:
                found[row.command_id] = row
        return found

    @staticmethod
    def _expire_queued(session: Session, now: float, report: PassReport) -> None:
        # Look before writing: an UPDATE takes SQLite's write lock even when it changes
        # nothing, and the ingest writer should not wait for that every tick.
        overdue = list(
            session.scalars(
                sa.select(Campaign.id).where(Campaign.state == "running", Campaign.deadline < now)
            )
        )
        if not overdue:
            return
        report.changed += session.execute(
            sa.update(CampaignJob)
            .where(CampaignJob.state == "queued", CampaignJob.campaign_id.in_(overdue))
            .values(
                state="expired",
                error="expired: the deadline passed before the job could be sent",
                finished_at=now,
            )
        ).rowcount

    @staticmethod
    def _finish_campaigns(session: Session, now: float) -> None:
        open_jobs = (
            sa.select(CampaignJob.id)
            .where(
                CampaignJob.campaign_id == Campaign.id,
                CampaignJob.state.in_(("queued", *ACTIVE)),
            )
            .exists()
        )
        finished = session.execute(
            sa.select(Campaign.id, Campaign.state).where(
                Campaign.state.in_(("running", "cancelled")),
                Campaign.finished_at.is_(None),
                ~open_jobs,
            )
        ).all()
        for campaign_id, state in finished:
            # Conditional: a cancel committed meanwhile by the web process wins.
            session.execute(
                sa.update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.state == state)
                .values(state="done" if state == "running" else state, finished_at=now)
                .execution_options(synchronize_session=False)
            )

    def _dispatch(self, session: Session, now: float, report: PassReport) -> None:
        busy = set(
            session.scalars(sa.select(CampaignJob.device_id).where(CampaignJob.state.in_(ACTIVE)))
        )
        idle = [d for d in self.online_since if d not in busy]
        if not idle:
            return
        waiting = (
            sa.select(CampaignJob.device_id)
            .join(Campaign)
            .where(
                CampaignJob.state == "queued",
                Campaign.state == "running",
                CampaignJob.device_id.in_(idle),
            )
        )
        for device_id in sorted(set(session.scalars(waiting.distinct()))):
            command = self._send_next(session, device_id, now)
            if command is not None:
                report.commands.append(command)

    def _send_next(self, session: Session, device_id: str, now: float) -> CommandMessage | None:
        """Claim the device's next job and build its command (None: cooling down or lost)."""
        row = session.execute(
            sa.select(CampaignJob, Campaign)
            .join(Campaign, Campaign.id == CampaignJob.campaign_id)
            .where(
                CampaignJob.device_id == device_id,
                CampaignJob.state == "queued",
                Campaign.state == "running",
            )
            .order_by(Campaign.created_at, Campaign.id, CampaignJob.position)
            .limit(1)
        ).first()
        if row is None:
            return None
        job, campaign = row
        last_end = session.scalar(
            sa.select(sa.func.max(CampaignJob.finished_at)).where(
                CampaignJob.device_id == device_id
            )
        )
        if last_end is not None and now < last_end + campaign.cooldown_s:
            return None
        command_id = uuid.uuid4().hex
        # The device must still have nothing out when the claim is written: another
        # collector process's pass may have claimed a job for it since our read.
        other = aliased(CampaignJob)
        device_busy = (
            sa.select(other.id)
            .where(other.device_id == device_id, other.state.in_(ACTIVE))
            .exists()
        )
        claimed = session.execute(
            sa.update(CampaignJob)
            .where(CampaignJob.id == job.id, CampaignJob.state == "queued", ~device_busy)
            .values(
                state="sent",
                attempts=CampaignJob.attempts + 1,
                command_id=command_id,
                sent_at=now,
                finished_at=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return None
        options = campaign.spec.get("options") or {}
        return CommandMessage(
            message_id=command_id,
            device_id=device_id,
            command="run",
            model=job.model,
            options=planner.command_options(options, job.backend, job.threads),
            expires_at=campaign.deadline,
            ts=now,
        )


# Any constant: the key of the PostgreSQL advisory lock that scheduling passes hold.
PASS_LOCK_KEY = 0x45444745_42434D50 & 0x7FFFFFFFFFFFFFFF


def _serialize_passes(session: Session) -> None:
    """Let one pass run at a time across collector processes (``--workers``, other hosts).

    PostgreSQL: a transaction-scoped advisory lock. SQLite has one writer anyway, and
    every write a pass makes is conditional (a job is claimed only while queued and its
    device has nothing out; a campaign is started only while scheduled), so concurrent
    passes cannot send a device two jobs or plan a campaign twice.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PASS_LOCK_KEY})
