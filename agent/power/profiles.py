"""Per-board idle and full-load power, from the published measurements in hardware.md §3.3.

These are whole-board figures at the wall or the 5 V input with all cores busy. They feed
the *estimate* used when no power sensor exists; estimates are always labelled as such.
A board with no row gets the ``generic`` profile, the median of the rows below, flagged as
generic: it is not a measurement of that board, it only keeps the figure in a sane range
(CodeCarbon's 85 W default TDP would make a Pi look like a desktop).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class BoardProfile:
    """Whole-board watts at idle and at full CPU load, with where the figures come from."""

    key: str
    title: str
    idle_w: float
    load_w: float
    source: str


PROFILES: dict[str, BoardProfile] = {
    p.key: p
    for p in (
        BoardProfile(
            "zero2w",
            "Raspberry Pi Zero 2 W",
            0.6,
            2.1,
            "idle: CNX Software, 120 mA @ 5 V (Bullseye Lite); load: Geerling top500 HPL",
        ),
        BoardProfile(
            "pi3bplus",
            "Raspberry Pi 3 Model B+",
            1.9,
            5.1,
            "pidramble (Jeff Geerling), second-hand; load = stress --cpu 4; headless, LAN only",
        ),
        BoardProfile(
            "pi4",
            "Raspberry Pi 4 Model B",
            2.7,
            6.4,
            "pidramble (Jeff Geerling), second-hand; load = stress --cpu 4",
        ),
        BoardProfile(
            "cm4",
            "Raspberry Pi Compute Module 4",
            2.7,
            5.2,
            "load: Geerling top500 HPL; idle not published, the Pi 4's (same BCM2711) is used",
        ),
        BoardProfile(
            "pi5",
            "Raspberry Pi 5 (C1 stepping)",
            3.3,
            9.8,
            "Pi 5 4 GB C1: Jeff Geerling blog via press summaries; load = CPU stress",
        ),
        BoardProfile(
            "pi5-d0",
            "Raspberry Pi 5 (D0 stepping)",
            2.4,
            8.9,
            "Pi 5 2 GB D0: Jeff Geerling blog via press summaries; load = CPU stress",
        ),
        BoardProfile(
            "orangepi5",
            "Orange Pi 5 (RK3588S)",
            1.5,
            11.5,
            "load: Geerling top500 HPL; idle: ~1.5 W minimum on older kernels (sbc-reviews#68)",
        ),
        BoardProfile(
            "rk3588",
            "RK3588 board (Rock 5B)",
            1.6,
            12.0,
            "Rock 5B: load Geerling top500 HPL; idle ~1.6 W class (sbc-reviews#41)",
        ),
    )
}

GENERIC_KEY = "generic"


def generic_profile() -> BoardProfile:
    """Return the fallback profile: the median idle and load of every published board above."""
    return BoardProfile(
        GENERIC_KEY,
        "generic (no profile for this board)",
        round(statistics.median(p.idle_w for p in PROFILES.values()), 3),
        round(statistics.median(p.load_w for p in PROFILES.values()), 3),
        "median of edgebench's board table (not a measurement of this board)",
    )


def get_profile(key: str | None) -> BoardProfile:
    """Return the profile for a board key, or the generic one when there is none."""
    if key and key in PROFILES:
        return PROFILES[key]
    return generic_profile()


def profile_table_markdown() -> str:
    """Render the profile table as Markdown (what docs/power.md shows)."""
    lines = ["| key | board | idle W | full load W | source |", "| --- | --- | --- | --- | --- |"]
    for p in [*PROFILES.values(), generic_profile()]:
        lines.append(f"| `{p.key}` | {p.title} | {p.idle_w:g} | {p.load_w:g} | {p.source} |")
    return "\n".join(lines)
