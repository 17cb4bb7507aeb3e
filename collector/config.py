"""The collector's one typed configuration object (defaults, TOML, ``EDGEBENCH_*``, flags)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import msgspec

from edgebench.shared.config import load_config
from edgebench.shared.mqtt_config import MAX_RECEIVE_MAXIMUM, MqttConfig


class CollectorConfig(msgspec.Struct, frozen=True):
    """Everything the collector process needs, validated once at start-up."""

    # Settings that were renamed: the loader names the new one instead of "unknown".
    RENAMED: ClassVar[dict[str, str]] = {"queue_max": "receive_maximum"}

    # Any SQLAlchemy URL; empty means a SQLite file in the instance folder.
    db: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    client_id: str = "edgebench-collector"
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
    # Optional HTTP basic auth for the dashboard and API.
    dashboard_username: str | None = None
    dashboard_password: str | None = None
    mqtt: MqttConfig = msgspec.field(
        default_factory=lambda: MqttConfig(client_id="edgebench-collector")
    )

    def validate(self) -> list[str]:
        """Return a list of problems (empty when valid)."""
        errors = self.mqtt.validate()
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
        if (self.dashboard_username is None) != (self.dashboard_password is None):
            errors.append("dashboard_username and dashboard_password must be given together")
        return errors


def load_collector_config(
    config_file: Path | None = None, flags: dict[str, object] | None = None
) -> CollectorConfig:
    """Build the collector's config from defaults, ``[collector]``, environment and flags."""
    return load_config(CollectorConfig, section="collector", file=config_file, flags=flags)
