"""SoC temperature from a thermal zone chosen by type, or ``vcgencmd measure_temp``.

Thermal zones report millidegrees Celsius. The zone number is not stable across boards,
so zones are chosen by their ``type`` (``cpu-thermal`` on a Pi, ``soc-thermal`` on
RK3588). ``vcgencmd measure_temp`` is only used when no zone exists, because it forks.
"""

from __future__ import annotations

import re
from pathlib import Path

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import read_int, read_text
from edgebench.agent.samplers.base import Sampler, register

# Preferred zone types, best first; any other zone is a last resort.
ZONE_TYPES = ("cpu-thermal", "cpu_thermal", "soc-thermal", "soc_thermal", "x86_pkg_temp")
_MEASURE_TEMP = re.compile(r"temp=(-?[0-9.]+)'C")


def parse_measure_temp(text: str) -> float:
    """Parse ``temp=55.8'C`` into 55.8; raise ValueError on anything else."""
    match = _MEASURE_TEMP.search(text)
    if not match:
        raise ValueError(f"not a measure_temp line: {text!r}")
    return float(match.group(1))


def millidegrees_to_c(value: int) -> float:
    """Convert a sysfs millidegree reading to degrees Celsius."""
    return value / 1000.0


def choose_thermal_zone(sys_root: Path) -> tuple[Path, str] | None:
    """Return ``(temp file, zone type)`` of the best thermal zone, or None when none exists."""
    base = sys_root / "class" / "thermal"
    try:
        zones = sorted(base.glob("thermal_zone*"), key=lambda p: p.name)
    except OSError:
        return None
    typed = [(read_text(z / "type") or "", z) for z in zones if (z / "temp").exists()]
    for wanted in ZONE_TYPES:
        for zone_type, zone in typed:
            if zone_type == wanted:
                return zone / "temp", zone_type
    if typed:
        zone_type, zone = typed[0]
        return zone / "temp", zone_type
    return None


@register
class ThermalSampler(Sampler):
    """SoC temperature in °C."""

    name = "thermal"

    def setup(self, ctx: SamplerContext) -> None:
        """Pick a thermal zone, else fall back to ``vcgencmd measure_temp``."""
        self.units = {"temp_c": "°C"}
        self._vc = ctx.vcgencmd
        zone = choose_thermal_zone(ctx.sys_root)
        self._path: Path | None = None
        if zone is not None and read_int(zone[0]) is not None:
            self._path, self.source = zone[0], f"thermal zone {zone[1]}"
            return
        probe = ctx.vcgencmd.probe("measure_temp")
        if probe is None:
            raise NoData("no readable thermal zone and no vcgencmd measure_temp")
        parse_measure_temp(probe)
        self.source = "vcgencmd measure_temp"
        self.min_interval_s = 1.0  # it forks; temperature moves slowly

    def sample(self) -> dict[str, float | None]:
        """Read the temperature once."""
        if self._path is not None:
            value = read_int(self._path)
            return {"temp_c": millidegrees_to_c(value) if value is not None else None}
        text = self._vc.run("measure_temp")
        try:
            return {"temp_c": parse_measure_temp(text or "")}
        except ValueError:
            return {"temp_c": None}
