"""Idempotent batch writes: one transaction per batch of received messages.

Every write is insert-or-ignore on a natural key or an UPDATE keyed by one, so storing
the same message twice (a QoS 1 redelivery, an agent republishing from its outbox)
leaves the database as storing it once would. Runs get a placeholder row from the first
message that names them; the result message later fills in every summary column.

A batch that fails for a reason tied to its data (an integrity or data error) is retried
one message at a time, and a message that still fails is recorded as rejected, so one
bad message never blocks the rest. Operational errors (database locked, disk full)
propagate: the writer retries the whole batch and nothing is acknowledged meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError

from edgebench.collector.batch import BatchPlan, plan_batch, rejection_row, run_ids_of
from edgebench.collector.columns import SAMPLE_COLUMNS
from edgebench.collector.db import insert_or_ignore
from edgebench.collector.models import (
    Device,
    RejectedMessage,
    Run,
    RunEvent,
    Sample,
)
from edgebench.collector.pg_samples import insert_rows_copy
from edgebench.collector.received import Received

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

OWNER_CACHE_MAX = 200_000
# Telemetry alone moves a device's ``last_seen`` at most this often (one UPDATE per device
# per second instead of one per batch; anything else a device sends always moves it).
LAST_SEEN_RESOLUTION_S = 1.0
# Column names are constants from models/fleet.py; values are bound parameters.
_COLUMNS, _MARKS = ", ".join(SAMPLE_COLUMNS), ", ".join("?" * len(SAMPLE_COLUMNS))
_SQLITE_INSERT_SAMPLES = (
    f"INSERT INTO samples ({_COLUMNS}) VALUES ({_MARKS}) ON CONFLICT DO NOTHING"  # noqa: S608
)
_IN_CHUNK = 500

devices = Device.__table__
runs = Run.__table__
samples = Sample.__table__
run_events = RunEvent.__table__
rejected = RejectedMessage.__table__


@dataclass
class WriteOutcome:
    """What one committed batch did."""

    messages: int = 0
    accepted: int = 0
    rejected: int = 0
    samples_inserted: int = 0


def _status_is_newer() -> Any:
    """Return the condition under which a status message replaces the stored one.

    Statuses arrive out of order when several ingest workers share the subscription (a
    stale retained ``online`` may be written after a newer ``offline``), so the stored
    status moves only forward in the agent's time: a status applies when none is stored,
    when its ts is later, or on a tie when it is ``offline``. The agent gives a
    connection's birth and last will the same ts (agent/transport/link.py), so the tie
    lets the will replace its own birth but never a later connection's. It is part of
    the UPDATE, so two workers racing on one device cannot lose the newer status.
    """
    ts, state = sa.bindparam("b_ts"), sa.bindparam("b_state")
    stored = devices.c.status_ts
    return sa.or_(
        stored.is_(None),
        stored < ts,
        sa.and_(stored == ts, state == "offline"),
    )


def _update(table: sa.Table, key: str, *where: Any) -> Any:
    """UPDATE ``table`` where column ``key`` equals the ``b_<key>`` parameter (and ``where``)."""
    return sa.update(table).where(table.c[key] == sa.bindparam(f"b_{key}"), *where)


def _in_key_order(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Return ``rows`` sorted by ``key``, rows of one key in their original order."""
    return sorted(rows, key=lambda row: row[key])


class Store:
    """Writes batches of :class:`Received` messages; remembers which device owns each run."""

    def __init__(self, engine: Engine, rejected_max_rows: int = 10_000) -> None:
        self.engine = engine
        self.rejected_max_rows = rejected_max_rows
        self._insert = insert_or_ignore(engine)
        self._owners: dict[str, str] = {}
        # Committed state, to skip per-batch device writes that would change nothing:
        # device id -> the last_seen this store last wrote (the row exists).
        self._last_seen: dict[str, float] = {}

    def write(self, items: list[Received]) -> WriteOutcome:
        """Store ``items`` in one transaction (or one by one after a data error)."""
        try:
            return self._write_once(items)
        except OperationalError:
            raise
        except (DBAPIError, ValueError, TypeError, OverflowError) as exc:
            if len(items) == 1:
                return self._write_failed(items[0], exc)
        total = WriteOutcome()
        for item in items:
            one = self.write([item])
            total.messages += one.messages
            total.accepted += one.accepted
            total.rejected += one.rejected
            total.samples_inserted += one.samples_inserted
        return total

    def _write_once(self, items: list[Received]) -> WriteOutcome:
        with self.engine.begin() as conn:
            owners = self._lookup_owners(conn, run_ids_of(items))
            plan = plan_batch(items, owners)
            touched = self._last_seen_moves(plan)
            inserted = self._execute(conn, plan, touched)
        # Only after the commit: a rolled-back placeholder run must not be remembered.
        if len(self._owners) > OWNER_CACHE_MAX:
            self._owners.clear()
            self._last_seen.clear()
        self._owners.update((run_id, row["device_id"]) for run_id, row in plan.new_runs.items())
        self._last_seen.update(touched)
        return WriteOutcome(len(items), plan.accepted, len(plan.rejected), inserted)

    def _write_failed(self, item: Received, exc: BaseException) -> WriteOutcome:
        """Record a message the database refused (after validation passed) as rejected."""
        reason = f"storage: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        with self.engine.begin() as conn:
            self._write_rejected(conn, [rejection_row(item.topic, reason, item)])
        return WriteOutcome(messages=1, rejected=1)

    def _lookup_owners(self, conn: Connection, run_ids: set[str]) -> dict[str, str]:
        """Return ``run_id -> device_id`` for the batch's runs: cache first, then the DB."""
        owners = {r: self._owners[r] for r in run_ids if r in self._owners}
        missing = sorted(run_ids - owners.keys())
        for start in range(0, len(missing), _IN_CHUNK):
            chunk = missing[start : start + _IN_CHUNK]
            rows = conn.execute(
                sa.select(runs.c.run_id, runs.c.device_id).where(runs.c.run_id.in_(chunk))
            )
            for run_id, device_id in rows:
                owners[run_id] = device_id
                self._owners[run_id] = device_id
        return owners

    def _last_seen_moves(self, plan: BatchPlan) -> dict[str, float]:
        """Return ``device -> last_seen`` for the devices whose ``last_seen`` this batch moves."""
        written = self._last_seen
        return {
            d: t
            for d, t in plan.devices_seen.items()
            if d in plan.devices_eventful or t >= written.get(d, 0.0) + LAST_SEEN_RESOLUTION_S
        }

    def _execute(self, conn: Connection, plan: BatchPlan, touched: dict[str, float]) -> int:
        """Run the plan's statements in dependency order; return samples inserted.

        Rows are locked in key order (devices by id, runs by run id; a stable sort keeps the
        messages of one key in arrival order): several ingest workers on PostgreSQL then
        take their locks in the same order and cannot deadlock each other.
        """
        unknown = sorted(d for d in plan.devices_seen if d not in self._last_seen)
        if unknown:
            conn.execute(
                self._insert(devices),
                [
                    {
                        "device_id": d,
                        "first_seen": plan.devices_seen[d],
                        "last_seen": plan.devices_seen[d],
                    }
                    for d in unknown
                ],
            )
        if plan.new_runs:
            conn.execute(self._insert(runs), [plan.new_runs[r] for r in sorted(plan.new_runs)])
        if plan.facts:
            newer = sa.or_(devices.c.facts_ts.is_(None), devices.c.facts_ts <= sa.bindparam("b_ts"))
            conn.execute(
                _update(devices, "device_id", newer),
                [r | {"b_ts": r["facts_ts"]} for r in _in_key_order(plan.facts, "b_device_id")],
            )
        if plan.statuses:
            conn.execute(
                _update(devices, "device_id", _status_is_newer()),
                [
                    r | {"b_ts": r["status_ts"], "b_state": r["status"]}
                    for r in _in_key_order(plan.statuses, "b_device_id")
                ],
            )
        no_result = runs.c.result.is_(None)
        if plan.started:
            conn.execute(
                _update(runs, "run_id", no_result), _in_key_order(plan.started, "b_run_id")
            )
        if plan.finished:
            keep_command = sa.func.coalesce(runs.c.command_id, sa.bindparam("b_command_id"))
            conn.execute(
                _update(runs, "run_id", no_result).values(command_id=keep_command),
                _in_key_order(plan.finished, "b_run_id"),
            )
        if plan.results:
            conn.execute(_update(runs, "run_id"), _in_key_order(plan.results, "b_run_id"))
        if plan.events:
            conn.execute(self._insert(run_events), plan.events)
        inserted = self._insert_samples(conn, plan.samples) if plan.samples else 0
        if touched:
            self._touch_devices(conn, touched)
        if plan.rejected:
            self._write_rejected(conn, plan.rejected)
        return inserted

    def _insert_samples(self, conn: Connection, rows: list[tuple[Any, ...]]) -> int:
        """Insert-or-ignore sample tuples; return how many were new."""
        if self.engine.dialect.name == "sqlite":
            # The hot path: the tuples (``extra`` already JSON text) go straight to
            # sqlite3.executemany (bench/ingest_throughput.py).
            result = conn.exec_driver_sql(_SQLITE_INSERT_SAMPLES, rows)
        else:
            # PostgreSQL: COPY into a staging table, then insert-or-ignore (pg_samples.py).
            return insert_rows_copy(conn, rows)
        return max(result.rowcount, 0)

    @staticmethod
    def _touch_devices(conn: Connection, seen: dict[str, float]) -> None:
        """Move each device's ``last_seen`` forward (never back: batches may interleave)."""
        later = sa.bindparam("b_seen")
        stmt = _update(devices, "device_id").values(
            last_seen=sa.case((devices.c.last_seen < later, later), else_=devices.c.last_seen)
        )
        conn.execute(stmt, [{"b_device_id": d, "b_seen": seen[d]} for d in sorted(seen)])

    def _write_rejected(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Record refused messages, counting repeats, and keep the table bounded."""
        conn.execute(self._insert(rejected), [r | {"count": 0} for r in rows])
        conn.execute(
            _update(rejected, "fingerprint").values(
                count=rejected.c.count + 1,
                last_at=sa.bindparam("b_at"),
                excerpt=sa.bindparam("b_excerpt"),
            ),
            [
                {"b_fingerprint": r["fingerprint"], "b_at": r["last_at"], "b_excerpt": r["excerpt"]}
                for r in rows
            ],
        )
        total = conn.execute(sa.select(sa.func.count()).select_from(rejected)).scalar_one()
        excess = total - self.rejected_max_rows
        if excess > 0:
            oldest = sa.select(rejected.c.id).order_by(rejected.c.last_at, rejected.c.id)
            conn.execute(sa.delete(rejected).where(rejected.c.id.in_(oldest.limit(excess))))
