"""Module-scoped fixtures for dashboard tests: a fleet stored through real ingest, a server.

The fleet goes the whole real way once per module: messages are published to a real
Mosquitto broker, the real IngestService subscribes, validates and writes them into a
SQLite file. The web server is the real app on a real socket (werkzeug, threaded, like
``collector serve``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from edgebench.collector import create_app
from edgebench.collector.config import load_collector_config
from edgebench.collector.ingest.service import IngestService
from tests.brokers import MosquittoBroker
from tests.collector.dashboard.dashdata import BOARDS, device_messages, fleet_runs
from tests.collector.helpers import Publisher, wait_until

RUNS_PER_CONFIG = 2
EXPECTED_RUNS = len(BOARDS) * RUNS_PER_CONFIG * 2 * 3


@dataclass
class Fleet:
    """A filled database and the live ingest pipeline that filled it."""

    db_url: str
    broker: MosquittoBroker
    service: IngestService

    def publish(self, device_id: str, messages: list) -> None:
        """Publish ``messages`` as ``device_id`` and wait for the broker's acks."""
        pub = Publisher(self.broker.port, f"{device_id}-extra")
        try:
            pub.publish(messages)
            pub.wait_acked()
        finally:
            pub.close()

    def count(self, sql: str) -> int:
        """Run a scalar SQL count against the database."""
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(sa.text(sql)).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Five devices, 60 runs with telemetry and results, ingested through Mosquitto."""
    root = tmp_path_factory.mktemp("fleet")
    broker = MosquittoBroker(root / "mosquitto")
    broker.start()
    db_url = f"sqlite:///{root / 'collector.sqlite'}"
    config = load_collector_config(None, {"db": db_url, "mqtt.url": broker.url})
    service = IngestService(config)
    service.start()
    try:
        assert service.wait_connected(15)
        for spec in BOARDS:
            pub = Publisher(broker.port, spec[0])
            pub.publish(device_messages(spec, online=spec[0] != "pizero-lab-01"))
            pub.publish(fleet_runs(spec, RUNS_PER_CONFIG))
            pub.wait_acked()
            pub.close()
        done = Fleet(db_url, broker, service)
        wait_until(
            lambda: (
                done.count("SELECT count(*) FROM runs WHERE result IS NOT NULL") == EXPECTED_RUNS
            ),
            60,
            "every run stored with its result",
        )
        yield done
    finally:
        service.stop()
        broker.stop()


@dataclass
class Server:
    """The collector app served over HTTP on a free port."""

    url: str
    app: object


@pytest.fixture(scope="module")
def server(fleet: Fleet) -> Iterator[Server]:
    """The real app on a real threaded WSGI server in a thread, against the fleet DB."""
    from werkzeug.serving import make_server

    app = create_app({"DATABASE": fleet.db_url, "INGEST": fleet.service, "AUTO_UPGRADE": False})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_port}", app)
    finally:
        hub = app.extensions.get("edgebench_live")
        if hub is not None:
            hub.close()
        httpd.shutdown()
        thread.join(10)


def screenshot_dir(output_dir: Path) -> Path:
    """Return test-output/screenshots (created)."""
    path = output_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
