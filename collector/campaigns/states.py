"""Job and campaign states, and what a run's outcome does to a job (pure, no database).

A job is ``queued`` until the scheduler sends its command (``sent``), ``running`` once
the device's run_started names that command, and ends ``done`` (a result is stored),
``failed`` (the run failed, or was lost, with no retry left), ``cancelled`` (the campaign
was cancelled before the job was sent) or ``expired`` (the deadline passed first, or the
device refused the command as expired). A failed or lost attempt goes back to
``queued`` while the campaign's retry policy allows; the next attempt gets a new
command id. The transitions are drawn in ``docs/campaigns.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

JobState = Literal["queued", "sent", "running", "done", "failed", "cancelled", "expired"]
JOB_STATES: tuple[JobState, ...] = (
    "queued",
    "sent",
    "running",
    "done",
    "failed",
    "cancelled",
    "expired",
)
# A job holds its device while its command is out: one job at a time per device.
ACTIVE: tuple[JobState, ...] = ("sent", "running")
FINAL: tuple[JobState, ...] = ("done", "failed", "cancelled", "expired")

CampaignState = Literal["scheduled", "running", "done", "cancelled"]
CAMPAIGN_STATES: tuple[CampaignState, ...] = ("scheduled", "running", "done", "cancelled")

# The agent's run_failed error lines the collector recognises (campaign contract §1).
EXPIRED_PREFIX = "expired:"
RESTART_PREFIXES = ("interrupted:", "lost:")


@dataclass(frozen=True)
class Outcome:
    """Where a job goes after an attempt ended: its next state and the error it keeps."""

    state: JobState
    error: str | None


def failure_outcome(error: str, attempts: int, retries: int) -> Outcome:
    """Decide a failed attempt: expired (never retried), retried, or failed for good.

    ``attempts`` counts the attempts made so far, the one that just failed included;
    the job is tried again while ``attempts <= retries``.
    """
    line = error.strip().splitlines()[0] if error.strip() else "failed"
    if line.startswith(EXPIRED_PREFIX):
        return Outcome("expired", line)
    if attempts <= retries:
        return Outcome("queued", line)
    return Outcome("failed", line)


def campaign_finished(counts: dict[str, int]) -> bool:
    """Return whether no job of a campaign can change any more (counts by state)."""
    return not any(counts.get(state, 0) for state in ("queued", *ACTIVE))
