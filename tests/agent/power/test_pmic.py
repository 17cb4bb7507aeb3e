"""Pi 5 PMIC: parsing pmic_read_adc, the rail sum, calibration and detection."""

from __future__ import annotations

import random

import pytest

from edgebench.agent.power import pmic
from edgebench.agent.probe.context import NoData, SamplerContext
from tests.fixtures.boards import BOARDS_DIR, use_board

CAPTURE = (BOARDS_DIR / "pi5" / "vcgencmd" / "pmic_read_adc.txt").read_text()
RAILS = {
    "3V7_WL_SW", "3V3_SYS", "1V8_SYS", "DDR_VDD2", "DDR_VDDQ", "1V1_SYS",
    "0V8_SW", "VDD_CORE", "3V3_DAC", "3V3_ADC", "0V8_AON", "HDMI",
}  # fmt: skip


def test_parse_pairs_current_and_voltage_by_rail_name() -> None:
    rails = pmic.parse_pmic_read_adc(CAPTURE)
    assert rails["VDD_CORE"] == {"A": 10.87674, "V": 0.8974594}
    assert rails["EXT5V"] == {"V": 5.06788} and rails["BATT"] == {"V": 3.011108}
    assert set(pmic.rail_powers(rails)) == RAILS  # 12 rails; EXT5V and BATT have no current


def test_line_order_does_not_matter() -> None:
    lines = CAPTURE.splitlines()
    random.Random(7).shuffle(lines)
    assert pmic.parse_pmic_read_adc("\n".join(lines)) == pmic.parse_pmic_read_adc(CAPTURE)


def test_worked_example_from_the_load_capture() -> None:
    # hardware.md §1.6: sum 10.80 W, VDD_CORE 9.76 W, calibrated about 12.9 W.
    reading = pmic.pmic_reading(CAPTURE)
    assert reading.raw_w == pytest.approx(10.80, abs=0.005)
    assert reading.cpu_w == pytest.approx(9.76, abs=0.005)
    assert reading.total_w == pytest.approx(10.80 * 1.1451 + 0.5879, abs=0.01)
    assert reading.ram_w == pytest.approx(0.00780744 * 1.10292900)


def test_calibration_is_jfikars_fit() -> None:
    assert pmic.calibrate(0.0) == pytest.approx(0.5879)
    assert pmic.calibrate(10.0) == pytest.approx(12.0389)


def test_single_channel_output_has_no_power() -> None:
    assert pmic.pmic_reading("     EXT5V_V volt(24)=5.06788000V\n").total_w is None
    assert pmic.pmic_reading("").total_w is None


def test_detect_on_pi5_labels_the_calibration(monkeypatch) -> None:
    source = pmic.detect(SamplerContext(use_board(monkeypatch, "pi5")))
    assert source.method == "pmic"
    assert "12 V×A rails" in source.source and "1.1451" in source.source
    assert "calibration applied" in source.note
    assert source.read().total_w == pytest.approx(pmic.calibrate(10.80), abs=0.01)


@pytest.mark.parametrize("board", ["pi4", "pi3bplus", "zero2w"])
def test_older_pis_have_no_pmic(monkeypatch, board: str) -> None:
    with pytest.raises(NoData):
        pmic.detect(SamplerContext(use_board(monkeypatch, board)))
