"""Pick the best measured power source on this machine, in a fixed order of preference.

Order (best first): Pi 5 PMIC, INA2xx hwmon, Jetson INA3221, RAPL, power_supply. Each
module's ``detect`` raises ``NoData`` when its hardware is absent; a detector that fails
for another reason is logged and skipped, so one broken driver never hides the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from edgebench.agent.power import ina2xx, jetson, pmic, power_supply, rapl
from edgebench.agent.power.base import PowerSource
from edgebench.agent.probe.context import NoData, SamplerContext

log = logging.getLogger(__name__)

DETECTORS: tuple[tuple[str, Callable[[SamplerContext], PowerSource]], ...] = (
    ("pmic", pmic.detect),
    ("ina2xx", ina2xx.detect),
    ("ina3221", jetson.detect),
    ("rapl", rapl.detect),
    ("power_supply", power_supply.detect),
)


@dataclass
class PowerSelection:
    """The chosen source (None: estimate) and what every detector found."""

    source: PowerSource | None
    # method -> "available: <source>" or "no data: <reason>"
    availability: dict[str, str] = field(default_factory=dict)


def select_power_source(ctx: SamplerContext, *, probe_all: bool = False) -> PowerSelection:
    """Return the first source that detects; with ``probe_all`` report on every one."""
    selection = PowerSelection(source=None)
    for method, detect in DETECTORS:
        if selection.source is not None and not probe_all:
            break
        try:
            found = detect(ctx)
        except NoData as exc:
            log.debug("power source %s: no data (%s)", method, exc)
            selection.availability[method] = f"no data: {exc}"
            continue
        except Exception as exc:  # a broken driver must not hide the other sources
            log.warning("power source %s failed to probe: %s", method, exc)
            selection.availability[method] = f"error: {exc}"
            continue
        selection.availability[method] = f"available: {found.source}"
        if selection.source is None:
            selection.source = found
    return selection
