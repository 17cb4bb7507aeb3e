"""Frontier pages: one device's accuracy–latency frontier, and the best model per board.

Thin views over ``collector.frontier`` (the same functions as ``/api/frontier``); the budget
is a GET form field, so a page's URL holds its question. ``frontier.js`` draws the scatter.
"""

from __future__ import annotations

from flask import abort, render_template

from edgebench.collector import frontier, queries
from edgebench.collector.dashboard import bp
from edgebench.collector.db import get_session
from edgebench.collector.webargs import frontier_args


@bp.get("/devices/<device_id>/frontier")
def device_frontier(device_id: str) -> str:
    """One device: every run against published top-1, the front and the budget's answer."""
    args = frontier_args()
    session = get_session()
    row = queries.get_device(session, device_id)
    if row is None:
        abort(404, f"no device {device_id!r}")
    data = frontier.frontier(session, device_id, args["metric"], args["budget"])
    return render_template("dashboard/frontier.html", device=row, data=data, args=args)


@bp.get("/frontier")
def frontier_boards() -> str:
    """Every board side by side: for one budget, the most accurate model within it."""
    args = frontier_args()
    data = frontier.across_devices(get_session(), args["metric"], args["budget"])
    return render_template("dashboard/frontier_boards.html", data=data, args=args)
