"""Throttling flags: parsing, the three sources, and the reasons given for a run."""

from __future__ import annotations

import pytest

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.throttle import (
    ThrottleSampler,
    decode_throttled,
    parse_throttled,
    throttle_reasons,
)
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


def rows(*masks: int) -> list[dict[str, float | None]]:
    return [decode_throttled(m) for m in masks]


def test_live_under_voltage_and_throttling_give_reasons() -> None:
    reasons = throttle_reasons(rows(0x0, 0x50005, 0x50000))
    assert reasons == ["under-voltage detected during the run", "CPU throttled during the run"]


def test_history_from_before_the_run_gives_no_reason() -> None:
    assert throttle_reasons(rows(0x50000, 0x50000, 0x50000)) == []


def test_sticky_bit_that_rose_inside_the_window_counts() -> None:
    # A short event between two readings only shows up in the sticky bits.
    reasons = throttle_reasons(rows(0x0, 0x50000))
    assert reasons == [
        "under-voltage occurred during the run (sticky bit 16)",
        "CPU throttling occurred during the run (sticky bit 18)",
    ]


def test_soft_temperature_limit_as_seen_on_a_hot_pi4() -> None:
    assert throttle_reasons(rows(0x0, 0x80008)) == ["soft temperature limit active during the run"]


def test_no_data_means_no_reasons() -> None:
    assert throttle_reasons([]) == []
    assert throttle_reasons([{"t": 1.0, "cpu_util_pct": 50.0}]) == []


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
    assert throttle_reasons([sampler.sample()]) == ["under-voltage detected during the run"]


def test_x86_has_no_throttle_source(monkeypatch) -> None:
    with pytest.raises(NoData):
        ThrottleSampler().setup(SamplerContext(use_board(monkeypatch, "x86-rapl")))
