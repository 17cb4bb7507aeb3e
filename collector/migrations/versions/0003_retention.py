"""Retention: 1 s sample aggregates and per-run sample summaries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Written out in full (not imported from the models) so that later model changes cannot
change what this revision creates.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _run_id() -> sa.Column:
    """Return the ``run_id`` column both tables are keyed by."""
    return sa.Column("run_id", sa.String(128), nullable=False)


def upgrade() -> None:
    """Create the sample_aggregates and sample_summaries tables."""
    op.create_table(
        "sample_aggregates",
        _run_id(),
        sa.Column("t", sa.Double(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("stats", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name="fk_sample_aggregates_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "t", name="pk_sample_aggregates"),
    )
    op.create_table(
        "sample_summaries",
        _run_id(),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("t_first", sa.Double(), nullable=False),
        sa.Column("t_last", sa.Double(), nullable=False),
        sa.Column("stats", JSON, nullable=False),
        sa.Column("downsampled_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name="fk_sample_summaries_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_sample_summaries"),
    )


def downgrade() -> None:
    """Drop what this revision created (the downsampled data with it)."""
    for table in ("sample_summaries", "sample_aggregates"):
        op.drop_table(table)
