"""Creating, starting, repeating and cancelling campaigns; the caller's session commits.

The web process creates and cancels campaigns; the scheduler (ingest process) starts the
scheduled ones and their next repetitions. Both call these functions, so a campaign is
built the same way whoever starts it. Devices are chosen when the campaign starts: a
``device_filter`` of a nightly campaign picks up boards added since the last night.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from edgebench.collector.campaigns import planner
from edgebench.collector.campaigns.schedule import next_daily
from edgebench.collector.campaigns.spec import (
    DEFAULT_DEADLINE_S,
    CampaignSpec,
    DeviceFilter,
)
from edgebench.collector.models import Campaign, CampaignJob, Device
from edgebench.collector.modelstore import get_model
from edgebench.shared.errors import SchemaError
from edgebench.shared.storemodel import store_digest

if TYPE_CHECKING:
    from datetime import tzinfo

    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Preview:
    """What a campaign would do now: its devices, job count and duration estimate."""

    devices: list[str]
    jobs: int
    estimate: planner.Estimate

    def to_dict(self) -> dict[str, Any]:
        """Return the preview as the API answers it."""
        return {
            "devices": self.devices,
            "jobs": self.jobs,
            "configurations": self.jobs // max(1, len(self.devices)),
            "estimated_s": round(self.estimate.total_s, 1),
            "job_s": round(self.estimate.job_s, 1),
            "per_device_s": {d: round(s, 1) for d, s in self.estimate.per_device_s.items()},
        }


def check_stored_models(session: Session, spec: CampaignSpec) -> None:
    """Raise SchemaError if a ``sha256:`` model is not in the collector's model store."""
    for i, model in enumerate(spec.models):
        digest = store_digest(model) if model is not None else None
        if digest is not None and get_model(session, digest) is None:
            raise SchemaError(
                f"models[{i}]: {model} is not in the model store;"
                " upload it first (Models page or POST /api/models)"
            )


def select_devices(session: Session, spec: CampaignSpec) -> list[str]:
    """Return the campaign's device ids, or raise SchemaError (unknown id, no match)."""
    if spec.devices is not None:
        known = set(
            session.scalars(sa.select(Device.device_id).where(Device.device_id.in_(spec.devices)))
        )
        unknown = [d for d in spec.devices if d not in known]
        if unknown:
            raise SchemaError(
                f"devices: no device {unknown[0]!r} has reported to this collector"
                " (GET /api/devices lists them)"
            )
        return list(spec.devices)
    flt = spec.device_filter or DeviceFilter()
    rows = session.execute(
        sa.select(Device.device_id, Device.board, Device.architecture, Device.facts).order_by(
            Device.device_id
        )
    )
    chosen = [row.device_id for row in rows if _matches(flt, row)]
    if not chosen:
        raise SchemaError("device_filter: matches no device (GET /api/devices lists them)")
    return chosen


def _matches(flt: DeviceFilter, row: Any) -> bool:
    """Board and architecture compare without case; every tag must be among the device's."""
    if flt.board is not None and (row.board or "").casefold() != flt.board.casefold():
        return False
    if flt.architecture is not None and (
        (row.architecture or "").casefold() != flt.architecture.casefold()
    ):
        return False
    tags = (row.facts or {}).get("tags") or []
    return all(tag in tags for tag in flt.tags)


def preview(session: Session, spec: CampaignSpec) -> Preview:
    """Return what the campaign would run if it started now."""
    check_stored_models(session, spec)
    devices = select_devices(session, spec)
    jobs = planner.plan_jobs(spec, devices, spec.seed or 0)
    return Preview(devices, len(jobs), planner.estimate(spec, jobs))


def create_campaign(
    session: Session, spec: CampaignSpec, actor: str, now: float, tz: tzinfo | None = None
) -> tuple[Campaign, int]:
    """Store a new campaign, started at once or scheduled for its first daily time.

    Returns the campaign (flushed: it has its id) and how many jobs it has (0 until a
    scheduled one starts).
    """
    check_stored_models(session, spec)
    select_devices(session, spec)  # refuse a typo now, not at 02:30
    seed = spec.seed if spec.seed is not None else secrets.randbelow(2**31)
    spec = msgspec.structs.replace(spec, seed=seed)
    campaign = Campaign(
        name=spec.name,
        spec=msgspec.to_builtins(spec),
        state="scheduled",
        created_by=actor,
        created_at=now,
        seed=seed,
        ordering=spec.order,
        retries=spec.retries,
        cooldown_s=spec.cooldown_s,
        schedule=spec.schedule.daily_at if spec.schedule else None,
    )
    session.add(campaign)
    session.flush()
    if spec.schedule is not None:
        campaign.start_at = next_daily(spec.schedule.daily_at, now, tz)
        return campaign, 0
    return campaign, start_campaign(session, campaign, now)


def spec_of(campaign: Campaign) -> CampaignSpec:
    """Return a stored campaign's spec as the typed struct."""
    return msgspec.convert(campaign.spec, type=CampaignSpec)


def claim_start(session: Session, campaign_id: int) -> bool:
    """Mark a scheduled campaign running, unless another process did first (or it was cancelled)."""
    return bool(
        session.execute(
            sa.update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.state == "scheduled")
            .values(state="running")
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def start_campaign(session: Session, campaign: Campaign, now: float) -> int:
    """Plan and store the campaign's jobs and mark it running; return the job count.

    A scheduled campaign whose filter matches no device any more ends at once, done with
    no jobs, rather than failing the scheduler.
    """
    spec = spec_of(campaign)
    try:
        devices = select_devices(session, spec)
    except SchemaError:
        devices = []
    jobs = planner.plan_jobs(spec, devices, campaign.seed)
    session.add_all(
        CampaignJob(
            campaign_id=campaign.id,
            device_id=job.device_id,
            model=job.model,
            backend=job.backend,
            threads=job.threads,
            repetition=job.repetition,
            position=job.position,
            state="queued",
            attempts=0,
        )
        for job in jobs
    )
    campaign.state = "running" if jobs else "done"
    campaign.started_at = now
    campaign.finished_at = None if jobs else now
    campaign.deadline = now + (spec.deadline_s or DEFAULT_DEADLINE_S)
    return len(jobs)


def schedule_next(
    session: Session, campaign: Campaign, now: float, tz: tzinfo | None = None
) -> Campaign | None:
    """Create the next repetition of a daily campaign (scheduled), linked to this one."""
    if campaign.schedule is None:
        return None
    # A new order every night: a fixed one would put the same configuration first (on
    # the coolest board) every time.
    seed = secrets.randbelow(2**31)
    follower = Campaign(
        name=campaign.name,
        spec={**campaign.spec, "seed": seed},
        state="scheduled",
        created_by=campaign.created_by,
        created_at=now,
        start_at=next_daily(campaign.schedule, max(now, campaign.start_at or now), tz),
        seed=seed,
        ordering=campaign.ordering,
        retries=campaign.retries,
        cooldown_s=campaign.cooldown_s,
        schedule=campaign.schedule,
        previous_campaign_id=campaign.id,
    )
    session.add(follower)
    return follower


def cancel_campaign(session: Session, campaign_id: int, now: float) -> dict[str, Any] | None:
    """Cancel a campaign: queued jobs end cancelled, sent and running ones are let finish.

    Returns what changed (for the audit log), or None when there is no such campaign.
    Cancelling a daily campaign's scheduled repetition ends the chain.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    before = campaign.state
    cancelled = session.execute(
        sa.update(CampaignJob)
        .where(CampaignJob.campaign_id == campaign_id, CampaignJob.state == "queued")
        .values(state="cancelled", finished_at=now)
    ).rowcount
    if campaign.state in ("scheduled", "running"):
        campaign.state = "cancelled"
        campaign.cancelled_at = now
    return {"state_before": before, "state": campaign.state, "jobs_cancelled": cancelled}
