"""What "throttled" means in edgebench: one definition for the agent and the collector.

A Raspberry Pi reports four conditions through ``vcgencmd get_throttled`` (hardware.md
§1.5): under-voltage, Arm frequency capping, throttling and the soft temperature limit.
Bits 0-3 say that a condition holds *now*; bits 16-19 are sticky, set once it *has
occurred since boot* and cleared only by a reboot. The agent's samples carry the raw
bitmask (key ``throttled``) and each live bit as a 0/1 flag (``under_voltage``,
``freq_capped``, ``throttled_now``, ``soft_temp_limit``); a board with only the
``rpi_volt`` alarm gives ``under_voltage`` alone.

A condition *occurred during the measured phase* when, in the phase's readings, its live
flag or live bit is set in any reading, or its sticky bit is set in a bitmask reading and
clear in the bitmask reading before it: it began between those two readings, perhaps too
briefly for any reading to see it live. A sticky bit already set in the first reading is
history from before the run. The run was throttled when any condition occurred; nobody can
tell (``None``) when no reading carried throttle data. docs/result-schema.md
("Throttling") is the user-facing statement of this rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MASK_KEY = "throttled"
STICKY_SHIFT = 16
# Largest value the firmware's 32-bit word can hold; anything else is not a bitmask.
_MASK_LIMIT = 2**32


@dataclass(frozen=True)
class Condition:
    """One get_throttled condition: its sample key, live bit and the words for a reason."""

    key: str
    bit: int
    live_reason: str
    sticky_reason: str

    @property
    def sticky_bit(self) -> int:
        """The "has occurred since boot" bit of this condition."""
        return self.bit + STICKY_SHIFT


CONDITIONS: tuple[Condition, ...] = (
    Condition("under_voltage", 0, "under-voltage detected", "under-voltage occurred"),
    Condition("freq_capped", 1, "Arm frequency capped", "Arm frequency capping occurred"),
    Condition("throttled_now", 2, "CPU throttled", "CPU throttling occurred"),
    Condition(
        "soft_temp_limit", 3, "soft temperature limit active", "soft temperature limit reached"
    ),
)


@dataclass(frozen=True)
class ThrottleReport:
    """What happened during a measured phase, in the order of :data:`CONDITIONS`."""

    # Whether any reading carried throttle data (a bitmask or a flag).
    known: bool
    # Keys of the conditions seen live in some reading.
    live: tuple[str, ...]
    # Keys of the conditions whose sticky bit rose between two readings.
    rose: tuple[str, ...]
    # [start, end] epoch seconds known to be affected, merged, in time order.
    spans: tuple[tuple[float, float], ...]

    @property
    def throttled(self) -> bool | None:
        """Whether any condition occurred (None: no reading could tell)."""
        return bool(self.live or self.rose) if self.known else None

    def reasons(self) -> list[str]:
        """One human reason per condition that occurred (live wins over a risen sticky bit)."""
        reasons: list[str] = []
        for c in CONDITIONS:
            if c.key in self.live:
                reasons.append(f"{c.live_reason} during the run")
            elif c.key in self.rose:
                reasons.append(f"{c.sticky_reason} during the run (sticky bit {c.sticky_bit})")
        return reasons


def assess(rows: Iterable[Mapping[str, Any]]) -> ThrottleReport:
    """Apply the definition to a measured phase's readings, in time order.

    Rows are sample rows (``t`` plus metric keys); rows without throttle data are
    skipped, and rows without ``t`` count for the conditions but give no span. A live
    condition's span runs from the first to the last of consecutive readings showing it;
    a sticky bit that rose gives the span from the reading before to the one that saw it.
    """
    live: set[str] = set()
    rose: set[str] = set()
    spans: list[list[float]] = []
    known = False
    prev_mask: int | None = None
    prev_t: float | None = None
    open_span: list[float] | None = None
    for row in rows:
        mask = _mask(row.get(MASK_KEY))
        if mask is None and all(row.get(c.key) is None for c in CONDITIONS):
            continue
        known = True
        t = row.get("t")
        now = {c.key for c in CONDITIONS if row.get(c.key) or (mask or 0) >> c.bit & 1}
        live |= now
        if mask is not None:
            if prev_mask is not None:
                risen = {
                    c.key
                    for c in CONDITIONS
                    if mask >> c.sticky_bit & 1 and not prev_mask >> c.sticky_bit & 1
                }
                rose |= risen
                if risen and t is not None and prev_t is not None:
                    spans.append([prev_t, t])
            prev_mask, prev_t = mask, t
        if t is None:
            continue
        if not now:
            open_span = None
        elif open_span is None:
            open_span = [t, t]
            spans.append(open_span)
        else:
            open_span[1] = t
    return ThrottleReport(known, _ordered(live), _ordered(rose), _merged(spans))


def summary_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Two readings that stand for a phase known only by its summary (``min``/``max`` per key).

    For a result whose sample rows were left out. Sticky bits only rise within a boot,
    so the smallest bitmask of a phase holds the first reading's sticky bits and the
    largest the last reading's; a flag's maximum says whether it was ever live. So
    :func:`assess` of these rows finds the same conditions as of the readings (no spans).
    """
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    mask = summary.get(MASK_KEY)
    if mask is not None:
        first[MASK_KEY], last[MASK_KEY] = mask.min, mask.max
    for c in CONDITIONS:
        flag = summary.get(c.key)
        if flag is not None:
            last[c.key] = flag.max
    return [row for row in (first, last) if row]


def _mask(value: Any) -> int | None:
    """Return the bitmask as an int, or None when the value is missing or is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value != int(value) or not 0 <= value < _MASK_LIMIT:
        return None
    return int(value)


def _ordered(keys: set[str]) -> tuple[str, ...]:
    return tuple(c.key for c in CONDITIONS if c.key in keys)


def _merged(spans: list[list[float]]) -> tuple[tuple[float, float], ...]:
    """Sort spans and merge those that overlap or touch."""
    out: list[list[float]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((start, end) for start, end in out)
