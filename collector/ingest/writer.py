"""The one writer thread: drains the ingest queue into the database in batches.

Batching is adaptive: the writer takes whatever is queued, up to ``batch_size``, and
commits when the queue runs dry, the batch is full, or ``commit_interval_s`` has passed
since the batch's first message. Light traffic therefore commits at once (low lag) and
heavy traffic in large batches (high throughput). One exception to "runs dry": within
``MIN_COMMIT_GAP_S`` of the previous commit the writer waits that long for more, because
a steady stream that decodes a little slower than it is stored would otherwise commit
every message on its own (each commit costs ~0.3 ms of fixed work; ingest benchmark).
Only after a commit does it hand the batch's tokens to ``acknowledge``, so the broker
redelivers anything not yet stored.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError

from edgebench.collector.batch import Received
from edgebench.collector.store import Store, WriteOutcome

log = logging.getLogger(__name__)

MIN_COMMIT_GAP_S = 0.02
RETRY_MIN_S = 0.2
RETRY_MAX_S = 10.0


@dataclass
class IngestStats:
    """Counters since start, read by /healthz and the benchmark (updated under a lock)."""

    messages: int = 0
    accepted: int = 0
    rejected: int = 0
    samples_inserted: int = 0
    batches: int = 0
    retries: int = 0
    last_commit_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, outcome: WriteOutcome, at: float) -> None:
        """Count one committed batch."""
        with self.lock:
            self.messages += outcome.messages
            self.accepted += outcome.accepted
            self.rejected += outcome.rejected
            self.samples_inserted += outcome.samples_inserted
            self.batches += 1
            self.last_commit_at = at

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as a plain dict."""
        with self.lock:
            return {
                "messages": self.messages,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "samples_inserted": self.samples_inserted,
                "batches": self.batches,
                "retries": self.retries,
                "last_commit_at": self.last_commit_at,
            }


class Writer(threading.Thread):
    """Consumes :class:`Received` items from ``inbox`` and stores them with ``store``."""

    def __init__(
        self,
        store: Store,
        inbox: queue.Queue[Received],
        *,
        batch_size: int,
        commit_interval_s: float,
        acknowledge: Callable[[list[Any]], None] | None = None,
        on_commit: Callable[[list[Received], float], None] | None = None,
    ) -> None:
        super().__init__(name="edgebench-writer", daemon=True)
        self.store = store
        self.inbox = inbox
        self.batch_size = batch_size
        self.commit_interval_s = commit_interval_s
        self.acknowledge = acknowledge
        self.on_commit = on_commit
        self.stats = IngestStats()
        self._stop_event = threading.Event()
        self._last_commit = 0.0

    def stop(self, timeout_s: float = 10.0) -> None:
        """Store what is already queued, then end the thread."""
        self._stop_event.set()
        self.join(timeout_s)

    def run(self) -> None:
        """Loop until stopped and the queue is empty."""
        while not (self._stop_event.is_set() and self.inbox.empty()):
            batch = self._collect()
            if batch:
                self._commit(batch)

    def _collect(self) -> list[Received]:
        """Wait briefly for a first item, then take what is queued (bounded by size/time)."""
        try:
            first = self.inbox.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        now = time.monotonic()
        deadline = now + self.commit_interval_s
        earliest = min(deadline, self._last_commit + MIN_COMMIT_GAP_S)
        while len(batch) < self.batch_size and now < deadline:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                if now >= earliest:
                    break
                try:
                    batch.append(self.inbox.get(timeout=earliest - now))
                except queue.Empty:
                    break
            now = time.monotonic()
        return batch

    def _commit(self, batch: list[Received]) -> None:
        """Store ``batch``, retrying on operational errors until it is committed."""
        delay = RETRY_MIN_S
        while True:
            try:
                outcome = self.store.write(batch)
                break
            except OperationalError as exc:
                # Locked or unavailable database: keep the batch (nothing acked) and retry.
                with self.stats.lock:
                    self.stats.retries += 1
                log.warning("database write failed, retrying in %.1fs: %s", delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            except Exception:
                # A bug must not kill ingest: leave the batch unacknowledged (the broker
                # redelivers it after a reconnect) and carry on with the next one.
                log.exception("unexpected error storing %d messages; not acknowledged", len(batch))
                return
        committed_at = time.time()
        self._last_commit = time.monotonic()
        self.stats.add(outcome, committed_at)
        if self.acknowledge is not None:
            self.acknowledge([item.token for item in batch if item.token is not None])
        if self.on_commit is not None:
            self.on_commit(batch, committed_at)
