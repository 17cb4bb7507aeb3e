"""Fan speed in RPM from the Pi 5 ``pwmfan`` hwmon device (``fan1_input``), when present."""

from __future__ import annotations

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import hwmon_dirs, read_int
from edgebench.agent.samplers.base import Sampler, register


@register
class FanSampler(Sampler):
    """The first hwmon fan1_input found (Pi 5 Active Cooler: hwmon ``pwmfan``)."""

    name = "fan"

    def setup(self, ctx: SamplerContext) -> None:
        """Find a readable fan1_input, preferring the pwmfan device."""
        found = sorted(
            (name != "pwmfan", path.name, name)
            for name, path in hwmon_dirs(ctx.sys_root)
            if read_int(path / "fan1_input") is not None
        )
        if not found:
            raise NoData("no hwmon fan1_input")
        _, hwmon, name = found[0]
        self._path = ctx.sys_root / "class" / "hwmon" / hwmon / "fan1_input"
        self.source = f"hwmon {name} ({hwmon}) fan1_input"
        self.units = {"fan_rpm": "RPM"}

    def sample(self) -> dict[str, float | None]:
        """Read the fan speed once."""
        rpm = read_int(self._path)
        return {"fan_rpm": float(rpm) if rpm is not None else None}
