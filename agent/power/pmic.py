"""Raspberry Pi 5 PMIC rails from ``vcgencmd pmic_read_adc`` (hardware.md §1.6).

The PMIC reports a current and a voltage for 12 rails; their V×A sum is the power the
board's own regulators deliver. It misses the 5 V loads (USB, HATs, NVMe, fan) and the
conversion losses, so it reads low; jfikar/RPi5-power fitted it against a USB-C meter:
``real W = PMIC_sum × 1.1451 + 0.5879``. edgebench applies that fit and says so.
"""

from __future__ import annotations

import re

from edgebench.agent.power.base import PowerReading, PowerSource
from edgebench.agent.probe.context import NoData, SamplerContext

_LINE = re.compile(r"^\s*(\S+)_([AV])\s+(?:current|volt)\((\d+)\)=([0-9.]+)[AV]", re.MULTILINE)

# jfikar/RPi5-power README (commit 3261e29): PMIC sum -> USB-C input watts.
CALIBRATION_GAIN = 1.1451
CALIBRATION_OFFSET_W = 0.5879
CPU_RAILS = ("VDD_CORE",)
RAM_RAILS = ("DDR_VDD2", "DDR_VDDQ")


def parse_pmic_read_adc(text: str) -> dict[str, dict[str, float]]:
    """Return ``{rail: {"A": amps, "V": volts}}``, pairing lines by rail name, not order."""
    rails: dict[str, dict[str, float]] = {}
    for rail, kind, _channel, value in _LINE.findall(text):
        rails.setdefault(rail, {})[kind] = float(value)
    return rails


def rail_powers(rails: dict[str, dict[str, float]]) -> dict[str, float]:
    """Return V×A per rail that has both a current and a voltage (EXT5V/BATT have no A)."""
    return {r: v["A"] * v["V"] for r, v in rails.items() if "A" in v and "V" in v}


def calibrate(pmic_sum_w: float) -> float:
    """Apply jfikar's USB-C meter fit to a PMIC rail sum."""
    return pmic_sum_w * CALIBRATION_GAIN + CALIBRATION_OFFSET_W


def pmic_reading(text: str) -> PowerReading:
    """Turn one ``pmic_read_adc`` output into a calibrated reading with CPU and RAM rails."""
    powers = rail_powers(parse_pmic_read_adc(text))
    if not powers:
        return PowerReading(None)
    raw = sum(powers.values())
    cpu = sum(powers[r] for r in CPU_RAILS if r in powers)
    ram = sum(powers[r] for r in RAM_RAILS if r in powers)
    return PowerReading(total_w=calibrate(raw), cpu_w=cpu, ram_w=ram, raw_w=raw)


class PmicSource(PowerSource):
    """Pi 5 PMIC: calibrated sum of the V×A rails, one ``vcgencmd`` fork per reading."""

    method = "pmic"

    def __init__(self, ctx: SamplerContext, rails: int) -> None:
        self._vc = ctx.vcgencmd
        self.source = (
            f"vcgencmd pmic_read_adc: sum of {rails} V×A rails, calibrated "
            f"×{CALIBRATION_GAIN} + {CALIBRATION_OFFSET_W} W (jfikar/RPi5-power USB-C fit)"
        )
        self.note = (
            "calibration applied; the PMIC does not meter 5 V loads (USB, HATs, NVMe, fan); "
            "cpu rail = VDD_CORE, RAM rails = DDR_VDD2 + DDR_VDDQ (uncalibrated)"
        )

    def read(self) -> PowerReading:
        """Fork ``vcgencmd pmic_read_adc`` once."""
        return pmic_reading(self._vc.run("pmic_read_adc") or "")


def detect(ctx: SamplerContext) -> PmicSource:
    """Return the PMIC source when ``vcgencmd pmic_read_adc`` lists rails."""
    text = ctx.vcgencmd.probe("pmic_read_adc")
    rails = rail_powers(parse_pmic_read_adc(text or ""))
    if not rails:
        raise NoData("vcgencmd pmic_read_adc is not available (Raspberry Pi 5 / CM5 only)")
    return PmicSource(ctx, len(rails))
