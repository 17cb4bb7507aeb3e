"""The measured power-source interface shared by PMIC, INA2xx, INA3221, RAPL and power_supply.

A source is found by its module's ``detect(ctx)`` (which raises ``NoData`` when the
hardware is absent) and then read once per sampling tick with :meth:`PowerSource.read`.
Readings are whole-board or package watts plus, where a separate rail is metered, the
CPU and RAM shares, so energy can be split without counting anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PowerReading:
    """One power reading in watts; ``None`` where that share is not metered."""

    total_w: float | None
    cpu_w: float | None = None
    ram_w: float | None = None
    # Before a calibration was applied (the Pi 5 PMIC sum); None when uncalibrated.
    raw_w: float | None = None


class PowerSource:
    """A measured power source; subclasses set the labels and implement :meth:`read`."""

    # PowerInfo.method: "pmic", "ina2xx", "ina3221", "rapl", "power_supply".
    method: str = ""
    # Human description: where the figure comes from (device, file or command).
    source: str = ""
    # Caveats that belong next to the figure (what is and is not metered, calibration).
    note: str = ""
    # True when the source is a cumulative energy counter (RAPL): energy comes from the
    # counter difference over the window, not from integrating sampled power.
    is_counter: bool = False

    def read(self) -> PowerReading:
        """Take one reading (counter sources: mean power since the previous read)."""
        raise NotImplementedError

    def energy_split_j(self) -> tuple[float, float] | None:
        """(CPU, RAM) joules counted since set-up; None unless ``is_counter``."""
        return None
