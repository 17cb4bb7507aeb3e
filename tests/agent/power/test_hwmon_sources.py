"""INA2xx hwmon, Jetson INA3221 (JP5 hwmon, JP4 IIO) and power_supply readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.power import ina2xx, jetson, power_supply
from edgebench.agent.probe.context import NoData, SamplerContext
from tests.fixtures.boards import use_board


def write(directory: Path, **files: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, value in files.items():
        (directory / name).write_text(f"{value}\n")
    return directory


def ctx_for(sys_root: Path) -> SamplerContext:
    return SamplerContext(AgentConfig(sys_root=sys_root, vcgencmd=""))


def test_ina219_ups_hat_reading(tmp_path) -> None:
    # networkupstools/nut#2960 (hardware.md §2.5): 4.228 V, 0.176 W, -40 mA, 0.1 ohm.
    write(tmp_path / "class/hwmon/hwmon0", name="cpu_thermal", temp1_input=50000)
    write(
        tmp_path / "class/hwmon/hwmon1",
        name="ina219",
        in0_input=-4,
        in1_input=4228,
        power1_input=176000,
        curr1_input=-40,
        shunt_resistor=100000,
    )
    source = ina2xx.detect(ctx_for(tmp_path))
    assert source.method == "ina2xx" and "ina219" in source.source
    assert source.read().total_w == pytest.approx(0.176)


def test_ina226_without_power_file_uses_bus_voltage_times_current(tmp_path) -> None:
    write(tmp_path / "class/hwmon/hwmon0", name="ina226", in1_input=5000, curr1_input=1200)
    assert ina2xx.detect(ctx_for(tmp_path)).read().total_w == pytest.approx(6.0)


def test_no_ina2xx(tmp_path) -> None:
    write(tmp_path / "class/hwmon/hwmon0", name="ina3221", in1_input=5000, curr1_input=1)
    with pytest.raises(NoData):
        ina2xx.detect(ctx_for(tmp_path))


def test_orin_jp5_uses_vdd_in_and_skips_nc(monkeypatch) -> None:
    source = jetson.detect(SamplerContext(use_board(monkeypatch, "jetson-orin-jp5")))
    assert source.method == "ina3221" and "JetPack 5" in source.source
    assert "rail VDD_IN" in source.source and "NC" not in source.note
    reading = source.read()
    assert reading.total_w == pytest.approx(19.2 * 0.5)  # VDD_IN only, rails not added
    assert reading.cpu_w == pytest.approx(19.2 * 0.125)


def test_nano_jp4_iio_uses_pom_5v_in_milliwatts(monkeypatch) -> None:
    source = jetson.detect(SamplerContext(use_board(monkeypatch, "jetson-nano-jp4")))
    assert "JetPack 4" in source.source and "POM_5V_IN" in source.source
    reading = source.read()
    assert reading.total_w == pytest.approx(4.0)
    assert reading.cpu_w == pytest.approx(1.5)


def test_jp5_without_a_total_rail_sums_rails_and_skips_channel_7(tmp_path) -> None:
    hwmon = tmp_path / "bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3"
    write(hwmon, name="ina3221", in1_label="VDD_CPU_CV", in1_input=5000, curr1_input=400)
    write(hwmon, in2_label="VDD_SOC", in2_input=5000, curr2_input=200)
    write(hwmon, in7_label="sum of shunt voltages", in7_input=100, curr7_input=9999)
    reading = jetson.detect(ctx_for(tmp_path)).read()
    assert reading.total_w == pytest.approx(3.0)
    assert reading.cpu_w == pytest.approx(2.0)


def test_jp5_found_through_class_hwmon_too(tmp_path) -> None:
    write(tmp_path / "class/hwmon/hwmon0", name="ina3221", in1_label="VDD_IN")
    write(tmp_path / "class/hwmon/hwmon0", in1_input=5000, curr1_input=1000)
    assert jetson.detect(ctx_for(tmp_path)).read().total_w == pytest.approx(5.0)


def test_battery_discharging_counts_charging_and_ucsi_do_not(tmp_path) -> None:
    base = tmp_path / "class/power_supply"
    write(base / "BAT0", type="Battery", status="Discharging", power_now=7_250_000)
    write(base / "BAT1", type="Battery", status="Charging", power_now=20_000_000)
    write(base / "ucsi-source-psy-1", type="USB", voltage_now=20_000_000, current_now=3_000_000)
    write(base / "AC", type="Mains", online=1)
    source = power_supply.detect(ctx_for(tmp_path))
    assert source.source == "power_supply: BAT0"
    assert source.read().total_w == pytest.approx(7.25)


def test_voltage_times_current_in_micro_units(tmp_path) -> None:
    write(tmp_path / "class/power_supply/jetson-psu", voltage_now=5_000_000, current_now=800_000)
    assert power_supply.detect(ctx_for(tmp_path)).read().total_w == pytest.approx(4.0)


def test_no_power_supply(tmp_path) -> None:
    with pytest.raises(NoData):
        power_supply.detect(ctx_for(tmp_path))
