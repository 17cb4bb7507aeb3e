"""docs/configuration.md must name every config key and its environment variable."""

from __future__ import annotations

import msgspec
import pytest

from edgebench.agent.config import AgentConfig, PowerConfig
from edgebench.collector.config import CollectorConfig, RetentionConfig
from edgebench.shared.mqtt_config import MqttConfig
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("cls", "prefix", "env"),
    [
        (AgentConfig, "", "EDGEBENCH_"),
        (PowerConfig, "power.", "EDGEBENCH_POWER__"),
        (CollectorConfig, "", "EDGEBENCH_"),
        (RetentionConfig, "retention.", "EDGEBENCH_RETENTION__"),
        (MqttConfig, "", "EDGEBENCH_MQTT__"),
    ],
)
def test_every_key_is_documented(cls: type, prefix: str, env: str) -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    for field in msgspec.structs.fields(cls):
        if isinstance(getattr(cls(), field.name), msgspec.Struct):
            continue
        assert f"`{prefix}{field.name}`" in doc, f"{prefix}{field.name} is not documented"
        assert f"`{env}{field.name.upper()}`" in doc
