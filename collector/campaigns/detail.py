"""What the API and the dashboard show of campaigns: lists, counts, ETA, jobs, history.

Query functions take a session first (the flaskr shape of ``collector/queries.py``) and
return plain dicts, ready for JSON. A campaign's page shows every job with its state,
run and error, the live progress of running jobs, an ETA, and for each configuration
(device × model × backend × threads) its p50 latency in this campaign and in the
repetitions before it (a daily campaign's chain), so a regression stands out.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector.campaigns import planner
from edgebench.collector.campaigns.states import ACTIVE, JOB_STATES
from edgebench.collector.models import Campaign, CampaignJob, Run, RunEvent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# How many earlier repetitions the p50 history reaches back.
HISTORY_DEPTH = 30


def _counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """Return ``campaign id -> {state: jobs}`` with every state present."""
    counts = {cid: dict.fromkeys(JOB_STATES, 0) for cid in ids}
    if ids:
        rows = session.execute(
            sa.select(CampaignJob.campaign_id, CampaignJob.state, sa.func.count())
            .where(CampaignJob.campaign_id.in_(ids))
            .group_by(CampaignJob.campaign_id, CampaignJob.state)
        )
        for cid, state, n in rows:
            counts[cid][state] = n
    return counts


def summary(campaign: Campaign, counts: dict[str, int]) -> dict[str, Any]:
    """Return a campaign's list entry."""
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "state": campaign.state,
        "created_by": campaign.created_by,
        "created_at": campaign.created_at,
        "start_at": campaign.start_at,
        "started_at": campaign.started_at,
        "finished_at": campaign.finished_at,
        "deadline": campaign.deadline,
        "schedule": campaign.schedule,
        "previous_campaign_id": campaign.previous_campaign_id,
        "job_count": sum(counts.values()),
        "counts": counts,
    }


def list_campaigns(
    session: Session, *, limit: int = DEFAULT_LIMIT, state: str | None = None
) -> list[dict[str, Any]]:
    """Return the newest campaigns first, with their job counts by state."""
    stmt = sa.select(Campaign).order_by(Campaign.id.desc()).limit(min(limit, MAX_LIMIT))
    if state:
        stmt = stmt.where(Campaign.state == state)
    campaigns = session.scalars(stmt).all()
    counts = _counts(session, [c.id for c in campaigns])
    return [summary(c, counts[c.id]) for c in campaigns]


def campaign_detail(session: Session, campaign_id: int, now: float) -> dict[str, Any] | None:
    """Return one campaign with its spec, ETA, jobs and p50 history; None if unknown."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    jobs = session.scalars(
        sa.select(CampaignJob)
        .where(CampaignJob.campaign_id == campaign_id)
        .order_by(CampaignJob.device_id, CampaignJob.position)
    ).all()
    counts = dict.fromkeys(JOB_STATES, 0)
    for job in jobs:
        counts[job.state] += 1
    progress = _progress(session, [j.run_id for j in jobs if j.state == "running" and j.run_id])
    eta = _eta_s(campaign, jobs, now)
    return summary(campaign, counts) | {
        "spec": campaign.spec,
        "seed": campaign.seed,
        "order": campaign.ordering,
        "retries": campaign.retries,
        "cooldown_s": campaign.cooldown_s,
        "cancelled_at": campaign.cancelled_at,
        "eta_s": eta,
        "eta_at": None if eta is None else now + eta,
        "jobs": [_job_dict(j, progress.get(j.run_id or "")) for j in jobs],
        "run_ids": [j.run_id for j in jobs if j.state == "done" and j.run_id],
        "configurations": _history(session, campaign),
    }


def _job_dict(job: CampaignJob, progress: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "device_id": job.device_id,
        "model": job.model,
        "backend": job.backend,
        "threads": job.threads,
        "repetition": job.repetition,
        "position": job.position,
        "state": job.state,
        "attempts": job.attempts,
        "command_id": job.command_id,
        "run_id": job.run_id,
        "error": job.error,
        "sent_at": job.sent_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "progress": progress,
    }


def _progress(session: Session, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return each running run's latest progress event (phase, done, elapsed_s)."""
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    if not run_ids:
        return {}
    rows = session.execute(
        sa.select(RunEvent.run_id, RunEvent.seq, RunEvent.data).where(
            RunEvent.run_id.in_(run_ids), RunEvent.kind == "run_progress"
        )
    )
    for run_id, seq, data in rows:
        if run_id not in latest or (seq or 0) > latest[run_id][0]:
            keep = {k: (data or {}).get(k) for k in ("phase", "done", "elapsed_s")}
            latest[run_id] = (seq or 0, keep)
    return {run_id: data for run_id, (_, data) in latest.items()}


def _eta_s(campaign: Campaign, jobs: Any, now: float) -> float | None:
    """Seconds until the busiest device is through its remaining jobs (None when finished).

    A device's pace is its measured mean in this campaign once it has finished a job,
    the options' estimate before that (``planner.expected_job_s``).
    """
    if campaign.state not in ("running", "scheduled"):
        return None
    guess = planner.expected_job_s(campaign.spec.get("options") or {}) + campaign.cooldown_s
    remaining: dict[str, int] = {}
    took: dict[str, list[float]] = {}
    for job in jobs:
        if job.state in ("queued", *ACTIVE):
            remaining[job.device_id] = remaining.get(job.device_id, 0) + 1
        elif job.state == "done" and job.sent_at and job.finished_at:
            took.setdefault(job.device_id, []).append(job.finished_at - job.sent_at)
    per_device = [
        n * (statistics.fmean(took[d]) + campaign.cooldown_s if d in took else guess)
        for d, n in remaining.items()
    ]
    ahead = max(0.0, (campaign.start_at or now) - now) if campaign.state == "scheduled" else 0.0
    return round(ahead + max(per_device, default=0.0), 1)


def _chain(session: Session, campaign: Campaign) -> list[Campaign]:
    """Return this campaign and the repetitions before it, oldest first."""
    chain = [campaign]
    while len(chain) < HISTORY_DEPTH and chain[-1].previous_campaign_id is not None:
        previous = session.get(Campaign, chain[-1].previous_campaign_id)
        if previous is None:
            break
        chain.append(previous)
    return chain[::-1]


def _history(session: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """Return each configuration's p50 (median over repetitions) per campaign of the chain.

    Every configuration of this campaign's jobs is listed, and those of earlier
    repetitions that have a measured p50.
    """
    chain = _chain(session, campaign)
    rows = session.execute(
        sa.select(
            CampaignJob.campaign_id,
            CampaignJob.device_id,
            CampaignJob.model,
            CampaignJob.backend,
            CampaignJob.threads,
            Run.latency_p50_ms,
        )
        .join(Run, Run.run_id == CampaignJob.run_id)
        .where(
            CampaignJob.campaign_id.in_([c.id for c in chain]),
            CampaignJob.state == "done",
            Run.latency_p50_ms.is_not(None),
        )
    )
    values: dict[tuple[Any, ...], dict[int, list[float]]] = {}
    for cid, device, model, backend, threads, p50 in rows:
        values.setdefault((device, model, backend, threads), {}).setdefault(cid, []).append(p50)
    # This campaign's configurations not measured yet are listed too (p50 null), so the
    # page has their row from the start and fills it in as their jobs finish.
    planned = sa.select(
        CampaignJob.device_id, CampaignJob.model, CampaignJob.backend, CampaignJob.threads
    ).where(CampaignJob.campaign_id == campaign.id)
    for key in session.execute(planned.distinct()):
        values.setdefault(tuple(key), {})
    out = []
    for (device, model, backend, threads), by_campaign in sorted(values.items(), key=_key):
        history = [
            {
                "campaign_id": c.id,
                "started_at": c.started_at,
                "p50_ms": statistics.median(by_campaign[c.id]),
                "runs": len(by_campaign[c.id]),
            }
            for c in chain
            if c.id in by_campaign
        ]
        current = by_campaign.get(campaign.id)
        out.append(
            {
                "device_id": device,
                "model": model,
                "backend": backend,
                "threads": threads,
                "p50_ms": statistics.median(current) if current else None,
                "history": history,
            }
        )
    return out


def _key(item: tuple[tuple[Any, ...], Any]) -> tuple[str, str, str, int]:
    device, model, backend, threads = item[0]
    return (device, model or "", backend, threads or 0)
