"""Energy over the measured phase, and the PowerInfo / EnergyInfo result blocks.

Energy comes from a counter difference where a counter exists (RAPL), otherwise from the
trapezoidal integral of the power samples over exactly [start, stop]: the first and last
readings are held flat to the window edges, so a window with one reading gives P × Δt.

CodeCarbon fields (no energy counted twice): ``ram_*`` is a separately metered RAM rail
(Pi 5 PMIC DDR rails, RAPL dram) and ``cpu_*`` is the rest of the total; without a RAM
rail ``ram_power`` is 0 and the whole figure is in ``cpu_*``. ``energy_consumed`` is
always the total, and ``cpu_energy + ram_energy == energy_consumed``. The carbon intensity
is the user's, else the country's (``carbon.carbon_intensity``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from edgebench.agent.config import PowerConfig
from edgebench.agent.power.carbon import carbon_intensity
from edgebench.shared.result import EnergyInfo

J_PER_KWH = 3.6e6


def integrate_trapezoid(points: Sequence[tuple[float, float]], start: float, stop: float) -> float:
    """Integrate ``(t, watts)`` points over [start, stop] in joules; raise on no points.

    Points outside the window are ignored; the first and last inside it are extended flat
    to the window edges. A window too short to hold a reading takes the first reading
    after it (a utilisation-based reading describes the period before it), else the last
    one before it.
    """
    if not points:
        raise ValueError("no power readings")
    inside = sorted((t, w) for t, w in points if start <= t <= stop)
    if not inside:
        after = sorted((t, w) for t, w in points if t > stop)
        nearest = after[0] if after else max(points)
        return nearest[1] * (stop - start)
    joules = inside[0][1] * (inside[0][0] - start) + inside[-1][1] * (stop - inside[-1][0])
    for (t0, w0), (t1, w1) in itertools.pairwise(inside):
        joules += (w0 + w1) / 2.0 * (t1 - t0)
    return joules


def series(rows: Sequence[dict[str, float | None]], key: str) -> list[tuple[float, float]]:
    """Return the ``(t, value)`` points of one key, skipping rows without it."""
    out = []
    for row in rows:
        t, value = row.get("t"), row.get(key)
        if t is not None and value is not None:
            out.append((t, value))
    return out


def energy_info(
    *,
    measured: bool,
    method: str,
    window_s: float,
    joules: float | None,
    ram_joules: float | None,
    inferences: int,
    power: PowerConfig,
) -> EnergyInfo:
    """Build the EnergyInfo block, CodeCarbon fields included (kWh, kg CO2eq, kg/s)."""
    intensity = carbon_intensity(power.country_iso_code, power.carbon_intensity_g_per_kwh)
    base = {
        "measured": measured,
        "method": method,
        "window_s": window_s,
        "country_iso_code": power.country_iso_code,
        "carbon_intensity_g_per_kwh": intensity,
        "tracking_mode": "machine",
    }
    if joules is None or window_s <= 0:
        return EnergyInfo(
            **base,
            joules=None,
            joules_per_inference=None,
            inferences_per_joule=None,
            cpu_power=None,
            ram_power=None,
            cpu_energy=None,
            ram_energy=None,
            energy_consumed=None,
            emissions=None,
            emissions_rate=None,
        )
    ram_j = min(max(ram_joules or 0.0, 0.0), joules)
    cpu_j = joules - ram_j
    total_kwh = joules / J_PER_KWH
    emissions_kg = total_kwh * intensity / 1000.0
    return EnergyInfo(
        **base,
        joules=joules,
        joules_per_inference=joules / inferences if inferences > 0 else None,
        inferences_per_joule=inferences / joules if joules > 0 else None,
        cpu_power=cpu_j / window_s,
        ram_power=ram_j / window_s,
        cpu_energy=cpu_j / J_PER_KWH,
        ram_energy=ram_j / J_PER_KWH,
        energy_consumed=total_kwh,
        emissions=emissions_kg,
        emissions_rate=emissions_kg / window_s,
    )
