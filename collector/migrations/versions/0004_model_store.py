"""Model store: uploaded models (stored_models) and the boards' tokens (device_tokens).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Written out in full (not imported from the models) so that later model changes cannot
change what this revision creates.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the stored_models and device_tokens tables."""
    op.create_table(
        "stored_models",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("inspection", JSON, nullable=False),
        sa.Column("uploaded_by", sa.String(160), nullable=False),
        sa.Column("uploaded_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_stored_models"),
    )
    op.create_index("ix_stored_models_uploaded_at", "stored_models", ["uploaded_at"])
    op.create_table(
        "device_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("revoked_at", sa.Double(), nullable=True),
        sa.Column("last_used_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_device_tokens"),
        sa.UniqueConstraint("prefix", name="uq_device_tokens_prefix"),
    )
    op.create_index("ix_device_tokens_device_id", "device_tokens", ["device_id"])


def downgrade() -> None:
    """Drop what this revision created (the store's rows; its files stay on disk)."""
    for table in ("device_tokens", "stored_models"):
        op.drop_table(table)
