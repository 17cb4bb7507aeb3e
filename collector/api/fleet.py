"""API views for devices and runs: the fleet, run lists (filters, pages, CSV), run detail.

Everything the dashboard pages show is available here as JSON; the pages and these views
call the same functions (``collector.listing``, ``collector.series``, ``shared.throttle``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, request

from edgebench.collector import listing, queries, series
from edgebench.collector.api import bp
from edgebench.collector.db import get_session
from edgebench.collector.export import runs_csv
from edgebench.collector.runfilter import MAX_LIMIT, BadQuery, parse_run_filter
from edgebench.collector.serialize import device_dict, run_dict
from edgebench.collector.webargs import csv_response, fleet_args, int_arg, wants_csv
from edgebench.shared.throttle import assess


@bp.errorhandler(BadQuery)
def bad_query(exc: BadQuery) -> tuple[dict[str, Any], int]:
    """Answer a bad query parameter with 400 and the reason."""
    return {"error": "Bad Request", "message": str(exc)}, 400


@bp.get("/devices")
def devices() -> dict[str, Any]:
    """List devices with online state, facts summary and their most recent run."""
    items = listing.fleet(get_session(), **fleet_args())
    return {"items": items, "total": len(items)}


@bp.get("/devices/<device_id>")
def device(device_id: str) -> dict[str, Any]:
    """One device: full facts, recent runs and per-model trends of latency and energy."""
    session = get_session()
    row = queries.get_device(session, device_id)
    if row is None:
        abort(404, f"no device {device_id!r}")
    recent = listing.list_runs(session, parse_run_filter({"device": device_id, "limit": "20"}))
    return device_dict(row) | {
        "online": row.status == "online",
        "runs": recent,
        "run_count": listing.count_runs(session, parse_run_filter({"device": device_id})),
        "trends": listing.device_trends(session, device_id),
    }


def _runs_page() -> dict[str, Any]:
    session = get_session()
    flt = parse_run_filter(request.args)
    total = listing.count_runs(session, flt)
    return {
        "items": listing.list_runs(session, flt),
        "total": total,
        "limit": flt.limit,
        "offset": flt.offset,
        "page": flt.page,
        "pages": max(1, -(-total // flt.limit)),
    }


@bp.get("/runs")
def runs() -> Any:
    """List runs with filters (device, board, model, backend, threads, verdict, dates), paged."""
    if wants_csv():
        return runs_export()
    return _runs_page()


@bp.get("/runs.csv")
def runs_export() -> Response:
    """Return the runs list as CSV (same filters; the largest page size by default)."""
    flt = parse_run_filter(request.args, default_limit=MAX_LIMIT)
    return csv_response(runs_csv(listing.list_runs(get_session(), flt)), "edgebench-runs.csv")


@bp.get("/runs/<run_id>")
def run(run_id: str) -> dict[str, Any]:
    """One run: summary columns, the full result document and derived views of it."""
    row = queries.get_run(get_session(), run_id)
    if row is None:
        abort(404, f"no run {run_id!r}")
    out = run_dict(row)
    result = row.result or {}
    out["derived"] = {
        "latency_histogram": series.latency_histogram(result.get("latencies_ms") or []),
        "latency_timeline": series.latency_timeline(result, series.DEFAULT_MAX_POINTS),
    }
    return out


@bp.get("/runs/<run_id>/samples")
def run_samples(run_id: str) -> dict[str, Any]:
    """Return a run's telemetry in time order, min/max-downsampled to ``max_points`` rows."""
    max_points = int_arg("max_points", series.DEFAULT_MAX_POINTS, 2, series.MAX_POINTS_LIMIT)
    session = get_session()
    if not listing.run_exists(session, run_id):
        abort(404, f"no run {run_id!r}")
    rows = series.load_samples(session, run_id)
    items = series.downsample(rows, max_points)
    return {
        "run_id": run_id,
        "total": len(rows),
        "max_points": max_points,
        "downsampled": len(items) < len(rows),
        "throttle_spans": [list(span) for span in assess(rows).spans],
        "items": items,
    }
