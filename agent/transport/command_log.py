"""The durable record of every command this board has taken: exactly once, across restarts.

A command (by its ``message_id``) is recorded ``started`` before the daemon does anything
with it, and ``finished`` in the same SQLite transaction that commits its last message
(result, or ``run_failed``) to the outbox (``finish_statement``, run by ``Outbox.put``):
the table lives in the outbox's file for that. So:

- a command delivered again (the broker redelivers an unacknowledged QoS 1 message after
  a daemon restart, or a sender repeats it) is found here and never run twice;
- a command left ``started`` when the daemon comes back was cut short by a kill, crash
  or power loss before its end was stored: the daemon reports it ``lost:`` (in the same
  way, atomically marking it finished), so every command taken ends in exactly one report.

Entries are kept ``KEEP_DAYS`` days and at most ``KEEP_ROWS`` rows (the oldest finished go
first): far longer than any command's expiry, so a redelivery always finds its entry.
``started`` rows are never pruned. Commits use ``synchronous=FULL``: a record that a
command started must survive power loss, or the command could run again.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from edgebench.agent.transport.outbox import OUTBOX_FILE, Statement

# The outbox's file: marking a command finished commits with the outbox row it ends with.
COMMAND_LOG_FILE = OUTBOX_FILE
KEEP_DAYS = 30.0
KEEP_ROWS = 20_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    command_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('started', 'finished')),
    run_id TEXT NOT NULL,
    received REAL NOT NULL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS commands_finished ON commands (state, received);
"""


@dataclass(frozen=True)
class CommandEntry:
    """One recorded command: its id, state and the run id its events use."""

    command_id: str
    state: str
    run_id: str


class CommandLog:
    """Command ids this board has taken, in one SQLite file; used by the daemon's thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> CommandLog:
        """Open (or create) the command log in the agent's state directory."""
        return cls(state_dir / COMMAND_LOG_FILE)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def begin(self, command_id: str, run_id: str) -> CommandEntry | None:
        """Record a new command as started; return the earlier entry if it was seen before."""
        with self._db:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO commands (command_id, state, run_id, received)"
                " VALUES (?, 'started', ?, ?)",
                (command_id, run_id, time.time()),
            )
            if cur.rowcount:
                return None
        return self.get(command_id)

    def get(self, command_id: str) -> CommandEntry | None:
        """Return the entry of a command, or None if it was never taken (or pruned)."""
        row = self._db.execute(
            "SELECT command_id, state, run_id FROM commands WHERE command_id = ?",
            (command_id,),
        ).fetchone()
        return CommandEntry(*row) if row else None

    def finish(self, command_id: str) -> None:
        """Mark a command finished (idempotent; normally done by ``finish_statement``)."""
        with self._db:
            self._db.execute(*finish_statement(command_id))

    def unfinished(self) -> list[CommandEntry]:
        """Return the commands started but never finished (cut short), oldest first."""
        rows = self._db.execute(
            "SELECT command_id, state, run_id FROM commands WHERE state = 'started'"
            " ORDER BY received"
        ).fetchall()
        return [CommandEntry(*row) for row in rows]

    def prune(self, keep_days: float = KEEP_DAYS, keep_rows: int = KEEP_ROWS) -> int:
        """Forget finished commands older than ``keep_days`` or beyond ``keep_rows``."""
        cutoff = time.time() - keep_days * 86400
        with self._db:
            before = self._db.total_changes
            self._db.execute(
                "DELETE FROM commands WHERE state = 'finished' AND received < ?", (cutoff,)
            )
            self._db.execute(
                "DELETE FROM commands WHERE state = 'finished' AND command_id IN ("
                " SELECT command_id FROM commands WHERE state = 'finished'"
                " ORDER BY received DESC LIMIT -1 OFFSET ?)",
                (keep_rows,),
            )
            return self._db.total_changes - before

    def count(self) -> int:
        """Return how many commands are recorded."""
        return int(self._db.execute("SELECT COUNT(*) FROM commands").fetchone()[0])


def finish_statement(command_id: str) -> Statement:
    """Return the statement that marks a command finished, for ``Outbox.put(..., also=)``."""
    return (
        # Epoch seconds of the commit itself (the statement is built before the run).
        "UPDATE commands SET state = 'finished',"
        " finished = (julianday('now') - 2440587.5) * 86400.0"
        " WHERE command_id = ? AND state = 'started'",
        (command_id,),
    )
