"""The fleet's data: devices, runs, samples and their downsampled forms, events, refusals.

Every table the ingest path writes has a natural unique key so redelivered MQTT messages
are stored once (insert-or-ignore): runs by ``run_id``, samples by ``(run_id, t)``, run
events by ``message_id``, rejected messages by a fingerprint of topic and reason.
Aggregates and summaries appear once retention has run (``collector/retention.py``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from edgebench.collector.models.base import (
    TABLE_DEVICES,
    TABLE_REJECTED,
    TABLE_RUN_EVENTS,
    TABLE_RUNS,
    TABLE_SAMPLE_AGGREGATES,
    TABLE_SAMPLE_SUMMARIES,
    TABLE_SAMPLES,
    Base,
    JSONType,
)


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
