"""CPU frequency: sysfs kHz (requested) and vcgencmd measure_clock arm (real, Hz)."""

from __future__ import annotations

import pytest

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.cpufreq import (
    ArmClockSampler,
    CpuFreqSampler,
    parse_measure_clock,
    read_governor,
)
from tests.fixtures.boards import use_board


@pytest.mark.parametrize(
    ("text", "hz"),
    [
        ("frequency(45)=1400000000\n", 1_400_000_000),
        ("frequency(48)=1500000000", 1_500_000_000),
        ("frequency(0)=2400004352", 2_400_004_352),
        ("frequency(45)=1147000000", 1_147_000_000),
    ],
)
def test_parse_measure_clock_accepts_any_clock_id(text: str, hz: int) -> None:
    assert parse_measure_clock(text) == hz


def test_parse_measure_clock_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="measure_clock"):
        parse_measure_clock("temp=55.8'C")


@pytest.mark.parametrize(
    ("board", "real_mhz", "requested_mhz"),
    [("pi5", 2400.004352, 2400.0), ("pi4", 1500.0, 1500.0), ("pi3bplus", 1400.0, 1400.0)],
)
def test_pi_reports_real_clock_and_keeps_requested(
    monkeypatch, board: str, real_mhz: float, requested_mhz: float
) -> None:
    ctx = SamplerContext(use_board(monkeypatch, board))
    clock, sysfs = ArmClockSampler(), CpuFreqSampler()
    clock.setup(ctx)
    sysfs.setup(ctx)
    assert clock.sample() == {"cpu_freq_mhz": pytest.approx(real_mhz)}
    assert sysfs.sample() == {"cpu_freq_req_mhz": requested_mhz}
    assert clock.min_interval_s > 0  # it forks, so it is rate-limited


def test_pi_without_vcgencmd_uses_sysfs_as_the_clock(monkeypatch) -> None:
    ctx = SamplerContext(use_board(monkeypatch, "zero2w", vcgencmd=False))
    sysfs = CpuFreqSampler()
    sysfs.setup(ctx)
    assert sysfs.sample() == {"cpu_freq_mhz": 1000.0}
    with pytest.raises(NoData):
        ArmClockSampler().setup(ctx)


def test_fastest_policy_wins_and_governor_is_read(monkeypatch, tmp_path) -> None:
    config = use_board(monkeypatch, "x86-rapl")
    sampler = CpuFreqSampler()
    sampler.setup(SamplerContext(config))
    assert sampler.sample() == {"cpu_freq_mhz": 2600.0}
    assert read_governor(config.sys_root) == "powersave"
    assert read_governor(tmp_path) is None
