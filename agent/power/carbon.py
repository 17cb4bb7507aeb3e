"""Which carbon intensity a run's emissions use: the user's figure, else the world average.

``power.carbon_intensity_g_per_kwh`` set by the user always wins (CodeCarbon's
``force_carbon_intensity_g_co2e_kwh``). Left unset, the figure is CodeCarbon's world
average, 475 gCO₂eq/kWh, which is only true of ``country_iso_code = "WLD"``: edgebench
ships no per-country table, so the configuration refuses another country without an
intensity of the user's own (``config.PowerConfig.validate``). See docs/power.md.
"""

from __future__ import annotations

from edgebench.agent.config import WORLD, WORLD_G_PER_KWH, intensity_needed
from edgebench.shared.errors import EdgebenchError


def carbon_intensity(country: str, explicit: float | None) -> float:
    """Return gCO₂eq/kWh: ``explicit`` if the user set it, else the world average for WLD."""
    if explicit is not None:
        return explicit
    if country.upper() != WORLD:
        raise EdgebenchError(intensity_needed(country))
    return WORLD_G_PER_KWH
