"""Jinja filters for the dashboard: numbers with sensible precision, UTC times, ratios."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from edgebench.collector.dashboard import bp


@bp.app_template_filter("num")
def num(value: Any, digits: int = 3) -> str:
    """Format a number with ``digits`` significant digits (``–`` for missing)."""
    if value is None or isinstance(value, bool):
        return "–" if value is None else ("yes" if value else "no")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "–"
    if number == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(number)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{number:,.{decimals}f}"


@bp.app_template_filter("utc")
def utc(value: float | None) -> str:
    """Format epoch seconds as ``YYYY-MM-DD HH:MM:SSZ`` (UTC)."""
    if value is None:
        return "–"
    return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@bp.app_template_filter("iso")
def iso(value: float | None) -> str:
    """Format epoch seconds as an ISO 8601 UTC time for ``<time datetime=...>``."""
    if value is None:
        return ""
    return dt.datetime.fromtimestamp(value, dt.UTC).isoformat().replace("+00:00", "Z")


@bp.app_template_filter("ratio")
def ratio(value: float | None) -> str:
    """Format a ratio to the baseline as ``×1.23``."""
    return "–" if value is None else f"×{value:.2f}"


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """Format a duration as seconds, minutes or hours, whichever reads best (``–`` if none)."""
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{num(seconds)} s"
    if seconds < 7200:
        return f"{num(seconds / 60)} min"
    return f"{num(seconds / 3600)} h"
