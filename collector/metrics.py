"""``/metrics``: the collector's state in the Prometheus text format (``prometheus_client``).

Values are read when Prometheus scrapes, not kept in counters of our own: each app has a
registry holding one :class:`CollectorState`, which asks the database for the fleet
gauges (devices, devices online, runs, rejected messages on record) and, in a process
that runs ingest (``collector serve``), the ingest service for its counters. A web-only
process still reports the database gauges. Scraping needs a token (any scope) or a
login unless ``collector.public_metrics`` opens it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from flask.blueprints import BlueprintSetupState
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from edgebench.collector import listing, queries
from edgebench.collector.auth.access import requires
from edgebench.collector.db import get_session

bp = Blueprint("metrics", __name__)

PREFIX = "edgebench_collector"
REGISTRY_KEY = "edgebench_metrics"


def database_metrics() -> Iterator[Metric]:
    """Gauges read from the database: fleet size and state, stored runs, rejections."""
    session = get_session()
    counts = listing.fleet_counts(session)
    yield GaugeMetricFamily(
        f"{PREFIX}_devices", "Devices known to the collector.", value=counts["devices"]
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_devices_online",
        "Devices whose retained status is online.",
        value=counts["online"],
    )
    yield GaugeMetricFamily(f"{PREFIX}_runs", "Runs stored.", value=counts["runs"])
    yield GaugeMetricFamily(
        f"{PREFIX}_rejected_messages_recorded",
        "Rejected messages on record (sum of repeat counts of retained rows).",
        value=queries.rejected_total(session),
    )


def ingest_metrics(health: dict[str, Any]) -> Iterator[Metric]:
    """Counters and gauges of the in-process ingest service (``IngestService.health()``)."""
    messages = CounterMetricFamily(
        f"{PREFIX}_messages_total", "MQTT messages committed, by outcome.", labels=["outcome"]
    )
    messages.add_metric(["accepted"], health["accepted"])
    messages.add_metric(["rejected"], health["rejected"])
    yield messages
    yield CounterMetricFamily(
        f"{PREFIX}_samples_inserted_total",
        "Telemetry rows stored.",
        value=health["samples_inserted"],
    )
    yield CounterMetricFamily(
        f"{PREFIX}_batches_total", "Committed write batches.", value=health["batches"]
    )
    yield CounterMetricFamily(
        f"{PREFIX}_write_retries_total",
        "Batch writes retried after a database error.",
        value=health["retries"],
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_uncommitted_messages",
        "Messages the writer has taken from the receiver process and not yet committed.",
        value=health["uncommitted_messages"],
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_broker_connected",
        "1 while subscribed to the broker.",
        value=int(bool(health["connected"])),
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_last_commit_timestamp_seconds",
        "Time of the last committed batch.",
        value=health["last_commit_at"] or 0,
    )


class CollectorState(Collector):
    """Reads the database and the app's ingest service at every scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family (called inside the /metrics request)."""
        yield from database_metrics()
        ingest = self.app.config.get("INGEST")
        if ingest is not None:
            yield from ingest_metrics(ingest.health())


@bp.record_once
def _make_registry(state: BlueprintSetupState) -> None:
    """Give the app its own registry (not prometheus_client's process-wide default)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CollectorState(state.app))
    state.app.extensions[REGISTRY_KEY] = registry


@bp.get("/metrics")
@requires("viewer", anonymous_if="PUBLIC_METRICS")
def metrics() -> Response:
    """Return the metrics page (text/plain; version=0.0.4)."""
    registry = current_app.extensions[REGISTRY_KEY]
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
