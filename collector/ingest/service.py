"""Ingest as one startable unit: schema upgrade, broker (embedded if none), subscriber, writer.

``collector serve``, ``collector ingest``, ``edgebench fleet``, the tests and the
ingest benchmark all run ingest through :class:`IngestService`, so they exercise the
same code path.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from edgebench.collector import db
from edgebench.collector.batch import Received
from edgebench.collector.embedded_broker import EmbeddedBroker
from edgebench.collector.ingest.subscriber import Subscriber
from edgebench.collector.ingest.writer import Writer
from edgebench.collector.store import Store

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from edgebench.collector.config import CollectorConfig

log = logging.getLogger(__name__)


def database_url(config: CollectorConfig) -> str:
    """Return the configured database URL, or the default SQLite file."""
    return config.db or db.default_url()


class IngestService:
    """MQTT → queue → writer → database, started and stopped as a whole."""

    def __init__(
        self,
        config: CollectorConfig,
        *,
        engine: Engine | None = None,
        embedded_port: int | None = None,
        on_commit: Callable[[list[Received], float], None] | None = None,
        decoders: int = 0,
    ) -> None:
        """Build the parts; nothing runs until :meth:`start`.

        ``embedded_port`` overrides ``config.embedded_broker_port``; ``decoders`` > 0
        decodes in that many processes (ingest/decoders.py) instead of the MQTT thread.
        """
        self.embedded: EmbeddedBroker | None = None
        if not config.mqtt.url:
            port = config.embedded_broker_port if embedded_port is None else embedded_port
            self.embedded = EmbeddedBroker("127.0.0.1", port)
            config = replace(config, mqtt=replace(config.mqtt, url=self.embedded.url))
        self.config = config
        self._own_engine = engine is None
        self.engine = engine or db.make_engine(database_url(config))
        self.inbox: queue.Queue[Received] = queue.Queue(maxsize=config.queue_max)
        self.subscriber = Subscriber(
            config.mqtt,
            config.mqtt.client_id or config.client_id,
            self.inbox,
            receive_maximum=config.queue_max,
            decoders=decoders,
        )
        self.writer = Writer(
            Store(self.engine, config.rejected_max_rows),
            self.inbox,
            batch_size=config.batch_size,
            commit_interval_s=config.commit_interval_s,
            acknowledge=self.subscriber.acknowledge,
            on_commit=on_commit,
        )

    @property
    def broker_url(self) -> str:
        """The broker this service subscribes to (the embedded one's URL if embedded)."""
        return self.config.mqtt.url

    def start(self) -> None:
        """Upgrade the schema, start the embedded broker if any, then writer and subscriber."""
        # Python's default GIL switch interval (5 ms) is kept: with PUBACKs queued per
        # batch and commits paced (writer.py) a shorter one only adds GIL hand-offs
        # (0.1 ms stored ~2-3x fewer samples/s in bench/ingest_throughput.py).
        try:
            db.upgrade(self.engine)
            if self.embedded is not None:
                self.embedded.start()
        except BaseException:
            if self._own_engine:
                self.engine.dispose()
            raise
        self.writer.start()
        self.subscriber.start()
        log.info("ingest started: broker %s", self.broker_url)

    def wait_connected(self, timeout_s: float = 10.0) -> bool:
        """Block until the subscriber is connected and subscribed (or the timeout passes)."""
        return self.subscriber.connected.wait(timeout_s)

    def stop(self) -> None:
        """Stop taking messages, store and acknowledge what is queued, then disconnect."""
        self.subscriber.pause()
        self.writer.stop()
        self.subscriber.stop()
        if self.embedded is not None:
            self.embedded.stop()
        if self._own_engine:
            self.engine.dispose()

    def health(self) -> dict[str, Any]:
        """Return ingest counters and state for /healthz."""
        return {
            "broker": self.broker_url,
            "embedded_broker": self.embedded is not None,
            "connected": self.subscriber.connected.is_set(),
            "queue_depth": self.inbox.qsize(),
            "decoders": 0 if (d := self.subscriber.decoders) is None else d.count,
            "decoding": 0 if d is None else d.qsize(),
            "writer_alive": self.writer.is_alive(),
            **self.writer.stats.snapshot(),
        }
