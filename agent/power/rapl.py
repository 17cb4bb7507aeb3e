"""Intel/AMD RAPL energy counters under ``/sys/class/powercap`` (hardware.md §2.7).

``energy_uj`` is a cumulative µJ counter that wraps to 0 after ``max_energy_range_uj``.
Energy over a window is the wrap-corrected counter difference; power is ΔE/Δt between two
reads. Packages (``package-N``) are the CPU share; ``dram`` sub-zones, where present, are
separate domains and are the RAM share. Since kernel 5.10 the counter is root-only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from edgebench.agent.power.base import PowerReading, PowerSource
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import read_int, read_text

# Shorter intervals make ΔE/Δt explode on counter granularity (CodeCarbon power-estimation).
MIN_INTERVAL_S = 0.005


def counter_delta(before: int, after: int, max_range: int) -> int:
    """Counter increase in µJ from ``before`` to ``after``, assuming at most one wrap."""
    if after >= before:
        return after - before
    return after + max_range - before


@dataclass
class RaplZone:
    """One powercap zone: its files, its domain and the last counter value seen."""

    path: Path
    name: str
    max_range_uj: int
    last_uj: int | None = None

    def read_delta_uj(self) -> int | None:
        """Read the counter and return the increase since the previous read (None first)."""
        now = read_int(self.path / "energy_uj")
        if now is None:
            return None
        last, self.last_uj = self.last_uj, now
        return None if last is None else counter_delta(last, now, self.max_range_uj)


def find_zones(sys_root: Path) -> list[RaplZone]:
    """Return package zones and their dram sub-zones that have a readable counter."""
    zones = []
    base = sys_root / "class" / "powercap"
    for path in sorted(base.glob("intel-rapl:*")):
        name = read_text(path / "name") or ""
        top = path.name.count(":") == 1
        if not (name.startswith("package") and top) and name != "dram":
            continue
        try:
            int((path / "energy_uj").read_text())
        except PermissionError:
            raise NoData(
                f"{path / 'energy_uj'} is readable only by root (kernel 5.10+); "
                "run as root or grant read access"
            ) from None
        except (OSError, ValueError):
            continue
        max_range = read_int(path / "max_energy_range_uj")
        if max_range:
            zones.append(RaplZone(path, name, max_range))
    return zones


class RaplSource(PowerSource):
    """Package (+ dram) energy counters; power is ΔE/Δt since the previous read."""

    method = "rapl"
    is_counter = True

    def __init__(self, zones: list[RaplZone]) -> None:
        self._zones = zones
        names = ", ".join(f"{z.path.name} ({z.name})" for z in zones)
        self.source = f"RAPL energy_uj counters: {names}"
        self.note = "CPU package (+ DRAM where exposed) only, not the whole machine"
        self._cpu_j = 0.0
        self._ram_j = 0.0
        self._last_t: float | None = None
        self.read()  # set every zone's baseline

    def read(self) -> PowerReading:
        """Read every counter; power is the mean since the previous read."""
        now = time.monotonic()
        cpu_uj = ram_uj = 0
        for zone in self._zones:
            delta = zone.read_delta_uj()
            if delta is None:
                continue
            if zone.name == "dram":
                ram_uj += delta
            else:
                cpu_uj += delta
        self._cpu_j += cpu_uj / 1e6
        self._ram_j += ram_uj / 1e6
        last, self._last_t = self._last_t, now
        if last is None or now - last < MIN_INTERVAL_S:
            return PowerReading(None)
        dt = now - last
        has_ram = any(z.name == "dram" for z in self._zones)
        return PowerReading(
            total_w=(cpu_uj + ram_uj) / 1e6 / dt,
            cpu_w=cpu_uj / 1e6 / dt,
            ram_w=ram_uj / 1e6 / dt if has_ram else None,
        )

    def energy_split_j(self) -> tuple[float, float]:
        """(CPU package, DRAM) joules counted since set-up."""
        return self._cpu_j, self._ram_j


def detect(ctx: SamplerContext) -> RaplSource:
    """Return the RAPL source when a package counter is readable."""
    zones = find_zones(ctx.sys_root)
    if not any(z.name.startswith("package") for z in zones):
        raise NoData("no readable RAPL package zone under powercap")
    return RaplSource(zones)
