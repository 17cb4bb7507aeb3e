"""The durable outbox: every outgoing message is committed to SQLite before it is published.

A run message (events, samples, result: ``RECEIPTED_KINDS``) is deleted only when the
collector's receipt says it is stored; anything else (facts) when the broker acknowledges
the publish (PUBACK). So results survive broker outages and broker restarts that lose the
broker's own state, agent crashes and reboots, and are sent in insertion order when the
connection returns. Several processes may share one outbox file (``agent run`` writes
while ``agent daemon`` flushes); SQLite serialises the writers and AUTOINCREMENT keeps ids
in commit order.

The outbox is bounded by ``max_messages``. When full, the oldest *droppable* rows
(telemetry samples and progress events) go first and are counted (``dropped_samples``);
results and the other lifecycle events are never dropped, so with only those left the
outbox grows past its bound and says so in the log. ``facts`` rows are coalesced: a new
one replaces any unsent older one, since only the latest facts matter.

Durability: precious rows are committed with ``synchronous=FULL`` (they survive power
loss); droppable rows with ``NORMAL`` in WAL mode (they survive a crash of the agent,
and cost no fsync on a slow SD card while a benchmark is measuring).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite3"
DROPPABLE_KINDS = ("samples", "progress")
# Kept until the collector's receipt (docs/mqtt-contract.md, "Receipts"); the rest until PUBACK.
RECEIPTED_KINDS = ("event", "progress", "samples", "result")
COALESCED_KINDS = ("facts",)
_WARN_EVERY_S = 60.0

# An SQL statement and its parameters, run in the same transaction as a ``put`` (the
# daemon marks a command finished in the commit that stores the command's last message).
Statement = tuple[str, tuple[Any, ...]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_kind ON outbox (kind, id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class OutboxItem:
    """One stored message waiting for its receipt (or, for facts, the broker's PUBACK)."""

    id: int
    message_id: str
    kind: str
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Outbox:
    """A bounded, ordered, crash-safe queue of MQTT messages in one SQLite file."""

    def __init__(self, path: Path, max_messages: int) -> None:
        self.path = path
        self.max_messages = max_messages
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the caller's threads (listener, flusher, paho callbacks
        # hand acks to the flusher), serialised by a lock; other processes use their own.
        self._db = sqlite3.connect(path, timeout=30.0, check_same_thread=False)
        self._lock = threading.Lock()
        self._last_warning = 0.0
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._db.commit()

    @classmethod
    def in_state_dir(cls, state_dir: Path, max_messages: int) -> Outbox:
        """Open (or create) the agent's outbox in its state directory."""
        return cls(state_dir / OUTBOX_FILE, max_messages)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def put(  # noqa: PLR0917 -- mirrors the MQTT publish arguments
        self,
        message_id: str,
        kind: str,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        *,
        also: Statement | None = None,
    ) -> int | None:
        """Store one message durably; return its row id, or None if it was dropped.

        ``also`` is committed in the same transaction, whatever happens to the message.
        """
        precious = kind not in DROPPABLE_KINDS
        with self._lock:
            self._db.execute(f"PRAGMA synchronous={'FULL' if precious else 'NORMAL'}")
            with self._db:  # one transaction: the bound check and the insert together
                if also is not None:
                    self._db.execute(*also)
                if kind in COALESCED_KINDS:
                    self._db.execute("DELETE FROM outbox WHERE kind = ?", (kind,))
                if not self._make_room(precious):
                    self._bump("dropped_samples", 1)
                    return None
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO outbox"
                    " (message_id, kind, topic, payload, qos, retain, created)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (message_id, kind, topic, payload, qos, int(retain), time.time()),
                )
                return cur.lastrowid if cur.rowcount else None

    def _make_room(self, precious: bool) -> bool:
        """Drop old telemetry until a new row fits; False if a droppable row must go itself."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        excess = count + 1 - self.max_messages
        if excess <= 0:
            return True
        marks = ",".join("?" * len(DROPPABLE_KINDS))
        cur = self._db.execute(
            f"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE kind IN ({marks})"  # noqa: S608 -- placeholders only
            " ORDER BY id LIMIT ?)",
            (*DROPPABLE_KINDS, excess),
        )
        if cur.rowcount:
            self._bump("dropped_samples", cur.rowcount)
            self._warn(f"outbox full ({self.max_messages}): dropped {cur.rowcount} old telemetry")
        if cur.rowcount >= excess:
            return True
        if not precious:
            self._warn(f"outbox full ({self.max_messages}) of results/events: telemetry dropped")
            return False
        self._warn(
            f"outbox holds {count + 1} messages, over its bound of {self.max_messages}: "
            "keeping results and events anyway; check the broker connection"
        )
        return True

    def _warn(self, text: str) -> None:
        """Log at most one outbox warning a minute (a long outage would flood the log)."""
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S or self._last_warning == 0.0:
            self._last_warning = now
            log.warning("%s", text)

    def _bump(self, name: str, amount: int) -> None:
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            (name, amount),
        )

    def pending(self, after_id: int = 0, limit: int = 100) -> list[OutboxItem]:
        """Return up to ``limit`` stored messages with ids above ``after_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, message_id, kind, topic, payload, qos, retain FROM outbox"
                " WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        return [OutboxItem(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], bool(r[6])) for r in rows]

    def ack(self, row_ids: Iterable[int]) -> None:
        """Delete acknowledged rows (a lost delete only causes a deduplicated resend)."""
        ids = [(i,) for i in row_ids]
        if not ids:
            return
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._db:
                self._db.executemany("DELETE FROM outbox WHERE id = ?", ids)

    def remove(self, message_ids: Iterable[str]) -> int:
        """Delete the rows of these messages (confirmed by a receipt); return how many."""
        ids = [(i,) for i in message_ids]
        if not ids:
            return 0
        with self._lock:
            before = self._db.total_changes
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._db:
                self._db.executemany("DELETE FROM outbox WHERE message_id = ?", ids)
            return self._db.total_changes - before

    def items(self, row_ids: Iterable[int]) -> dict[int, OutboxItem]:
        """Return the rows with these ids that are still stored (for resending)."""
        ids = list(row_ids)
        out: dict[int, OutboxItem] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT id, message_id, kind, topic, payload, qos, retain FROM outbox WHERE id IN ({marks})"  # noqa: E501, S608 -- placeholders only
                rows = self._db.execute(query, chunk).fetchall()
                for r in rows:
                    out[r[0]] = OutboxItem(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], bool(r[6]))
        return out

    def summary(self) -> dict[str, tuple[int, float]]:
        """Return ``kind -> (rows, created time of the oldest)`` for what the outbox holds."""
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, COUNT(*), MIN(created) FROM outbox GROUP BY kind ORDER BY kind"
            ).fetchall()
        return {kind: (int(n), float(oldest)) for kind, n, oldest in rows}

    def contains_any(self, message_ids: Iterable[str]) -> bool:
        """Whether any of these messages is still waiting for a receipt or acknowledgement."""
        ids = list(message_ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found = self._db.execute(
                    f"SELECT 1 FROM outbox WHERE message_id IN ({marks}) LIMIT 1",  # noqa: S608
                    chunk,
                ).fetchone()
                if found:
                    return True
        return False

    def count(self) -> int:
        """Return the number of messages waiting."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def dropped_samples(self) -> int:
        """Return ``facts.outbox_dropped_samples`` (its meaning: docs/mqtt-contract.md)."""
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM counters WHERE name = 'dropped_samples'"
            ).fetchone()
        return int(row[0]) if row else 0
