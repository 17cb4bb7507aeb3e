"""The layered config loader: defaults < TOML file < EDGEBENCH_* environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.agent.config import AgentConfig, load_agent_config
from edgebench.collector.config import CollectorConfig
from edgebench.shared.config import load_config
from edgebench.shared.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edgebench.toml"
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment() -> None:
    config = load_config(AgentConfig, section="agent", env={})
    assert config.sample_hz == 10.0
    assert config.mqtt.url == ""
    assert config.power.carbon_intensity_g_per_kwh is None  # the world average, for WLD


def test_each_layer_overrides_the_one_before(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        '[mqtt]\nurl = "mqtt://file:1883"\n[agent]\nsample_hz = 5\ndevice_id = "from-file"\n'
        "[agent.power]\nidle_w = 2.0\nload_w = 6.0\n",
    )
    env = {"EDGEBENCH_SAMPLE_HZ": "7", "EDGEBENCH_MQTT__URL": "mqtt://env:1883"}
    config = load_config(
        AgentConfig, section="agent", file=file, env=env, flags={"mqtt.url": "mqtt://flag:1"}
    )
    assert config.device_id == "from-file"  # only the file set it
    assert config.sample_hz == 7.0  # environment beats file
    assert config.mqtt.url == "mqtt://flag:1"  # flag beats environment
    assert (config.power.idle_w, config.power.load_w) == (2.0, 6.0)


def test_flags_given_as_none_do_not_override(tmp_path: Path) -> None:
    file = write(tmp_path, "[agent]\nsample_hz = 3\n")
    config = load_config(AgentConfig, section="agent", file=file, env={}, flags={"sample_hz": None})
    assert config.sample_hz == 3.0


def test_environment_names_the_config_file(tmp_path: Path) -> None:
    file = write(tmp_path, '[collector]\nport = 9000\n[mqtt]\nurl = "mqtt://b:1884"\n')
    config = load_config(CollectorConfig, section="collector", env={"EDGEBENCH_CONFIG": str(file)})
    assert config.port == 9000
    assert config.mqtt.port == 1884


def test_all_problems_are_reported_in_one_error(tmp_path: Path) -> None:
    file = write(tmp_path, '[mqtt]\nurl = "http://x"\n[agent]\nsample_hz = "fast"\nbogus = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config(AgentConfig, section="agent", file=file, env={"EDGEBENCH_POWER__IDLE_W": "x"})
    message = str(info.value)
    assert "\n" not in message
    for part in (
        "agent.sample_hz: expected a number",
        "agent.bogus: unknown setting",
        "not a broker URL",
        "EDGEBENCH_POWER__IDLE_W: expected a number",
    ):
        assert part in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[agent]\nsample_hz = nan\n", "finite number"),
        ('[agent]\ndevice_id = "bad/id"\n', "device_id"),
        ("[agent]\nsample_hz = 5000\n", "sample_hz"),
        ("agent = 3\n", "must be a table"),
        ("[agent\n", "not valid TOML"),
        ("[agent.power]\nidle_w = 5.0\n", "given together"),
        ('[mqtt]\ntopic_prefix = "a/#"\n', "topic_prefix"),
    ],
)
def test_invalid_values_are_rejected(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("/", "\\/")):
        load_config(AgentConfig, section="agent", file=write(tmp_path, text), env={})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_agent_config(tmp_path / "nope.toml")


def test_booleans_lists_and_optional_values_from_the_environment() -> None:
    env = {
        "EDGEBENCH_MODELS": "a.tflite, b.tflite",
        "EDGEBENCH_MQTT__USERNAME": "",
        "EDGEBENCH_MQTT__PROTOCOL": "5",
        "EDGEBENCH_MQTT__KEEPALIVE_S": "0x1e",
    }
    config = load_config(AgentConfig, section="agent", env=env)
    assert config.models == ("a.tflite", "b.tflite")
    assert config.mqtt.username is None
    assert config.mqtt.protocol == "5"
    assert config.mqtt.keepalive_s == 30


def test_literal_choices_are_enforced() -> None:
    with pytest.raises(ConfigError, match="expected one of"):
        load_config(AgentConfig, section="agent", env={"EDGEBENCH_MQTT__PROTOCOL": "4"})


def test_config_and_messages_agree_that_true_is_not_a_number(tmp_path: Path) -> None:
    """One converter: a boolean is refused where a number is expected, in a file as on the wire."""
    file = write(tmp_path, "[agent]\nsample_hz = true\n")
    with pytest.raises(ConfigError, match=r"agent\.sample_hz: expected a number, got True"):
        load_config(AgentConfig, section="agent", file=file, env={})


def test_renamed_setting_names_its_new_name(tmp_path: Path) -> None:
    file = write(tmp_path, "[collector]\nqueue_max = 5000\n")
    with pytest.raises(
        ConfigError, match=r"queue_max: unknown setting \(renamed to receive_maximum\)"
    ):
        load_config(CollectorConfig, section="collector", file=file, env={})
    with pytest.raises(ConfigError, match="receive_maximum: 70000 is outside 1-65535"):
        load_config(
            CollectorConfig, section="collector", env={"EDGEBENCH_RECEIVE_MAXIMUM": "70000"}
        )
