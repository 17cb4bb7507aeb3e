"""Initial schema: devices, runs, samples, run events, rejected messages.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Written out in full (not imported from the models) so that later model changes cannot
change what this revision creates.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _float(name: str) -> sa.Column:
    """Return a nullable float column."""
    return sa.Column(name, sa.Float(), nullable=True)


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=True),
        sa.Column("board", sa.String(255), nullable=True),
        sa.Column("architecture", sa.String(32), nullable=True),
        sa.Column("cpu_model", sa.String(255), nullable=True),
        sa.Column("cpu_cores", sa.Integer(), nullable=True),
        _float("ram_mb"),
        sa.Column("os_release", sa.String(255), nullable=True),
        sa.Column("edgebench_version", sa.String(64), nullable=True),
        sa.Column("facts", JSON, nullable=True),
        sa.Column("facts_ts", sa.Double(), nullable=True),
        sa.Column("outbox_pending", sa.Integer(), nullable=True),
        sa.Column("outbox_dropped_samples", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("status_reason", sa.String(16), nullable=True),
        sa.Column("status_ts", sa.Double(), nullable=True),
        sa.Column("first_seen", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name="pk_devices"),
    )
    op.create_index("ix_devices_last_seen", "devices", ["last_seen"])

    op.create_table(
        "rejected_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(40), nullable=False),
        sa.Column("topic", sa.String(512), nullable=False),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.Column("excerpt", sa.String(1024), nullable=False),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.Double(), nullable=False),
        sa.Column("last_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_messages"),
        sa.UniqueConstraint("fingerprint", name="uq_rejected_messages_fingerprint"),
    )
    op.create_index("ix_rejected_messages_last_at", "rejected_messages", ["last_at"])

    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(128), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("sweep_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.Column("model_name", sa.String(255), nullable=True),
        sa.Column("model_sha256", sa.String(64), nullable=True),
        sa.Column("model_source", sa.String(16), nullable=True),
        sa.Column("backend", sa.String(32), nullable=True),
        sa.Column("backend_version", sa.String(64), nullable=True),
        sa.Column("threads", sa.Integer(), nullable=True),
        sa.Column("xnnpack", sa.Boolean(), nullable=True),
        sa.Column("verdict", sa.String(8), nullable=True),
        _float("latency_mean_ms"),
        _float("latency_p50_ms"),
        _float("latency_p90_ms"),
        _float("latency_p99_ms"),
        _float("throughput_ips"),
        _float("mj_per_inference"),
        sa.Column("energy_measured", sa.Boolean(), nullable=True),
        _float("power_mean_w"),
        _float("peak_temp_c"),
        sa.Column("throttled", sa.Boolean(), nullable=True),
        _float("accuracy_top1"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.device_id"],
            name="fk_runs_device_id_devices",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_runs"),
    )
    op.create_index("ix_runs_device_id_started_at", "runs", ["device_id", "started_at"])
    op.create_index("ix_runs_model_name_started_at", "runs", ["model_name", "started_at"])
    op.create_index("ix_runs_model_sha256", "runs", ["model_sha256"])
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_index("ix_runs_sweep_id", "runs", ["sweep_id"])

    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(128), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ts", sa.Double(), nullable=False),
        sa.Column("data", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name="fk_run_events_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_run_events"),
        sa.UniqueConstraint("message_id", name="uq_run_events_message_id"),
    )
    op.create_index("ix_run_events_run_id_seq", "run_events", ["run_id", "seq"])

    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(128), nullable=False),
        sa.Column("t", sa.Double(), nullable=False),
        _float("cpu_util_pct"),
        _float("cpu_freq_mhz"),
        _float("temp_c"),
        _float("mem_used_mb"),
        _float("mem_available_mb"),
        _float("proc_rss_mb"),
        _float("power_w"),
        sa.Column("throttled", sa.Integer(), nullable=True),
        sa.Column("under_voltage", sa.Integer(), nullable=True),
        sa.Column("freq_capped", sa.Integer(), nullable=True),
        sa.Column("throttled_now", sa.Integer(), nullable=True),
        sa.Column("soft_temp_limit", sa.Integer(), nullable=True),
        sa.Column("extra", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name="fk_samples_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_samples"),
        sa.UniqueConstraint("run_id", "t", name="uq_samples_run_id_t"),
    )


def downgrade() -> None:
    """Drop everything this revision created."""
    for table in ("samples", "run_events", "runs", "rejected_messages", "devices"):
        op.drop_table(table)
