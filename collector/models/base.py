"""The declarative base every table derives from, with what all of them share.

Table names (``TABLE_*``: migrations and foreign keys name tables by them), the
constraint naming convention Alembic relies on, and the JSON column type.

Timestamps are UTC epoch seconds stored as doubles (the Home Assistant recorder's choice):
cheap to index, compare and ship to charts.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase

TABLE_DEVICES = "devices"
TABLE_RUNS = "runs"
TABLE_SAMPLES = "samples"
TABLE_RUN_EVENTS = "run_events"
TABLE_REJECTED = "rejected_messages"
TABLE_USERS = "users"
TABLE_API_TOKENS = "api_tokens"
TABLE_AUDIT = "audit_events"
TABLE_SAMPLE_AGGREGATES = "sample_aggregates"
TABLE_SAMPLE_SUMMARIES = "sample_summaries"
TABLE_STORED_MODELS = "stored_models"
TABLE_DEVICE_TOKENS = "device_tokens"
TABLE_CAMPAIGNS = "campaigns"
TABLE_CAMPAIGN_JOBS = "campaign_jobs"

# Stable constraint names, so Alembic (and SQLite batch migrations) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere; None is SQL NULL.
JSONType = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


class Base(DeclarativeBase):
    """Base class for the collector's tables."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
