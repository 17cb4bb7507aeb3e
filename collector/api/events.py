"""``/api/events``: Server-Sent Events announcing stored changes to open pages.

Each ``change`` event carries the changed devices (as ``/api/devices`` items) and their
changed runs (as ``/api/runs`` items); pages update their rows from it without a reload.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

from edgebench.collector.api import bp
from edgebench.collector.live import STREAM_MAX_S, LiveHub, sse_stream
from edgebench.collector.webargs import int_arg

HUB_KEY = "edgebench_live"


def live_hub(app: Flask) -> LiveHub:
    """Return the app's change hub, creating it on first use."""
    hub = app.extensions.get(HUB_KEY)
    if hub is None:
        hub = app.extensions.setdefault(HUB_KEY, LiveHub(app.extensions["edgebench_engine"]))
    return hub


@bp.get("/events")
def events() -> Response:
    """Stream change events (``text/event-stream``); ``max_s`` ends the stream earlier."""
    max_s = int_arg("max_s", int(STREAM_MAX_S), 1, int(STREAM_MAX_S))
    hub = live_hub(current_app._get_current_object())  # type: ignore[attr-defined]
    response = Response(sse_stream(hub, max_s), mimetype="text/event-stream")
    # No caching and no proxy buffering: events must reach the page as they happen.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
