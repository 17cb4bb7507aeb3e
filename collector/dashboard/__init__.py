"""The HTML dashboard blueprint (a placeholder index until the dashboard is built)."""

from __future__ import annotations

from flask import Blueprint, render_template_string

from edgebench.collector import queries
from edgebench.collector.db import get_session

bp = Blueprint("dashboard", __name__)

_INDEX = """<!doctype html>
<title>edgebench</title>
<h1>edgebench collector</h1>
<p>{{ devices }} devices, {{ runs }} runs stored.</p>
<ul>
{% for run in latest %}<li>{{ run.device_id }} {{ run.model_name or "?" }}
 {{ run.status }} {{ run.verdict or "" }}
 {% if run.latency_p50_ms is not none %}p50 {{ "%.2f"|format(run.latency_p50_ms) }} ms{% endif %}
 <a href="{{ url_for('api.run', run_id=run.run_id) }}">json</a></li>
{% endfor %}</ul>
<p>JSON API: <a href="{{ url_for('api.devices') }}">/api/devices</a>,
<a href="{{ url_for('api.runs') }}">/api/runs</a>.</p>
"""


@bp.get("/")
def index() -> str:
    """Show counts and the latest runs, with links to the JSON API."""
    session = get_session()
    return render_template_string(
        _INDEX,
        devices=len(queries.list_devices(session)),
        runs=queries.count_runs(session),
        latest=queries.list_runs(session, limit=20),
    )
