"""SQLAlchemy 2.0 typed models: the fleet's data and the server's accounts.

One module per concern, every name re-exported here (import them from
``edgebench.collector.models``):

- ``base``: ``Base`` (its metadata holds every table), the ``TABLE_*`` names, the
  constraint naming convention and ``JSONType``;
- ``fleet``: devices, runs, samples (and their downsampled aggregates and summaries
  once retention has run), run events, rejected messages;
- ``accounts``: users, API tokens, device tokens and the audit log;
- ``campaigns``: the model store's uploaded models with their inspection (the bytes are
  files, ``collector/modelstore.py``), campaigns and their jobs (docs/campaigns.md).

The schema is created and changed only by the Alembic migrations in ``migrations/``;
``tests/collector/test_migrations.py`` checks that these models and the migrations agree.
"""

from __future__ import annotations

from edgebench.collector.models.accounts import ApiToken, AuditEvent, DeviceToken, User
from edgebench.collector.models.base import (
    NAMING_CONVENTION,
    TABLE_API_TOKENS,
    TABLE_AUDIT,
    TABLE_CAMPAIGN_JOBS,
    TABLE_CAMPAIGNS,
    TABLE_DEVICE_TOKENS,
    TABLE_DEVICES,
    TABLE_REJECTED,
    TABLE_RUN_EVENTS,
    TABLE_RUNS,
    TABLE_SAMPLE_AGGREGATES,
    TABLE_SAMPLE_SUMMARIES,
    TABLE_SAMPLES,
    TABLE_STORED_MODELS,
    TABLE_USERS,
    Base,
    JSONType,
)
from edgebench.collector.models.campaigns import Campaign, CampaignJob, StoredModel
from edgebench.collector.models.fleet import (
    Device,
    RejectedMessage,
    Run,
    RunEvent,
    Sample,
    SampleAggregate,
    SampleSummary,
)

__all__ = [
    "NAMING_CONVENTION",
    "TABLE_API_TOKENS",
    "TABLE_AUDIT",
    "TABLE_CAMPAIGNS",
    "TABLE_CAMPAIGN_JOBS",
    "TABLE_DEVICES",
    "TABLE_DEVICE_TOKENS",
    "TABLE_REJECTED",
    "TABLE_RUNS",
    "TABLE_RUN_EVENTS",
    "TABLE_SAMPLES",
    "TABLE_SAMPLE_AGGREGATES",
    "TABLE_SAMPLE_SUMMARIES",
    "TABLE_STORED_MODELS",
    "TABLE_USERS",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Campaign",
    "CampaignJob",
    "Device",
    "DeviceToken",
    "JSONType",
    "RejectedMessage",
    "Run",
    "RunEvent",
    "Sample",
    "SampleAggregate",
    "SampleSummary",
    "StoredModel",
    "User",
]
