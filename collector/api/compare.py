"""API views for comparisons: ``/api/compare`` (JSON) and ``/api/compare.csv``.

Either ``runs=a,b,c`` (explicit runs, in that order) or ``group=device,model,threads``
with the run-list filters (one column per group, medians of its runs); ``baseline``
names the column the ratios are relative to (default: the first).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, request

from edgebench.collector import compare as comparison
from edgebench.collector.api import bp
from edgebench.collector.api.params import csv_response, split_list, wants_csv
from edgebench.collector.db import get_session
from edgebench.collector.export import compare_csv
from edgebench.collector.runfilter import parse_run_filter


def comparison_from_args(args: Any) -> dict[str, Any]:
    """Build the comparison a request asks for (shared with the compare page)."""
    run_ids = split_list(args.get("runs")) + [r for r in args.getlist("run") if r.strip()]
    group = split_list(args.get("group"))
    baseline = (args.get("baseline") or "").strip() or None
    session = get_session()
    if group:
        return comparison.compare_groups(session, parse_run_filter(args), group, baseline)
    try:
        return comparison.compare_runs(session, run_ids, baseline)
    except KeyError as exc:
        abort(404, f"no run {exc.args[0]}")


@bp.get("/compare")
def compare() -> Any:
    """Compare runs or groups side by side: values, best per metric, ratios to a baseline."""
    if wants_csv():
        return compare_export()
    return comparison_from_args(request.args)


@bp.get("/compare.csv")
def compare_export() -> Response:
    """Return the comparison as CSV: one line per run or group, each metric and its ratio."""
    return csv_response(compare_csv(comparison_from_args(request.args)), "edgebench-compare.csv")
