"""SQLAlchemy 2.0 typed models: the fleet's data and the server's accounts.

The fleet: devices, runs, samples (and their downsampled aggregates and summaries once
retention has run), run events, rejected messages. The accounts: users,
API tokens, device tokens and the audit log. The model store: uploaded models with their
inspection (the bytes are files, ``collector/modelstore.py``). Campaigns: campaigns and
their jobs (docs/campaigns.md).

Timestamps are UTC epoch seconds stored as doubles (the Home Assistant recorder's choice):
cheap to index, compare and ship to charts. Every table the ingest path writes has a
natural unique key so redelivered MQTT messages are stored once (insert-or-ignore):
runs by ``run_id``, samples by ``(run_id, t)``, run events by ``message_id``, rejected
messages by a fingerprint of topic and reason.

The schema is created and changed only by the Alembic migrations in ``migrations/``;
``tests/collector/test_migrations.py`` checks that these models and the migrations agree.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class Device(Base):
    """One board: identity and facts (retained facts message), online state, last contact."""

    __tablename__ = TABLE_DEVICES

    device_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    hostname: Mapped[str | None] = mapped_column(sa.String(255))
    board: Mapped[str | None] = mapped_column(sa.String(255))
    architecture: Mapped[str | None] = mapped_column(sa.String(32))
    cpu_model: Mapped[str | None] = mapped_column(sa.String(255))
    cpu_cores: Mapped[int | None]
    ram_mb: Mapped[float | None] = mapped_column(sa.Float)
    os_release: Mapped[str | None] = mapped_column(sa.String(255))
    edgebench_version: Mapped[str | None] = mapped_column(sa.String(64))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    facts_ts: Mapped[float | None] = mapped_column(sa.Double)
    # Outbox counters the agent reports with its facts (its health as a publisher).
    outbox_pending: Mapped[int | None]
    outbox_dropped_samples: Mapped[int | None]
    # Newest status ("online"/"offline"), why ("connected", "shutdown", "lost"), and the
    # agent's timestamp of it. Newest by that ts, offline winning a tie, whatever order
    # several ingest workers write them in: a birth and its connection's last will share
    # one ts (store.py, docs/mqtt-contract.md "Status order").
    status: Mapped[str | None] = mapped_column(sa.String(16))
    status_reason: Mapped[str | None] = mapped_column(sa.String(16))
    status_ts: Mapped[float | None] = mapped_column(sa.Double)
    # First and last contact by the collector's clock (a Pi without RTC may have a wrong one).
    first_seen: Mapped[float] = mapped_column(sa.Double)
    last_seen: Mapped[float] = mapped_column(sa.Double, index=True)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"Device({self.device_id!r}, status={self.status!r})"


class Run(Base):
    """One benchmark run: the summary columns the dashboard filters on plus the full result.

    A row appears with the first message that names the run (``running``) and is completed
    by the result message; a republished result overwrites it with the same values.
    """

    __tablename__ = TABLE_RUNS
    __table_args__ = (
        sa.Index("ix_runs_device_id_started_at", "device_id", "started_at"),
        sa.Index("ix_runs_model_name_started_at", "model_name", "started_at"),
        sa.Index("ix_runs_model_sha256", "model_sha256"),
        sa.Index("ix_runs_started_at", "started_at"),
        sa.Index("ix_runs_sweep_id", "sweep_id"),
        sa.Index("ix_runs_command_id", "command_id"),
    )

    run_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    device_id: Mapped[str] = mapped_column(
        sa.String(64), sa.ForeignKey(f"{TABLE_DEVICES}.device_id", ondelete="CASCADE")
    )
    sweep_id: Mapped[str | None] = mapped_column(sa.String(64))
    # "running" until a result arrives, then the result's status; "failed" from a failure event.
    status: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[float | None] = mapped_column(sa.Double)
    finished_at: Mapped[float | None] = mapped_column(sa.Double)
    model_name: Mapped[str | None] = mapped_column(sa.String(255))
    model_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    model_source: Mapped[str | None] = mapped_column(sa.String(16))
    backend: Mapped[str | None] = mapped_column(sa.String(32))
    backend_version: Mapped[str | None] = mapped_column(sa.String(64))
    threads: Mapped[int | None]
    xnnpack: Mapped[bool | None]
    verdict: Mapped[str | None] = mapped_column(sa.String(8))
    latency_mean_ms: Mapped[float | None] = mapped_column(sa.Float)
    latency_p50_ms: Mapped[float | None] = mapped_column(sa.Float)
    latency_p90_ms: Mapped[float | None] = mapped_column(sa.Float)
    latency_p99_ms: Mapped[float | None] = mapped_column(sa.Float)
    throughput_ips: Mapped[float | None] = mapped_column(sa.Float)
    mj_per_inference: Mapped[float | None] = mapped_column(sa.Float)
    energy_measured: Mapped[bool | None]
    power_mean_w: Mapped[float | None] = mapped_column(sa.Float)
    peak_temp_c: Mapped[float | None] = mapped_column(sa.Float)
    # edgebench.shared.throttle's answer for the measured phase (None: nobody could tell).
    throttled: Mapped[bool | None]
    accuracy_top1: Mapped[float | None] = mapped_column(sa.Float)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # The command (its message_id) that started this run, from run_started / run_failed:
    # how a campaign job finds its run (None for runs started on the board).
    command_id: Mapped[str | None] = mapped_column(sa.String(64))
    # The full RunResult document (docs/result-schema.md), once the result has arrived.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    received_at: Mapped[float] = mapped_column(sa.Double)
    updated_at: Mapped[float] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"Run({self.run_id!r}, device={self.device_id!r}, status={self.status!r})"


class Sample(Base):
    """One telemetry sample of one run (``t`` plus the metric columns)."""

    __tablename__ = TABLE_SAMPLES
    # One index only: it serves "samples of run X ordered by t" and the dedupe key.
    # Every extra index costs insert throughput (bench/ingest_throughput.py).
    __table_args__ = (sa.UniqueConstraint("run_id", "t", name="uq_samples_run_id_t"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        sa.String(128), sa.ForeignKey(f"{TABLE_RUNS}.run_id", ondelete="CASCADE")
    )
    t: Mapped[float] = mapped_column(sa.Double)
    cpu_util_pct: Mapped[float | None] = mapped_column(sa.Float)
    cpu_freq_mhz: Mapped[float | None] = mapped_column(sa.Float)
    temp_c: Mapped[float | None] = mapped_column(sa.Float)
    mem_used_mb: Mapped[float | None] = mapped_column(sa.Float)
    mem_available_mb: Mapped[float | None] = mapped_column(sa.Float)
    proc_rss_mb: Mapped[float | None] = mapped_column(sa.Float)
    power_w: Mapped[float | None] = mapped_column(sa.Float)
    throttled: Mapped[int | None]
    under_voltage: Mapped[int | None]
    freq_capped: Mapped[int | None]
    throttled_now: Mapped[int | None]
    soft_temp_limit: Mapped[int | None]
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"Sample({self.run_id!r}, t={self.t})"


class SampleAggregate(Base):
    """One second of one run's downsampled samples (collector/retention.py).

    ``stats`` maps each metric to ``{"n", "mean", "min", "max"}`` over the raw samples
    with ``t`` in ``[t, t + 1)``; ``n`` is how many raw samples the second had.
    """

    __tablename__ = TABLE_SAMPLE_AGGREGATES

    run_id: Mapped[str] = mapped_column(
        sa.String(128),
        sa.ForeignKey(f"{TABLE_RUNS}.run_id", ondelete="CASCADE"),
        primary_key=True,
    )
    t: Mapped[float] = mapped_column(sa.Double, primary_key=True)
    n: Mapped[int]
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"SampleAggregate({self.run_id!r}, t={self.t}, n={self.n})"


class SampleSummary(Base):
    """A run's downsampled samples as a whole: count, time span and per-metric stats."""

    __tablename__ = TABLE_SAMPLE_SUMMARIES

    run_id: Mapped[str] = mapped_column(
        sa.String(128),
        sa.ForeignKey(f"{TABLE_RUNS}.run_id", ondelete="CASCADE"),
        primary_key=True,
    )
    samples: Mapped[int]
    t_first: Mapped[float] = mapped_column(sa.Double)
    t_last: Mapped[float] = mapped_column(sa.Double)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Collector's clock when samples were last folded in.
    downsampled_at: Mapped[float] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"SampleSummary({self.run_id!r}, samples={self.samples})"


class RunEvent(Base):
    """A run lifecycle event (started, progress, finished, failed) as the agent sent it."""

    __tablename__ = TABLE_RUN_EVENTS
    __table_args__ = (sa.Index("ix_run_events_run_id_seq", "run_id", "seq"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    run_id: Mapped[str] = mapped_column(
        sa.String(128), sa.ForeignKey(f"{TABLE_RUNS}.run_id", ondelete="CASCADE")
    )
    device_id: Mapped[str] = mapped_column(sa.String(64))
    seq: Mapped[int | None]
    kind: Mapped[str] = mapped_column(sa.String(32))
    ts: Mapped[float] = mapped_column(sa.Double)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"RunEvent({self.run_id!r}, {self.kind!r}, seq={self.seq})"


class RejectedMessage(Base):
    """A message the collector refused, kept for diagnosis (bounded; oldest rows pruned).

    Repeats of the same topic and reason bump ``count`` instead of adding rows, so a
    misbehaving agent cannot push every other diagnosis out of the table.
    """

    __tablename__ = TABLE_REJECTED

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(40), unique=True)
    topic: Mapped[str] = mapped_column(sa.String(512))
    reason: Mapped[str] = mapped_column(sa.String(512))
    excerpt: Mapped[str] = mapped_column(sa.String(1024))
    payload_bytes: Mapped[int]
    count: Mapped[int] = mapped_column(sa.Integer, default=1)
    first_at: Mapped[float] = mapped_column(sa.Double)
    last_at: Mapped[float] = mapped_column(sa.Double, index=True)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"RejectedMessage({self.topic!r}, {self.reason!r}, count={self.count})"


class User(Base):
    """A person who uses the dashboard or API, with one role (``collector/accounts.py``)."""

    __tablename__ = TABLE_USERS

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # argon2id in PHC string form (argon2-cffi); never the password itself.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    # Part of the browser session's identity: changing it (new password, new role,
    # "log out everywhere") ends every session the user has open.
    session_nonce: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[float] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"User({self.name!r}, role={self.role!r})"


class ApiToken(Base):
    """A bearer token for scripts: stored as the SHA-256 of its secret, shown once."""

    __tablename__ = TABLE_API_TOKENS

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey(f"{TABLE_USERS}.id", ondelete="CASCADE"), index=True
    )
    # The token's public part ("ebt_" + 8 characters): names it in lists and logs.
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    # A token is 32 random bytes, so a fast hash is enough (no guessing to slow down).
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[float] = mapped_column(sa.Double)
    expires_at: Mapped[float | None] = mapped_column(sa.Double)
    revoked_at: Mapped[float | None] = mapped_column(sa.Double)
    last_used_at: Mapped[float | None] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"ApiToken({self.prefix!r}, scope={self.scope!r})"


class AuditEvent(Base):
    """Who did what, when and from where: logins, account changes, state changes."""

    __tablename__ = TABLE_AUDIT

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(sa.Double, index=True)
    # A user name, "token ebt_xxxxxxxx (user)", "cli (unix-user)" or "anonymous".
    actor: Mapped[str] = mapped_column(sa.String(160))
    # Client address for web requests, the host name for the command line.
    address: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str | None] = mapped_column(sa.String(255))
    # "ok", "denied" or "failed".
    outcome: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"AuditEvent({self.action!r}, actor={self.actor!r}, outcome={self.outcome!r})"


class DeviceToken(Base):
    """A board's credential for the model store: stored as the SHA-256 of its secret.

    Not a user's token: it belongs to a device id, has no role, and opens only the model
    store's reads (``collector/devicetokens.py``, ``auth/access.py``).
    """

    __tablename__ = TABLE_DEVICE_TOKENS

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    # No foreign key: a token is made before the board has ever connected.
    device_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    # "ebd_" + 8 characters, in clear: names the token in lists and the audit log.
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[float] = mapped_column(sa.Double)
    revoked_at: Mapped[float | None] = mapped_column(sa.Double)
    last_used_at: Mapped[float | None] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"DeviceToken({self.prefix!r}, device={self.device_id!r})"


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
