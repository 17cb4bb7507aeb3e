"""Following one sent or running job through the run its command started (no queries).

``runs`` rows carry the ``command_id`` of run_started / run_failed, so the scheduler
finds each job's run and hands it here with the job and its campaign:

- a stored result with status ``complete``: done, linked to its run;
- run_failed, or a result that is not complete: a failed attempt;
- a run without a result yet: running; lost when it stays silent, the device online,
  longer than its longest possible duration (``planner.longest_job_s``) plus the lost
  timeout;
- no run: lost when the device has been online for the lost timeout since the command
  was sent; expired when the campaign's deadline is that long past (an offline device
  that returns refuses the expired command anyway).

A failed or lost attempt is retried with a new command id while the campaign's
``retries`` allow (``states.failure_outcome``), but never in a cancelled or overdue
campaign.
"""

from __future__ import annotations

from typing import Any

from edgebench.collector.campaigns import planner
from edgebench.collector.campaigns.states import failure_outcome
from edgebench.collector.models import Campaign, CampaignJob


def follow_job(
    job: CampaignJob,
    campaign: Campaign,
    run: Any,
    now: float,
    *,
    since: float | None,
    lost_timeout_s: float,
) -> bool:
    """Move one sent/running job along; return whether it changed.

    ``run`` is the job's run row (None: none yet); ``since``: when the scheduler saw
    the device come online (None: offline now).
    """
    if run is not None and run.has_result:
        if run.status == "complete":
            return _end(job, "done", None, now, run.run_id)
        return fail_attempt(
            job,
            campaign,
            run.error or f"{run.status}: the run ended without a complete result",
            now,
            run,
        )
    if run is not None and run.status == "failed":
        return fail_attempt(job, campaign, run.error or "failed", now, run)
    # Silence counts only while the device is online: an offline board gets its
    # command (queued at the broker) when it returns.
    if run is not None:
        changed = job.state != "running" or job.run_id != run.run_id
        job.state, job.run_id = "running", run.run_id
        job.started_at = job.started_at or now
        limit = planner.longest_job_s(campaign.spec.get("options") or {}) + lost_timeout_s
        quiet = now - max(job.started_at, since or now)
        if since is not None and quiet > limit:
            return fail_attempt(job, campaign, f"lost: no result {quiet:.0f} s after start", now)
        return changed
    waited = now - max(job.sent_at or now, since or now)
    if since is not None and waited > lost_timeout_s:
        return fail_attempt(job, campaign, f"lost: no run {waited:.0f} s after the command", now)
    if campaign.deadline is not None and now > campaign.deadline + lost_timeout_s:
        return _end(job, "expired", "expired: the device did not take the command in time", now)
    return False


def fail_attempt(
    job: CampaignJob, campaign: Campaign, error: str, now: float, run: Any = None
) -> bool:
    """End an attempt that failed: retry it, or end the job failed or expired."""
    outcome = failure_outcome(error, job.attempts, campaign.retries)
    state = outcome.state
    if state == "queued" and (campaign.state != "running" or _past(campaign, now)):
        state = "failed"  # no retry in a cancelled or overdue campaign
    if state == "queued":
        job.state, job.command_id, job.run_id = "queued", None, None
        job.error, job.sent_at, job.started_at = outcome.error, None, None
        job.finished_at = now  # the cool-down counts from the failed attempt
        return True
    return _end(job, state, outcome.error, now, run.run_id if run is not None else job.run_id)


def _past(campaign: Campaign, now: float) -> bool:
    return campaign.deadline is not None and now > campaign.deadline


def _end(
    job: CampaignJob, state: str, error: str | None, now: float, run_id: str | None = None
) -> bool:
    """End a job in ``state``; always a change."""
    job.state, job.error, job.finished_at, job.run_id = state, error, now, run_id
    return True
