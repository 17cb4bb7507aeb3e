"""The HTML dashboard blueprint: fleet, device, runs, run, compare, models and campaign pages.

Pages render their tables on the server (they work without JavaScript); charts are drawn
by the vendored Chart.js from JSON embedded with ``|tojson``, and ``dashboard.js`` keeps
tables current from ``/api/events``. Every string from a device goes through Jinja
autoescaping or ``textContent``, never through HTML built in JavaScript.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

# Imported for their side effect: they register views, filters and handlers on ``bp``.
from edgebench.collector.dashboard import (  # noqa: E402, F401
    campaigns,
    filters,
    frontier,
    manage,
    models,
    views,
)
