"""What operators upload and plan: stored models and campaigns with their jobs.

A stored model's bytes are a file (``collector/modelstore.py``); a campaign names stored
models by ``sha256:<hex>`` and is planned into jobs, one run of one device each
(docs/campaigns.md).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from edgebench.collector.models.base import (
    TABLE_CAMPAIGN_JOBS,
    TABLE_CAMPAIGNS,
    TABLE_STORED_MODELS,
    Base,
    JSONType,
)


class StoredModel(Base):
    """A model uploaded to the collector, named by the sha256 of its bytes.

    The bytes are ``models/<sha256>.tflite`` in the store's folder; ``inspection`` is the
    shared inspector's summary (ops histogram, inputs, outputs, MACs, parameters).
    """

    __tablename__ = TABLE_STORED_MODELS

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # The uploader's name for it: untrusted text, shown escaped, never used as a path.
    name: Mapped[str] = mapped_column(sa.String(255))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    inspection: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Who uploaded it, as the audit log names them.
    uploaded_by: Mapped[str] = mapped_column(sa.String(160))
    uploaded_at: Mapped[float] = mapped_column(sa.Double, index=True)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"StoredModel({self.sha256[:12]!r}, name={self.name!r})"


class Campaign(Base):
    """A planned set of benchmark jobs across devices (``collector/campaigns``).

    ``spec`` is the validated request (``campaigns.spec.CampaignSpec``); the columns
    repeat what the scheduler filters and orders on. A daily ``schedule`` ("HH:MM" in the
    collector's time zone) makes each repetition a new campaign whose
    ``previous_campaign_id`` is the one before it.
    """

    __tablename__ = TABLE_CAMPAIGNS
    __table_args__ = (sa.Index("ix_campaigns_state", "state"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # scheduled | running | done | cancelled (campaigns.states).
    state: Mapped[str] = mapped_column(sa.String(16))
    created_by: Mapped[str] = mapped_column(sa.String(160))
    created_at: Mapped[float] = mapped_column(sa.Double)
    # When a scheduled campaign starts (None: at once); when it started and finished.
    start_at: Mapped[float | None] = mapped_column(sa.Double)
    started_at: Mapped[float | None] = mapped_column(sa.Double)
    finished_at: Mapped[float | None] = mapped_column(sa.Double)
    # Jobs not sent by then expire; every command's expires_at is at most this.
    deadline: Mapped[float | None] = mapped_column(sa.Double)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    ordering: Mapped[str] = mapped_column(sa.String(16))
    # How many times a failed or lost job is tried again (each try a new command id).
    retries: Mapped[int]
    cooldown_s: Mapped[float] = mapped_column(sa.Float)
    schedule: Mapped[str | None] = mapped_column(sa.String(16))
    previous_campaign_id: Mapped[int | None] = mapped_column(
        sa.Integer, sa.ForeignKey(f"{TABLE_CAMPAIGNS}.id", ondelete="SET NULL"), index=True
    )
    cancelled_at: Mapped[float | None] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"Campaign({self.id!r}, {self.name!r}, state={self.state!r})"


class CampaignJob(Base):
    """One run a campaign asks of one device, with the state of its current attempt."""

    __tablename__ = TABLE_CAMPAIGN_JOBS
    __table_args__ = (
        sa.Index("ix_campaign_jobs_campaign_id_position", "campaign_id", "position"),
        sa.Index("ix_campaign_jobs_device_id_state", "device_id", "state"),
        sa.Index("ix_campaign_jobs_command_id", "command_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey(f"{TABLE_CAMPAIGNS}.id", ondelete="CASCADE")
    )
    device_id: Mapped[str] = mapped_column(sa.String(64))
    # A catalog/generated name, a board's configured model, "sha256:<hex>", or None
    # (the default workload).
    model: Mapped[str | None] = mapped_column(sa.String(255))
    backend: Mapped[str] = mapped_column(sa.String(32))
    # None: every core of the board (the agent's default).
    threads: Mapped[int | None]
    repetition: Mapped[int]
    # Order on the device: the scheduler sends the lowest queued position first.
    position: Mapped[int]
    # queued | sent | running | done | failed | cancelled | expired (campaigns.states).
    state: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    # message_id of the command of the current attempt; a retry gets a new one.
    command_id: Mapped[str | None] = mapped_column(sa.String(64))
    run_id: Mapped[str | None] = mapped_column(sa.String(128))
    error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[float | None] = mapped_column(sa.Double)
    started_at: Mapped[float | None] = mapped_column(sa.Double)
    finished_at: Mapped[float | None] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"CampaignJob({self.id!r}, {self.device_id!r}, state={self.state!r})"
