"""Device facts from board trees, the pure parsers, and the ``agent facts`` command."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from edgebench.agent.config import AgentConfig
from edgebench.agent.facts import (
    board_profile_key,
    collect_device_facts,
    make_device_id,
    parse_cpuinfo,
    parse_os_release,
)
from edgebench.shared.cli import cli
from edgebench.shared.version import __version__
from tests.fixtures.boards import BOARDS, board_env, use_board

EXPECTED = {
    "pi3bplus": ("Raspberry Pi 3 Model B Plus Rev 1.3", "pi3bplus", "Cortex-A53", 1400.0),
    "pi4": ("Raspberry Pi 4 Model B Rev 1.1", "pi4", "Cortex-A72", 1500.0),
    "pi5": ("Raspberry Pi 5 Model B Rev 1.0", "pi5", "Cortex-A76", 2400.0),
    "zero2w": ("Raspberry Pi Zero 2 W Rev 1.0", "zero2w", "Cortex-A53", 1000.0),
}


@pytest.mark.parametrize("board", sorted(EXPECTED))
def test_raspberry_pi_trees_are_detected(monkeypatch, board: str) -> None:
    facts = collect_device_facts(use_board(monkeypatch, board))
    model, profile, cpu, max_mhz = EXPECTED[board]
    assert facts.board == model
    assert facts.board_compatible[0].startswith("raspberrypi,")
    assert facts.board_profile == profile
    assert facts.cpu_model == cpu
    assert facts.cpu_cores == 4
    assert facts.cpu_max_mhz == max_mhz
    assert facts.cpu_governor == "ondemand"
    assert facts.os_release == "Debian GNU/Linux 12 (bookworm)"
    assert facts.hostname == f"{board}-lab"
    assert re.fullmatch(rf"{board}-lab-[0-9a-f]{{8}}", facts.device_id)
    assert facts.edgebench_version == __version__


def test_ram_and_runtimes(monkeypatch) -> None:
    facts = collect_device_facts(use_board(monkeypatch, "pi4"))
    assert facts.ram_mb == pytest.approx(3884000 / 1024, abs=0.1)
    assert facts.runtimes.get("ai-edge-litert")  # installed in the dev venv
    assert "tflite-runtime" not in facts.runtimes or facts.runtimes["tflite-runtime"]


def test_non_pi_trees(monkeypatch) -> None:
    orin = collect_device_facts(use_board(monkeypatch, "jetson-orin-jp5"))
    assert orin.cpu_model == "Cortex-A78AE" and orin.cpu_cores == 8
    nano = collect_device_facts(use_board(monkeypatch, "jetson-nano-jp4"))
    assert nano.cpu_model == "Cortex-A57" and nano.cpu_max_mhz == 1479.0
    x86 = collect_device_facts(use_board(monkeypatch, "x86-rapl"))
    assert x86.cpu_model.startswith("Intel") and x86.cpu_max_mhz == 3500.0
    assert x86.cpu_governor == "powersave"


def test_configured_device_id_wins(monkeypatch) -> None:
    config = use_board(monkeypatch, "pi5", EDGEBENCH_DEVICE_ID="bench-pi5")
    assert collect_device_facts(config).device_id == "bench-pi5"


def test_device_id_is_stable_and_safe() -> None:
    a = make_device_id("pi5-lab", "55555555555555555555555555555555")
    assert a == make_device_id("pi5-lab", "55555555555555555555555555555555\n")
    assert a != make_device_id("pi5-lab", "66666666666666666666666666666666")
    odd = make_device_id("my pi/5 (lab)#" + "x" * 80, "abc")
    assert len(odd) <= 64 and re.fullmatch(r"[A-Za-z0-9_.-]+", odd)
    assert make_device_id("", None) == "device"
    assert AgentConfig(device_id=odd).validate() == []


def test_arm_cpu_parts_and_big_little() -> None:
    text = "".join(
        f"processor\t: {n}\nCPU implementer\t: 0x41\nCPU part\t: {part}\n\n"
        for n, part in enumerate(["0xd05"] * 4 + ["0xd0b"] * 4)
    )
    assert parse_cpuinfo(text) == ("Cortex-A55 + Cortex-A76", 8)
    assert parse_cpuinfo("processor : 0\nmodel name : Some CPU\n") == ("Some CPU", 1)
    assert parse_cpuinfo("") == ("unknown", 0)
    odd = "processor : 0\nCPU implementer : 0x4e\nCPU part : 0x004\n"
    assert parse_cpuinfo(odd)[0] == "CPU part 0x004 (implementer 0x4e)"


@pytest.mark.parametrize(
    ("model", "compatible", "machine", "key"),
    [
        (None, ["raspberrypi,4-compute-module", "brcm,bcm2711"], "aarch64", "cm4"),
        ("Raspberry Pi 5 Model B Rev 1.1", ["raspberrypi,5-model-b"], "aarch64", "pi5-d0"),
        ("Raspberry Pi 5 Model B Rev 1.0", ["raspberrypi,5-model-b"], "aarch64", "pi5"),
        ("Raspberry Pi 4 Model B Rev 1.5", [], "aarch64", "pi4"),
        ("Raspberry Pi Compute Module 4 Rev 1.0", [], "aarch64", "cm4"),
        (None, [], "x86_64", "generic-x86"),
        (None, [], "aarch64", "generic-arm"),
        ("Some Board", ["vendor,board"], "aarch64", None),
    ],
)
def test_board_profile_key(model, compatible, machine, key) -> None:
    assert board_profile_key(model, compatible, machine) == key


def test_os_release_parsing() -> None:
    assert parse_os_release('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n') == (
        "Debian GNU/Linux 12 (bookworm)"
    )
    assert parse_os_release('NAME="Raspbian"\nVERSION="11"\n') == "Raspbian 11"
    assert parse_os_release("") == "unknown"


def test_this_machine() -> None:
    facts = collect_device_facts(AgentConfig())
    assert facts.cpu_cores >= 1 and facts.ram_mb > 0
    assert facts.kernel and facts.python and facts.device_id
    assert AgentConfig(device_id=facts.device_id).validate() == []


@pytest.mark.parametrize("board", BOARDS)
def test_cli_json_on_every_board(board: str) -> None:
    result = CliRunner().invoke(cli, ["agent", "facts", "--json"], env=board_env(board))
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert set(info) == {"device", "samplers", "power_sources", "power"}
    assert all(not s.startswith("error") for s in info["samplers"].values())
    expected = {"pi5": "pmic", "x86-rapl": "rapl", "jetson-orin-jp5": "ina3221"}
    assert info["power"]["method"] == expected.get(board, info["power"]["method"])
    if info["power"]["method"] == "estimate":
        assert info["power"]["measured"] is False


def test_cli_text_on_this_machine_and_profiles() -> None:
    result = CliRunner().invoke(cli, ["agent", "facts"])
    assert result.exit_code == 0, result.output
    assert "Samplers" in result.output and "Power used:" in result.output
    table = CliRunner().invoke(cli, ["agent", "facts", "--profiles"])
    assert table.exit_code == 0 and "| `pi4` |" in table.output


def test_cli_reports_a_bad_profile_as_one_line() -> None:
    result = CliRunner().invoke(
        cli, ["agent", "facts"], env={**board_env("pi4"), "EDGEBENCH_POWER__PROFILE": "pi9"}
    )
    assert result.exit_code == 2
    assert "edgebench: error: power.profile 'pi9' is not a board profile" in result.output
