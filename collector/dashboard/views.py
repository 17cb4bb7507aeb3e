"""Dashboard pages: thin views over ``collector.listing``/``series``/``compare``.

Each page's numbers come from the same functions as the JSON API, so what a page shows
and what ``/api/...`` returns cannot disagree.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for

from edgebench.collector import listing, opprofile, queries, series
from edgebench.collector.dashboard import bp, charts
from edgebench.collector.db import get_session
from edgebench.collector.runfilter import DEFAULT_LIMIT, BadQuery, parse_run_filter
from edgebench.collector.webargs import comparison_from_args, fleet_args, split_list
from edgebench.shared.throttle import assess


@bp.errorhandler(BadQuery)
def bad_query(exc: BadQuery) -> tuple[str, int]:
    """Show a bad query parameter as a 400 page with the reason."""
    return render_template("dashboard/error.html", code=400, message=str(exc)), 400


@bp.errorhandler(404)
def not_found(exc: Any) -> tuple[str, int]:
    """Show an unknown device or run as a 404 page."""
    return render_template("dashboard/error.html", code=404, message=exc.description), 404


@bp.get("/")
def fleet() -> str:
    """Show the fleet: every device, its state, facts summary and last result."""
    session = get_session()
    args = fleet_args()
    return render_template(
        "dashboard/fleet.html",
        devices=listing.fleet(session, **args),
        counts=listing.fleet_counts(session),
        boards=listing.facets(session)["boards"],
        args=args,
    )


@bp.get("/devices/<device_id>")
def device(device_id: str) -> str:
    """One device: facts, recent runs, per-model trends of p50 latency and energy."""
    session = get_session()
    row = queries.get_device(session, device_id)
    if row is None:
        abort(404, f"no device {device_id!r}")
    trends = listing.device_trends(session, device_id)
    return render_template(
        "dashboard/device.html",
        device=row,
        facts=row.facts or {},
        runs=listing.list_runs(session, parse_run_filter({"device": device_id, "limit": "20"})),
        run_count=listing.count_runs(session, parse_run_filter({"device": device_id})),
        trends=trends,
        chart_data=charts.trend_charts(trends),
    )


@bp.get("/runs")
def runs() -> str:
    """List runs with filters and pages; tick runs to compare them."""
    session = get_session()
    flt = parse_run_filter(request.args)
    total = listing.count_runs(session, flt)
    return render_template(
        "dashboard/runs.html",
        runs=listing.list_runs(session, flt),
        total=total,
        pages=max(1, -(-total // flt.limit)),
        flt=flt,
        facets=listing.facets(session),
        # New runs from live events go on top only where they belong: unfiltered page 1.
        prepend=flt.offset == 0 and not flt.to_params(limit=DEFAULT_LIMIT),
    )


@bp.get("/runs/<run_id>")
def run(run_id: str) -> str:
    """One run: configuration, verdict, latency, telemetry, energy, accuracy, cost, op profile."""
    session = get_session()
    row = queries.get_run(session, run_id)
    if row is None:
        abort(404, f"no run {run_id!r}")
    result = row.result or {}
    rows = series.load_samples(session, run_id)
    samples = series.downsample(rows, series.DEFAULT_MAX_POINTS)
    throttle = assess(rows)
    chart_data = charts.run_charts(result, samples, throttle.spans)
    histogram = series.latency_histogram(result.get("latencies_ms") or [])
    chart_data["histogram"] = charts.histogram_chart(histogram)
    ops = opprofile.profile_view(result)
    chart_data["ops"] = opprofile.waterfall(ops) if ops else None
    return render_template(
        "dashboard/run.html",
        run=row,
        result=result,
        device=queries.get_device(session, row.device_id),
        chart_data=chart_data,
        sample_count=len(rows),
        throttle_reasons=throttle.reasons(),
        histogram=histogram,
        ops=ops,
    )


@bp.get("/compare")
def compare() -> Any:
    """Compare runs (``runs=a,b&baseline=a``) or groups (``group=device,model,threads``)."""
    picked = [r for r in request.args.getlist("run") if r.strip()]
    if picked:
        # Ticked checkboxes arrive as run=a&run=b: redirect to the shareable runs=a,b form.
        params = {"runs": ",".join(split_list(request.args.get("runs")) + picked)}
        return Response(status=303, headers={"Location": url_for(".compare", **params)})
    table, problem = None, None
    if request.args.get("runs") or request.args.get("group"):
        try:
            table = comparison_from_args(request.args)
        except BadQuery as exc:
            problem = str(exc)  # shown above the form, which can narrow the query
    page = render_template(
        "dashboard/compare.html",
        table=table,
        problem=problem,
        chart_data=charts.compare_charts(table) if table else None,
        args=request.args,
        facets=listing.facets(get_session()),
    )
    return (page, 400) if problem else page
