"""Ingest as one startable unit: schema upgrade, broker, receiver, writer, campaign dispatch.

The broker is embedded when none is configured; the campaign dispatcher
(``ingest/dispatch.py``) sends campaign jobs' commands.

``collector serve``, ``collector ingest``, ``edgebench fleet``, the tests and the
ingest benchmark all run ingest through :class:`IngestService`, so they exercise the
same code path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from edgebench.collector import db
from edgebench.collector.embedded_broker import EmbeddedBroker
from edgebench.collector.ingest.dispatch import Dispatcher, wakes_scheduler
from edgebench.collector.ingest.receipts import receipted_ids
from edgebench.collector.ingest.receiver import ReceiverProcess
from edgebench.collector.ingest.writer import Writer
from edgebench.collector.received import Received
from edgebench.collector.store import Store

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from edgebench.collector.config import CollectorConfig

log = logging.getLogger(__name__)


def database_url(config: CollectorConfig) -> str:
    """Return the configured database URL, or the default SQLite file."""
    return config.db or db.default_url()


class IngestService:
    """MQTT → receiver process → writer thread → database, started and stopped as a whole."""

    def __init__(
        self,
        config: CollectorConfig,
        *,
        engine: Engine | None = None,
        embedded_port: int | None = None,
        on_commit: Callable[[list[Received], float], None] | None = None,
        receipts: bool = True,
        campaigns: bool = True,
    ) -> None:
        """Build the parts; nothing runs until :meth:`start`.

        ``embedded_port`` overrides ``config.embedded_broker_port``; ``on_commit`` is
        called by the writer after each commit (the benchmark measures lag with it).
        ``receipts=False`` sends no receipts: only for measuring what they cost
        (``bench/ingest_throughput.py --no-receipts``); agents then never empty their outbox.
        ``campaigns=False`` schedules no campaign jobs (the ingest benchmarks).
        """
        self.embedded: EmbeddedBroker | None = None
        if not config.mqtt.url:
            port = config.embedded_broker_port if embedded_port is None else embedded_port
            self.embedded = EmbeddedBroker("127.0.0.1", port)
            config = replace(config, mqtt=replace(config.mqtt, url=self.embedded.url))
        self.config = config
        self._own_engine = engine is None
        self.engine = engine or db.make_engine(database_url(config))
        client_id = config.mqtt.client_id or config.client_id
        self.receiver = ReceiverProcess(
            config.mqtt, client_id, config.receive_maximum, config.effective_shared_group
        )
        self.receipts = receipts
        self.receipts_sent = 0  # commits whose receipts went to the receiver process
        self._on_commit = on_commit
        self.dispatcher = (
            Dispatcher(
                self.engine, config.campaigns, config.mqtt.topic_prefix, self.receiver.send_commands
            )
            if campaigns
            else None
        )
        self.writer = Writer(
            Store(self.engine, config.rejected_max_rows),
            self.receiver,
            batch_size=config.batch_size,
            commit_interval_s=config.commit_interval_s,
            acknowledge=self.receiver.acknowledge,
            on_commit=self._committed,
        )

    def _committed(self, batch: list[Received], committed_at: float) -> None:
        """After each commit (writer thread): receipts to the devices, then the caller's hook."""
        if self.receipts:
            by_device = receipted_ids(batch)
            if by_device:
                self.receiver.send_receipts(by_device)
                self.receipts_sent += 1
        if self.dispatcher is not None and wakes_scheduler(batch):
            self.dispatcher.wake()
        if self._on_commit is not None:
            self._on_commit(batch, committed_at)

    @property
    def broker_url(self) -> str:
        """The broker this service subscribes to (the embedded one's URL if embedded)."""
        return self.config.mqtt.url

    def start(self) -> None:
        """Upgrade the schema, start the embedded broker if any, then receiver and writer."""
        try:
            db.upgrade(self.engine)
            if self.embedded is not None:
                self.embedded.start()
        except BaseException:
            if self._own_engine:
                self.engine.dispose()
            raise
        self.receiver.start()
        self.writer.start()
        if self.dispatcher is not None:
            self.dispatcher.start()
        log.info("ingest started: broker %s", self.broker_url)

    def wait_connected(self, timeout_s: float = 10.0) -> bool:
        """Block until the subscriber is connected and subscribed (or the timeout passes)."""
        return self.receiver.connected.wait(timeout_s)

    def stop(self) -> None:
        """Stop taking messages, store and acknowledge what has arrived, then disconnect."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
        self.receiver.pause()
        self.writer.stop()
        self.receiver.stop()
        if self.embedded is not None:
            self.embedded.stop()
        if self._own_engine:
            self.engine.dispose()

    def health(self) -> dict[str, Any]:
        """Return ingest counters and state for /healthz."""
        stats = self.writer.stats.snapshot()
        return {
            "broker": self.broker_url,
            "embedded_broker": self.embedded is not None,
            "connected": self.receiver.connected.is_set(),
            # Taken from the receiver process by the writer and not yet committed.
            "uncommitted_messages": stats["received"] - stats["messages"],
            "receiver_pid": self.receiver.pid,
            "receiver_restarts": self.receiver.restarts,
            "writer_alive": self.writer.is_alive(),
            "receipt_commits": self.receipts_sent,
            "campaign_commands": 0 if self.dispatcher is None else self.dispatcher.commands_sent,
            **stats,
        }
