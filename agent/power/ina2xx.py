"""INA219/INA226-family power monitors through the kernel ``ina2xx`` hwmon driver.

Units (kernel Documentation/hwmon/ina2xx.rst): ``power1_input`` µW, ``in1_input`` bus
voltage mV, ``curr1_input`` mA. What the sensor measures depends on where it is wired
(a UPS HAT's battery, a board's 5 V input), so the source names the device.
"""

from __future__ import annotations

import re
from pathlib import Path

from edgebench.agent.power.base import PowerReading, PowerSource
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import hwmon_dirs, read_int

_INA2XX = re.compile(r"^ina2\d\d$")


def ina2xx_watts(hwmon: Path) -> float | None:
    """Return one INA2xx reading in W: power1_input (µW), else bus mV × mA."""
    micro_w = read_int(hwmon / "power1_input")
    if micro_w is not None:
        return micro_w / 1e6
    millivolts = read_int(hwmon / "in1_input")
    milliamps = read_int(hwmon / "curr1_input")
    if millivolts is None or milliamps is None:
        return None
    return millivolts * milliamps / 1e6


class Ina2xxSource(PowerSource):
    """One INA2xx hwmon device."""

    method = "ina2xx"

    def __init__(self, name: str, hwmon: Path) -> None:
        self._hwmon = hwmon
        self.source = f"{name} hwmon ({hwmon.name}) power1_input"
        self.note = "measures whatever the sensor's shunt is wired into (board input or HAT)"

    def read(self) -> PowerReading:
        """Read the device once."""
        return PowerReading(total_w=ina2xx_watts(self._hwmon))


def detect(ctx: SamplerContext) -> Ina2xxSource:
    """Return the first INA2xx hwmon device that gives a reading."""
    for name, path in hwmon_dirs(ctx.sys_root):
        if _INA2XX.match(name) and ina2xx_watts(path) is not None:
            return Ina2xxSource(name, path)
    raise NoData("no ina2xx hwmon device")
