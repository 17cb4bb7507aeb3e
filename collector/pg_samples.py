"""Insert-or-ignore of sample rows on PostgreSQL: COPY into a temporary table, then INSERT.

PostgreSQL's fastest way in is ``COPY``, but ``COPY`` cannot skip rows that already
exist, and redelivered messages must be stored once. So each batch is copied into a
per-connection temporary table (``ON COMMIT DELETE ROWS``: empty again after every
commit) and moved with one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``, whose row
count is the number of new samples. ``bench/ingest_pg.py`` measures this against the
alternative, psycopg's pipelined multi-row ``executemany`` (:func:`insert_rows_values`),
and against a raw ``COPY`` of the same rows.

The rows are the tuples :mod:`edgebench.collector.sample_rows` builds (``extra`` already
JSON text, which ``jsonb`` parses on the way in), in ``SAMPLE_COLUMNS`` order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edgebench.collector.columns import SAMPLE_COLUMNS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_COLUMNS = ", ".join(SAMPLE_COLUMNS)
_STAGING = "edgebench_samples_in"
# Column names are constants from models.py; values never enter the SQL text.
_CREATE_STAGING = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ON COMMIT DELETE ROWS"  # noqa: S608
    f" AS SELECT {_COLUMNS} FROM samples WITH NO DATA"
)
_COPY = f"COPY {_STAGING} ({_COLUMNS}) FROM STDIN"
_MOVE = (
    f"INSERT INTO samples ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGING}"  # noqa: S608
    " ON CONFLICT DO NOTHING"
)
_VALUES = (
    f"INSERT INTO samples ({_COLUMNS}) VALUES ({', '.join(['%s'] * len(SAMPLE_COLUMNS))})"  # noqa: S608
    " ON CONFLICT DO NOTHING"
)


def insert_rows_copy(conn: Connection, rows: list[tuple[Any, ...]]) -> int:
    """Insert-or-ignore ``rows`` via COPY and a staging table; return how many were new."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        # Every time (a no-op once it exists): remembering it per connection would be
        # wrong after a rolled-back first batch, which also rolls back the CREATE.
        cursor.execute(_CREATE_STAGING)
        with cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)
        # Rows left from an earlier call in the same transaction conflict, so the count
        # is still the number of new samples.
        cursor.execute(_MOVE)
        return max(cursor.rowcount, 0)


def insert_rows_values(conn: Connection, rows: list[tuple[Any, ...]]) -> int:
    """Insert-or-ignore ``rows`` with one pipelined multi-row ``executemany``."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.executemany(_VALUES, rows)
        return max(cursor.rowcount, 0)


def copy_rows_raw(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """COPY ``rows`` straight into ``samples`` (no dedupe): the benchmark's ceiling."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY samples ({_COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
