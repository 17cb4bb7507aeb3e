"""NVIDIA Jetson INA3221 rails: JetPack 5+ hwmon ``ina3221`` and JetPack 4 IIO ``ina3221x``.

JP5 (hardware.md §2.6): ``inK_label`` names a rail, ``inK_input`` is mV, ``currK_input``
is mA, and there is no power file, so P = V × I. Labels holding "NC" are unconnected and
channel 7 is the sum of shunt voltages; both are skipped (as jetson_stats does).
JP4: ``rail_name_N``, ``in_voltageN_input`` mV, ``in_currentN_input`` mA,
``in_powerN_input`` mW. ``VDD_IN`` / ``POM_5V_IN`` is already the board input and is the
total when present; the other rails are parts of it and are never added to it.
"""

from __future__ import annotations

from pathlib import Path

from edgebench.agent.power.base import PowerReading, PowerSource
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import hwmon_dirs, read_int, read_text

TOTAL_RAILS = ("VDD_IN", "POM_5V_IN")
SUM_CHANNEL = 7
MAX_CHANNEL = 8

# (rail label, power file or None, voltage file, current file)
Rail = tuple[str, Path | None, Path, Path]


def hwmon_rails(hwmon: Path) -> list[Rail]:
    """Return the labelled, connected channels of one JP5 ina3221 hwmon device."""
    rails = []
    for k in range(1, MAX_CHANNEL + 1):
        label = read_text(hwmon / f"in{k}_label")
        if not label or "NC" in label or k == SUM_CHANNEL:
            continue
        if (hwmon / f"curr{k}_input").exists():
            rails.append((label, None, hwmon / f"in{k}_input", hwmon / f"curr{k}_input"))
    return rails


def iio_rails(device: Path) -> list[Rail]:
    """Return the rails of one JP4 ina3221x IIO device."""
    rails = []
    for k in range(MAX_CHANNEL):
        label = read_text(device / f"rail_name_{k}")
        if not label or "NC" in label:
            continue
        rails.append(
            (
                label,
                device / f"in_power{k}_input",
                device / f"in_voltage{k}_input",
                device / f"in_current{k}_input",
            )
        )
    return rails


def rail_watts(rail: Rail) -> float | None:
    """Read one rail in W: the mW power file when there is one, else mV × mA."""
    _, power, volt, curr = rail
    if power is not None:
        milliwatts = read_int(power)
        if milliwatts is not None:
            return milliwatts / 1e3
    millivolts, milliamps = read_int(volt), read_int(curr)
    if millivolts is None or milliamps is None:
        return None
    return millivolts * milliamps / 1e6


def combine(watts: dict[str, float | None]) -> PowerReading:
    """Board total (VDD_IN / POM_5V_IN, else the sum of rails) and the CPU rail share."""
    total = next((watts[r] for r in TOTAL_RAILS if r in watts), None)
    if total is None and not any(r in watts for r in TOTAL_RAILS):
        parts = [w for w in watts.values() if w is not None]
        total = sum(parts) if parts else None
    cpu = [w for label, w in watts.items() if "CPU" in label and w is not None]
    return PowerReading(total_w=total, cpu_w=sum(cpu) if cpu else None)


class Ina3221Source(PowerSource):
    """All INA3221 rails of a Jetson, read once per tick."""

    method = "ina3221"

    def __init__(self, rails: list[Rail], flavour: str) -> None:
        self._rails = rails
        labels = [r[0] for r in rails]
        total = next((r for r in TOTAL_RAILS if r in labels), None)
        how = f"rail {total}" if total else "sum of rails " + "+".join(labels)
        self.source = f"INA3221 {flavour}: {how}"
        self.note = "cpu share = rails whose label holds CPU; rails: " + ", ".join(labels)

    def read(self) -> PowerReading:
        """Read every rail once."""
        return combine({r[0]: rail_watts(r) for r in self._rails})


def _hwmon_devices(sys_root: Path) -> list[Path]:
    """JP5 ina3221 hwmon directories: the i2c driver path, else by hwmon name."""
    found = sorted((sys_root / "bus/i2c/drivers/ina3221").glob("*/hwmon/hwmon*"))
    if not found:
        found = [path for name, path in hwmon_dirs(sys_root) if name == "ina3221"]
    return found


def detect(ctx: SamplerContext) -> Ina3221Source:
    """Return the Jetson rails, trying JP5 hwmon before JP4 IIO."""
    rails = [r for d in _hwmon_devices(ctx.sys_root) for r in hwmon_rails(d)]
    flavour = "hwmon (JetPack 5+)"
    if not rails:
        devices = sorted((ctx.sys_root / "bus/i2c/drivers/ina3221x").glob("*/iio:device*"))
        rails = [r for d in devices for r in iio_rails(d)]
        flavour = "IIO ina3221x (JetPack 4)"
    rails = [r for r in rails if rail_watts(r) is not None]
    if not rails:
        raise NoData("no Jetson INA3221 rails")
    return Ina3221Source(rails, flavour)
