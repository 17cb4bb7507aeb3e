"""The one MQTT topic layout, with builders and a strict parser.

Every topic is ``<prefix>/v1/<device_id>/...``::

    <prefix>/v1/<device_id>/status                  retained online/offline (last will)
    <prefix>/v1/<device_id>/facts                   retained device facts (+ outbox counters)
    <prefix>/v1/<device_id>/runs/<run_id>/events    run lifecycle events
    <prefix>/v1/<device_id>/runs/<run_id>/samples   batched telemetry rows
    <prefix>/v1/<device_id>/runs/<run_id>/result    the full RunResult
    <prefix>/v1/<device_id>/cmd                     collector -> agent commands
    <prefix>/v1/<device_id>/receipts                collector -> agent: what it has stored

The agent and the collector build and parse every topic with :class:`TopicLayout`
(Ansible's ``benchmark.yml`` goes through the collector's campaign API, not the broker).
The layout is also written out as text in two places that do not import edgebench and
must follow this module: the broker ACL (``docs/mqtt-contract.md``,
``ansible/roles/mosquitto/templates/edgebench.acl.j2``, whose rendered rules
``tests/ansible/test_fleet.py`` checks) and the simulated agents of
``bench/ingest_parts.py``, whose topics the collector then parses here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edgebench.shared.errors import ConfigError, SchemaError

TOPIC_VERSION = "v1"
DEFAULT_PREFIX = "edgebench"
MAX_DEVICE_ID_LEN = 64
MAX_RUN_ID_LEN = 128

TopicKind = Literal["status", "facts", "events", "samples", "result", "cmd", "receipts"]
DEVICE_KINDS: tuple[TopicKind, ...] = ("status", "facts", "cmd", "receipts")
RUN_KINDS: tuple[TopicKind, ...] = ("events", "samples", "result")


_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.")


def _safe_id(value: str, max_len: int) -> bool:
    """Ids become single topic levels (and broker logins): a small, wildcard-free alphabet."""
    return 0 < len(value) <= max_len and _ID_CHARS.issuperset(value) and value not in (".", "..")


def valid_group(group: str) -> bool:
    """Whether ``group`` can name a shared subscription group (one topic level, like an id)."""
    return _safe_id(group, MAX_DEVICE_ID_LEN)


def validate_device_id(device_id: object) -> str:
    """Return ``device_id`` if it is a valid device id, else raise SchemaError."""
    if not isinstance(device_id, str) or not _safe_id(device_id, MAX_DEVICE_ID_LEN):
        raise SchemaError(
            f"device id {device_id!r} must be 1-{MAX_DEVICE_ID_LEN} letters, digits, '-', '_' "
            "or '.'"
        )
    return device_id


def validate_run_id(run_id: object) -> str:
    """Return ``run_id`` if it is a valid run id, else raise SchemaError."""
    if not isinstance(run_id, str) or not _safe_id(run_id, MAX_RUN_ID_LEN):
        raise SchemaError(
            f"run id {run_id!r} must be 1-{MAX_RUN_ID_LEN} letters, digits, '-', '_' or '.'"
        )
    return run_id


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if usable as the topic root, else raise ConfigError."""
    levels = prefix.split("/") if isinstance(prefix, str) else [""]
    bad = (
        not prefix
        or any(level == "" for level in levels)
        or any(c in prefix for c in "+#\x00")
        or prefix.startswith("$")
    )
    if bad:
        raise ConfigError(
            f"mqtt.topic_prefix {prefix!r} must be non-empty levels separated by single '/', "
            "without '+', '#' or a leading '$'"
        )
    return prefix


@dataclass(frozen=True)
class ParsedTopic:
    """What a topic names: its kind, the device and (for run topics) the run."""

    kind: TopicKind
    device_id: str
    run_id: str | None = None


class TopicLayout:
    """Builds and parses every edgebench topic under one configurable prefix."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = validate_prefix(prefix)
        self.root = f"{self.prefix}/{TOPIC_VERSION}"
        self._root_levels = self.root.split("/")

    def __repr__(self) -> str:
        return f"TopicLayout({self.prefix!r})"

    def _device(self, device_id: str) -> str:
        return f"{self.root}/{validate_device_id(device_id)}"

    def _run(self, device_id: str, run_id: str, kind: str) -> str:
        return f"{self._device(device_id)}/runs/{validate_run_id(run_id)}/{kind}"

    def status(self, device_id: str) -> str:
        """Retained online/offline status of one device (also its last will)."""
        return f"{self._device(device_id)}/status"

    def facts(self, device_id: str) -> str:
        """Retained device facts of one device."""
        return f"{self._device(device_id)}/facts"

    def command(self, device_id: str) -> str:
        """Commands to one device (the collector writes, the device only reads)."""
        return f"{self._device(device_id)}/cmd"

    def receipts(self, device_id: str) -> str:
        """Receipts for one device (the collector writes, the device only reads)."""
        return f"{self._device(device_id)}/receipts"

    def run_events(self, device_id: str, run_id: str) -> str:
        """Lifecycle events (started, progress, finished, failed) of one run."""
        return self._run(device_id, run_id, "events")

    def run_samples(self, device_id: str, run_id: str) -> str:
        """Batched telemetry samples of one run."""
        return self._run(device_id, run_id, "samples")

    def run_result(self, device_id: str, run_id: str) -> str:
        """Topic of the full result document of one run."""
        return self._run(device_id, run_id, "result")

    def subscriptions(self, shared_group: str | None = None) -> list[str]:
        """Return the collector's filters (everything devices publish: not ``cmd``, ``receipts``).

        With ``shared_group`` the filters become ``$share/<group>/...`` so several
        collector processes split the load.
        """
        filters = [f"{self.root}/+/status", f"{self.root}/+/facts"]
        filters += [f"{self.root}/+/runs/+/{kind}" for kind in RUN_KINDS]
        if shared_group is not None:
            if not valid_group(shared_group):
                raise ConfigError(f"shared subscription group {shared_group!r} is not valid")
            filters = [f"$share/{shared_group}/{f}" for f in filters]
        return filters

    def parse(self, topic: str) -> ParsedTopic:
        """Say what ``topic`` names, or raise SchemaError for anything outside the layout."""
        if not isinstance(topic, str):
            raise SchemaError(f"topic {topic!r} is not text")
        levels = topic.split("/")
        n = len(self._root_levels)
        if levels[: n - 1] != self._root_levels[:-1]:
            raise SchemaError(f"topic {topic!r} is not under {self.prefix}/")
        if levels[n - 1 : n] != [TOPIC_VERSION]:
            raise SchemaError(f"topic {topic!r} is not a {TOPIC_VERSION} topic of {self.prefix}")
        rest = levels[n:]
        if len(rest) == 2 and rest[1] in DEVICE_KINDS:
            return ParsedTopic(rest[1], self._parse_device(rest[0], topic))  # type: ignore[arg-type]
        if len(rest) == 4 and rest[1] == "runs" and rest[3] in RUN_KINDS:
            device_id = self._parse_device(rest[0], topic)
            try:
                run_id = validate_run_id(rest[2])
            except SchemaError as exc:
                raise SchemaError(f"topic {topic!r}: {exc}") from None
            return ParsedTopic(rest[3], device_id, run_id)  # type: ignore[arg-type]
        raise SchemaError(f"topic {topic!r} is not an edgebench topic")

    @staticmethod
    def _parse_device(level: str, topic: str) -> str:
        try:
            return validate_device_id(level)
        except SchemaError as exc:
            raise SchemaError(f"topic {topic!r}: {exc}") from None
