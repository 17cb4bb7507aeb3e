"""``/sys/class/power_supply`` readings: ``power_now`` (µW) or ``voltage_now``×``current_now``.

The class uses micro-units (µV, µA, µW). UCSI USB-PD entries describe the negotiated
contract, not measured power, and are skipped (jetson_stats PR #900). A battery only
describes the machine's draw while it is discharging, so other states are skipped too.
"""

from __future__ import annotations

from pathlib import Path

from edgebench.agent.power.base import PowerReading, PowerSource
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import read_int, read_text


def supply_watts(path: Path) -> float | None:
    """Return one supply's power in W, or None when it has no usable reading."""
    if path.name.startswith("ucsi"):
        return None
    if read_text(path / "type") == "Battery" and read_text(path / "status") != "Discharging":
        return None
    micro_w = read_int(path / "power_now")
    if micro_w is not None:
        return abs(micro_w) / 1e6
    micro_v, micro_a = read_int(path / "voltage_now"), read_int(path / "current_now")
    if micro_v is None or micro_a is None:
        return None
    return abs(micro_v * micro_a) / 1e12


class PowerSupplySource(PowerSource):
    """The sum of the usable power_supply entries."""

    method = "power_supply"

    def __init__(self, supplies: list[Path]) -> None:
        self._supplies = supplies
        self.source = "power_supply: " + ", ".join(p.name for p in supplies)
        self.note = "what the supply or battery reports; accuracy depends on its fuel gauge"

    def read(self) -> PowerReading:
        """Read every supply once."""
        watts = [w for w in (supply_watts(p) for p in self._supplies) if w is not None]
        return PowerReading(total_w=sum(watts) if watts else None)


def detect(ctx: SamplerContext) -> PowerSupplySource:
    """Return the supplies that report power now."""
    base = ctx.sys_root / "class" / "power_supply"
    supplies = [p for p in sorted(base.glob("*")) if supply_watts(p) is not None]
    if not supplies:
        raise NoData("no power_supply entry reports power_now or voltage_now×current_now")
    return PowerSupplySource(supplies)
