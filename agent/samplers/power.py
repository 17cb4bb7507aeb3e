"""Measured board power from the best power source (see :mod:`edgebench.agent.power`).

Keys: ``power_w`` (the total the source measures), plus ``power_cpu_w`` / ``power_ram_w``
where those rails are metered separately and ``power_pmic_raw_w`` (the uncalibrated Pi 5
PMIC sum). Without a measured source this sampler has no data and the session reports an
estimate under its own key, ``power_est_w``, so an estimate is never mistaken for a reading.
"""

from __future__ import annotations

from edgebench.agent.power.base import PowerSource
from edgebench.agent.power.select import select_power_source
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.base import Sampler, register


@register
class PowerSampler(Sampler):
    """One reading of the selected power source per tick."""

    name = "power"

    def setup(self, ctx: SamplerContext) -> None:
        """Use the best measured power source here; none means no data."""
        selected = select_power_source(ctx).source
        if selected is None:
            raise NoData("no measured power source (the session reports an estimate)")
        self.power_source: PowerSource = selected
        self.source = selected.source
        self.units = {
            "power_w": "W",
            "power_cpu_w": "W",
            "power_ram_w": "W",
            "power_pmic_raw_w": "W",
        }

    def sample(self) -> dict[str, float | None]:
        """Read the source once; shares that are not metered are left out."""
        reading = self.power_source.read()
        out: dict[str, float | None] = {"power_w": reading.total_w}
        if reading.cpu_w is not None:
            out["power_cpu_w"] = reading.cpu_w
        if reading.ram_w is not None:
            out["power_ram_w"] = reading.ram_w
        if reading.raw_w is not None:
            out["power_pmic_raw_w"] = reading.raw_w
        return out
