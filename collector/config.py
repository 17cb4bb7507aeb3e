"""The collector's one typed configuration object (defaults, TOML, ``EDGEBENCH_*``, flags)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import click
import msgspec

from edgebench.shared.config import load_config
from edgebench.shared.mqtt_config import MAX_RECEIVE_MAXIMUM, MqttConfig
from edgebench.shared.topics import valid_group

# More processes than this on one machine would only contend for its cores and database.
MAX_INGEST_WORKERS = 64
DEFAULT_SHARED_GROUP = "edgebench-ingest"

# The largest upload limit accepted: a TFLite flatbuffer cannot address more than 2 GiB.
MAX_MODEL_MB = 2048.0


class RetentionConfig(msgspec.Struct, frozen=True):
    """How long raw samples are kept before they are downsampled (collector/retention.py)."""

    # Samples of runs last updated more than this many days ago (collector's clock) become
    # per-run summaries and 1 s aggregates; 0 keeps raw samples forever.
    raw_days: float = 30.0
    # Samples per transaction: each batch holds the write lock only briefly.
    batch_rows: int = 5_000
    # How often `collector serve` / `collector ingest` run a retention pass.
    interval_s: float = 3_600.0

    def validate(self) -> list[str]:
        """Return a list of problems (empty when valid)."""
        errors = []
        if self.raw_days < 0:
            errors.append(f"retention.raw_days: {self.raw_days} is negative (0 keeps samples)")
        if self.batch_rows < 1:
            errors.append("retention.batch_rows: must be at least 1")
        if self.interval_s <= 0:
            errors.append(f"retention.interval_s: {self.interval_s} must be positive")
        return errors


class CampaignConfig(msgspec.Struct, frozen=True):
    """How ingest schedules campaign jobs (collector/campaigns, docs/campaigns.md)."""

    # How often the scheduler looks for new campaigns, devices that came online, ended
    # cool-downs, passed deadlines and lost jobs (results wake it at once).
    tick_s: float = 0.5
    # A sent command with no run after this long (the device online meanwhile), or a run
    # silent this long past its expected duration, is lost: failed, and retried per policy.
    lost_timeout_s: float = 120.0
    # Daily campaigns start at their HH:MM in this IANA time zone; empty: this machine's.
    timezone: str = ""

    def validate(self) -> list[str]:
        """Return a list of problems (empty when valid)."""
        errors = []
        if not 0.05 <= self.tick_s <= 60:
            errors.append(f"campaigns.tick_s: {self.tick_s} is outside 0.05-60")
        if not 1 <= self.lost_timeout_s <= 86_400:
            errors.append(f"campaigns.lost_timeout_s: {self.lost_timeout_s} is outside 1-86400")
        if self.timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                errors.append(
                    f"campaigns.timezone: {self.timezone!r} is not a time zone; use an IANA"
                    " name such as Europe/Berlin, or leave it empty for this machine's"
                )
        return errors


class CollectorConfig(msgspec.Struct, frozen=True):
    """Everything the collector process needs, validated once at start-up."""

    # Settings that were renamed: the loader names the new one instead of "unknown".
    RENAMED: ClassVar[dict[str, str]] = {"queue_max": "receive_maximum"}
    # Settings that were removed, with what replaces them.
    REMOVED: ClassVar[dict[str, str]] = dict.fromkeys(
        ("dashboard_username", "dashboard_password"),
        "logins are accounts now: `edgebench collector user add NAME --role admin`"
        " (and `collector token create` for scripts)",
    )

    # Any SQLAlchemy URL; empty means a SQLite file in the instance folder.
    db: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    client_id: str = "edgebench-collector"
    # `collector ingest --workers N`: ingest processes on this machine, each with its own
    # receiver and writer, splitting the traffic on an MQTT shared subscription.
    ingest_workers: int = 1
    # The shared subscription group ($share/<group>/...). Empty: none with one worker,
    # "edgebench-ingest" with several. Set it (and a distinct client_id per machine) to
    # run ingest on several machines against one PostgreSQL (docs/scaling.md).
    shared_group: str = ""
    # MQTT 5 "Receive Maximum": how many unacknowledged messages the broker may send the
    # collector at once (1-65,535). With MQTT 3.1.1 it has no effect: the broker's own
    # window applies (mosquitto's max_inflight_messages).
    receive_maximum: int = 65_535
    # Messages per commit: about what the receiver's pipe holds, so the receiver keeps
    # decoding while a batch is committed; larger batches store fewer samples/s
    # (EDGEBENCH_BATCH_SIZE=2000 .venv/bin/python bench/ingest_throughput.py).
    batch_size: int = 100
    commit_interval_s: float = 0.25
    rejected_max_rows: int = 10_000
    # Port of the embedded MQTT broker started when mqtt.url is empty (0 = any free port).
    embedded_broker_port: int = 1883
    # Anonymous visitors may read the dashboard and the JSON API (never change anything).
    public_read: bool = False
    # Anonymous scrapers may read /metrics (otherwise it needs a token or a login).
    public_metrics: bool = False
    # A browser login lasts this long without use, then the user logs in again.
    session_hours: float = 12.0
    # File holding the key that signs browser sessions and CSRF tokens; empty means
    # `secret_key` in the instance folder, created (mode 0600) on first start.
    secret_key_file: Path | None = None
    # Address of a reverse proxy whose X-Forwarded-Proto/-For/-Host headers are believed
    # (TLS terminated there; the client's address for the audit log and rate limits).
    trusted_proxy: str = ""
    # The model store: the largest .tflite an operator may upload (refused with 413 while
    # it streams in), and the folder of its files; empty means `models` in the instance
    # folder.
    max_model_mb: float = 64.0
    model_dir: Path | None = None
    mqtt: MqttConfig = msgspec.field(
        default_factory=lambda: MqttConfig(client_id="edgebench-collector")
    )
    retention: RetentionConfig = msgspec.field(default_factory=RetentionConfig)
    campaigns: CampaignConfig = msgspec.field(default_factory=CampaignConfig)

    @property
    def effective_shared_group(self) -> str | None:
        """The shared subscription group ingest subscribes with, or None for a plain one."""
        if self.shared_group:
            return self.shared_group
        return DEFAULT_SHARED_GROUP if self.ingest_workers > 1 else None

    def validate(self) -> list[str]:
        """Return a list of problems (empty when valid)."""
        errors = self.mqtt.validate() + self.retention.validate() + self.campaigns.validate()
        if not 0 < self.port < 65536:
            errors.append(f"port: {self.port} is not a TCP port")
        if not 0 <= self.embedded_broker_port < 65536:
            errors.append(f"embedded_broker_port: {self.embedded_broker_port} is not a TCP port")
        if not 1 <= self.receive_maximum <= MAX_RECEIVE_MAXIMUM:
            errors.append(
                f"receive_maximum: {self.receive_maximum} is outside 1-{MAX_RECEIVE_MAXIMUM}"
                " (MQTT 5 Receive Maximum)"
            )
        if self.batch_size < 1:
            errors.append("batch_size: must be at least 1")
        if not 0 < self.max_model_mb <= MAX_MODEL_MB:
            errors.append(f"max_model_mb: {self.max_model_mb} is outside 0-{MAX_MODEL_MB}")
        if not 1 <= self.ingest_workers <= MAX_INGEST_WORKERS:
            errors.append(
                f"ingest_workers: {self.ingest_workers} is outside 1-{MAX_INGEST_WORKERS}"
            )
        if self.shared_group and not valid_group(self.shared_group):
            errors.append(
                f"shared_group: {self.shared_group[:80]!r} is not valid"
                " (letters, digits, '-', '_', '.'; at most 64)"
            )
        if not 0 < self.session_hours <= 24 * 90:
            errors.append(f"session_hours: {self.session_hours} is outside 0-2160 (90 days)")
        return errors


def load_collector_config(
    config_file: Path | None = None, flags: dict[str, object] | None = None
) -> CollectorConfig:
    """Build the collector's config from defaults, ``[collector]``, environment and flags."""
    return load_config(CollectorConfig, section="collector", file=config_file, flags=flags)


def load_for_command(ctx: click.Context, flags: dict[str, object]) -> CollectorConfig:
    """Build the config for a command: the root ``--config`` file, environment, ``flags``."""
    config_file: Path | None = (ctx.obj or {}).get("config_file")
    return load_collector_config(config_file, flags)
