"""Raspberry Pi throttling and under-voltage flags, read once per sample.

Sources, best first (hardware.md §2.3): ``vcgencmd get_throttled`` (all bits), the legacy
sysfs ``soc:firmware/get_throttled`` file (same value, removed from kernels in 2025), and
the ``rpi_volt`` hwmon ``in0_lcrit_alarm`` (under-voltage-now only). The bit layout, and
what the readings of a run mean, is ``edgebench.shared.throttle``.
"""

from __future__ import annotations

import re
from pathlib import Path

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import find_hwmon, read_int, read_text
from edgebench.agent.samplers.base import Sampler, register
from edgebench.shared.throttle import CONDITIONS, MASK_KEY

_GET_THROTTLED = re.compile(r"throttled=(0x[0-9a-fA-F]+|\d+)")
LEGACY_SYSFS = Path("devices/platform/soc/soc:firmware/get_throttled")


def parse_throttled(text: str) -> int:
    """Parse ``throttled=0x50005`` (or a bare sysfs ``50005``) into an int."""
    match = _GET_THROTTLED.search(text)
    if match:
        return int(match.group(1), 0)
    stripped = text.strip()
    if stripped:
        return int(stripped, 16)  # the sysfs file holds bare hex
    raise ValueError("empty get_throttled value")


def decode_throttled(value: int) -> dict[str, float | None]:
    """Return the sample keys for one bitmask: raw ``throttled`` plus the four live flags."""
    out: dict[str, float | None] = {MASK_KEY: float(value)}
    for c in CONDITIONS:
        out[c.key] = float((value >> c.bit) & 1)
    return out


@register
class ThrottleSampler(Sampler):
    """Throttling bitmask and flags (0/1) from the best available source."""

    name = "throttle"
    min_interval_s = 1.0  # vcgencmd forks; the sticky bits catch anything shorter

    def setup(self, ctx: SamplerContext) -> None:
        """Pick vcgencmd, the legacy sysfs file or the rpi_volt alarm, in that order."""
        self._vc = ctx.vcgencmd
        self._legacy = ctx.sys_root / LEGACY_SYSFS
        self._alarm: Path | None = None
        self.units = {MASK_KEY: "bitmask"} | {c.key: "0/1" for c in CONDITIONS}
        probe = ctx.vcgencmd.probe("get_throttled")
        if probe is not None and _parses(probe):
            self.source = "vcgencmd get_throttled"
            return
        if _parses(read_text(self._legacy) or ""):
            self.source, self.min_interval_s = str(LEGACY_SYSFS), 0.0
            return
        volt = find_hwmon(ctx.sys_root, "rpi_volt")
        if volt is not None and read_int(volt / "in0_lcrit_alarm") is not None:
            self._alarm, self.source, self.min_interval_s = volt / "in0_lcrit_alarm", "rpi_volt", 0
            self.units = {"under_voltage": "0/1"}
            return
        raise NoData("no vcgencmd get_throttled, get_throttled sysfs file or rpi_volt hwmon")

    def sample(self) -> dict[str, float | None]:
        """Read the flags once."""
        if self._alarm is not None:
            alarm = read_int(self._alarm)
            return {"under_voltage": float(alarm != 0) if alarm is not None else None}
        if self.source.startswith("vcgencmd"):
            text = self._vc.run("get_throttled") or ""
        else:
            text = read_text(self._legacy) or ""
        try:
            return decode_throttled(parse_throttled(text))
        except ValueError:
            return dict.fromkeys(self.units)


def _parses(text: str) -> bool:
    """Whether ``text`` is a get_throttled value."""
    try:
        parse_throttled(text)
    except ValueError:
        return False
    return True
