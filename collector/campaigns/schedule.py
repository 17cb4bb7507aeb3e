"""When a daily campaign next starts: "HH:MM" in the collector's time zone (pure).

The time zone is ``campaigns.timezone`` (an IANA name such as ``Europe/Berlin``) or,
when empty, the collector machine's own. Wall-clock time, so a nightly campaign stays at
02:30 across daylight-saving changes; on the night a time does not exist (the spring
gap) it runs at the same offset after the gap, as ``zoneinfo`` resolves it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo


def zone(name: str) -> tzinfo | None:
    """Return the named time zone (checked by the config), or None for the machine's own."""
    return ZoneInfo(name) if name else None


def next_daily(daily_at: str, after: float, tz: tzinfo | None = None) -> float:
    """Return the first epoch second strictly after ``after`` that is ``daily_at`` in ``tz``."""
    hour, minute = (int(part) for part in daily_at.split(":"))
    now = datetime.fromtimestamp(after, tz).astimezone(tz)
    day = now.date()
    for offset in range(3):
        naive = datetime.combine(day + timedelta(days=offset), time(hour, minute))
        start = naive.replace(tzinfo=now.tzinfo) if tz is not None else naive.astimezone()
        if start.timestamp() > after:
            return start.timestamp()
    raise AssertionError("a daily time always comes within two days")  # pragma: no cover
