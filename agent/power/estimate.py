"""The power *estimate* used when no sensor exists: a board profile scaled by CPU activity.

    P = idle_w + (load_w - idle_w) × u × (f / f_max)

``u`` is the total CPU utilisation (0-1) over the interval, ``f`` the current clock and
``f_max`` the board's maximum (the factor is 1 when either is unknown). The profile's
figures come from :mod:`edgebench.agent.power.profiles`; a user calibration
(``power.idle_w`` / ``power.load_w``, measured with a meter) replaces them. The result is
always reported with ``measured=False`` and ``method="estimate"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgebench.agent.config import AgentConfig
from edgebench.agent.power.profiles import GENERIC_KEY, PROFILES, get_profile
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.result import DeviceFacts

# PowerInfo.source of an estimate from no profile starts with this, so reports can flag it.
GENERIC_SOURCE = "generic estimate"


@dataclass(frozen=True)
class Estimator:
    """Turns utilisation and clock into estimated whole-board watts."""

    profile: str
    idle_w: float
    load_w: float
    max_mhz: float | None
    source: str
    note: str

    def watts(self, util_pct: float | None, freq_mhz: float | None) -> float | None:
        """Estimated watts for one interval; None when utilisation is unknown."""
        if util_pct is None:
            return None
        u = min(max(util_pct / 100.0, 0.0), 1.0)
        f = 1.0
        if freq_mhz and self.max_mhz:
            f = min(max(freq_mhz / self.max_mhz, 0.0), 1.0)
        return self.idle_w + (self.load_w - self.idle_w) * u * f


def make_estimator(config: AgentConfig, facts: DeviceFacts | None) -> Estimator:
    """Build the estimator from the user calibration, the profile override or the board."""
    key = config.power.profile or (facts.board_profile if facts else None)
    if config.power.profile and config.power.profile not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise EdgebenchError(
            f"power.profile {config.power.profile!r} is not a board profile; use one of {known}"
        )
    profile = get_profile(key)
    max_mhz = facts.cpu_max_mhz if facts else None
    formula = "P = idle + (load - idle) × utilisation × (clock / max clock)"
    if config.power.idle_w is not None and config.power.load_w is not None:
        return Estimator(
            profile=key or GENERIC_KEY,
            idle_w=config.power.idle_w,
            load_w=config.power.load_w,
            max_mhz=max_mhz,
            source="user calibration power.idle_w / power.load_w",
            note=f"estimate, not measured: {formula}, with the user's calibration",
        )
    note = f"estimate, not measured: {formula}; {profile.source}"
    if profile.key == GENERIC_KEY:
        note = (
            f"generic estimate, not measured: no power profile for board "
            f"{key or 'unknown'}; {formula} with {profile.source}; "
            "set power.idle_w and power.load_w from a meter for a better figure"
        )
    return Estimator(
        profile=profile.key,
        idle_w=profile.idle_w,
        load_w=profile.load_w,
        max_mhz=max_mhz,
        source=(
            f"{GENERIC_SOURCE}: no power profile for board {key or 'unknown'}"
            if profile.key == GENERIC_KEY
            else f"board profile {profile.key} ({profile.title})"
        ),
        note=note,
    )
