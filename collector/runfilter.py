"""Run-list filters, sorting and pagination parsed from query parameters.

The runs page, ``/api/runs``, ``/api/runs.csv`` and the grouped comparison all take the
same parameters, so they are parsed and validated in one place. A bad value raises
:class:`BadQuery` with a sentence saying which parameter is wrong and what it accepts;
the views turn that into a 400 response.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
# Far beyond any real table, and within SQLite's 64-bit integers after multiplying by a limit.
MAX_OFFSET = 1_000_000_000
MAX_PAGE = 1_000_000
MAX_THREADS = 1024
VERDICTS = ("VALID", "INVALID")
RUN_STATUSES = ("running", "complete", "interrupted", "failed")
# Sortable run columns (query value -> column name); all are summary columns of ``runs``.
RUN_SORTS = (
    "started_at",
    "device_id",
    "model_name",
    "backend",
    "threads",
    "verdict",
    "latency_p50_ms",
    "latency_p99_ms",
    "throughput_ips",
    "mj_per_inference",
    "peak_temp_c",
)


class BadQuery(ValueError):
    """A query parameter has a value the endpoint cannot use (answered with 400)."""


@dataclass(frozen=True)
class RunFilter:
    """Which runs to list, in which order, and which page of them."""

    device: str | None = None
    board: str | None = None
    model: str | None = None
    backend: str | None = None
    threads: int | None = None
    verdict: str | None = None
    status: str | None = None
    sweep: str | None = None
    # The runs of a campaign's jobs (``campaign_jobs.run_id``).
    campaign: int | None = None
    since: float | None = None
    until: float | None = None
    sort: str = "started_at"
    order: str = "desc"
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def to_params(self, **changes: Any) -> dict[str, str]:
        """Return the non-default values as query parameters (for links and pagers)."""
        current = replace(self, **changes)
        default = RunFilter()
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(current, f.name)
            if value is None or value == getattr(default, f.name):
                continue
            out[f.name] = _format_param(f.name, value)
        return out

    @property
    def page(self) -> int:
        """The 1-based page number this offset falls on."""
        return self.offset // self.limit + 1


def _format_param(name: str, value: Any) -> str:
    if name in ("since", "until"):
        return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def parse_run_filter(args: Mapping[str, str], *, default_limit: int = DEFAULT_LIMIT) -> RunFilter:
    """Build a :class:`RunFilter` from query parameters; raise BadQuery for a bad one."""
    limit = int_param(args, "limit", default_limit, minimum=1, maximum=MAX_LIMIT)
    offset = int_param(args, "offset", 0, minimum=0, maximum=MAX_OFFSET)
    if "page" in args and args.get("page"):
        offset = (int_param(args, "page", 1, minimum=1, maximum=MAX_PAGE) - 1) * limit
    sort = _text(args, "sort") or "started_at"
    if sort not in RUN_SORTS:
        raise BadQuery(f"query parameter 'sort' must be one of {', '.join(RUN_SORTS)}")
    order = (_text(args, "order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise BadQuery("query parameter 'order' must be 'asc' or 'desc'")
    verdict = _text(args, "verdict")
    if verdict is not None and verdict.upper() not in VERDICTS:
        raise BadQuery("query parameter 'verdict' must be VALID or INVALID")
    status = _text(args, "status")
    if status is not None and status not in RUN_STATUSES:
        raise BadQuery(f"query parameter 'status' must be one of {', '.join(RUN_STATUSES)}")
    since = parse_time(args, "since")
    until = parse_time(args, "until", end_of_day=True)
    return RunFilter(
        device=_text(args, "device"),
        board=_text(args, "board"),
        model=_text(args, "model"),
        backend=_text(args, "backend"),
        threads=int_param(args, "threads", None, minimum=1, maximum=MAX_THREADS),
        verdict=verdict.upper() if verdict else None,
        status=status,
        sweep=_text(args, "sweep"),
        campaign=int_param(args, "campaign", None, minimum=1, maximum=2**31 - 1),
        since=since,
        until=until,
        sort=sort,
        order=order,
        limit=limit,
        offset=offset,
    )


def _text(args: Mapping[str, str], name: str) -> str | None:
    """Return a stripped, non-empty parameter (empty form fields mean "no filter")."""
    raw = args.get(name)
    if raw is None:
        return None
    value = raw.strip()
    if len(value) > 255:
        raise BadQuery(f"query parameter {name!r} is longer than 255 characters")
    return value or None


def int_param(
    args: Mapping[str, str], name: str, default: Any, *, minimum: int, maximum: int
) -> Any:
    """Return an integer parameter within bounds, ``default`` when absent or empty."""
    raw = _text(args, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(f"query parameter {name!r} must be an integer, not {raw[:40]!r}") from None
    if not minimum <= value <= maximum:
        raise BadQuery(f"query parameter {name!r} must be between {minimum} and {maximum}")
    return value


def parse_time(args: Mapping[str, str], name: str, *, end_of_day: bool = False) -> float | None:
    """Parse an ISO date/time (``2025-01-31``, ``2025-01-31T12:00Z``) or epoch seconds.

    A bare date given as an upper bound means the end of that day, so ``until=2025-01-31``
    includes runs on the 31st.
    """
    raw = _text(args, name)
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise BadQuery(f"query parameter {name!r} must be a finite time, not {raw[:40]!r}")
        return seconds
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(
            f"query parameter {name!r} must be an ISO date (2025-01-31), date-time or epoch seconds"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if end_of_day and len(raw) == 10:
        parsed += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return parsed.timestamp()
