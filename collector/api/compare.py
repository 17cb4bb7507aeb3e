"""API views for comparisons: ``/api/compare`` (JSON) and ``/api/compare.csv``.

Either ``runs=a,b,c`` (explicit runs, in that order) or ``group=device,model,threads``
with the run-list filters (one column per group, medians of its runs); ``baseline``
names the column the ratios are relative to (default: the first).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from edgebench.collector.api import bp
from edgebench.collector.export import compare_csv
from edgebench.collector.webargs import comparison_from_args, csv_response, wants_csv


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
