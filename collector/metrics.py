"""``/metrics``: collector counters in the Prometheus text exposition format (0.0.4).

Ingest counters come from the in-process ingest service when there is one (``collector
serve``); database-derived gauges (devices, devices online, runs, samples, rejected
messages on record) are always reported, so a web-only process is still useful to scrape.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app

from edgebench.collector.db import get_session
from edgebench.collector.models import Device, RejectedMessage, Run

bp = Blueprint("metrics", __name__)

PREFIX = "edgebench_collector"


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[str, Any]]) -> str:
    """Render one metric family: HELP, TYPE and its samples (``labels``, value)."""
    lines = [f"# HELP {PREFIX}_{name} {help_text}", f"# TYPE {PREFIX}_{name} {kind}"]
    for labels, value in samples:
        lines.append(f"{PREFIX}_{name}{labels} {float(value):g}")
    return "\n".join(lines)


def _label(key: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{{{key}="{escaped}"}}'


def database_gauges() -> list[str]:
    """Gauges read from the database: fleet size and state, stored runs, rejections."""
    session = get_session()
    by_status = dict(
        session.execute(sa.select(Device.status, sa.func.count()).group_by(Device.status)).all()
    )
    runs = session.execute(sa.select(sa.func.count()).select_from(Run)).scalar_one()
    rejected = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(RejectedMessage.count), 0))
    ).scalar_one()
    devices = sum(by_status.values())
    online = by_status.get("online", 0)
    return [
        _family("devices", "gauge", "Devices known to the collector.", [("", devices)]),
        _family(
            "devices_online", "gauge", "Devices whose retained status is online.", [("", online)]
        ),
        _family("runs", "gauge", "Runs stored.", [("", runs)]),
        _family(
            "rejected_messages_recorded",
            "gauge",
            "Rejected messages on record (sum of repeat counts of retained rows).",
            [("", rejected)],
        ),
    ]


def ingest_metrics(health: dict[str, Any]) -> list[str]:
    """Counters and gauges of the in-process ingest service."""
    return [
        _family(
            "messages_total",
            "counter",
            "MQTT messages taken from the queue and committed, by outcome.",
            [
                (_label("outcome", "accepted"), health["accepted"]),
                (_label("outcome", "rejected"), health["rejected"]),
            ],
        ),
        _family(
            "samples_inserted_total",
            "counter",
            "Telemetry rows stored.",
            [("", health["samples_inserted"])],
        ),
        _family("batches_total", "counter", "Committed write batches.", [("", health["batches"])]),
        _family(
            "write_retries_total",
            "counter",
            "Batch writes retried after a database error.",
            [("", health["retries"])],
        ),
        _family(
            "queue_depth",
            "gauge",
            "Messages waiting for the writer.",
            [("", health["queue_depth"])],
        ),
        _family(
            "broker_connected",
            "gauge",
            "1 while subscribed to the broker.",
            [("", int(bool(health["connected"])))],
        ),
        _family(
            "last_commit_timestamp_seconds",
            "gauge",
            "Time of the last committed batch.",
            [("", health["last_commit_at"] or 0)],
        ),
    ]


@bp.get("/metrics")
def metrics() -> Response:
    """Return the metrics page (text/plain; version=0.0.4)."""
    families = database_gauges()
    ingest = current_app.config.get("INGEST")
    if ingest is not None:
        families += ingest_metrics(ingest.health())
    body = "\n".join(families) + "\n"
    return Response(
        body, mimetype="text/plain", content_type="text/plain; version=0.0.4; charset=utf-8"
    )
