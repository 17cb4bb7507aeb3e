"""The one writer thread: stores what the receiver process decoded, in batches.

Batching is adaptive: the writer takes whatever has arrived, up to about ``batch_size``
messages, and commits when nothing more is waiting, the batch is full, or
``commit_interval_s`` has passed
since the batch's first message. Light traffic therefore commits at once (low lag) and
heavy traffic in large batches (high throughput). One exception to "runs dry": within
``MIN_COMMIT_GAP_S`` of the previous commit the writer waits that long for more, because
a steady stream that decodes a little slower than it is stored would otherwise commit
every message on its own (each commit costs ~0.3 ms of fixed work; ingest benchmark).
Only after a commit does it hand the batch's tokens to ``acknowledge``, so the broker
redelivers anything not yet stored.

While the database is locked or unavailable the writer retries the batch with
exponential back-off (``tenacity``), logging one line per failure, for as long as it
takes, and stops retrying only when the service is stopping: that batch and whatever
else has arrived stay unacknowledged, so the broker resends them to the next collector.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_when_event_set,
    wait_exponential,
)

from edgebench.collector.received import Received
from edgebench.collector.store import Store, WriteOutcome

log = logging.getLogger(__name__)

MIN_COMMIT_GAP_S = 0.02
RETRY_MIN_S = 0.2
RETRY_MAX_S = 10.0


class BatchSource(Protocol):
    """Where decoded messages come from (``ReceiverProcess``)."""

    def receive(self, timeout_s: float) -> list[Received]:
        """Return the next messages, or [] if none arrived within ``timeout_s``."""
        ...


@dataclass
class IngestStats:
    """Counters since start, read by /healthz and the benchmark (updated under a lock)."""

    received: int = 0
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
                "received": self.received,
                "messages": self.messages,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "samples_inserted": self.samples_inserted,
                "batches": self.batches,
                "retries": self.retries,
                "last_commit_at": self.last_commit_at,
            }


class Writer(threading.Thread):
    """Takes :class:`Received` items from ``source`` and stores them with ``store``."""

    def __init__(
        self,
        store: Store,
        source: BatchSource,
        *,
        batch_size: int,
        commit_interval_s: float,
        acknowledge: Callable[[list[Any]], None],
        on_commit: Callable[[list[Received], float], None] | None = None,
    ) -> None:
        super().__init__(name="edgebench-writer", daemon=True)
        self.store = store
        self.source = source
        self.batch_size = batch_size
        self.commit_interval_s = commit_interval_s
        self.acknowledge = acknowledge
        self.on_commit = on_commit
        self.stats = IngestStats()
        self._stop_event = threading.Event()
        self._last_commit = 0.0
        # Operational errors (locked, unreachable, disk full) are worth waiting out: retry
        # until the write succeeds or the service stops. Waits end early on stop().
        self._retrying = Retrying(
            retry=retry_if_exception_type(OperationalError),
            wait=wait_exponential(multiplier=RETRY_MIN_S, max=RETRY_MAX_S),
            stop=stop_when_event_set(self._stop_event),
            sleep=self._stop_event.wait,
            before_sleep=self._log_retry,
            reraise=True,
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        """Store what has already arrived, then end the thread."""
        self._stop_event.set()
        self.join(timeout_s)

    def run(self) -> None:
        """Loop until stopped, then store what is still waiting (while the database takes it)."""
        while not self._stop_event.is_set():
            batch = self._collect(0.1)
            if batch:
                self._commit(batch)
        while batch := self._collect(0.0):
            if not self._commit(batch):
                break

    def _receive(self, timeout_s: float) -> list[Received]:
        items = self.source.receive(timeout_s)
        if items:
            with self.stats.lock:
                self.stats.received += len(items)
        return items

    def _collect(self, first_wait_s: float) -> list[Received]:
        """Wait briefly for a first batch, then take what arrives (bounded by size/time)."""
        batch = self._receive(first_wait_s)
        if not batch:
            return []
        now = time.monotonic()
        deadline = now + self.commit_interval_s
        earliest = min(deadline, self._last_commit + MIN_COMMIT_GAP_S)
        while len(batch) < self.batch_size and now < deadline:
            more = self._receive(max(0.0, earliest - now))
            now = time.monotonic()
            if not more and now >= earliest:
                break
            batch.extend(more)
        return batch

    def _commit(self, batch: list[Received]) -> bool:
        """Store and acknowledge ``batch``; False if it stays unacknowledged."""
        try:
            outcome = self._retrying(self.store.write, batch)
        except OperationalError as exc:
            # Only while stopping: the broker resends the batch to the next collector.
            log.warning(
                "stopping: %d messages not stored, left for the broker to resend: %s",
                len(batch),
                _first_line(exc),
            )
            return False
        except Exception:
            # A bug must not kill ingest: leave the batch unacknowledged (the broker
            # redelivers it after a reconnect) and carry on with the next one.
            log.exception("unexpected error storing %d messages; not acknowledged", len(batch))
            return False
        committed_at = time.time()
        self._last_commit = time.monotonic()
        self.stats.add(outcome, committed_at)
        self.acknowledge([item.token for item in batch if item.token is not None])
        if self.on_commit is not None:
            self.on_commit(batch, committed_at)
        return True

    def _log_retry(self, state: RetryCallState) -> None:
        """Count and log one failed write before the back-off wait (tenacity's before_sleep)."""
        with self.stats.lock:
            self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning("database write failed, retrying in %.1fs: %s", delay, _first_line(exc))


def _first_line(exc: BaseException | None) -> str:
    """Return the first line of an error (SQLAlchemy appends the SQL and a help link)."""
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
