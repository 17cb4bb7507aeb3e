"""Campaigns: the campaigns and campaign_jobs tables, and runs.command_id.

Revision ID: 0005
Revises: 0004 (the model store)
Create Date: 2026-12-03

Written out in full (not imported from the models) so that later model changes cannot
change what this revision creates.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the campaign tables and link runs to the command that started them."""
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("command_id", sa.String(64), nullable=True))
        batch.create_index("ix_runs_command_id", ["command_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("start_at", sa.Double(), nullable=True),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.Column("deadline", sa.Double(), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("ordering", sa.String(16), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("cooldown_s", sa.Float(), nullable=False),
        sa.Column("schedule", sa.String(16), nullable=True),
        sa.Column("previous_campaign_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["previous_campaign_id"],
            ["campaigns.id"],
            name="fk_campaigns_previous_campaign_id_campaigns",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_index("ix_campaigns_state", "campaigns", ["state"])
    op.create_index("ix_campaigns_previous_campaign_id", "campaigns", ["previous_campaign_id"])
    op.create_table(
        "campaign_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=True),
        sa.Column("repetition", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("command_id", sa.String(64), nullable=True),
        sa.Column("run_id", sa.String(128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.Double(), nullable=True),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_campaign_jobs_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_jobs"),
    )
    op.create_index(
        "ix_campaign_jobs_campaign_id_position", "campaign_jobs", ["campaign_id", "position"]
    )
    op.create_index("ix_campaign_jobs_device_id_state", "campaign_jobs", ["device_id", "state"])
    op.create_index("ix_campaign_jobs_command_id", "campaign_jobs", ["command_id"])


def downgrade() -> None:
    """Drop what this revision created (campaign history with it)."""
    op.drop_table("campaign_jobs")
    op.drop_table("campaigns")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_command_id")
        batch.drop_column("command_id")
