"""API view of the accuracy–latency frontier: ``/api/frontier`` (``collector.frontier``).

With ``device``: that board's runs against published top-1, the Pareto front, the budget's
answer and achieved GOPS per family. Without: the best model per board for the budget.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request

from edgebench.collector import frontier, queries
from edgebench.collector.api import bp
from edgebench.collector.db import get_session
from edgebench.collector.webargs import frontier_args


@bp.get("/frontier", endpoint="frontier")
def frontier_view() -> dict[str, Any]:
    """One device's frontier (``device=ID``) or the best model per board (no device)."""
    args = frontier_args()
    session = get_session()
    device_id = (request.args.get("device") or "").strip()
    if not device_id:
        return frontier.across_devices(session, args["metric"], args["budget"])
    if queries.get_device(session, device_id) is None:
        abort(404, f"no device {device_id!r}")
    return frontier.frontier(session, device_id, args["metric"], args["budget"])
