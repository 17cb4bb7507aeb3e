"""Temperature: thermal zones chosen by type, vcgencmd measure_temp as the fallback."""

from __future__ import annotations

import shutil

import pytest

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.fan import FanSampler
from edgebench.agent.samplers.thermal import ThermalSampler, parse_measure_temp
from tests.fixtures.boards import copy_board, use_board


@pytest.mark.parametrize(("text", "value"), [("temp=55.8'C\n", 55.8), ("temp=70.3'C", 70.3)])
def test_parse_measure_temp(text: str, value: float) -> None:
    assert parse_measure_temp(text) == value


def test_parse_measure_temp_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="measure_temp"):
        parse_measure_temp("volt=1.3688V")


@pytest.mark.parametrize(("board", "celsius"), [("pi5", 70.3), ("pi4", 55.8), ("x86-rapl", 45.0)])
def test_zone_in_millidegrees(monkeypatch, board: str, celsius: float) -> None:
    sampler = ThermalSampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, board)))
    assert sampler.source.startswith("thermal zone")
    assert sampler.sample() == {"temp_c": pytest.approx(celsius)}


def test_zone_is_chosen_by_type_not_number(monkeypatch, tmp_path) -> None:
    root = copy_board("pi4", tmp_path)
    zones = root / "pi4" / "sys" / "class" / "thermal"
    (zones / "thermal_zone0" / "type").write_text("gpu-thermal\n")
    (zones / "thermal_zone0" / "temp").write_text("40000\n")
    (zones / "thermal_zone1").mkdir()
    (zones / "thermal_zone1" / "type").write_text("cpu-thermal\n")
    (zones / "thermal_zone1" / "temp").write_text("61500\n")
    sampler = ThermalSampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, "pi4", root)))
    assert sampler.sample() == {"temp_c": 61.5}


def test_vcgencmd_fallback_without_zones(monkeypatch, tmp_path) -> None:
    root = copy_board("pi3bplus", tmp_path)
    shutil.rmtree(root / "pi3bplus" / "sys" / "class" / "thermal")
    sampler = ThermalSampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, "pi3bplus", root)))
    assert sampler.source == "vcgencmd measure_temp"
    assert sampler.min_interval_s > 0
    assert sampler.sample() == {"temp_c": 55.8}


def test_no_zone_and_no_vcgencmd_is_no_data(monkeypatch, tmp_path) -> None:
    root = copy_board("pi3bplus", tmp_path)
    shutil.rmtree(root / "pi3bplus" / "sys" / "class" / "thermal")
    with pytest.raises(NoData):
        ThermalSampler().setup(
            SamplerContext(use_board(monkeypatch, "pi3bplus", root, vcgencmd=False))
        )


def test_pi5_fan_prefers_pwmfan(monkeypatch) -> None:
    sampler = FanSampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, "pi5")))
    assert "pwmfan" in sampler.source
    assert sampler.sample() == {"fan_rpm": 2500.0}
