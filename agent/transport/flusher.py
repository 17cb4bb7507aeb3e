"""Move messages from the outbox to the broker, deleting each one when it is acknowledged.

One background thread per process that holds the outbox's *flush lock* (an exclusive
``flock`` on ``outbox.lock``): when ``agent daemon`` runs, it flushes, and ``agent run``
only writes rows and waits for them to go; without a daemon the run flushes its own rows.
This keeps two processes from publishing the same rows twice.

Order and exactly-once-per-connection: rows are handed to paho in id order while
connected, at most ``WINDOW`` unacknowledged at a time. After a disconnect paho resends
what it holds (same session), so the flusher continues after the last row it handed
over instead of starting again; only a new process starts from the oldest row, and the
collector deduplicates the few resends that causes by ``message_id``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
from pathlib import Path

from edgebench.agent.transport.link import MqttLink
from edgebench.agent.transport.outbox import Outbox

log = logging.getLogger(__name__)

WINDOW = 100
POLL_S = 0.2
LOCK_FILE = "outbox.lock"


class FlushLock:
    """An exclusive, process-wide claim on flushing one outbox (released when closed)."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process now holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        """Whether this process holds the lock."""
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up (the kernel also drops it when the process dies)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Flusher:
    """A thread that publishes outbox rows in order and deletes them on PUBACK."""

    def __init__(self, outbox: Outbox, link: MqttLink) -> None:
        self.outbox = outbox
        self.link = link
        self.rejected = 0
        self._acks: queue.SimpleQueue[tuple[int, bool]] = queue.SimpleQueue()
        self._inflight: dict[int, int] = {}  # paho mid -> outbox row id
        self._last_id = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-flusher", daemon=True)
        link.on_ack = self.on_ack

    def start(self) -> None:
        """Start the flushing thread."""
        self._thread.start()

    def on_ack(self, mid: int, ok: bool) -> None:
        """Record an acknowledgement (called from paho's thread; never blocks)."""
        self._acks.put((mid, ok))
        self._wake.set()

    def notify(self) -> None:
        """Say new rows were written, so they go out without waiting for the next poll."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (rows not yet acknowledged stay in the outbox)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:
                # A full disk or a locked database must not kill the flusher for good.
                log.exception("outbox flush failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(POLL_S)
            self._wake.clear()
        self._step_acks()

    def _step(self) -> None:
        self._step_acks()
        if not self.link.connected.is_set() or len(self._inflight) >= WINDOW:
            return
        for item in self.outbox.pending(self._last_id, WINDOW - len(self._inflight)):
            if not self.link.connected.is_set():
                break
            mid = self.link.publish(item.topic, item.payload, item.qos, item.retain)
            if mid is None:
                break  # paho refused (e.g. its queue is full): retry this row next time
            self._inflight[mid] = item.id
            self._last_id = item.id
        self._step_acks()

    def _step_acks(self) -> None:
        done: list[int] = []
        while True:
            try:
                mid, ok = self._acks.get_nowait()
            except queue.Empty:
                break
            row_id = self._inflight.pop(mid, None)
            if row_id is None:
                continue  # a message published directly (e.g. status), not from the outbox
            if not ok:
                # An MQTT 5 broker refused it (e.g. not authorised): resending cannot help.
                self.rejected += 1
                log.error("broker rejected outbox message %s; dropping it", row_id)
            done.append(row_id)
        self.outbox.ack(done)

    @property
    def inflight(self) -> int:
        """Rows handed to paho and not yet acknowledged."""
        return len(self._inflight)
