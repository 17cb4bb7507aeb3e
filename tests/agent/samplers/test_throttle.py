"""Throttling flags: parsing and the three sources (meaning: tests/shared/test_throttle.py)."""

from __future__ import annotations

import pytest

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.throttle import ThrottleSampler, decode_throttled, parse_throttled
from edgebench.shared.throttle import assess
from tests.fixtures.boards import use_board


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("throttled=0x0\n", 0),
        ("throttled=0x50000", 0x50000),
        ("throttled=0x50005", 0x50005),
        ("throttled=0x80008", 0x80008),
        ("throttled=0xe0000", 0xE0000),
        ("50005\n", 0x50005),  # the legacy sysfs file holds bare hex
    ],
)
def test_parse_throttled(text: str, value: int) -> None:
    assert parse_throttled(text) == value


def test_decode_live_bits() -> None:
    assert decode_throttled(0x50005) == {
        "throttled": 0x50005,
        "under_voltage": 1.0,
        "freq_capped": 0.0,
        "throttled_now": 1.0,
        "soft_temp_limit": 0.0,
    }
    assert decode_throttled(0x50000)["under_voltage"] == 0.0


def test_vcgencmd_is_preferred(monkeypatch) -> None:
    sampler = ThrottleSampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, "pi3bplus")))
    assert sampler.source == "vcgencmd get_throttled"
    assert sampler.sample()["throttled"] == 0


def test_legacy_sysfs_file_without_vcgencmd(monkeypatch) -> None:
    sampler = ThrottleSampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, "pi3bplus", vcgencmd=False)))
    assert "get_throttled" in sampler.source and "vcgencmd" not in sampler.source
    assert sampler.sample() == decode_throttled(0x50000)


def test_rpi_volt_alarm_when_nothing_else(monkeypatch, tmp_path) -> None:
    from tests.fixtures.boards import copy_board

    root = copy_board("pi4", tmp_path)
    sampler = ThrottleSampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, "pi4", root, vcgencmd=False)))
    assert sampler.source == "rpi_volt"
    assert sampler.units == {"under_voltage": "0/1"}
    assert sampler.sample() == {"under_voltage": 0.0}
    (root / "pi4/sys/class/hwmon/hwmon1/in0_lcrit_alarm").write_text("1\n")
    assert sampler.sample() == {"under_voltage": 1.0}
    assert assess([sampler.sample()]).reasons() == ["under-voltage detected during the run"]


def test_x86_has_no_throttle_source(monkeypatch) -> None:
    with pytest.raises(NoData):
        ThrottleSampler().setup(SamplerContext(use_board(monkeypatch, "x86-rapl")))
