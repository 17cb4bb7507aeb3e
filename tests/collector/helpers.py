"""Helpers for collector tests: a real paho publisher, message streams, polling, locks."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as paho
import sqlalchemy as sa

from edgebench.collector.received import Received
from edgebench.collector.store import Store
from edgebench.shared.codec import decode_message, encode_message, topic_for
from edgebench.shared.messages import Envelope, ResultMessage, RunStartedMessage, SamplesMessage
from edgebench.shared.topics import TopicLayout
from tests.shared.samples import model_info, run_config, run_result

LAYOUT = TopicLayout("edgebench")


def as_received(msg: Envelope) -> Received:
    """Return a device message as the receiver hands it to storage (decoded on its topic)."""
    topic, payload = topic_for(msg, LAYOUT), encode_message(msg)
    return Received(topic, time.time(), len(payload), decode_message(topic, payload, LAYOUT))


def store_messages(engine: sa.Engine, *messages: Envelope) -> None:
    """Store device messages in one batch, the way ingest stores them."""
    Store(engine).write([as_received(msg) for msg in messages])


def wait_until(predicate: Callable[[], Any], timeout_s: float = 20.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


class Publisher:
    """A persistent-session QoS 1 paho publisher that tracks which messages were acked."""

    def __init__(
        self, port: int, client_id: str, username: str | None = None, password: str | None = None
    ) -> None:
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(100)
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=0.5)
        self._acked: set[int] = set()
        self._mids: list[int] = []
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _on_publish(self, _c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        with self._lock:
            self._acked.add(mid)

    def publish_raw(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Queue one PUBLISH (sent now, or after a reconnect)."""
        info = self.client.publish(topic, payload, qos=qos)
        with self._lock:
            self._mids.append(info.mid)

    def publish(self, messages: Iterable[Envelope]) -> None:
        """Queue encoded messages on their own topics."""
        for msg in messages:
            self.publish_raw(topic_for(msg, LAYOUT), encode_message(msg))

    def wait_acked(self, timeout_s: float = 30.0) -> None:
        """Wait until the broker acknowledged every message published so far."""

        def done() -> bool:
            with self._lock:
                return set(self._mids) <= self._acked

        wait_until(done, timeout_s, "broker PUBACKs")

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


def run_stream(
    device_id: str, run_id: str, batches: int, rows_per_batch: int = 5, t0: float = 1_000.0
) -> list[Envelope]:
    """A run as an agent publishes it: run_started, sample batches, then the result."""
    msgs: list[Envelope] = [
        RunStartedMessage(
            device_id=device_id, run_id=run_id, seq=0, model=model_info(), config=run_config()
        )
    ]
    for b in range(batches):
        rows = [
            {"t": t0 + (b * rows_per_batch + i) * 0.1, "temp_c": 50.0 + i, "cpu0_util_pct": 9.0}
            for i in range(rows_per_batch)
        ]
        msgs.append(SamplesMessage.from_rows(rows, device_id=device_id, run_id=run_id, seq=b + 1))
    msgs.append(
        ResultMessage(
            device_id=device_id,
            run_id=run_id,
            seq=batches + 1,
            result=run_result(device_id, run_id),
        )
    )
    return msgs


class WriteLock:
    """Holds the database's write lock from another connection, as a busy writer would.

    SQLite: ``BEGIN IMMEDIATE``. PostgreSQL: ``LOCK TABLE ... IN EXCLUSIVE MODE`` on the
    tables the collector writes (reads go on, every write waits).
    """

    def __init__(self, db_url: str) -> None:
        self.sqlite = db_url.startswith("sqlite")
        if self.sqlite:
            self.conn: Any = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=30)
        else:
            import psycopg

            self.conn = psycopg.connect(db_url.replace("postgresql+psycopg", "postgresql"))

    def acquire(self) -> None:
        """Take the lock (until :meth:`release`)."""
        if self.sqlite:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            # The writer may hold one of the tables mid-commit while this waits for another:
            # PostgreSQL then breaks the deadlock by failing one side; take the lock again.
            for _ in range(20):
                try:
                    self.conn.execute(
                        "LOCK TABLE devices, runs, samples, run_events IN EXCLUSIVE MODE"
                    )
                    return
                except psycopg.errors.DeadlockDetected:
                    self.conn.rollback()
            raise AssertionError("could not lock the tables: deadlocked 20 times")

    def release(self) -> None:
        """Let the writers go on."""
        self.conn.rollback()

    def close(self) -> None:
        """Close the connection (releasing any lock)."""
        self.conn.close()


def impatient_engine(db_url: str) -> sa.Engine:
    """An engine on ``db_url`` whose writes give up after 50 ms of waiting for a lock."""
    if db_url.startswith("sqlite"):
        return sa.create_engine(db_url, connect_args={"timeout": 0.05})
    return sa.create_engine(db_url, connect_args={"options": "-c lock_timeout=50"})
