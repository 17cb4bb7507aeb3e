"""Move messages from the outbox to the broker; delete each one once the collector has it.

One background thread per process that holds the outbox's *flush lock* (an exclusive
``flock`` on ``outbox.lock``): when ``agent daemon`` runs, it flushes, and ``agent run``
only writes rows and waits for them to go; without a daemon the run flushes its own rows.
This keeps two processes from publishing the same rows twice.

Order and exactly-once-per-connection: rows are handed to paho in id order while
connected, at most ``WINDOW`` unacknowledged at a time. After a disconnect paho resends
what it holds (same session), so the flusher continues after the last row it handed
over instead of starting again; only a new process starts from the oldest row, and the
collector deduplicates the few resends that causes by ``message_id``.

Receipts (``docs/mqtt-contract.md``): a run message stays in the outbox after its PUBACK
until the collector's receipt lists it. One with no receipt is sent again
``receipt_timeout_s`` after it was sent, then after twice that, and so on up to
``RESEND_MAX_S``; after a reconnect at once. While the collector is silent (no receipt
for ``receipt_timeout_s``) only the oldest due message is resent, as a probe, so a day
without a collector does not fill the broker's queues with copies of the whole outbox;
the first receipt after that (for the probe, a new message or the facts) makes every
message that waited past its timeout due at once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from edgebench.agent.transport.link import MqttLink
from edgebench.agent.transport.outbox import RECEIPTED_KINDS, Outbox, OutboxItem

log = logging.getLogger(__name__)

WINDOW = 100
POLL_S = 0.2
LOCK_FILE = "outbox.lock"
RESEND_MAX_S = 300.0


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


@dataclass
class _Waiting:
    """A run message sent and not yet confirmed by a receipt."""

    row_id: int
    sent_at: float
    due_at: float
    attempts: int = 0


class Flusher:
    """A thread that publishes outbox rows in order and deletes them when confirmed.

    ``receipt_timeout_s=None`` deletes every row on PUBACK (a broker without an edgebench
    collector, which would never send receipts).
    """

    def __init__(
        self, outbox: Outbox, link: MqttLink, receipt_timeout_s: float | None = None
    ) -> None:
        self.outbox = outbox
        self.link = link
        self.receipt_timeout_s = receipt_timeout_s
        self.rejected = 0
        self.resent = 0
        self.confirmed = 0
        self._acks: queue.SimpleQueue[tuple[int, bool]] = queue.SimpleQueue()
        self._receipts: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        # paho mid -> (outbox row id, message id, kept until a receipt)
        self._inflight: dict[int, tuple[int, str, bool]] = {}
        self._waiting: dict[str, _Waiting] = {}  # message id -> its resend state
        self._heard_at = time.monotonic()  # the last receipt (start: give it a chance)
        self._connects = 0
        self._last_id = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-flusher", daemon=True)
        link.on_ack = self.on_ack
        if receipt_timeout_s is not None:
            link.on_receipt = self.on_receipt

    def start(self) -> None:
        """Start the flushing thread."""
        self._thread.start()

    def on_ack(self, mid: int, ok: bool) -> None:
        """Record an acknowledgement (called from paho's thread; never blocks)."""
        self._acks.put((mid, ok))
        self._wake.set()

    def on_receipt(self, message_ids: list[str]) -> None:
        """Record a receipt from the collector (paho's thread; never blocks)."""
        self._receipts.put(message_ids)
        self._wake.set()

    def notify(self) -> None:
        """Say new rows were written, so they go out without waiting for the next poll."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (rows not yet confirmed stay in the outbox)."""
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
        self._step_receipts()

    def _step(self) -> None:
        self._step_acks()
        self._step_receipts()
        if not self.link.connected.is_set():
            return
        now = time.monotonic()
        if self.link.connects != self._connects:
            # A new connection: the broker may have lost what it held (a restart without
            # persistence), so nothing sent before counts as on its way any more.
            self._connects = self.link.connects
            for waiting in self._waiting.values():
                waiting.due_at = now
        room = WINDOW - len(self._inflight)
        if room > 0:
            self._send(self.outbox.pending(self._last_id, room), now, resend=False)
        self._resend_due(now)
        self._step_acks()

    def _send(self, items: list[OutboxItem], now: float, *, resend: bool) -> None:
        """Hand rows to paho; remember the run messages until their receipts."""
        for item in items:
            if not self.link.connected.is_set():
                break
            mid = self.link.publish(item.topic, item.payload, item.qos, item.retain)
            if mid is None:
                break  # paho refused (e.g. its queue is full): retry this row next time
            keep = self.receipt_timeout_s is not None and item.kind in RECEIPTED_KINDS
            self._inflight[mid] = (item.id, item.message_id, keep)
            if not resend:
                self._last_id = item.id
            if keep:
                self._schedule(item, now)

    def _schedule(self, item: OutboxItem, now: float) -> None:
        """Set when a sent run message is due again if no receipt has come by then."""
        timeout = self.receipt_timeout_s or 0.0
        waiting = self._waiting.get(item.message_id)
        if waiting is None:
            waiting = self._waiting[item.message_id] = _Waiting(item.id, now, now)
        else:
            waiting.attempts += 1
            self.resent += 1
        waiting.sent_at = now
        waiting.due_at = now + min(timeout * 2**waiting.attempts, RESEND_MAX_S)

    def _resend_due(self, now: float) -> None:
        """Resend what waited past its timeout (only the oldest while the collector is silent)."""
        room = WINDOW - len(self._inflight)
        if room <= 0 or not self._waiting:
            return
        if now - self._heard_at > (self.receipt_timeout_s or 0.0):
            # The collector is silent: only the oldest message goes, as a probe (the next
            # oldest must not take its turn, or the whole outbox would trickle out).
            message_id, oldest = min(self._waiting.items(), key=lambda kv: kv[1].row_id)
            due = [(oldest.row_id, message_id)] if oldest.due_at <= now else []
        else:
            due = sorted(
                (w.row_id, message_id) for message_id, w in self._waiting.items() if w.due_at <= now
            )[:room]
        if not due:
            return
        items = self.outbox.items(row_id for row_id, _ in due)
        for row_id, message_id in due:
            if row_id not in items:
                self._waiting.pop(message_id, None)  # confirmed or dropped meanwhile
        self._send([items[row_id] for row_id, _ in due if row_id in items], now, resend=True)

    def _step_receipts(self) -> None:
        confirmed: list[str] = []
        while True:
            try:
                confirmed += self._receipts.get_nowait()
            except queue.Empty:
                break
        if not confirmed:
            return
        self.confirmed += self.outbox.remove(confirmed)
        for message_id in confirmed:
            self._waiting.pop(message_id, None)
        now = self._heard_at = time.monotonic()
        timeout = self.receipt_timeout_s or 0.0
        # The collector is listening: what has waited past its timeout goes out now.
        for waiting in self._waiting.values():
            if now - waiting.sent_at >= timeout:
                waiting.due_at = min(waiting.due_at, now)

    def _step_acks(self) -> None:
        done: list[int] = []
        while True:
            try:
                mid, ok = self._acks.get_nowait()
            except queue.Empty:
                break
            entry = self._inflight.pop(mid, None)
            if entry is None:
                continue  # a message published directly (e.g. status), not from the outbox
            row_id, message_id, keep = entry
            if not ok:
                # An MQTT 5 broker refused it (e.g. not authorised): resending cannot help.
                self.rejected += 1
                log.error("broker rejected outbox message %s; dropping it", row_id)
                self._waiting.pop(message_id, None)
            elif keep:
                continue  # the broker has it; the collector's receipt deletes it
            done.append(row_id)
        self.outbox.ack(done)

    @property
    def inflight(self) -> int:
        """Rows handed to paho and not yet acknowledged by the broker."""
        return len(self._inflight)

    @property
    def awaiting_receipt(self) -> int:
        """Run messages sent and not yet confirmed by the collector (this process's view)."""
        return len(self._waiting)
