"""Broker connection settings shared by the agent and the collector."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import msgspec

from edgebench.shared.errors import ConfigError
from edgebench.shared.topics import validate_prefix

SUPPORTED_SCHEMES = ("mqtt", "mqtts", "tcp", "ssl")
# The largest MQTT 5 Receive Maximum (a two-byte property).
MAX_RECEIVE_MAXIMUM = 65_535


class MqttConfig(msgspec.Struct, frozen=True):
    """How to reach the MQTT broker; an empty ``url`` means "no broker configured"."""

    url: str = ""
    username: str | None = None
    password: str | None = None
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    keepalive_s: int = 60
    topic_prefix: str = "edgebench"
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_id: str | None = None
    session_expiry_s: int = 7 * 24 * 3600

    def validate(self, where: str = "mqtt") -> list[str]:
        """Return a list of problems with these settings (empty when valid)."""
        errors: list[str] = []
        if self.url:
            parts = urlsplit(self.url)
            if parts.scheme not in SUPPORTED_SCHEMES or not parts.hostname:
                errors.append(
                    f"{where}.url: {self.url!r} is not a broker URL; "
                    "use mqtt://host:1883 or mqtts://host:8883"
                )
            else:
                try:
                    parts.port  # noqa: B018 - raises ValueError on a bad port
                except ValueError:
                    errors.append(f"{where}.url: {self.url!r} has an invalid port")
        if self.keepalive_s < 5:
            errors.append(f"{where}.keepalive_s: must be at least 5 seconds (mosquitto rejects 0)")
        try:
            # One rule for the prefix: the one the topic layout itself enforces.
            validate_prefix(self.topic_prefix)
        except ConfigError as exc:
            errors.append(str(exc).replace("mqtt.topic_prefix", f"{where}.topic_prefix", 1))
        if (self.tls_cert is None) != (self.tls_key is None):
            errors.append(f"{where}: tls_cert and tls_key must be given together")
        for name in ("tls_ca", "tls_cert", "tls_key"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                errors.append(f"{where}.{name}: file {path} does not exist")
        return errors

    @property
    def host(self) -> str:
        """Broker host name from the URL."""
        return urlsplit(self.url).hostname or "localhost"

    @property
    def port(self) -> int:
        """Broker port from the URL, defaulting by scheme."""
        parts = urlsplit(self.url)
        if parts.port:
            return parts.port
        return 8883 if parts.scheme in ("mqtts", "ssl") else 1883

    @property
    def use_tls(self) -> bool:
        """Whether the connection is encrypted."""
        return urlsplit(self.url).scheme in ("mqtts", "ssl") or self.tls_ca is not None
